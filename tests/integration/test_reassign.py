"""Reassigning all of a user's open tasks, and releasing disabled users' claims (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.tasks import accounts, reassign, released, work
from tests.integration.people_world import audit_rows, events, people_world, refused
from tests.integration.test_inbox import World, engine  # noqa: F401  (fixture)


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return people_world(store, engine)


def _claimed_by_adam(world: World, count: int = 2, agencies: list[str] | None = None) -> list[str]:
    tasks = [world.task(world.start(f"BEN-{i}", agencies), "identify") for i in range(count)]
    for task in tasks:
        work.claim(world.engine, world.users["adam"], task)
    return tasks


def test_a_dry_run_lists_and_changes_nothing(world: World) -> None:
    tasks = _claimed_by_adam(world)
    plan = reassign.reassign(world.engine, world.users["olek"], "adam", "anna", apply=False)
    assert plan["applied"] is False and plan["moved"] == 0 and plan["refused"] == 0
    assert [(t["id"], t["outcome"]) for t in plan["tasks"]] == [(t, "assigned") for t in tasks]
    assert all(world.row(t).claimed_by == world.users["adam"].id for t in tasks)
    [entry] = audit_rows(world, "tasks.reassign.preview")
    assert entry.detail["from"] == "adam" and entry.detail["to"] == "anna"  # type: ignore[index]
    assert events(world, "TaskAssigned") == []


def test_apply_moves_what_the_target_may_claim_and_lists_the_rest(world: World) -> None:
    tasks = _claimed_by_adam(world)
    done = reassign.reassign(world.engine, world.users["olek"], "adam", "anna", apply=True)
    assert done["moved"] == 2 and all(world.row(t).claimed_by == world.users["anna"].id for t in tasks)
    assert [(e.actor, e.after) for e in events(world, "TaskAssigned")] == [
        ("olek", {"claimed_by": "anna", "previous": "adam", "reassigned_from": "adam"})] * 2
    assert len(audit_rows(world, "task.reassign")) == 2 and len(audit_rows(world, "tasks.reassign")) == 1
    # piotr (a psychologist) may not claim an intake task: nothing moves, each task says why
    refused_plan = reassign.reassign(world.engine, world.users["olek"], "anna", "piotr", apply=True)
    assert refused_plan["moved"] == 0 and {t["reason"] for t in refused_plan["tasks"]} == {"no_role"}
    assert all(world.row(t).claimed_by == world.users["anna"].id for t in tasks)


def test_a_target_whose_agency_is_not_in_the_case_is_refused(world: World) -> None:
    [task] = _claimed_by_adam(world, 1, ["ops"])
    plan = reassign.reassign(world.engine, world.users["olek"], "adam", "misfit", apply=True)
    assert [(t["id"], t["reason"]) for t in plan["tasks"]] == [(task, "agency_not_in_case")]
    assert world.row(task).claimed_by == world.users["adam"].id


def test_to_the_queue_puts_the_tasks_back_in_their_roles_inboxes(world: World) -> None:
    tasks = _claimed_by_adam(world)
    assert world.ids("anna", view="unclaimed") == []
    done = reassign.reassign(world.engine, world.users["teresa"], "adam", None, apply=True)
    assert done["moved"] == 2 and {t["outcome"] for t in done["tasks"]} == {"queued"}
    assert [world.row(x).claimed_by for x in tasks] == [None, None]
    assert len(world.ids("anna", view="unclaimed")) == 2
    assert [e.after for e in events(world, "TaskUnclaimed")] == [{"previous": "adam", "reassigned_from": "adam"}] * 2


def test_who_may_reassign(world: World) -> None:
    _claimed_by_adam(world, 1)
    with pytest.raises(NotAllowed):
        reassign.reassign(world.engine, world.users["anna"], "adam", "anna", apply=True)  # a colleague
    with pytest.raises(NotFound):
        reassign.reassign(world.engine, world.users["nadia"], "adam", "anna", apply=True)  # another agency's admin
    with pytest.raises(NotFound):
        reassign.reassign(world.engine, world.users["olek"], "nobody", None, apply=False)
    with pytest.raises(InvalidData):
        reassign.reassign(world.engine, world.users["olek"], "adam", "adam", apply=True)
    assert [a.username for a in refused(world, "tasks.reassign")] == ["anna", "nadia", "olek"]
    accounts.set_active(world.store, "anna", False, by="test")
    with pytest.raises(InvalidData):
        reassign.reassign(world.engine, world.users["olek"], "adam", "anna", apply=True)


def test_a_supervisor_never_sees_tasks_of_cases_outside_their_agency(world: World) -> None:
    [hidden] = _claimed_by_adam(world, 1, ["ops"])  # the partnership is not in this case
    [shown] = _claimed_by_adam(world, 1)
    plan = reassign.reassign(world.engine, world.users["teresa"], "adam", None, apply=True)
    assert [t["id"] for t in plan["tasks"]] == [shown] and plan["hidden"] == 1
    assert world.row(hidden).claimed_by == world.users["adam"].id


def test_a_task_that_changed_hands_meanwhile_is_left_alone(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    [task] = _claimed_by_adam(world, 1)
    monkeypatch.setattr(work, "_set_claim", lambda *args: False)  # another transaction won the claim
    plan = reassign.reassign(world.engine, world.users["olek"], "adam", "anna", apply=True)
    assert plan["tasks"][0]["reason"] == "changed" and plan["moved"] == 0
    assert world.row(task).claimed_by == world.users["adam"].id


def test_disabled_users_claims_wait_then_are_released(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    tasks = _claimed_by_adam(world)
    accounts.set_active(world.store, "adam", False, by="test")
    [waiting] = released.pending(world.store, world.users["teresa"], timedelta(hours=24))
    assert waiting["user"] == "adam" and waiting["tasks"] == 2
    assert waiting["release_at"] == waiting["disabled_at"] + timedelta(hours=24)
    assert released.pending(world.store, world.users["marek"], None)[0]["release_at"] is None
    assert released.release_due(world.engine, timedelta(hours=24)) == []
    frozen_clock.advance(hours=25)
    assert sorted(r["id"] for r in released.release_due(world.engine, timedelta(hours=24))) == sorted(tasks)
    assert all(world.row(t).claimed_by is None for t in tasks)
    assert [(e.actor, e.after["reason"]) for e in events(world, "TaskUnclaimed")] == [  # type: ignore[index]
        ("system", "account_disabled")] * 2
    assert len(audit_rows(world, "task.release_disabled")) == 2
    assert released.pending(world.store, world.users["teresa"], timedelta(hours=24)) == []
