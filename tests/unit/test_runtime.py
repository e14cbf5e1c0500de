"""CaseRuntime: the workflow in memory, no database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pathways.engine.errors import MessageNotExpected, NotFound, ScriptError, TaskNotOpen
from pathways.engine.located import run
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element

IDENTIFY = {"needs_crisis_support": True, "risk_level": "high", "intake_date": "2026-11-02", "notes": ""}


@pytest.fixture
def intake():
    return load_definition("intake_referral")


def test_start_opens_first_task_for_lane_role(intake, frozen_clock):
    runtime = CaseRuntime.start(intake, {"beneficiary_pseudonym": "BEN-1"})
    tasks = open_by_element(runtime)
    assert list(tasks) == ["identify"]
    assert tasks["identify"].roles == ("ops.social_worker",)
    assert runtime.enter_stages() == [("Identyfikacja", "identify")]
    assert runtime.enter_stages() == []  # each stage entry is reported once


def test_parallel_split_offers_two_agencies_and_due_date(intake, frozen_clock):
    runtime = CaseRuntime.start(intake, {})
    runtime.complete(open_by_element(runtime)["identify"].id, IDENTIFY)
    tasks = open_by_element(runtime)
    assert set(tasks) == {"crisis_intervention", "psych_diagnosis"}
    crisis = tasks["crisis_intervention"]
    assert crisis.roles == ("ngo.crisis_interventionist",)
    assert crisis.priority == 80
    assert runtime.due_at(crisis, frozen_clock()) == frozen_clock() + timedelta(hours=72)
    assert tasks["psych_diagnosis"].roles == ("ops.psychologist",)


def test_non_interrupting_timer_escalates_to_supervisor_and_keeps_task(intake, frozen_clock):
    runtime = CaseRuntime.start(intake, {})
    runtime.complete(open_by_element(runtime)["identify"].id, IDENTIFY)
    [timer] = runtime.waiting_timers()
    assert timer.element_id == "crisis_overdue"
    assert timer.due_at == frozen_clock() + timedelta(hours=72)
    frozen_clock.advance(hours=71, minutes=59)
    assert runtime.fire_due_timers() == []
    frozen_clock.advance(minutes=1)
    assert runtime.fire_due_timers() == ["crisis_overdue"]
    tasks = open_by_element(runtime)
    assert tasks["escalate_overdue"].roles == ("supervision.supervisor",)
    assert "crisis_intervention" in tasks  # non-interrupting: the overdue work stays open


@pytest.mark.parametrize(("recommendation", "end_task"),
                         [("positive", "career_plan"), ("negative", "follow_up_support")])
def test_gateway_routes_on_recommendation(intake, frozen_clock, recommendation, end_task):
    runtime = CaseRuntime.start(intake, {})
    runtime.complete(open_by_element(runtime)["identify"].id, IDENTIFY)
    tasks = open_by_element(runtime)
    runtime.complete(tasks["crisis_intervention"].id, {"hours": 3, "outcome": "stabilised"})
    runtime.complete(tasks["psych_diagnosis"].id, {"recommendation": recommendation})
    assert list(open_by_element(runtime)) == [end_task]
    runtime.complete(open_by_element(runtime)[end_task].id, {"plan_items": "kurs", "hours": 2})
    assert runtime.completed
    assert runtime.data()["recommendation"] == recommendation


def test_snapshot_holds_no_definition_and_round_trips(intake, frozen_clock):
    runtime = CaseRuntime.start(intake, {"beneficiary_pseudonym": "BEN-9"})
    runtime.complete(open_by_element(runtime)["identify"].id, IDENTIFY)
    text = runtime.dump()
    assert "spec" not in json.loads(text)
    assert "task_specs" not in text
    restored = CaseRuntime.restore(intake, text)
    assert set(open_by_element(restored)) == {"crisis_intervention", "psych_diagnosis"}
    assert restored.waiting_timers() == runtime.waiting_timers()
    assert restored.dump() == text


def test_completing_twice_or_unknown_task_is_refused(intake, frozen_clock):
    runtime = CaseRuntime.start(intake, {})
    task_id = open_by_element(runtime)["identify"].id
    runtime.complete(task_id, IDENTIFY)
    with pytest.raises(TaskNotOpen):
        runtime.complete(task_id, IDENTIFY)
    with pytest.raises(NotFound):
        runtime.complete("not-a-uuid", {})


def test_message_is_delivered_with_payload(frozen_clock):
    definition = load_definition("message_wait", FIXTURES / "message_wait.bpmn")
    runtime = CaseRuntime.start(definition, {})
    assert open_by_element(runtime) == {}
    with pytest.raises(MessageNotExpected, match="employment_confirmed"):
        runtime.receive_message("other_message", {})
    runtime.receive_message("employment_confirmed", {"employer": "Stolarnia Nowak"})
    assert list(open_by_element(runtime)) == ["record_employment"]
    assert runtime.data()["wait_employment_Response"] == {"employer": "Stolarnia Nowak"}


def test_script_failure_is_a_located_script_error(frozen_clock):
    definition = load_definition("broken_script", FIXTURES / "broken_script.bpmn")
    runtime = CaseRuntime.start(definition, {})
    with pytest.raises(ScriptError, match="at divide.*ZeroDivisionError"):
        runtime.complete(open_by_element(runtime)["fill"].id, {"hours": 4, "sessions": 0})


@pytest.mark.parametrize(("instruments", "opened"), [(["educational", "health"], ["sign"]), (["social"], [])])
def test_dmn_rule_runs_in_the_sandbox(frozen_clock, instruments, opened):
    definition = load_definition("instrument_check", FIXTURES / "instruments.bpmn", FIXTURES / "instruments.dmn")
    runtime = CaseRuntime.start(definition, {"instruments": instruments})
    assert list(open_by_element(runtime)) == opened
    assert runtime.data()["contract_valid"] is (len(instruments) >= 2)
    assert runtime.completed is (not opened)


def test_dmn_expression_cannot_escape_the_sandbox(frozen_clock, tmp_path):
    dmn = tmp_path / "instruments.dmn"
    dmn.write_text((FIXTURES / "instruments.dmn").read_text().replace(
        "len(instruments)", "().__class__.__bases__[0].__subclasses__()"))
    definition = load_definition("instrument_check", FIXTURES / "instruments.bpmn", dmn)
    with pytest.raises(ScriptError):
        CaseRuntime.start(definition, {"instruments": []})


def test_timer_start_event_waits_until_its_date(frozen_clock):
    definition = load_definition("follow_up_later", FIXTURES / "start_timer.bpmn")
    runtime = CaseRuntime.start(definition, {})
    [timer] = runtime.waiting_timers()
    assert timer.due_at.isoformat() == "2026-12-01T09:00:00+00:00"  # a date without a zone is UTC
    assert open_by_element(runtime) == {}
    frozen_clock.current = timer.due_at
    assert runtime.fire_due_timers() == ["start"]
    assert list(open_by_element(runtime)) == ["check_in"]


def test_a_raw_error_inside_a_workflow_action_becomes_a_worded_script_error() -> None:
    """SpiffWorkflow lets some errors out unwrapped (a message's correlation expression raises a bare
    NameError): the user gets the kind and a reference, never the text, which may quote case data."""
    def fails() -> None:
        raise KeyError("Kowalska")

    with pytest.raises(ScriptError) as caught:
        run(fails)
    assert "KeyError" in caught.value.message and "reference" in caught.value.message
    assert "Kowalska" not in caught.value.message
