"""Multi-instance activities in the engine (`engine.multi`): collection or cardinality, sequential or
parallel, completion condition with Camunda's counters, output collection, instance-local items, the
cardinality budget, and what lint refuses."""

from __future__ import annotations

import pytest

from pathways.engine.budget import EngineLimits
from pathways.engine.definitions import SourceFile
from pathways.engine.errors import LimitExceeded, ScriptError
from pathways.engine.lint import lint
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition

MULTI = FIXTURES / "k17_multi.bpmn"
START = {"experts": ["ala", "olek", "zenon"], "visit_count": 2}


@pytest.fixture
def multi():
    return load_definition("k17_multi", MULTI)


def _open(runtime: CaseRuntime) -> list[tuple[str, object]]:
    return [(t.element_id, runtime.task(t.id).data.get("expert")) for t in runtime.open_tasks(None)]


def test_a_parallel_collection_opens_one_task_per_item_with_its_element_variable(multi, frozen_clock) -> None:
    runtime = CaseRuntime.start(multi, START)
    assert _open(runtime) == [("opinions", "ala"), ("opinions", "olek"), ("opinions", "zenon")]
    assert [runtime.task(t.id).data["loopCounter"] for t in runtime.open_tasks(None)] == [0, 1, 2]
    for task in runtime.open_tasks(None)[:2]:
        runtime.complete(task.id, {"opinion": 1})
    assert "loopCounter" not in runtime.data()


def test_the_completion_condition_with_camunda_counters_cancels_the_remaining_instances(multi, frozen_clock) -> None:
    runtime = CaseRuntime.start(multi, START)
    first, _, third = runtime.open_tasks(None)
    runtime.complete(first.id, {"opinion": 1})
    assert len(runtime.open_tasks(None)) == 2  # ${nrOfCompletedInstances >= 2}: not yet
    runtime.complete(third.id, {"opinion": 3})
    assert _open(runtime) == [("visits", None)]  # olek's instance was cancelled; the sequential visits begin


def test_a_sequential_cardinality_opens_one_instance_after_the_other(multi, frozen_clock) -> None:
    runtime = CaseRuntime.start(multi, START)
    for task in runtime.open_tasks(None)[:2]:
        runtime.complete(task.id, {"opinion": 2})
    [visit] = runtime.open_tasks(None)
    runtime.complete(visit.id, {})
    [second] = runtime.open_tasks(None)
    assert second.element_id == "visits" and second.id != visit.id
    runtime.complete(second.id, {})
    assert [t.element_id for t in runtime.open_tasks(None)] == ["last"]


def test_output_items_are_collected_and_item_variables_stay_in_their_instance(multi, frozen_clock) -> None:
    runtime = CaseRuntime.start(multi, {**START, "expert": "the case's own"})
    assert _open(runtime)[0] == ("opinions", "ala")  # the instance's item, not the case variable of that name
    for _ in range(4):
        runtime.complete(runtime.open_tasks(None)[0].id, {"opinion": 2})
    data = runtime.data()
    assert data["expert_scores"] == [3, 4, 5]  # loopDataOutputRef <- outputDataItem, one per input item
    assert data["expert"] == "the case's own" and "score" not in data


def test_two_cases_of_one_version_do_not_share_what_a_run_decided(multi, frozen_clock) -> None:
    one = CaseRuntime.start(multi, START)
    other = CaseRuntime.start(multi, {"experts": ["x"], "visit_count": 1})
    assert len(one.open_tasks(None)) == 3 and len(other.open_tasks(None)) == 1
    restored = CaseRuntime.restore(multi, one.dump())
    assert _open(restored) == _open(one)


def test_the_cardinality_budget_and_a_negative_cardinality_still_hold(multi, frozen_clock) -> None:
    with pytest.raises(LimitExceeded) as caught:
        CaseRuntime.start(multi, {**START, "experts": list(range(5))}, EngineLimits(max_multi_instance=4))
    assert caught.value.details["element"] == "opinions"
    runtime = CaseRuntime.start(multi, {**START, "visit_count": -1})
    with pytest.raises(ScriptError) as refused:
        for task in runtime.open_tasks(None)[:2]:
            runtime.complete(task.id, {"opinion": 2})
    assert "visits" in str(refused.value)


