"""Event sub-processes, interrupting boundary events, conditional events, terminate in a sub-process
(`engine.event_scopes`, `engine.conditional`): engine level, no database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pathways.engine.errors import MessageNotExpected
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element


def _definition(key: str):
    return load_definition(key, FIXTURES / f"{key}.bpmn")


def _complete(runtime: CaseRuntime, element: str, data: dict | None = None) -> None:
    runtime.complete(open_by_element(runtime)[element].id, data or {})


def _ran(runtime: CaseRuntime, element: str) -> bool:
    return any(t.task_spec.bpmn_id == element and t.state == 64 for t in runtime._all_tasks())  # 64: COMPLETED


# -- message starts ---------------------------------------------------------------------------
def test_interrupting_message_start_cancels_the_open_tasks_of_the_scope(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_message"), {"notes": 0})
    assert set(open_by_element(runtime)) == {"assess", "counselling"}
    assert {"person_left", "note_added"} <= runtime.waiting_messages()
    runtime.receive_message("person_left", {"reason": "moved"})
    assert list(open_by_element(runtime)) == ["close_file"]
    assert runtime.waiting_messages() == set()  # the scope was interrupted: nothing else listens
    _complete(runtime, "close_file")
    assert runtime.completed


def test_the_stage_of_an_event_sub_process_is_entered_when_it_starts_not_while_it_listens(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_message"), {})
    assert runtime.enter_stages() == [("Ocena", "assess")]
    runtime.receive_message("person_left", {})
    assert runtime.enter_stages() == [("Zakończenie", "left_programme")]


def test_non_interrupting_message_start_runs_beside_the_work_and_again(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_message"), {"notes": 0})
    runtime.receive_message("note_added", {})
    runtime.receive_message("note_added", {})
    assert set(open_by_element(runtime)) == {"assess", "counselling"}
    assert "note_added" in runtime.waiting_messages()  # it listens again
    _complete(runtime, "assess")
    _complete(runtime, "counselling")
    assert runtime.completed  # the listeners that never fired do not hold the case open
    assert runtime.data()["notes"] == 2  # what the event sub-processes wrote joins the case data


def test_the_case_completes_without_any_event_and_survives_a_snapshot(frozen_clock):
    definition = _definition("v17_esp_message")
    runtime = CaseRuntime.start(definition, {"notes": 0})
    restored = CaseRuntime.restore(definition, runtime.dump())
    assert "person_left" in restored.waiting_messages()
    restored.receive_message("person_left", {})
    assert list(open_by_element(restored)) == ["close_file"]


def test_what_an_event_sub_process_wrote_reaches_the_other_paths_across_snapshots(frozen_clock):
    definition = _definition("v17_esp_message")
    runtime = CaseRuntime.start(definition, {})
    for _ in range(2):
        runtime.receive_message("note_added", {})
        runtime = CaseRuntime.restore(definition, runtime.dump())
    for element in ("assess", "counselling"):
        _complete(runtime, element)
        runtime = CaseRuntime.restore(definition, runtime.dump())
    assert runtime.completed
    assert runtime.data()["notes"] == 2


# -- signal start inside an embedded sub-process ----------------------------------------------
def test_signal_start_interrupts_only_its_own_sub_process(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_signal"), {})
    assert list(open_by_element(runtime)) == ["counselling"]
    runtime.receive_signal("programme_closed", {})
    assert list(open_by_element(runtime)) == ["follow_up"]  # the sub-process ended, the case goes on
    assert runtime.data()["closed_early"] is True


def test_a_signal_nobody_waits_for_changes_nothing(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_signal"), {})
    _complete(runtime, "counselling")
    with pytest.raises(MessageNotExpected):  # the sub-process is over: its listener is gone
        runtime.receive_signal("programme_closed", {})
    assert list(open_by_element(runtime)) == ["follow_up"]
    assert "closed_early" not in runtime.data()


# -- timer starts -----------------------------------------------------------------------------
def test_timer_starts_wait_as_timers_and_fire_through_the_firing_path(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_timer"), {})
    due = {t.element_id: t.due_at for t in runtime.waiting_timers()}
    assert due == {"after_a_day": frozen_clock() + timedelta(hours=24),
                   "after_three_days": frozen_clock() + timedelta(hours=72)}
    frozen_clock.advance(hours=24)
    assert runtime.fire_due_timers() == ["after_a_day"]
    assert list(open_by_element(runtime)) == ["assess"]  # non-interrupting
    assert runtime.data()["reminded"] is True
    frozen_clock.advance(hours=48)
    assert "after_three_days" in runtime.fire_due_timers()
    assert list(open_by_element(runtime)) == ["supervise"]  # interrupting: the assessment left
    assert runtime.waiting_timers() == []  # a duration timer start fires once


def test_timer_listeners_end_with_the_case(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_timer"), {})
    _complete(runtime, "assess")
    assert runtime.completed
    assert runtime.waiting_timers() == []


# -- error and escalation starts --------------------------------------------------------------
def test_error_start_catches_its_code_and_interrupts(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_error"), {})
    _complete(runtime, "check", {"verdict": "ineligible"})
    assert runtime.failure is None
    # the review the escalation started runs in the same scope: the interrupting error ends it too
    assert list(open_by_element(runtime)) == ["inform"]
    _complete(runtime, "inform")
    assert runtime.completed


def test_error_of_another_code_is_not_caught_and_fails_the_case(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_error"), {})
    _complete(runtime, "check", {"verdict": "other"})
    assert runtime.failure is not None
    assert runtime.failure.record() == {"element": "other_error", "kind": "error", "code": "OTHER"}


def test_non_interrupting_escalation_start_leaves_the_path_going(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_error"), {})
    _complete(runtime, "check", {"verdict": "fine"})
    assert list(open_by_element(runtime)) == ["review"]
    assert not runtime.completed  # the scope waits for the event sub-process that runs
    _complete(runtime, "review")
    assert runtime.completed


def test_catch_all_error_start_inside_the_sub_process_comes_before_the_boundary(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_esp_catch_all"), {})
    assert list(open_by_element(runtime)) == ["next"]  # handled inside: the sub-process ended normally
    assert runtime.data()["handled_by"] == "inner"
    assert not _ran(runtime, "boundary_end")


# -- interrupting boundary events stop at once ------------------------------------------------
@pytest.mark.parametrize("kind", ["escalation", "condition", "signal"])
def test_interrupting_boundary_stops_the_activity_at_once(frozen_clock, kind):
    runtime = CaseRuntime.start(_definition("v17_boundary_interrupt"), {"kind": kind, "stop": False})
    assert list(open_by_element(runtime)) == ["interrupted"]
    assert "ran_after" not in runtime.data()  # no further task of the interrupted scope ran
    assert not any(t.task_spec.bpmn_id in ("esc_after", "cond_after", "sig_after") and t.state == 64
                   for t in runtime._all_tasks())
    _complete(runtime, "interrupted")
    assert runtime.completed
    assert not _ran(runtime, "normal_end")


# -- conditional events -----------------------------------------------------------------------
def test_conditional_start_in_camunda_dialect_interrupts_when_the_data_change(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_conditional"), {"left_programme": False, "documents": 0})
    assert list(open_by_element(runtime)) == ["interview"]
    _complete(runtime, "interview", {"left_programme": True, "documents": 0})
    assert list(open_by_element(runtime)) == ["close_file"]


def test_conditional_catch_waits_until_the_condition_becomes_true(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_conditional"), {"left_programme": False, "documents": 0})
    _complete(runtime, "interview", {"left_programme": False, "documents": 2})
    assert set(open_by_element(runtime)) == {"plan"}
    _complete(runtime, "plan", {"documents": 3})
    assert set(open_by_element(runtime)) == {"file_documents"}
    _complete(runtime, "file_documents")
    assert runtime.completed


def test_conditional_reached_when_already_true_passes_at_once(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_conditional"), {"left_programme": False, "documents": 5})
    assert set(open_by_element(runtime)) == {"interview", "file_documents"}


def test_a_failing_condition_is_a_located_script_error(frozen_clock):
    from pathways.engine.errors import ScriptError

    with pytest.raises(ScriptError) as raised:
        CaseRuntime.start(_definition("v17_conditional"), {"left_programme": False})  # no `documents`
    assert "documents_ready" in raised.value.message
    assert "NameError" in raised.value.message


# -- terminate end event in a sub-process -----------------------------------------------------
def test_terminate_end_in_a_sub_process_ends_only_that_sub_process(frozen_clock):
    runtime = CaseRuntime.start(_definition("v17_terminate_sub"), {})
    assert set(open_by_element(runtime)) == {"counselling", "decide"}
    _complete(runtime, "decide")
    assert list(open_by_element(runtime)) == ["follow_up"]
    _complete(runtime, "follow_up")
    assert runtime.completed


def test_a_feel_condition_waits_and_fires_too(frozen_clock):
    from pathways.engine.built import Definition
    from pathways.engine.definitions import DocumentIndex, SourceFile, build_spec

    xml = (FIXTURES / "v17_conditional.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:condition xsi:type=\"bpmn:tFormalExpression\">${documents &gt;= 3}</bpmn:condition>",
        "<bpmn:condition xsi:type=\"bpmn:tFormalExpression\" language=\"feel\">documents &gt;= 3</bpmn:condition>")
    assert 'language="feel"' in xml
    index = DocumentIndex.build([SourceFile("v17_conditional.bpmn", xml.encode())])
    spec, subs = build_spec([d.source for d in index.dependencies("v17_conditional")], "v17_conditional")
    definition = _definition("v17_conditional")
    runtime = CaseRuntime.start(Definition(0, "v17_conditional", spec, subs, definition.roles),
                                {"left_programme": False, "documents": 1})
    assert set(open_by_element(runtime)) == {"interview"}
    _complete(runtime, "interview", {"left_programme": False, "documents": 4})
    assert set(open_by_element(runtime)) == {"plan", "file_documents"}


def test_an_error_beside_an_activity_is_not_taken_by_that_activitys_boundary(frozen_clock):
    """SpiffWorkflow let the error boundary of `training` catch an error thrown beside it."""
    runtime = CaseRuntime.start(_definition("v17_error_sibling"), {})
    _complete(runtime, "funding", {"budget": 0})
    assert runtime.failure is not None and runtime.failure.code == "NO_BUDGET"
    assert "rescue" not in open_by_element(runtime)


def test_without_the_inner_handler_the_boundary_catches_the_error(frozen_clock):
    from pathways.engine.built import Definition
    from pathways.engine.definitions import DocumentIndex, SourceFile, build_spec

    xml = (FIXTURES / "v17_esp_catch_all.bpmn").read_text(encoding="utf-8")
    xml = xml[:xml.index('<bpmn:subProcess id="inner_handler"')] + xml[xml.index("</bpmn:subProcess>") + 18:]
    index = DocumentIndex.build([SourceFile("v17_esp_catch_all.bpmn", xml.encode())])
    spec, subs = build_spec([d.source for d in index.dependencies("v17_esp_catch_all")], "v17_esp_catch_all")
    roles = _definition("v17_conditional").roles
    runtime = CaseRuntime.start(Definition(0, "v17_esp_catch_all", spec, subs, roles), {})
    assert runtime.failure is None
    assert runtime.completed and _ran(runtime, "boundary_end") and not _ran(runtime, "next")
