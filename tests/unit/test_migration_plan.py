"""Engine unit tests of `pathways.engine.migration_plan`: one case's state moved to another version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from pathways.base import clock
from pathways.engine.built import Definition
from pathways.engine.migration_plan import migrate, resolve
from pathways.engine.runtime import CaseRuntime
from tests.conftest import FIXTURES
from tests.helpers import load_definition

V1, V2, V3 = (FIXTURES / f"o18_migr_v{n}.bpmn" for n in (1, 2, 3))


@pytest.fixture
def now() -> Any:
    c = clock.FrozenClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC)).install()
    yield c
    clock.set_source(None)


def _defs() -> tuple[Definition, Definition, Definition]:
    return tuple(load_definition("o18_migr", path) for path in (V1, V2, V3))  # type: ignore[return-value]


def _open(runtime: CaseRuntime) -> dict[str, str]:
    return {t.element_id: t.id for t in runtime.open_tasks(None)}


def _complete(runtime: CaseRuntime, element: str, data: dict[str, Any] | None = None) -> None:
    runtime.complete(_open(runtime)[element], data or {})


def test_a_waiting_task_keeps_its_id_with_its_new_name_and_fields(now: Any) -> None:
    v1, v2, _ = _defs()
    case = CaseRuntime.start(v1, {})
    task_id = _open(case)["review"]
    moved = migrate(v1, v2, 7, case.dump(), {})
    assert moved.plan.movable and moved.runtime is not None
    [task] = moved.plan.tasks
    assert task == {"task_id": task_id, "element": "review", "name": "Review the file", "change": "renamed",
                    "old_element": "review", "old_name": "Review", "fields_added": ["checked_on"],
                    "fields_removed": []}
    [timer] = moved.plan.timers  # the boundary timer: PT72H -> PT96H from when it started
    assert (timer["change"], timer["old_due_at"], timer["due_at"]) == (
        "rescheduled", "2026-11-05T08:00:00+00:00", "2026-11-06T08:00:00+00:00")
    assert _open(moved.runtime) == {"review": task_id}


def test_a_task_added_ahead_of_the_case_is_where_it_goes_next(now: Any) -> None:
    v1, v2, _ = _defs()
    case = CaseRuntime.start(v1, {})
    moved = migrate(v1, v2, 1, case.dump(), {}).runtime
    assert moved is not None
    _complete(moved, "review", {"score": 3})
    assert set(_open(moved)) == {"check"}  # the new task, then the timer of v2
    _complete(moved, "check")
    [timer] = moved.waiting_timers()
    assert (timer.element_id, timer.due_at) == ("wait_day", clock.now() + timedelta(hours=48))


def test_a_removed_waiting_task_needs_a_mapping(now: Any) -> None:
    v1, v2, _ = _defs()
    case = CaseRuntime.start(v1, {})
    _complete(case, "review", {"score": 1})
    now.advance(hours=25)
    case.fire_due_timers()
    decide = _open(case)["decide"]
    refused = migrate(v1, v2, 3, case.dump(), {})
    assert not refused.plan.movable and refused.runtime is None
    assert refused.plan.reasons == ["it waits at decide, which the new version lacks: map it with --map "
                                    "decide=NEW_ID"]
    moved = migrate(v1, v2, 3, case.dump(), {"decide": "final_decision"})
    assert moved.runtime is not None
    assert [(t["task_id"], t["change"], t["element"]) for t in moved.plan.tasks] == [
        (decide, "mapped", "final_decision")]
    _complete(moved.runtime, "final_decision")
    assert set(_open(moved.runtime)) == {"call_back"}


def test_a_moved_timer_is_rescheduled_from_when_it_started(now: Any) -> None:
    v1, v2, _ = _defs()
    case = CaseRuntime.start(v1, {})
    _complete(case, "review", {"score": 1})
    now.advance(hours=2)
    moved = migrate(v1, v2, 4, case.dump(), {})
    [timer] = moved.plan.timers
    assert (timer["element"], timer["change"], timer["due_at"]) == ("wait_day", "rescheduled",
                                                                     "2026-11-04T08:00:00+00:00")
    assert moved.runtime is not None
    now.advance(hours=23)  # past the old due time: it waits on
    assert moved.runtime.fire_due_timers() == []
    now.advance(hours=23)
    assert moved.runtime.fire_due_timers() == ["wait_day"]


def test_a_task_inside_a_sub_process_moves_with_it(now: Any) -> None:
    v1, v2, _ = _defs()
    case = CaseRuntime.start(v1, {})
    _complete(case, "review", {"score": 1})
    now.advance(hours=25)
    case.fire_due_timers()
    _complete(case, "decide")
    call_back = _open(case)["call_back"]
    moved = migrate(v1, v2, 5, case.dump(), {"decide": "final_decision"})
    assert moved.runtime is not None
    assert [(t["task_id"], t["change"], t["name"]) for t in moved.plan.tasks] == [
        (call_back, "renamed", "Call back by phone")]
    _complete(moved.runtime, "call_back")
    assert moved.runtime.completed


def test_the_same_state_gives_the_same_plan_and_state() -> None:
    v1, v2, _ = _defs()
    text = CaseRuntime.start(v1, {}).dump()
    first, second = migrate(v1, v2, 1, text, {}), migrate(v1, v2, 1, text, {})
    assert first.plan.as_dict() == second.plan.as_dict()
    assert first.runtime is not None and second.runtime is not None
    assert _definite(first.runtime) == _definite(second.runtime)  # predictions get fresh ids


def _definite(runtime: CaseRuntime) -> set[tuple[str, str, int]]:
    return {(str(t.id), t.task_spec.name, t.state) for t in runtime.workflow.get_tasks()
            if t.state not in (TaskState.FUTURE, TaskState.LIKELY, TaskState.MAYBE)}


def test_a_version_lacking_the_waiting_task_refuses_and_a_wrong_kind_too(now: Any) -> None:
    v1, _, v3 = _defs()
    case = CaseRuntime.start(v1, {})
    refused = migrate(v1, v3, 1, case.dump(), {})
    assert not refused.plan.movable
    assert any("review" in r and "--map review=NEW_ID" in r for r in refused.plan.reasons)
    kind = migrate(v1, v3, 1, case.dump(), {"review": "wait_day", "review_due": "wait_day"})
    assert not kind.plan.movable
    assert any("a UserTask in its version but a IntermediateCatchEvent" in r for r in kind.plan.reasons)


def test_derived_names_follow_their_element() -> None:
    assert resolve("review.BoundaryEventSplit", {"review": "check"}) == "check.BoundaryEventSplit"
    assert resolve("review", {"review": "check"}) == "check"
    assert resolve("o18_migr.EndJoin", {"review": "check"}) == "o18_migr.EndJoin"


def test_a_waiting_message_catch_needs_its_element_or_a_mapping(tmp_path: Any) -> None:
    source = FIXTURES / "message_wait.bpmn"
    edited = tmp_path / "message_wait.bpmn"
    edited.write_text(source.read_text().replace('"wait_employment"', '"wait_for_job"'))
    old, new = load_definition("message_wait", source), load_definition("message_wait", edited)
    case = CaseRuntime.start(old, {})
    assert case.waiting_messages() == {"employment_confirmed"}
    refused = migrate(old, new, 1, case.dump(), {})
    assert refused.plan.reasons == ["it waits at wait_employment, which the new version lacks: map it with --map "
                                    "wait_employment=NEW_ID"]
    moved = migrate(old, new, 1, case.dump(), {"wait_employment": "wait_for_job"}).runtime
    assert moved is not None and moved.waiting_messages() == {"employment_confirmed"}
    moved.receive_message("employment_confirmed", {"employer": "x"})
    assert set(_open(moved)) == {"record_employment"}