def _lint(roles, loop: str) -> list:
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work" camunda:candidateGroups="ops.social_worker">
      {loop}
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
    return [p for p in lint([SourceFile("mi.bpmn", text.encode())], roles) if p.element == "work"]


@pytest.mark.parametrize(("loop", "words"), [
    ('<bpmn:multiInstanceLoopCharacteristics behavior="One"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
     '</bpmn:multiInstanceLoopCharacteristics>', "behavior 'One' is not run"),
    ('<bpmn:multiInstanceLoopCharacteristics behavior="Complex"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
     '</bpmn:multiInstanceLoopCharacteristics>', "behavior 'Complex' is not run"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="xs" camunda:elementVariable="x">'
     '<bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>',
     "both a loopCardinality"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="${case.items}" camunda:elementVariable="x" />',
     "is not a variable"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="xs" camunda:elementVariable="x-y" />',
     "elementVariable 'x-y' is not a variable name"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="xs" camunda:elementVariable="_x" />',
     "elementVariable '_x' is a name scripts may not use"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="xs"><bpmn:loopDataOutputRef>out'
     '</bpmn:loopDataOutputRef></bpmn:multiInstanceLoopCharacteristics>', "needs both loopDataOutputRef"),
    ('<bpmn:multiInstanceLoopCharacteristics />', "neither a loopCardinality nor a collection"),
])
def test_what_is_not_run_is_refused_with_the_reason(roles, loop: str, words: str) -> None:
    errors = [p for p in _lint(roles, loop) if p.severity == "error"]
    assert errors and any(words in p.message for p in errors), errors
    assert all(p.line == 7 for p in errors)


def test_camunda_expressions_in_cardinality_and_condition_are_translated(roles) -> None:
    found = _lint(roles, '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>${n}</bpmn:loopCardinality>'
                         '<bpmn:completionCondition>${done ge 2}</bpmn:completionCondition>'
                         '</bpmn:multiInstanceLoopCharacteristics>')
    assert [p.severity for p in found] == ["warning", "warning"]
    assert {p.message.rsplit(": ", 1)[1] for p in found} == {"n", "done >= 2"}


def test_the_k17_fixtures_lint_without_errors(roles) -> None:
    files = [SourceFile(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("k17_*.bpmn"))]
    assert len(files) >= 4 and [str(p) for p in lint(files, roles) if p.severity == "error"] == []


EVENTS = FIXTURES / "k17_multi_events.bpmn"


def test_an_error_thrown_by_one_instance_reaches_the_boundary_and_withdraws_the_others(frozen_clock) -> None:
    runtime = CaseRuntime.start(load_definition("k17_mi_events", EVENTS), {"items": [1, 2, 3]})
    first, second, _ = runtime.open_tasks(None)
    runtime.complete(first.id, {"bad": False})
    runtime.complete(second.id, {"bad": True})  # behavior All: the instance's error goes on to the boundary
    assert [t.element_id for t in runtime.open_tasks(None)] == ["handle"]
    assert runtime.failure is None and runtime.waiting_timers() == []  # the interrupting timer went with it


def test_an_interrupting_timer_on_the_activity_withdraws_every_instance(frozen_clock) -> None:
    runtime = CaseRuntime.start(load_definition("k17_mi_events", EVENTS), {"items": [1, 2]})
    runtime.complete(runtime.open_tasks(None)[0].id, {"bad": False})
    frozen_clock.advance(hours=1)
    assert runtime.fire_due_timers() == ["late"]
    assert [t.element_id for t in runtime.open_tasks(None)] == ["handle_late"]


def test_when_every_instance_ends_well_the_path_goes_on(frozen_clock) -> None:
    runtime = CaseRuntime.start(load_definition("k17_mi_events", EVENTS), {"items": [1, 2]})
    for task in runtime.open_tasks(None):
        runtime.complete(task.id, {"bad": False})
    assert [t.element_id for t in runtime.open_tasks(None)] == ["after"] and runtime.waiting_timers() == []
