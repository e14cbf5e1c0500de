"""Reports built from cases run through the real pathways, on SQLite and PostgreSQL.

Two known sets of cases: a small partnership of the disability pathway worked on a controlled
clock (so every duration, overdue task and drop-out is known), and the Bartoszyce replay (the
reported hours, money and outcomes). Each figure is checked exactly from the service, then the
same figure from the API as JSON, as CSV (`;`, decimal comma, BOM) and as XLSX (read back with
openpyxl); every number's link selects exactly the cases it counts.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pathways import reports
from pathways.app import create_app
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.reports import CaseFilter, Scope
from pathways.store.models import AuditEntry
from pathways.tasks import work
from pathways.tasks.accounts import create_user
from tests.bartoszyce import CLIENTS, REPORTED_BENEFITS_TOTAL, REPORTED_HOURS, REPORTED_OUTCOMES, Replay
from tests.conftest import WORKFLOWS
from tests.helpers import TestConfig
from tests.pathway_driver import PathwayDriver

KEY = "disability_employment_partnership"
D = Decimal
SUP = "supervision.supervisor"
FOREIGN_CASE_AGENCIES = ["ops-test", "pup-test", "ngo-test"]  # no supervising agency: the supervisor sees nothing
WITH_FOREIGN_NGO = ["ops-test", "pup-test", "ngo-foreign", "sup-test"]


def recruit(driver, case, day):
    driver.complete(case, "recruit_client", {"hours": "1", "entry_date": day, "entry_situation": "unemployed",
                                             "gender": "female", "disability_degree": "moderate"})


def verify(driver, case, mops_client=True):
    driver.complete(case, "verify_pup_registration", {"hours": "0.5", "registered_pup": True})
    driver.complete(case, "verify_mops_client", {"hours": "0.5", "mops_client": mops_client})


@pytest.fixture
def driver(engine, store, frozen_clock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


@pytest.fixture
def partnership(driver, engine, store):
    """Five cases on a known clock (T0 = 2026-11-02 08:00 UTC, a Monday):

    A: recruited after 1 day, found not eligible after 3 (completed in Rekrutacja: a drop-out);
    B: recruited after 2 days, eligible after 5, its support plan claimed and overdue at T0+20d;
    C: started at T0+4d and cancelled at once (a drop-out: its stay ends at the cancellation, 0 days);
    D: started at T0+4d with a foreign NGO (not ngo-test), nothing done;
    F: a case without the supervising agency: invisible to the supervisor (same staff as A and B).
    """
    clock = driver.clock
    cases = {name: driver.start(KEY, beneficiary=f"BEN-{name}") for name in "AB"}
    cases["F"] = driver.start(KEY, agencies=FOREIGN_CASE_AGENCIES, beneficiary="BEN-F")
    clock.advance(days=1)
    recruit(driver, cases["A"], "2026-11-03")
    recruit(driver, cases["F"], "2026-11-03")
    clock.advance(days=1)
    recruit(driver, cases["B"], "2026-11-04")
    clock.advance(days=1)
    verify(driver, cases["A"], mops_client=False)
    clock.advance(days=1)
    cases["C"] = driver.start(KEY, beneficiary="BEN-C")
    engine.cancel_case(Actor("coordinator"), cases["C"], "withdrew consent")
    cases["D"] = driver.start(KEY, agencies=WITH_FOREIGN_NGO, beneficiary="BEN-D")
    clock.advance(days=1)
    verify(driver, cases["B"])
    plan = driver.task(cases["B"], "support_plan")
    work.claim(engine, driver.user("pup.disabled_career_adviser"), plan.id)
    driver.advance(days=15)  # T0+20d: the plan (due 14 days after T0+5d) is overdue; the escalation opened
    return cases


def build(store, engine, user, name, **scope):
    return reports.build(store, engine, user, [name], Scope(**scope))[name]


def values(figure, *keys):
    return [tuple(row.values[k] for k in keys) for row in figure.rows]


def test_cases_per_stage_and_funnel(store, engine, driver, partnership):
    sup = driver.user(SUP)
    stages = build(store, engine, sup, "stages")
    assert values(stages, "pathway", "stage", "status", "cases") == [
        (KEY, "Rekrutacja", "active", 1), (KEY, "Rekrutacja", "completed", 1), (KEY, "Rekrutacja", "cancelled", 1),
        (KEY, "Plan wsparcia", "active", 1)]
    assert stages.totals == {"cases": 4, "active": 2}
    funnel = build(store, engine, sup, "funnel")
    assert values(funnel, "position", "stage", "reached", "active", "dropped_out", "finished") == [
        (1, "Rekrutacja", 4, 1, 2, 0), (2, "Plan wsparcia", 1, 1, 0, 0), (3, "Wsparcie specjalistów", 0, 0, 0, 0),
        (4, "Aktywizacja", 0, 0, 0, 0), (5, "Staż i zatrudnienie", 0, 0, 0, 0),
        (6, "Zakończenie udziału", 0, 0, 0, 0), (7, "Monitoring po zakończeniu", 0, 0, 0, 0)]


def test_times_in_stages_and_activities_are_medians_and_90th_percentiles(store, engine, driver, partnership):
    sup = driver.user(SUP)
    # Rekrutacja was left by A after 3 days, by B after 5, and by C when it was cancelled (0 days):
    # median of 0, 3, 5 = 3; 90th percentile = 3 + 0.8 x (5 - 3) = 4.6
    times = build(store, engine, sup, "stage-times")
    assert values(times, "stage", "visits", "median_days", "p90_days") == [("Rekrutacja", 3, D("3.00"), D("4.60"))]
    activities = {row["element"]: row for row in build(store, engine, sup, "activities").rows}
    got = {e: (r["open"], r["overdue"], r["completed"], r["median_days"], r["p90_days"]) for e, r in activities.items()}
    assert got == {
        "recruit_client": (1, 0, 2, D("1.50"), D("1.90")),  # A 1 day, B 2 days (F's is not visible); D open
        "verify_pup_registration": (0, 0, 2, D("2.50"), D("2.90")),  # A 2 days, B 3 days
        "verify_mops_client": (0, 0, 2, D("2.50"), D("2.90")),
        "support_plan": (1, 1, 0, None, None),  # due 14 days after T0+5d, now T0+20d
        "escalate_plan_overdue": (1, 0, 0, None, None),
    }


def test_open_tasks_per_agency_and_role_and_workload(store, engine, driver, partnership):
    sup = driver.user(SUP)
    open_tasks = build(store, engine, sup, "open-tasks")
    rows = {(r["agency"], r["role"]): (r["open"], r["overdue"]) for r in open_tasks.rows}
    assert rows == {("pup-test", "pup.disabled_career_adviser"): (2, 1),  # B's plan (overdue) and D's recruitment
                    ("sup-test", SUP): (1, 0)}  # the escalation
    workload = {r["user"]: (r["claimed_open"], r["overdue"], r["completed"])
                for r in build(store, engine, sup, "workload").rows}
    assert workload == {
        "pup.disabled_career_adviser@pup-test": (1, 1, 2),  # claimed B's plan; recruited A and B (not F)
        "pup.job_broker@pup-test": (0, 0, 2),
        "ops.social_worker@ops-test": (0, 0, 2),
    }


def test_hours_benefits_outcomes(store, engine, driver, partnership):
    sup = driver.user(SUP)
    hours = build(store, engine, sup, "hours")
    assert values(hours, "agency_kind", "agency", "hours", "cases") == [("OPS", "ops-test", D("1.00"), 2),
                                                                        ("PUP", "pup-test", D("3.00"), 2)]
    assert hours.totals["hours"] == D("4.00")
    by_role = build(store, engine, sup, "hours-by-role")
    assert values(by_role, "role", "hours") == [("ops.social_worker", D("1.00")),
                                                ("pup.disabled_career_adviser", D("2.00")),
                                                ("pup.job_broker", D("1.00"))]
    assert build(store, engine, sup, "benefits").rows == []
    outcomes = build(store, engine, sup, "outcomes")
    assert values(outcomes, "outcome", "participants") == [("trained", 0), ("socially_useful_work", 0),
                                                           ("internship", 0), ("employed", 0)]


def test_esf_table_lists_what_is_missing(store, engine, driver, partnership):
    esf = build(store, engine, driver.user(SUP), "esf")
    got = {r["beneficiary"]: (r["entry_date"], r["entry_situation"], r["missing"]) for r in esf.rows}
    assert got == {
        "BEN-A": (date(2026, 11, 3), "unemployed", ["exit_date", "exit_situation"]),  # ended without exit data
        "BEN-B": (date(2026, 11, 4), "unemployed", []),  # active: nothing due yet
        "BEN-C": (None, None, ["entry_date", "entry_situation", "exit_date", "exit_situation"]),
        "BEN-D": (None, None, ["entry_date", "entry_situation"]),
    }
    assert esf.totals["participants"] == 4 and esf.totals["incomplete"] == 3
    assert esf.totals["missing"] == {"entry_date": 2, "entry_situation": 2, "exit_date": 2, "exit_situation": 2,
                                     "situation_6m": 0}


def test_period_and_agency_narrow_the_figures(store, engine, driver, partnership):
    sup = driver.user(SUP)
    later = date(2026, 11, 6)  # T0+4d in Warsaw: C and D started; B's checks were completed on T0+5d
    stages = build(store, engine, sup, "stages", date_from=later)
    assert values(stages, "stage", "status", "cases") == [("Rekrutacja", "active", 1), ("Rekrutacja", "cancelled", 1)]
    hours = build(store, engine, sup, "hours", date_from=later)
    assert values(hours, "agency", "hours") == [("ops-test", D("0.50")), ("pup-test", D("0.50"))]
    activities = {r["element"]: r["completed"] for r in build(store, engine, sup, "activities", date_from=later).rows}
    assert activities["recruit_client"] == 0 and activities["verify_pup_registration"] == 1
    before = build(store, engine, sup, "stages", date_to=date(2026, 11, 2))
    assert values(before, "stage", "status", "cases") == [("Rekrutacja", "completed", 1),
                                                          ("Plan wsparcia", "active", 1)]
    foreign = build(store, engine, sup, "esf", agency="ngo-foreign")
    assert [r["beneficiary"] for r in foreign.rows] == ["BEN-D"]
    assert build(store, engine, sup, "esf", pathway="social_contract").rows == []


def test_every_case_number_links_to_exactly_the_cases_it_counts(store, engine, driver, partnership):
    sup = driver.user(SUP)
    figures = reports.build(store, engine, sup, list(reports.FIGURES), Scope())
    checked = 0
    for figure in figures.values():
        for row in figure.rows:
            for key, link in row.links.items():
                found = reports.matching_cases(store, sup, link)
                if figure.column(key).counts_cases:
                    assert len(found) == row[key], (figure.name, row.values, key, link.params())
                    checked += 1
                elif row[key]:
                    assert found, (figure.name, row.values, key, link.params())
    assert checked > 20
    # and the links survive the round trip through a query string
    link = figures["funnel"].rows[0].links["dropped_out"]
    assert CaseFilter.from_params(link.params()) == link
    assert sorted(reports.matching_cases(store, sup, link)) == sorted([partnership["A"], partnership["C"]])


def test_only_supervisors_and_admins_and_every_read_is_audited(store, engine, driver, partnership):
    with pytest.raises(NotAllowed):
        build(store, engine, driver.user("ops.social_worker"), "stages")
    with pytest.raises(NotFound):
        build(store, engine, driver.user(SUP), "no-such-figure")
    with pytest.raises(InvalidData) as error:
        build(store, engine, driver.user(SUP), "stages", date_from=date(2026, 2, 1), date_to=date(2026, 1, 1),
              agency="nope", pathway="nope")
    assert set(error.value.details["fields"]) == {"to", "agency", "pathway"}
    reports.build(store, engine, driver.user(SUP), ["hours", "esf"], Scope(pathway=KEY))
    with store.unit_of_work(write=False) as uow:
        entries = [e for e in uow.session.query(AuditEntry).filter(AuditEntry.action == "report.read")]
    assert entries[-1].username == f"{SUP}@sup-test"
    assert entries[-1].detail["figures"] == ["hours", "esf"] and entries[-1].detail["pathway"] == KEY


def test_the_command_line_sees_every_case(store, engine, driver, partnership):
    stages = build(store, engine, None, "stages")
    assert stages.totals == {"cases": 5, "active": 3}  # F too


def test_bartoszyce_figures(store, engine, driver):
    replay = Replay(driver)
    for client in CLIENTS:
        if client.replaces is None:
            replay.recruit(client)
    replay.run()
    sup = driver.user(SUP)
    figures = reports.build(store, engine, sup, list(reports.FIGURES), Scope(pathway=KEY))
    hours = {r["agency_kind"]: r["hours"] for r in figures["hours"].rows}
    assert hours == REPORTED_HOURS and figures["hours"].totals["hours"] == D("783.5")
    assert figures["benefits"].totals["amount"] == REPORTED_BENEFITS_TOTAL
    assert {r["benefit"]: r["amount"] for r in figures["benefits"].rows}["internship_stipend"] == 5 * D("3096.00")
    outcomes = {r["outcome"]: r["participants"] for r in figures["outcomes"].rows if r["group"] == "outcome"}
    assert outcomes == REPORTED_OUTCOMES
    follow_up = {r["outcome"]: r["participants"] for r in figures["outcomes"].rows if r["group"] == "situation_6m"}
    assert follow_up == {"employed": 3, "unemployed": 8}
    funnel = {r["stage"]: (r["reached"], r["dropped_out"], r["finished"]) for r in figures["funnel"].rows}
    assert funnel["Rekrutacja"] == (11, 0, 0) and funnel["Aktywizacja"] == (11, 0, 0)
    assert funnel["Monitoring po zakończeniu"] == (11, 0, 11)
    esf = figures["esf"]
    assert esf.totals["participants"] == 11 and esf.totals["complete"] == 11
    assert sum(r["exit_situation"] == "employed" for r in esf.rows) == 3
    assert {r["entry_date"] for r in esf.rows} == {date(2013, 2, 1)}
    by_role = {r["role"]: r["hours"] for r in figures["hours-by-role"].rows}
    assert by_role["ngo.trainer"] == 3 * D("60") and sum(by_role.values()) == D("783.5")


# -- the same figures over HTTP: JSON, CSV, XLSX ------------------------------------------------------

@pytest.fixture
def api(store, engine, driver, partnership):
    """The app on the same database, and a supervisor of the test partnership who can log in."""
    create_user(store, engine.roles, "sup.r", "sup-test", [SUP], PASSWORD, "Supervisor R", check_policy=False)
    app = create_app(TestConfig(database_url=store.engine.url.render_as_string(hide_password=False)))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "sup.r", "password": PASSWORD}).get_json()["token"]
    yield client, {"Authorization": f"Bearer {token}"}, driver.user(SUP)
    app.extensions["pathways"].close()


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


@pytest.mark.parametrize("name", list(reports.FIGURES))
def test_api_json_csv_and_xlsx_give_the_service_figures(store, engine, api, name):
    client, headers, supervisor = api
    expected = build(store, engine, supervisor, name)
    keys = [c.key for c in expected.columns]

    got = client.get(f"/api/v1/reports/{name}", headers=headers)
    assert got.status_code == 200
    assert got.get_json() == expected.as_json()

    response = client.get(f"/api/v1/reports/{name}?format=csv", headers=headers)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [c.label for c in expected.columns]
    assert len(table) == len(expected.rows) + 1
    for line, row in zip(table[1:], expected.rows, strict=True):
        for cell, column in zip(line, expected.columns, strict=True):
            value = row[column.key]
            if column.kind == "decimal" and value is not None:
                assert "," in cell and _number(cell) == value
            elif column.kind == "int":
                assert int(cell) == value
            elif column.kind == "date":
                assert cell == (value.isoformat() if value else "")

    response = client.get(f"/api/v1/reports/{name}?format=xlsx&lang=pl", headers=headers)
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert len(header) == len(keys) and all(cell.font.bold for cell in sheet[1])
    assert sheet.max_row == len(expected.rows) + 1
    for line, row in zip(sheet.iter_rows(min_row=2), expected.rows, strict=True):
        for cell, column in zip(line, expected.columns, strict=True):
            value = row[column.key]
            if column.kind == "decimal" and value is not None:
                assert isinstance(cell.value, int | float) and Decimal(str(cell.value)) == value  # a number
                assert cell.number_format == "#,##0.00"
            elif column.kind == "int":
                assert cell.value == value and isinstance(cell.value, int)
            elif column.kind == "date" and value is not None:
                assert cell.value.date() == value


def test_exports_keep_polish_letters_and_numbers(store, engine, api):
    client, headers, _supervisor = api
    text = client.get("/api/v1/reports/hours-by-role?format=csv&lang=pl", headers=headers).data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Rodzaj instytucji;Kod roli;Specjalista;Godziny;Sprawy")
    assert "Doradca zawodowy osób niepełnosprawnych;2,00;2" in text
    book = load_workbook(io.BytesIO(client.get("/api/v1/reports/hours-by-role?format=xlsx&lang=pl",
                                               headers=headers).data))
    assert book.worksheets[0].title == "Godziny usług według specjalist"[:31]
    assert [c.value for c in book.worksheets[0][1]][:3] == ["Rodzaj instytucji", "Kod roli", "Specjalista"]
    filters = {row[0].value: row[1].value for row in book.worksheets[1].iter_rows()}
    assert filters["Ścieżka"] == "wszystkie"


def test_api_refuses_case_workers_and_bad_filters(store, engine, api, driver):
    client, headers, _supervisor = api
    create_user(store, engine.roles, "worker.r", "ops-test", ["ops.social_worker"], PASSWORD, "Worker",
                check_policy=False)
    token = client.post("/api/v1/auth/token", json={"username": "worker.r", "password": PASSWORD}).get_json()["token"]
    assert client.get("/api/v1/reports/stages", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.get("/api/v1/reports/stages").status_code == 401
    assert client.get("/api/v1/reports/nope", headers=headers).status_code == 404
    bad = client.get("/api/v1/reports/stages?from=2026-02-01&to=2026-01-01", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["fields"] == {"to": "must not be before from"}
    assert client.get("/api/v1/reports/stages?format=pdf", headers=headers).status_code == 400
    later = (date(2026, 11, 2) + timedelta(days=4)).isoformat()
    narrowed = client.get(f"/api/v1/reports/stages?from={later}", headers=headers).get_json()
    assert [(r["status"], r["cases"]) for r in narrowed["rows"]] == [("active", 1), ("cancelled", 1)]


def test_the_report_command_exports_files(store, engine, driver, partnership, tmp_path):
    from click.testing import CliRunner

    from pathways.cli import main

    driver.user(SUP)  # the supervisor's account
    env = {"PATHWAYS_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}
    runner = CliRunner()
    result = runner.invoke(main, ["report", "hours", "--format", "csv", "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode("utf-8-sig").splitlines() == [
        "Agency kind;Agency code;Agency;Hours;Cases", "OPS;ops-test;Test OPS ops-test;1,00;2",
        "PUP;pup-test;Test PUP pup-test;4,00;3"]  # F (recruited only) too: every case
    result = runner.invoke(main, ["report", "hours", "--user", f"{SUP}@sup-test", "--pathway", KEY,
                                  "-o", str(tmp_path / "h.xlsx"), "--format", "xlsx"], env=env)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(tmp_path / "h.xlsx").worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["OPS", "ops-test", "Test OPS ops-test", 1, 2], ["PUP", "pup-test", "Test PUP pup-test", 3, 2]]
    refused = runner.invoke(main, ["report", "hours", "--user", "ops.social_worker@ops-test"], env=env)
    assert refused.exit_code == 1 and "supervision.supervisor" in refused.output
    assert runner.invoke(main, ["report", "esf", "--format", "xlsx"], env=env).exit_code == 2  # needs -o
