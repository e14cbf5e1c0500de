"""Camunda 7 files in the store: a JUEL condition routes a case; `camunda:assignee` pre-assigns a task."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidDefinition
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import CaseEvent, HumanTask, TaskOffer, User
from pathways.tasks import accounts, work
from tests.helpers import FIXTURES

ROUTING = FIXTURES / "f17_juel_routing.bpmn"
PREASSIGNED = FIXTURES / "f17_preassigned.bpmn"


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> Engine:
    for code, kind in (("ops", "OPS"), ("ops2", "OPS"), ("ngo", "NGO")):
        accounts.add_agency(store, code, kind, code)
    return Engine(store, roles)


def open_tasks(store: Store, case_id: int) -> list[HumanTask]:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                                HumanTask.status == "open")))


def events(store: Store, case_id: int, kind: str) -> list[CaseEvent]:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def offers(store: Store, task_id: str) -> list[TaskOffer]:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(TaskOffer).where(TaskOffer.task_id == task_id)))


@pytest.mark.parametrize(("data", "opened"), [
    ({"risk_level": "high", "stabilised": False, "instruments": [], "score": 0}, "crisis"),
    ({"risk_level": "high", "stabilised": True, "instruments": ["course"], "score": 7}, "workshop"),
    ({"risk_level": "low", "stabilised": False, "instruments": [], "score": 9}, "counselling"),
])
def test_a_juel_condition_routes_a_deployed_case(store: Store, engine: Engine, roles: RoleVocabulary,
                                                 data: dict[str, object], opened: str) -> None:
    deploy(store, collect([ROUTING]), roles)
    case_id = engine.start_case(Actor("anna"), "f17_juel_routing", data, ["ops"], "BEN-1")
    assert [t.element_id for t in open_tasks(store, case_id)] == [opened]


def test_an_unknown_assignee_is_refused_at_deploy(store: Store, engine: Engine, roles: RoleVocabulary) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        deploy(store, collect([PREASSIGNED]), roles)
    [problem] = caught.value.details["problems"]
    assert "f17_preassigned.bpmn:13" in problem and "interview" in problem and "'anna'" in problem


def _anna(store: Store, roles: RoleVocabulary, agency: str = "ops", role: str = "ops.social_worker") -> User:
    return accounts.create_user(store, roles, "anna", agency, [role], "pw", "Anna", check_policy=False)


def test_a_preassigned_task_opens_claimed_by_its_assignee(store: Store, engine: Engine, roles: RoleVocabulary) -> None:
    anna = _anna(store, roles)
    deploy(store, collect([PREASSIGNED]), roles)
    case_id = engine.start_case(Actor("adam"), "f17_preassigned", {}, ["ops"], "BEN-1")
    [task] = open_tasks(store, case_id)
    assert task.claimed_by == anna.id and task.claimed_at is not None
    assert offers(store, task.id) == []  # in anna's own list, in no queue
    [assigned] = events(store, case_id, "TaskAssigned")
    assert assigned.after == {"claimed_by": "anna", "by": "camunda:assignee"} and assigned.actor == "system"
    work.complete(engine, anna, task.id, {})  # hers to complete, without claiming it first
    assert open_tasks(store, case_id) == []


@pytest.mark.parametrize(("setup", "reason"), [
    ("inactive", "inactive_user"),
    ("other_agency", "agency_not_in_case"),
    ("other_role", "role_not_held"),
    ("removed", "unknown_user"),
])
def test_a_preassignment_that_cannot_apply_leaves_the_task_in_the_queue(
        store: Store, engine: Engine, roles: RoleVocabulary, setup: str, reason: str) -> None:
    agency, role = {"other_agency": ("ops2", "ops.social_worker"), "other_role": ("ops", "ops.psychologist")}.get(
        setup, ("ops", "ops.social_worker"))
    _anna(store, roles, agency, role)
    deploy(store, collect([PREASSIGNED]), roles)
    if setup == "inactive":
        accounts.set_active(store, "anna", False, by="admin")
    if setup == "removed":  # renamed since the deploy: the name in the file names nobody now
        with store.unit_of_work() as uow:
            user = uow.session.scalars(select(User).where(User.username == "anna")).one()
            user.username = "anna.nowak"
            uow.commit()
    case_id = engine.start_case(Actor("adam"), "f17_preassigned", {}, ["ops"], "BEN-1")
    [task] = open_tasks(store, case_id)
    assert task.claimed_by is None
    assert [(o.role, o.agency_id) for o in offers(store, task.id)] and not events(store, case_id, "TaskAssigned")
    [skipped] = events(store, case_id, "TaskAssigneeNotApplied")
    assert skipped.after == {"assignee": "anna", "reason": reason} and skipped.element_id == "interview"
