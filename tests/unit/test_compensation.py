"""Compensation (`engine.compensation`): which completions are undone, in what order, and across a restore."""

from __future__ import annotations

import pytest

from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element


def _definition(key: str, text: str | None = None, tmp_path=None):
    if text is None:
        return load_definition(key, FIXTURES / f"{key}.bpmn")
    path = tmp_path / f"{key}.bpmn"
    path.write_text(text)
    return load_definition(key, path)


def _round_trip(runtime: CaseRuntime) -> CaseRuntime:
    return CaseRuntime.restore(runtime.definition, runtime.dump())


def _finish(runtime: CaseRuntime, element: str, data: dict | None = None) -> CaseRuntime:
    runtime.complete(open_by_element(runtime)[element].id, data or {})
    return runtime


def test_throw_opens_the_handlers_last_completed_first_and_waits_for_them(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_internship"), {})
    _finish(runtime, "book_place", {"employer": "Piekarnia"})
    _finish(runtime, "book_transport", {"allowance": 120})
    _finish(runtime, "review", {"internship_cancelled": True})
    tasks = open_by_element(runtime)
    assert list(tasks) == ["cancel_transport"]  # booked last, undone first; the path waits
    assert tasks["cancel_transport"].roles == ("pup.internship_organiser",)  # offered by its lane
    runtime = _round_trip(_finish(runtime, "cancel_transport", {"transport_cancelled": True}))
    tasks = open_by_element(runtime)
    assert list(tasks) == ["cancel_place"]
    assert tasks["cancel_place"].roles == ("pup.job_broker",)
    _finish(runtime, "cancel_place", {"place_cancelled": True})
    assert list(open_by_element(runtime)) == ["other_offer"]  # the case goes on after the handlers
    data = runtime.data()
    assert data["transport_cancelled"] is True and data["place_cancelled"] is True  # handlers' data kept
    _finish(runtime, "other_offer")
    assert runtime.completed


def test_a_case_waiting_in_a_handler_is_stored_and_restored(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_internship"), {})
    for element, data in (("book_place", {}), ("book_transport", {}), ("review", {"internship_cancelled": True})):
        runtime = _round_trip(_finish(runtime, element, data))
    assert list(open_by_element(runtime)) == ["cancel_transport"]
    runtime = _round_trip(_finish(runtime, "cancel_transport"))
    runtime = _round_trip(_finish(runtime, "cancel_place"))
    assert list(open_by_element(runtime)) == ["other_offer"]


def test_no_throw_no_handler(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_internship"), {})
    for element, data in (("book_place", {}), ("book_transport", {}), ("review", {"internship_cancelled": False})):
        _finish(runtime, element, data)
    assert runtime.completed  # the handlers never opened
    assert "place_cancelled" not in runtime.data()


def test_completed_sub_process_is_compensated_inside_out_in_reverse_order(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_subprocess"), {})
    runtime = _round_trip(runtime)  # the sub-process is finished and pruned: its record survives
    _finish(runtime, "check")
    assert runtime.completed  # the compensation end event waited for its handlers, then ended
    assert runtime.data()["undone"] == ["fee", "trainer", "room"]


def test_activity_ref_compensates_that_activity_once_per_completion(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_loop_ref"), {})
    assert list(open_by_element(runtime)) == ["wait"]
    assert runtime.data()["undone"] == ["visit", "visit", "visit"]  # three visits, three undoings, no refund
    runtime = _round_trip(runtime)
    _finish(runtime, "wait")
    # what was compensated is not compensated again: the second throw only refunds the payment
    assert runtime.data()["undone"] == ["visit", "visit", "visit", "pay"]
    assert runtime.completed


def test_sub_process_with_its_own_handler_runs_that_handler_only(frozen_clock, tmp_path):
    text = (FIXTURES / "c17_subprocess.bpmn").read_text().replace(
        '<bpmn:sequenceFlow id="f3" ',
        '<bpmn:boundaryEvent id="booking_undo" attachedToRef="booking"><bpmn:compensateEventDefinition '
        'id="booking_undo_def" /></bpmn:boundaryEvent><bpmn:scriptTask id="cancel_booking" isForCompensation="true" '
        'scriptFormat="python"><bpmn:script>undone = undone + ["booking"]</bpmn:script></bpmn:scriptTask>'
        '<bpmn:association id="a_booking" sourceRef="booking_undo" targetRef="cancel_booking" />'
        '<bpmn:sequenceFlow id="f3" ')
    runtime = CaseRuntime.start(_definition("c17_subprocess", text, tmp_path), {})
    _finish(runtime, "check")
    assert runtime.data()["undone"] == ["fee", "booking"]


def test_activity_ref_to_a_sub_process_compensates_its_inner_activities(frozen_clock, tmp_path):
    text = (FIXTURES / "c17_subprocess.bpmn").read_text().replace(
        'id="undo_all_def"', 'id="undo_all_def" activityRef="booking"')
    runtime = CaseRuntime.start(_definition("c17_subprocess", text, tmp_path), {})
    _finish(runtime, "check")
    assert runtime.data()["undone"] == ["trainer", "room"]


def test_cancelled_and_never_run_activities_are_not_compensated(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_cancelled"), {})
    runtime = _round_trip(runtime)
    runtime.receive_message("employer_withdrew", {})  # interrupts `confirm`: cancelled, not completed
    assert list(open_by_element(runtime)) == ["follow_up"]
    assert runtime.data()["undone"] == ["book"]  # not `confirm` (cancelled), not `insure` (never ran)


def test_completed_path_without_throw_keeps_its_work(frozen_clock):
    runtime = CaseRuntime.start(_definition("c17_cancelled"), {})
    _finish(runtime, "confirm")
    assert runtime.completed and runtime.data()["undone"] == []


def test_activity_ref_leaves_the_other_activities_to_a_later_throw(frozen_clock, tmp_path):
    text = (FIXTURES / "c17_loop_ref.bpmn").read_text().replace('activityRef="visit"', 'activityRef="pay"')
    runtime = CaseRuntime.start(_definition("c17_loop_ref", text, tmp_path), {})
    assert runtime.data()["undone"] == ["pay"]
    _finish(runtime, "wait")  # the second throw finds only the visits left
    assert runtime.data()["undone"] == ["pay", "visit", "visit", "visit"]


@pytest.mark.parametrize("key", ["c17_internship", "c17_subprocess", "c17_loop_ref", "c17_cancelled"])
def test_handlers_are_built_unconnected(key):
    definition = _definition(key)
    handlers = definition.spec.compensation_handlers
    assert handlers
    for handler in handlers.values():
        spec = definition.spec.task_specs[handler]
        assert spec.outputs == [] and all(handler not in s.outputs for s in definition.spec.task_specs.values())


def test_throw_with_nothing_completed_goes_straight_on(frozen_clock, tmp_path):
    text = (FIXTURES / "c17_cancelled.bpmn").read_text().replace('id="undo_def"', 'id="undo_def" activityRef="insure"')
    runtime = CaseRuntime.start(_definition("c17_cancelled", text, tmp_path), {})
    runtime.receive_message("employer_withdrew", {})
    assert list(open_by_element(runtime)) == ["follow_up"]  # `insure` never ran: nothing to wait for
    assert runtime.data()["undone"] == []


@pytest.mark.parametrize("marker", [
    '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality>'
    '</bpmn:multiInstanceLoopCharacteristics>',
    '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
    '</bpmn:multiInstanceLoopCharacteristics>',
    '<bpmn:standardLoopCharacteristics loopMaximum="2" />'])
def test_each_instance_of_a_looping_activity_is_compensated(frozen_clock, tmp_path, marker):
    text = (FIXTURES / "c17_loop_ref.bpmn").read_text().replace(
        '<bpmn:script>paid = True</bpmn:script>', f'{marker}<bpmn:script>paid = True</bpmn:script>')
    runtime = CaseRuntime.start(_definition("c17_loop_ref", text, tmp_path), {})
    _finish(runtime, "wait")
    assert runtime.data()["undone"] == ["visit", "visit", "visit", "pay", "pay"]


def test_throw_inside_a_sub_process_waits_in_a_user_task_handler_across_a_restore(frozen_clock, tmp_path):
    text = (FIXTURES / "c17_subprocess.bpmn").read_text()
    text = text.replace(
        '<bpmn:sequenceFlow id="g3" sourceRef="hold_trainer" targetRef="booking_end"/>',
        '<bpmn:sequenceFlow id="g3" sourceRef="hold_trainer" targetRef="undo_inner"/>'
        '<bpmn:intermediateThrowEvent id="undo_inner"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>'
        '<bpmn:sequenceFlow id="g4" sourceRef="undo_inner" targetRef="booking_end"/>')
    start = text.index('<bpmn:scriptTask id="release_room"')
    end = text.index("</bpmn:scriptTask>", start) + len("</bpmn:scriptTask>")
    text = text[:start] + ('<bpmn:userTask id="release_room" name="Zwolnij salę" isForCompensation="true" '
                           'camunda:candidateGroups="pup.internship_organiser"/>') + text[end:]
    runtime = CaseRuntime.start(_definition("c17_subprocess", text, tmp_path), {})
    handler = open_by_element(runtime)["release_room"]  # the trainer (booked last) was released by its script
    assert runtime.task(handler.id).data["undone"] == ["trainer"]  # ... and the room's handler sees it
    runtime = _round_trip(runtime)
    _finish(runtime, "release_room", {})
    runtime = _round_trip(runtime)
    assert list(open_by_element(runtime)) == ["check"]  # the sub-process ended, the process went on
    _finish(runtime, "check")
    # undone inside the sub-process already: the end event only refunds the fee
    assert runtime.completed and runtime.data()["undone"] == ["trainer", "fee"]
