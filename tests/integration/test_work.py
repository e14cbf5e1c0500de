"""Task commands on SQLite and PostgreSQL: claim, unclaim, assign, complete, comments, task detail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound, TaskNotOpen
from pathways.store.models import AuditEntry, CaseEvent, HumanTask, TaskComment
from pathways.tasks import work
from tests.integration.test_inbox import IDENTIFY, World, build_world, engine  # noqa: F401  (fixture)


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return build_world(store, engine)


def _audit(world: World, action: str) -> list[AuditEntry]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _events(world: World, kind: str) -> list[CaseEvent]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == kind).order_by(CaseEvent.id)))


def _call(world: World, command: Any, name: str, task_id: str, *args: Any) -> Any:
    return command(world.engine, world.users[name], task_id, *args)


def test_claim_and_its_refusals(world: World) -> None:
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    assert _call(world, work.claim, "anna", task)["claimed_by"] == "anna"
    assert _call(world, work.claim, "anna", task)["claimed_by"] == "anna"  # again: no-op
    with pytest.raises(Conflict):
        _call(world, work.claim, "adam", task)
    with pytest.raises(NotAllowed):
        _call(world, work.claim, "ewa", task)  # sees the case, does not hold the role
    with pytest.raises(NotAllowed):
        _call(world, work.claim, "misfit", task)  # holds the role, but in an NGO
    with pytest.raises(NotFound):
        _call(world, work.claim, "olga", task)  # her agency is not in the case
    with pytest.raises(NotFound):
        _call(world, work.claim, "anna", "no-such-task")
    assert world.row(task).claimed_by == world.users["anna"].id and world.row(task).claimed_at is not None
    [event] = _events(world, "TaskClaimed")
    assert event.actor == "anna" and event.task_id == task and event.after == {"claimed_by": "anna"}
    assert [(a.username, a.task_id, a.case_id) for a in _audit(world, "task.claim")] == [("anna", task, case)]


def test_unclaim_by_the_claimer_or_a_supervisor(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    _call(world, work.claim, "anna", task)
    with pytest.raises(NotAllowed):
        _call(world, work.unclaim, "adam", task)
    assert _call(world, work.unclaim, "teresa", task)["claimed_by"] is None
    _call(world, work.claim, "adam", task)
    _call(world, work.unclaim, "adam", task)
    assert world.row(task).claimed_by is None and world.row(task).claimed_at is None
    assert [e.actor for e in _events(world, "TaskUnclaimed")] == ["teresa", "adam"]
    assert len(_audit(world, "task.unclaim")) == 2


def test_assign_to_an_offered_user(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    assert _call(world, work.assign, "anna", task, "adam")["claimed_by"] == "adam"
    assert world.row(task).claimed_by == world.users["adam"].id
    with pytest.raises(Conflict):
        _call(world, work.assign, "anna", task, "anna")  # adam holds it now
    for target in ("ewa", "misfit", "olga", "nobody"):
        with pytest.raises(InvalidData) as error:
            _call(world, work.assign, "adam", task, target)
        assert set(error.value.details["fields"]) == {"username"}  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        _call(world, work.assign, "ewa", task, "anna")
    with pytest.raises(NotFound):
        _call(world, work.assign, "olga", task, "anna")
    assert _call(world, work.assign, "teresa", task, "anna")["claimed_by"] == "anna"  # a supervisor reassigns
    assert [(e.actor, e.after) for e in _events(world, "TaskAssigned")] == [
        ("anna", {"claimed_by": "adam", "previous": None}), ("teresa", {"claimed_by": "anna", "previous": "adam"})]


def test_complete_validates_first_and_writes_nothing_when_invalid(world: World) -> None:
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    with pytest.raises(InvalidData) as error:
        _call(world, work.complete, "anna", task, {"risk_level": "extreme", "intake_date": "2026-13-01", "x": 1})
    assert error.value.details["fields"] == {"risk_level": "must be one of: low, medium, high",
                                             "intake_date": "must be a date as YYYY-MM-DD", "x": "unknown field"}
    row = world.row(task)
    assert row.status == "open" and row.claimed_by is None
    assert _audit(world, "task.complete") == [] and _events(world, "TaskCompleted") == []


def test_complete_by_an_offered_user_claims_it_and_is_audited_in_the_same_transaction(world: World) -> None:
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    result = _call(world, work.complete, "anna", task, {**IDENTIFY, "needs_crisis_support": "true"})
    assert result == {"id": task, "status": "completed", "case_id": case, "case_status": "active",
                      "stage": "Interwencja kryzysowa", "name": "Identyfikacja i diagnoza wstępna",
                      "beneficiary": "BEN-1"}
    row = world.row(task)
    assert row.status == "completed" and row.claimed_by == row.completed_by == world.users["anna"].id
    [entry] = _audit(world, "task.complete")
    assert (entry.username, entry.case_id, entry.task_id) == ("anna", case, task)
    [completed] = _events(world, "TaskCompleted")
    assert completed.after is not None and completed.after["needs_crisis_support"] is True
    with pytest.raises(TaskNotOpen):
        _call(world, work.complete, "anna", task, IDENTIFY)
    with pytest.raises(TaskNotOpen):
        _call(world, work.claim, "anna", task)


def test_only_the_claimer_completes_a_claimed_task(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    _call(world, work.claim, "adam", task)
    with pytest.raises(Conflict):
        _call(world, work.complete, "anna", task, IDENTIFY)
    with pytest.raises(NotAllowed):
        _call(world, work.complete, "ewa", task, IDENTIFY)
    with pytest.raises(NotFound):
        _call(world, work.complete, "olga", task, IDENTIFY)
    _call(world, work.complete, "adam", task, IDENTIFY)
    assert world.row(task).completed_by == world.users["adam"].id


def test_a_claim_taken_while_completing_makes_the_completion_lose(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    original = world.engine.complete_task

    def claimed_meanwhile(*args: Any, **kwargs: Any) -> int:
        # adam claims from another thread (another request) and commits before anna's command does
        other = threading.Thread(target=work.claim, args=(world.engine, world.users["adam"], task))
        other.start()
        other.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(world.engine, "complete_task", claimed_meanwhile)
    with pytest.raises(Conflict):
        _call(world, work.complete, "anna", task, IDENTIFY)
    row = world.row(task)
    assert row.status == "open" and row.claimed_by == world.users["adam"].id
    assert _events(world, "TaskCompleted") == [] and _audit(world, "task.complete") == []
    with world.store.unit_of_work(write=False) as uow:  # the case did not move on
        assert uow.session.scalar(select(func.count()).select_from(HumanTask)) == 1


def test_concurrent_claims_have_one_winner(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def attempt(name: str) -> None:
        barrier.wait()
        try:
            assert work.claim(world.engine, world.users[name], task)["claimed_by"] == name
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    names = ["anna" if n % 2 else "adam" for n in range(10)]
    threads = [threading.Thread(target=attempt, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [claimed] = _events(world, "TaskClaimed")
    assert world.row(task).claimed_by == world.users[claimed.actor].id
    # the loser's five attempts get Conflict; the winner's own parallel attempts are no-ops
    assert outcomes.count("lost") == 5 and outcomes.count("won") == 5


def test_task_detail_redacts_sensitive_fields(world: World) -> None:
    case = world.start("BEN-1")
    world.identify(case)
    psych, crisis = world.task(case, "psych_diagnosis"), world.task(case, "crisis_intervention")
    _call(world, work.complete, "piotr", psych, {"hours": 2, "psych_notes": "trauma", "recommendation": "positive"})
    _call(world, work.complete, "marek", crisis, {"hours": 3, "shelter_location": "ul. Tajna 1", "outcome": "referred"})

    seen_by_piotr = _call(world, work.get_task, "piotr", psych)
    fields = {f["id"]: f for f in seen_by_piotr["form"]["fields"]}
    assert fields["psych_notes"]["value"] == "trauma" and fields["psych_notes"]["redacted"] is False
    assert seen_by_piotr["status"] == "completed" and seen_by_piotr["completed_by"] == "piotr"

    seen_by_ewa = _call(world, work.get_task, "ewa", psych)
    fields = {f["id"]: f for f in seen_by_ewa["form"]["fields"]}
    assert fields["psych_notes"] == {**fields["psych_notes"], "value": None, "redacted": True, "sensitive": True}
    assert fields["recommendation"]["value"] == "positive"
    assert "psych_notes" not in seen_by_ewa["case"]["data"]
    assert "shelter_location" not in seen_by_ewa["case"]["data"]
    assert seen_by_ewa["case"]["data"]["recommendation"] == "positive"
    assert seen_by_ewa["can"] == {"claim": False, "unclaim": False, "assign": False, "complete": False}

    career = world.task(case, "career_plan")
    detail = _call(world, work.get_task, "ewa", career)
    assert detail["can"] == {"claim": True, "unclaim": False, "assign": True, "complete": True}
    assert [f["id"] for f in detail["form"]["fields"]] == ["registered_unemployed", "plan_items", "hours"]
    assert "psych_notes" not in detail["case"]["data"] and "shelter_location" not in detail["case"]["data"]
    assert detail["case"]["agencies"] == ["ngo", "ops", "pup", "sup"]
    with pytest.raises(NotFound):
        _call(world, work.get_task, "olga", career)
    assert {a.username for a in _audit(world, "task.read")} == {"piotr", "ewa"}


def test_comments(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    first = _call(world, work.add_comment, "anna", task, "  Klientka prosi o kontakt po 15:00 ")
    assert first["text"] == "Klientka prosi o kontakt po 15:00" and first["agency"] == "ops"
    _call(world, work.add_comment, "ewa", task, "PUP: zarejestrowana od marca")
    listed = _call(world, work.list_comments, "marek", task)
    assert [(c["user"], c["agency"]) for c in listed] == [("anna", "ops"), ("ewa", "pup")]
    for bad in ("", "   ", "x" * 4001):
        with pytest.raises(InvalidData):
            _call(world, work.add_comment, "anna", task, bad)
    with pytest.raises(NotFound):
        _call(world, work.add_comment, "olga", task, "hello")
    with pytest.raises(NotFound):
        _call(world, work.list_comments, "olga", task)
    with world.store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(TaskComment)) == 2
    assert len(_audit(world, "task.comment")) == 2 and len(_audit(world, "task.comments")) == 1
