"""The pure parts of the person's rights: retention arithmetic and declarations, the wiping rule, the HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pathways.engine.errors import InvalidData
from pathways.privacy import export_html
from pathways.privacy.anonymise import Scrubber
from pathways.privacy.fields import FieldInfo
from pathways.privacy.retention import DEFAULT_OBLIGATION, Retention, add_duration, retention_of
from pathways.tasks.forms import FieldSpec

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">
  <bpmn:process id="other" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="retention" value="P1Y" />
    </camunda:properties></bpmn:extensionElements>
  </bpmn:process>
  <bpmn:process id="kept" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="retention" value="p10y6m" />
      <camunda:property name="retention_obligation" value="ustawa o pomocy społecznej" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="retention" value="P99Y" />
    </camunda:properties></bpmn:extensionElements></bpmn:startEvent>
  </bpmn:process>
  <bpmn:process id="plain" isExecutable="true" />
</bpmn:definitions>"""


@pytest.mark.parametrize(("start", "duration", "expected"), [
    (date(2026, 12, 31), "P5Y", date(2031, 12, 31)),
    (date(2027, 12, 31), "P5Y", date(2032, 12, 31)),
    (date(2026, 12, 31), "P6M", date(2027, 6, 30)),  # clamped to the month's end
    (date(2026, 12, 31), "P2M", date(2027, 2, 28)),
    (date(2026, 12, 31), "P1Y2M10D", date(2028, 3, 10)),
    (date(2026, 12, 31), "P2W", date(2027, 1, 14)),
    (date(2026, 12, 31), "P0D", date(2026, 12, 31)),
])
def test_durations_add_as_the_calendar_does(start, duration, expected):
    assert add_duration(start, duration) == expected


@pytest.mark.parametrize("bad", ["", "P", "5Y", "PT5H", "P5Y5Y", "P-5Y", "P99999Y", "P5Y; DROP", "P1.5Y"])
def test_malformed_durations_are_refused(bad):
    with pytest.raises(InvalidData):
        add_duration(date(2026, 12, 31), bad)


def test_retention_counts_from_the_end_of_the_year_the_case_ended():
    rule = Retention()
    assert (rule.duration, rule.obligation) == ("P5Y", DEFAULT_OBLIGATION)
    assert rule.until(date(2026, 1, 1)) == rule.until(date(2026, 12, 31)) == date(2031, 12, 31)


def test_the_process_declares_its_retention():
    kept = retention_of(BPMN, "kept")
    assert (kept.duration, kept.obligation, kept.declared) == ("P10Y6M", "ustawa o pomocy społecznej", True)
    assert retention_of(BPMN, "other").duration == "P1Y"  # each process its own
    assert retention_of(BPMN, "plain") == Retention()
    with pytest.raises(InvalidData):
        retention_of(BPMN.replace("p10y6m", "ten years"), "kept")




def _scrubber(fields: dict[str, FieldInfo]) -> Scrubber:
    scrub = Scrubber.__new__(Scrubber)
    scrub.known = frozenset(fields)
    scrub.wiped = frozenset(f.id for f in fields.values() if f.wiped)
    return scrub


def _field(id_: str, type_: str, **kw) -> FieldInfo:
    return FieldInfo(id_, id_, type_, FieldSpec(id_, type_, id_), **kw)


FIELDS = {f.id: f for f in [
    _field("notes", "string"), _field("born", "date"), _field("entry_date", "date"), _field("risk", "enum"),
    _field("risk_secret", "enum", sensitive=True), _field("nights", "long"),
    _field("flat_no", "long", identifying=True),
    _field("hours", "decimal"), _field("employed", "boolean"), _field("state", "string")]}


def test_the_wiping_rule_keeps_what_is_counted():
    wiped = {f.id for f in FIELDS.values() if f.wiped}
    assert wiped == {"notes", "born", "risk_secret", "flat_no", "state"}


def test_case_data_is_scrubbed_keys_and_unknown_text():
    scrub = _scrubber(FIELDS)
    data = {"notes": "Kowalska", "born": "1990-01-01", "entry_date": "2026-01-01", "risk": "high", "risk_secret": "x",
            "nights": 3, "flat_no": 12, "hours": 2.5, "employed": True, "script_text": "Jan K.", "script_count": 4,
            "stage": "Intake", "beneficiary_pseudonym": "B-7K3Q-9M",
            "data": {"notes": "again", "risk": "low"}, "correction": {"field": "notes", "reason": "bo tak"},
            "items": [{"notes": "deep", "nights": 1}]}
    assert scrub.data(data) == {
        "notes": None, "born": None, "entry_date": "2026-01-01", "risk": "high", "risk_secret": None, "nights": 3,
        "flat_no": None, "hours": 2.5, "employed": True, "script_text": None, "script_count": 4, "stage": "Intake",
        "beneficiary_pseudonym": "B-7K3Q-9M", "data": {"notes": None, "risk": "low"},
        "correction": {"field": "notes", "reason": None}, "items": [{"notes": None, "nights": 1}]}


def test_a_snapshot_keeps_its_structure():
    scrub = _scrubber(FIELDS)
    snapshot = {"format": "pathways-state/1", "root": "r", "data": {"notes": "n"},
                "tasks": {"t1": {"id": "t1", "state": 64, "task_spec": "review", "data": {"notes": "n", "state": "s",
                                                                                         "risk": "high"},
                                 "internal_data": {"notes": "copied"}}},
                "bpmn_events": [{"payload": {"notes": "msg"}}]}
    assert scrub.snapshot(snapshot) == {
        "format": "pathways-state/1", "root": "r", "data": {"notes": None},
        "tasks": {"t1": {"id": "t1", "state": 64, "task_spec": "review", "data": {"notes": None, "state": None,
                                                                                 "risk": "high"},
                         "internal_data": {"notes": None}}},
        "bpmn_events": [{"payload": {"notes": None}}]}


def test_audit_details_lose_only_the_wiped_keys():
    scrub = _scrubber(FIELDS)
    assert scrub.keys_only({"field": "notes", "notes": "x", "pathway": "p", "filters": {"born": "1"}}) == {
        "field": "notes", "notes": None, "pathway": "p", "filters": {"born": None}}


def test_the_document_shows_values_as_text():
    assert export_html.when(datetime(2026, 11, 3, 8, 15, tzinfo=UTC)) == "03.11.2026 09:15"
    assert export_html.shown(True) == "tak" and export_html.shown(None) == "—"
    assert export_html.shown({"a": "ż"}) == '{"a": "ż"}'
    export = {"generated_at": datetime(2026, 11, 3, tzinfo=UTC), "generated_by": "<i>x</i>",
              "person": {"pseudonym": "B-7K3Q-9M", "status": "active", "registered_at": None, "agency": None,
                         "registered_by": None, "erased_at": None,
                         "identity": {"last_name": "<script>alert(1)</script>"}},
              "consents": [], "cases": [], "access_log": []}
    html = export_html.render(export)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html and "<i>x</i>" not in html
    assert "Nazwisko" in html and "Brak spraw." in html
    assert "<html" not in export_html.render_body(export)
