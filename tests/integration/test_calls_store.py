"""Call activities, data objects and multi-instance in the store (SQLite and PostgreSQL): the called pathway
is a child in the case view with the version it runs; a new deploy of the called file reaches new cases only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import NotFound
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import HumanTask, TaskOffer, User
from pathways.tasks import accounts, cases, work
from tests.helpers import FIXTURES

PARENT, CHILD = FIXTURES / "k17_call_parent.bpmn", FIXTURES / "k17_call_child.bpmn"


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> Engine:
    accounts.add_agency(store, "ops", "OPS", "ops")
    accounts.add_agency(store, "ngo", "NGO", "ngo")
    return Engine(store, roles)


@pytest.fixture
def anna(store: Store, engine: Engine, roles: RoleVocabulary) -> User:
    return accounts.create_user(store, roles, "anna", "ops", ["ops.social_worker"], "pw", "Anna", check_policy=False)


def _task(store: Store, case_id: int, element: str) -> str:
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id, HumanTask.status == "open",
                                                              HumanTask.element_id == element)).one()


def _case_at_review(store: Store, engine: Engine, anna: User) -> int:
    case_id = engine.start_case(Actor("anna"), "k17_call_parent", {}, ["ops"], "BEN-1")
    work.complete(engine, anna, _task(store, case_id, "intake"), {"income": 1200, "household": 3})
    return case_id


def test_the_case_view_lists_the_called_pathway_with_its_version_and_open_task(
        store: Store, engine: Engine, roles: RoleVocabulary, anna: User) -> None:
    report = deploy(store, collect([PARENT, CHILD]), roles)
    assert sorted(report.created) == [("k17_call_child", 1), ("k17_call_parent", 1)]
    case_id = _case_at_review(store, engine, anna)
    detail = cases.case_detail(store, engine, anna, case_id)
    [child] = detail["calls"]
    review = _task(store, case_id, "review")
    assert (child["key"], child["version"], child["state"]) == ("k17_call_child", 1, "active")
    assert [t["id"] for t in child["open_tasks"]] == [review]
    work.complete(engine, anna, review, {"verdict": "no"})  # the child's error end event: the caller's boundary
    detail = cases.case_detail(store, engine, anna, case_id)
    assert [t["element"] for t in detail["open_tasks"]] == ["appeal"] and detail["status"] == "active"


def test_a_changed_called_file_reaches_new_cases_only(store: Store, engine: Engine, roles: RoleVocabulary,
                                                     anna: User, tmp_path: Path) -> None:
    deploy(store, collect([PARENT, CHILD]), roles)
    old_case = _case_at_review(store, engine, anna)
    changed = tmp_path / CHILD.name
    changed.write_text(CHILD.read_text().replace('name="Weryfikacja"', 'name="Weryfikacja (nowa)"'))
    report = deploy(store, collect([PARENT, changed]), roles)
    assert sorted(report.created) == [("k17_call_child", 2), ("k17_call_parent", 2)]  # the caller bundles it
    new_case = _case_at_review(store, engine, anna)
    old, new = (cases.case_detail(store, engine, anna, c) for c in (old_case, new_case))
    assert (old["version"], old["calls"][0]["version"]) == (1, 1)
    assert (new["version"], new["calls"][0]["version"]) == (2, 2)
    assert [t["name"] for t in old["calls"][0]["open_tasks"]] == ["Weryfikacja"]
    assert [t["name"] for t in new["calls"][0]["open_tasks"]] == ["Weryfikacja (nowa)"]


def test_a_worker_of_an_agency_outside_the_case_sees_no_child(store: Store, engine: Engine, roles: RoleVocabulary,
                                                              anna: User) -> None:
    deploy(store, collect([PARENT, CHILD]), roles)
    case_id = _case_at_review(store, engine, anna)
    marek = accounts.create_user(store, roles, "marek", "ngo", ["ngo.psychologist"], "pw", "Marek", check_policy=False)
    with pytest.raises(NotFound):
        cases.case_detail(store, engine, marek, case_id)
    with pytest.raises(NotFound):  # nor its task, though it is the called pathway's
        work.get_task(engine, marek, _task(store, case_id, "review"))


def test_data_objects_are_in_the_case_view(store: Store, engine: Engine, roles: RoleVocabulary, anna: User) -> None:
    deploy(store, collect([FIXTURES / "k17_data_objects.bpmn"]), roles)
    case_id = engine.start_case(Actor("anna"), "k17_data_objects", {}, ["ops"], "BEN-1")
    assert cases.case_detail(store, engine, anna, case_id)["data_objects"] == {"score": 7}


def test_multi_instance_tasks_are_rows_and_cancelled_ones_leave_the_inbox(store: Store, engine: Engine,
                                                                        roles: RoleVocabulary, anna: User) -> None:
    deploy(store, collect([FIXTURES / "k17_multi.bpmn"]), roles)
    case_id = engine.start_case(Actor("anna"), "k17_multi", {"experts": ["a", "b", "c"], "visit_count": 1},
                                ["ops"], "BEN-1")
    with store.unit_of_work(write=False) as uow:
        ids = list(uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)
                                       .order_by(HumanTask.created_at, HumanTask.id)))
    assert len(ids) == 3
    for task_id in ids[:2]:
        work.complete(engine, anna, task_id, {"opinion": 1})
    with store.unit_of_work(write=False) as uow:
        rows = {t.id: t.status for t in uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id))}
        offered = set(uow.session.scalars(select(TaskOffer.task_id)))
    [left] = set(ids) - set(ids[:2])
    assert rows[left] == "cancelled" and left not in offered  # the completion condition held after two
    assert sorted(rows.values()).count("open") == 1  # the sequential visit
