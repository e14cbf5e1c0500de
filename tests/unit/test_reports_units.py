"""The parts of the reports that need no database: percentiles, filters and their links, ESF
completeness, stage order, the CSV/XLSX exports and the SVG charts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pathways.engine.errors import InvalidData
from pathways.reports.context import stage_order
from pathways.reports.esf import add_months, missing
from pathways.reports.export import to_csv, to_xlsx
from pathways.reports.figure import Column, Figure, Row, Scope
from pathways.reports.filters import CaseFilter, day_range
from pathways.reports.labels import translate
from pathways.reports.stats import days, percentile
from pathways.web.charts import Bar, Step, bar_chart, fit, funnel_chart
from tests.helpers import load_definition


def test_percentile_interpolates_like_postgresql_percentile_cont():
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0], 0.5) == 1.5
    assert percentile([1.0, 2.0], 0.9) == pytest.approx(1.9)
    assert percentile([0.0, 3.0, 3.0, 10.0], 0.5) == 3.0
    assert percentile([0.0, 3.0, 3.0, 10.0], 0.9) == pytest.approx(7.9)
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_days_round_half_up_to_hundredths():
    assert days(86400) == Decimal("1.00")
    assert days(1.5 * 86400) == Decimal("1.50")
    assert days(432.0) == Decimal("0.01")  # 0.005 of a day rounds up
    assert days(86400.0000004) == Decimal("1.00")  # SQLite's julianday noise disappears


def test_warsaw_days_become_utc_bounds():
    start, end = day_range(date(2026, 1, 1), date(2026, 6, 30))
    assert start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # CET
    assert end == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # CEST, the day after the last one
    assert day_range(None, None) == (None, None)


def test_filters_round_trip_through_query_parameters():
    link = CaseFilter(pathway="p", stage="Rekrutacja", ended="any", started_from=date(2026, 1, 1),
                      measure="hours", key="ngo.psychologist", task_status="overdue")
    params = link.params()
    assert params == {"pathway": "p", "stage": "Rekrutacja", "started_from": "2026-01-01", "ended": "any",
                      "measure": "hours", "key": "ngo.psychologist", "task_status": "overdue"}
    assert CaseFilter.from_params({**params, "page": "2", "sort": "-id"}) == link  # the list's own keys are ignored
    assert CaseFilter().params() == {}


def test_bad_filter_parameters_are_named():
    with pytest.raises(InvalidData) as error:
        CaseFilter.from_params({"status": "lost", "started_from": "2026-13-01", "task_status": "late",
                                "measure": "money", "ended": "maybe"})
    assert set(error.value.details["fields"]) == {"status", "started_from", "task_status", "measure", "ended"}


def test_months_are_added_with_the_month_end_clamped():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 6, 30), 6) == date(2026, 12, 30)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)


def test_esf_completeness_depends_on_where_the_participant_is():
    today = date(2026, 11, 1)
    entered = {"entry_date": date(2026, 1, 5), "entry_situation": "unemployed"}
    assert missing({}, "active", today) == ["entry_date", "entry_situation"]
    assert missing(entered, "active", today) == []
    assert missing(entered, "completed", today) == ["exit_date", "exit_situation"]
    left = {**entered, "exit_date": date(2026, 4, 30), "exit_situation": "employed"}
    assert missing(left, "completed", today) == ["situation_6m"]  # six months have passed
    assert missing({**left, "exit_date": date(2026, 6, 1)}, "completed", today) == []  # not yet
    assert missing({**left, "situation_6m": "employed"}, "completed", today) == []
    assert missing({**entered, "exit_situation": "inactive"}, "active", today) == ["exit_date"]


def test_stages_are_listed_in_flow_order_not_file_order():
    spec = load_definition("disability_employment_partnership").spec
    assert stage_order(spec) == ("Rekrutacja", "Plan wsparcia", "Wsparcie specjalistów", "Aktywizacja",
                                 "Staż i zatrudnienie", "Zakończenie udziału", "Monitoring po zakończeniu")
    spec = load_definition("homelessness_exit").spec
    order = stage_order(spec)
    assert order[0] == "Identyfikacja" and order[-2:] == ("Zakończenie", "Monitoring po zakończeniu")
    assert order.index("Diagnoza") < order.index("Etap zaawansowany")


def _figure(lang="pl"):
    columns = (Column("name", "Benefit"), Column("amount", "Amount (PLN)", "decimal"),
               Column("cases", "Cases", "int", counts_cases=True), Column("on", "Entry date", "date"),
               Column("done", "Data complete", "bool"),
               Column("missing", "Missing", "list", names={"exit_date": "Exit date"}))
    rows = [Row({"name": "Zasiłek okresowy – żółć", "amount": Decimal("51986.28"), "cases": 11,
                 "on": date(2013, 2, 1), "done": False, "missing": ["exit_date"]}),
            Row({"name": "=HYPERLINK(\"x\")", "amount": Decimal("0.5"), "cases": 1, "on": None, "done": True,
                 "missing": []})]
    return Figure("benefits", "Benefits paid", columns, rows, Scope(pathway="p"), lang)


def test_csv_is_excel_friendly_in_polish():
    data = to_csv(_figure())
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][1] == translate("Amount (PLN)", "pl") == "Kwota (zł)"
    assert lines[1] == ["Zasiłek okresowy – żółć", "51986,28", "11", "2013-02-01", "nie", "Data zakończenia udziału"]
    assert lines[2][0] == "'=HYPERLINK(\"x\")" and lines[2][1] == "0,50" and lines[2][3] == ""
    assert b"\r\n" in data


def test_xlsx_keeps_numbers_dates_and_text_as_such():
    book = load_workbook(io.BytesIO(to_xlsx(_figure())))
    sheet = book.worksheets[0]
    assert sheet.title == "Wypłacone świadczenia"
    assert [c.value for c in sheet[1]][:3] == ["Świadczenie", "Kwota (zł)", "Sprawy"]
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    name, amount, cases, on, done, lacking = sheet[2]
    assert name.value == "Zasiłek okresowy – żółć"
    assert amount.value == pytest.approx(51986.28) and amount.number_format == "#,##0.00"
    assert cases.value == 11 and cases.number_format == "#,##0"
    assert on.value.date() == date(2013, 2, 1)
    assert done.value == "nie" and lacking.value == "Data zakończenia udziału"
    assert sheet.cell(row=3, column=1).value == "=HYPERLINK(\"x\")" and sheet.cell(row=3, column=1).data_type == "s"
    assert {r[0].value: r[1].value for r in book.worksheets[1].iter_rows()}["Ścieżka"] == "p"


def test_bar_chart_links_each_bar_and_escapes_text():
    svg = bar_chart([Bar("<b>NGO</b> & co", 3, "3", "/cases?x=1&y=2"), Bar("PUP", 0, "0")], "Godziny <usług>")
    assert svg.startswith("<svg") and 'role="group"' in svg
    assert "&lt;b&gt;NGO&lt;/b&gt; &amp; co" in svg and "<b>" not in svg
    assert '<a href="/cases?x=1&amp;y=2"' in svg and svg.count("<a ") == 1
    assert "Godziny &lt;usług&gt;" in svg


def test_funnel_chart_draws_one_band_per_stage_with_drop_outs():
    svg = funnel_chart([Step("Rekrutacja", 4, "4", "/a"), Step("Plan", 1, "1", None, "odpadło: 2", "/b")], "Lejek")
    assert svg.count('class="chart-band"') == 2 and "odpadło: 2" in svg and 'href="/b"' in svg


def test_long_labels_are_shortened_with_an_ellipsis():
    assert fit("Pracownik ds. prac społecznie użytecznych", 100).endswith("…")
    assert fit("PUP", 100) == "PUP"
