"""Compensation through the store (SQLite and PostgreSQL): the handler tasks are rows of the right roles,
opened one at a time in reverse order, and a case waiting in a handler restores from its snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.store.models import Case, CaseEvent, HumanTask, TaskCandidate
from tests.helpers import FIXTURES

WORKER = Actor("cli")


@pytest.fixture
def internship(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "c17_internship.bpmn", FIXTURES / "c17_subprocess.bpmn"]), roles)
    return Engine(store, roles)


def _tasks(store, case_id):
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.created_at,
                                                                                                   HumanTask.element_id))
        return [(t.element_id, t.status) for t in rows]


def _open(store, case_id) -> dict[str, str]:
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open"))
        return {t.element_id: t.id for t in rows}


def _roles(store, task_id) -> set[str]:
    with store.unit_of_work(write=False) as uow:
        return set(uow.session.scalars(select(TaskCandidate.role).where(TaskCandidate.task_id == task_id)))


@pytest.fixture
def step(store, roles, frozen_clock):
    """Complete a case's open task through a new Engine (nothing kept in memory: the case comes back from
    its snapshot), a minute after the step before."""
    def complete(case_id, element, data=None):
        frozen_clock.advance(minutes=1)
        Engine(store, roles).complete_task(WORKER, _open(store, case_id)[element], data or {})
    return complete


def test_cancelled_internship_opens_the_undoing_tasks_in_reverse_order(store, internship, step):
    case_id = internship.start_case(WORKER, "c17_internship", {})
    step(case_id, "book_place", {"employer": "Piekarnia"})
    step(case_id, "book_transport", {"allowance": 150})
    step(case_id, "review", {"internship_cancelled": True})

    opened = _open(store, case_id)
    assert list(opened) == ["cancel_transport"]
    assert _roles(store, opened["cancel_transport"]) == {"pup.internship_organiser"}
    step(case_id, "cancel_transport", {"transport_cancelled": True})
    opened = _open(store, case_id)
    assert list(opened) == ["cancel_place"]
    assert _roles(store, opened["cancel_place"]) == {"pup.job_broker"}
    step(case_id, "cancel_place", {"place_cancelled": True})
    assert list(_open(store, case_id)) == ["other_offer"]
    step(case_id, "other_offer")

    assert [element for element, status in _tasks(store, case_id) if status == "completed"] == [
        "book_place", "book_transport", "review", "cancel_transport", "cancel_place", "other_offer"]
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"
        completed = uow.session.scalars(select(CaseEvent.element_id).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "TaskCompleted").order_by(CaseEvent.id)).all()
    assert completed[-3:] == ["cancel_transport", "cancel_place", "other_offer"]


def test_internship_that_goes_ahead_opens_no_handler(store, internship, step):
    case_id = internship.start_case(WORKER, "c17_internship", {})
    for element, data in (("book_place", {}), ("book_transport", {}), ("review", {"internship_cancelled": False})):
        step(case_id, element, data)
    elements = [element for element, _status in _tasks(store, case_id)]
    assert "cancel_place" not in elements and "cancel_transport" not in elements
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"


def test_cancelling_a_case_waiting_in_a_handler_withdraws_it(store, roles, internship, step):
    case_id = internship.start_case(WORKER, "c17_internship", {})
    for element, data in (("book_place", {}), ("book_transport", {}), ("review", {"internship_cancelled": True})):
        step(case_id, element, data)
    Engine(store, roles).cancel_case(WORKER, case_id, "person moved away")
    assert ("cancel_transport", "cancelled") in _tasks(store, case_id)
    assert _open(store, case_id) == {}


def test_sub_process_compensation_runs_in_the_store(store, internship, step):
    case_id = internship.start_case(WORKER, "c17_subprocess", {})
    step(case_id, "check")
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"
