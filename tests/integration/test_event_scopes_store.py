"""Event sub-processes through the store, on SQLite and PostgreSQL: the inbox rows of an interrupted
scope are cancelled, timer starts get timer rows and fire through the firing path, conditions are
evaluated after a completed task, an uncaught error keeps its code on the failure record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.store.models import Case, CaseEvent, HumanTask, Timer
from tests.helpers import FIXTURES

WORKER = Actor("cli")
FILES = ("v17_esp_message", "v17_esp_timer", "v17_esp_error", "v17_conditional", "v17_esp_signal")


@pytest.fixture
def engine(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / f"{name}.bpmn" for name in FILES]), roles)
    return Engine(store, roles)


def _tasks(store, case_id):
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id))
        return {t.element_id: t.status for t in rows}


def _open(store, case_id, element):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == element, HumanTask.status == "open")).one()


def _kinds(store, case_id):
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
        return [(e.kind, e.element_id) for e in rows]


def _timers(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return sorted(uow.session.scalars(select(Timer.element_id).where(Timer.case_id == case_id)))


def _status(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return uow.session.get(Case, case_id).status


def test_interrupting_message_cancels_the_inbox_rows_of_the_scope(store, engine):
    case_id = engine.start_case(WORKER, "v17_esp_message", {"notes": 0})
    assert _tasks(store, case_id) == {"assess": "open", "counselling": "open"}
    engine.send_message(WORKER, case_id, "person_left", {})
    assert _tasks(store, case_id) == {"assess": "cancelled", "counselling": "cancelled", "close_file": "open"}
    kinds = _kinds(store, case_id)
    assert ("TaskCancelled", "assess") in kinds and ("TaskCancelled", "counselling") in kinds
    engine.complete_task(WORKER, _open(store, case_id, "close_file"), {})
    assert _status(store, case_id) == "completed"


def test_non_interrupting_message_keeps_the_inbox(store, engine):
    case_id = engine.start_case(WORKER, "v17_esp_message", {"notes": 0})
    engine.send_message(WORKER, case_id, "note_added", {})
    assert _tasks(store, case_id) == {"assess": "open", "counselling": "open"}


def test_timer_starts_have_rows_and_fire_through_the_firing_path(store, engine, frozen_clock):
    case_id = engine.start_case(WORKER, "v17_esp_timer", {})
    assert _timers(store, case_id) == ["after_a_day", "after_three_days"]
    frozen_clock.advance(hours=24)
    assert engine.fire_due_timers() == 1
    assert _timers(store, case_id) == ["after_three_days"]
    assert _tasks(store, case_id) == {"assess": "open"}
    frozen_clock.advance(hours=48)
    assert engine.fire_due_timers() == 1
    assert _timers(store, case_id) == []
    assert _tasks(store, case_id) == {"assess": "cancelled", "supervise": "open"}


def test_the_timer_rows_go_when_the_case_completes(store, engine):
    case_id = engine.start_case(WORKER, "v17_esp_timer", {})
    engine.complete_task(WORKER, _open(store, case_id, "assess"), {})
    assert _status(store, case_id) == "completed"
    assert _timers(store, case_id) == []


def test_a_condition_that_becomes_true_interrupts_after_the_task(store, engine):
    case_id = engine.start_case(WORKER, "v17_conditional", {"left_programme": False, "documents": 0})
    engine.complete_task(WORKER, _open(store, case_id, "interview"), {"left_programme": True, "documents": 1})
    assert _tasks(store, case_id) == {"interview": "completed", "close_file": "open"}


def test_an_uncaught_error_keeps_its_code_and_an_event_sub_process_does_not_hide_it(store, engine):
    case_id = engine.start_case(WORKER, "v17_esp_error", {})
    engine.complete_task(WORKER, _open(store, case_id, "check"), {"verdict": "other"})
    assert _status(store, case_id) == "failed"
    with store.unit_of_work(write=False) as uow:
        failed = uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                             CaseEvent.kind == "CaseFailed")).one()
    assert failed.after == {"element": "other_error", "kind": "error", "code": "OTHER"}
    # the escalation's review opened and ended within the same command: it never reached an inbox
    assert _tasks(store, case_id) == {"check": "completed"}


def test_a_caught_error_does_not_fail_the_case(store, engine):
    case_id = engine.start_case(WORKER, "v17_esp_error", {})
    engine.complete_task(WORKER, _open(store, case_id, "check"), {"verdict": "ineligible"})
    assert _status(store, case_id) == "active"
    assert _tasks(store, case_id) == {"check": "completed", "inform": "open"}
