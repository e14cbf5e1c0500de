"""`camunda:candidateUsers` in the store: the task waits for the named users who may work it, and nobody else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.engine import participation
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidDefinition, NotAllowed
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import CaseEvent, HumanTask, TaskOffer, TaskUserOffer, User
from pathways.tasks import accounts, inbox, offers, reassign, work
from tests.helpers import FIXTURES

CANDIDATES = FIXTURES / "k17_candidate_users.bpmn"


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> Engine:
    for code, kind in (("ops", "OPS"), ("ops2", "OPS")):
        accounts.add_agency(store, code, kind, code)
    return Engine(store, roles)


def _user(store: Store, roles: RoleVocabulary, name: str, agency: str = "ops",
          role: str = "ops.social_worker") -> User:
    return accounts.create_user(store, roles, name, agency, [role], "pw", name, check_policy=False)


def _people(store: Store, roles: RoleVocabulary) -> dict[str, User]:
    """anna (named, qualifies), bogna (named, another OPS: foreign to the case), ewa (named, no role),
    adam (not named, holds the role in the case's agency)."""
    return {"anna": _user(store, roles, "anna"), "bogna": _user(store, roles, "bogna", "ops2"),
            "ewa": _user(store, roles, "ewa", role="ops.psychologist"), "adam": _user(store, roles, "adam")}


def _task(store: Store, case_id: int) -> HumanTask:
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).one()


def _rows(store: Store, model: type, task_id: str) -> list:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(model).where(model.task_id == task_id)))


def _inbox(store: Store, roles: RoleVocabulary, user: User, view: str = "all") -> list[str]:
    return [item["id"] for item in inbox.inbox(store, user, roles, inbox.InboxQuery(view=view)).items]


def _events(store: Store, case_id: int, kind: str) -> list[CaseEvent]:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
                                        .order_by(CaseEvent.id)))


def test_the_task_waits_for_the_qualifying_named_user_only(store: Store, engine: Engine, roles: RoleVocabulary) -> None:
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops"], "BEN-1")
    task = _task(store, case_id)
    assert [o.user_id for o in _rows(store, TaskUserOffer, task.id)] == [people["anna"].id]
    assert _rows(store, TaskOffer, task.id) == []  # not in the role queue
    assert _inbox(store, roles, people["anna"]) == [task.id] == _inbox(store, roles, people["anna"], "unclaimed")
    for other in ("bogna", "ewa", "adam"):  # a foreign agency's user, one without the role, one not named
        assert _inbox(store, roles, people[other]) == []
    assert inbox.counts(store, people["anna"], roles)["unclaimed"] == 1
    assert inbox.counts(store, people["adam"], roles)["all"] == 0
    [offered] = _events(store, case_id, "TaskOfferedToUsers")
    assert offered.after == {"users": ["anna"], "by": "camunda:candidateUsers"}
    skipped = [e.after for e in _events(store, case_id, "TaskCandidateNotApplied")]
    assert skipped == [{"user": "bogna", "reason": "agency_not_in_case"}, {"user": "ewa", "reason": "role_not_held"}]


def test_only_a_named_user_may_claim_and_be_assigned(store: Store, engine: Engine, roles: RoleVocabulary) -> None:
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops"], "BEN-1")
    task = _task(store, case_id)
    with pytest.raises(NotAllowed):
        work.claim(engine, people["adam"], task.id)  # holds the role, is not named
    with store.unit_of_work(write=False) as uow:
        assert offers.offered_usernames(uow.session, task.id, roles) == ["anna"]
    work.claim(engine, people["anna"], task.id)
    assert _inbox(store, roles, people["anna"], "unclaimed") == [] and _inbox(store, roles, people["anna"]) == [task.id]
    work.unclaim(engine, people["anna"], task.id)  # given back: to anna again, not to the role queue
    assert _rows(store, TaskOffer, task.id) == [] and _inbox(store, roles, people["anna"]) == [task.id]
    assert _inbox(store, roles, people["adam"]) == []
    work.complete(engine, people["anna"], task.id, {})
    assert _rows(store, TaskUserOffer, task.id) == [] and _inbox(store, roles, people["anna"]) == []


def test_when_no_named_user_qualifies_the_task_stays_in_the_role_queue(store: Store, engine: Engine,
                                                                      roles: RoleVocabulary) -> None:
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    accounts.set_active(store, "anna", False, by="admin")
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops"], "BEN-1")
    task = _task(store, case_id)
    assert _rows(store, TaskUserOffer, task.id) == [] and _rows(store, TaskOffer, task.id)
    assert _inbox(store, roles, people["adam"]) == [task.id]
    assert {"user": "anna", "reason": "inactive_user"} in [e.after for e in
                                                            _events(store, case_id, "TaskCandidateNotApplied")]


def test_an_unknown_candidate_user_is_refused_at_deploy(store: Store, engine: Engine, roles: RoleVocabulary) -> None:
    _user(store, roles, "anna")
    _user(store, roles, "bogna", "ops2")
    with pytest.raises(InvalidDefinition) as caught:
        deploy(store, collect([CANDIDATES]), roles)
    [problem] = caught.value.details["problems"]
    assert "k17_candidate_users.bpmn:13" in problem and "camunda:candidateUsers 'ewa'" in problem


def test_when_a_named_users_agency_leaves_the_others_keep_the_task(store: Store, engine: Engine,
                                                                   roles: RoleVocabulary) -> None:
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops", "ops2"], "BEN-1")
    task = _task(store, case_id)
    assert {o.user_id for o in _rows(store, TaskUserOffer, task.id)} == {people["anna"].id, people["bogna"].id}
    work.claim(engine, people["bogna"], task.id)
    participation.remove_agency(store, roles, Actor("adam"), case_id, "ops2", "moved")
    assert _task(store, case_id).claimed_by is None  # bogna's claim given back, to anna, not to the queue
    assert [o.user_id for o in _rows(store, TaskUserOffer, task.id)] == [people["anna"].id]
    assert _rows(store, TaskOffer, task.id) == [] and _inbox(store, roles, people["anna"]) == [task.id]


def test_when_every_named_user_leaves_the_task_goes_back_to_its_roles(store: Store, engine: Engine,
                                                                      roles: RoleVocabulary) -> None:
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    accounts.set_active(store, "anna", False, by="admin")
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops", "ops2"], "BEN-1")
    task = _task(store, case_id)
    assert [o.user_id for o in _rows(store, TaskUserOffer, task.id)] == [people["bogna"].id]
    participation.remove_agency(store, roles, Actor("adam"), case_id, "ops2", "moved")
    assert _rows(store, TaskUserOffer, task.id) == [] and _inbox(store, roles, people["adam"]) == [task.id]
    work.claim(engine, people["adam"], task.id)  # the role rule again: no task is stranded


def test_a_named_users_task_is_handed_on_only_to_another_named_user(store: Store, engine: Engine,
                                                                    roles: RoleVocabulary) -> None:
    """Reassigning a leaver's tasks keeps the candidateUsers rule: adam holds the role but is not named."""
    people = _people(store, roles)
    deploy(store, collect([CANDIDATES]), roles)
    case_id = engine.start_case(Actor("adam"), "k17_candidate_users", {}, ["ops"], "BEN-1")
    task = _task(store, case_id)
    work.claim(engine, people["anna"], task.id)
    plan = reassign.operator_reassign(engine, "cli:test", "anna", "adam", apply=True)
    assert [(t["id"], t["reason"]) for t in plan["tasks"]] == [(task.id, "not_named")]
    assert _task(store, case_id).claimed_by == people["anna"].id  # left with anna
