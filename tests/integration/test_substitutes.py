"""Substitution on SQLite and PostgreSQL: who may name whom, what the substitute sees and does, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pathways.base import clock
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.tasks import substitutes, work
from tests.integration.people_world import audit_rows, events, people_world, refused
from tests.integration.test_inbox import IDENTIFY, World, engine  # noqa: F401  (fixture)


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return people_world(store, engine)


def _name(world: World, by: str, absent: str, substitute: str, start_in: float = 0, days: float = 7) -> dict:
    start = clock.now() + timedelta(hours=start_in)
    return substitutes.name_substitute(world.store, world.users[by], absent, substitute, start,
                                       start + timedelta(days=days))


def test_the_substitute_sees_and_completes_the_absents_claimed_task_on_their_behalf(world: World) -> None:
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    work.claim(world.engine, world.users["adam"], task)
    assert world.ids("anna", view="mine") == []
    _name(world, "adam", "adam", "anna")
    [row] = world.page("anna", view="mine").items
    assert row["id"] == task and row["claimed_by"] == "adam"
    assert world.counts("anna")["mine"] == 1
    shown = work.get_task(world.engine, world.users["anna"], task)
    assert shown["on_behalf_of"] == "adam" and shown["can"]["complete"] and shown["can"]["unclaim"]
    work.complete(world.engine, world.users["anna"], task, IDENTIFY)
    done = world.row(task)
    assert done.status == "completed" and done.claimed_by == world.users["adam"].id
    assert done.completed_by == world.users["anna"].id
    [entry] = audit_rows(world, "task.complete")
    assert entry.username == "anna" and entry.detail["on_behalf_of"] == "adam"  # type: ignore[index]
    [event] = events(world, "TaskDoneOnBehalf")
    assert event.actor == "anna" and event.after == {"on_behalf_of": "adam", "done": "TaskCompleted"}


def test_unclaim_and_assign_on_behalf(world: World) -> None:
    first, second = (world.task(world.start(f"BEN-{i}"), "identify") for i in (1, 2))
    for task in (first, second):
        work.claim(world.engine, world.users["adam"], task)
    _name(world, "adam", "adam", "anna")
    work.unclaim(world.engine, world.users["anna"], first)
    assert world.row(first).claimed_by is None
    work.assign(world.engine, world.users["anna"], second, "anna")
    assert world.row(second).claimed_by == world.users["anna"].id
    assert [e.after["on_behalf_of"] for e in events(world, "TaskUnclaimed") + events(world, "TaskAssigned")] == [  # type: ignore[index]
        "adam", "adam"]


def test_nothing_outside_the_period(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    task = world.task(world.start("BEN-1"), "identify")
    work.claim(world.engine, world.users["adam"], task)
    _name(world, "adam", "adam", "anna", start_in=24, days=2)  # from tomorrow
    assert world.ids("anna", view="mine") == []
    with pytest.raises(Conflict):  # not yet on adam's behalf: his claim
        work.complete(world.engine, world.users["anna"], task, IDENTIFY)
    frozen_clock.advance(hours=25)
    assert len(world.ids("anna", view="mine")) == 1
    frozen_clock.advance(days=2)  # over
    assert world.ids("anna", view="mine") == []
    with pytest.raises(NotAllowed):
        work.unclaim(world.engine, world.users["anna"], task)
    assert world.row(task).claimed_by == world.users["adam"].id


def test_an_ended_substitution_stops_at_once(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    work.claim(world.engine, world.users["adam"], task)
    made = _name(world, "adam", "adam", "anna")
    with pytest.raises(NotFound):
        substitutes.end_substitution(world.store, world.users["piotr"], made["id"])  # not theirs
    ended = substitutes.end_substitution(world.store, world.users["anna"], made["id"])
    assert ended["active"] is False and ended["ended_at"] is not None
    assert world.ids("anna", view="mine") == []
    assert len(audit_rows(world, "substitution.end")) == 1


def test_the_substitute_gets_no_role_queue_and_no_sensitive_value_of_the_absent(world: World) -> None:
    first, second = world.start("BEN-1"), world.start("BEN-2")
    world.identify(first)
    world.identify(second)
    psych = world.task(first, "psych_diagnosis")
    work.claim(world.engine, world.users["piotr"], psych)
    _name(world, "piotr", "piotr", "anna")
    assert world.ids("anna") == [(first, "psych_diagnosis")]  # his claim, not his role's queue (second)
    fields = {f["id"]: f for f in work.get_task(world.engine, world.users["anna"], psych)["form"]["fields"]}
    assert fields["psych_notes"]["redacted"] is True  # her roles, not his, decide
    mine = {f["id"]: f for f in work.get_task(world.engine, world.users["piotr"], psych)["form"]["fields"]}
    assert mine["psych_notes"]["redacted"] is False


def test_who_may_name_whom(world: World) -> None:
    with pytest.raises(InvalidData) as error:
        _name(world, "adam", "adam", "marek")  # another agency's user
    assert error.value.details["fields"] == {"substitute": "is of another agency"}  # type: ignore[index]
    with pytest.raises(InvalidData):
        _name(world, "adam", "adam", "adam")
    with pytest.raises(NotAllowed):
        _name(world, "anna", "adam", "anna")  # a colleague names herself adam's substitute
    with pytest.raises(NotFound):
        _name(world, "nadia", "adam", "anna")  # another agency's admin
    assert _name(world, "olek", "adam", "anna")["created_by"] == "olek"  # the agency's admin
    with pytest.raises(Conflict):
        _name(world, "teresa", "adam", "piotr", start_in=1)  # overlaps olek's
    assert [a.username for a in refused(world, "substitution.create")] == ["anna", "nadia"]
    [made] = audit_rows(world, "substitution.create")
    assert made.detail["absent"] == "adam" and made.detail["substitute"] == "anna"  # type: ignore[index]


def test_the_period_is_checked(world: World) -> None:
    now = clock.now()
    bad = [(now, now), (now - timedelta(days=3), now - timedelta(days=1)), (now, now + timedelta(days=400)),
           (now.replace(tzinfo=None), now.replace(tzinfo=None) + timedelta(days=1))]
    for start, end in bad:
        with pytest.raises(InvalidData):
            substitutes.name_substitute(world.store, world.users["adam"], "adam", "anna", start, end)


def test_a_substitute_who_moved_to_another_agency_sees_nothing(world: World) -> None:
    from pathways.store.models import Agency, User

    task = world.task(world.start("BEN-1"), "identify")
    work.claim(world.engine, world.users["adam"], task)
    _name(world, "adam", "adam", "anna")
    with world.store.unit_of_work() as uow:
        anna = uow.session.get(User, world.users["anna"].id)
        assert anna is not None
        anna.agency_id = uow.session.query(Agency.id).filter(Agency.code == "ngo").scalar()
        uow.commit()
    world.users["anna"].agency_id = anna.agency_id
    world.users["anna"].__dict__.pop("agency", None)
    assert world.ids("anna", view="mine") == []  # the case has the NGO too: only the agency rule hides it
    with pytest.raises(NotAllowed):  # her OPS role counts nowhere in an NGO: refused, not on adam's behalf
        work.complete(world.engine, world.users["anna"], task, IDENTIFY)


def test_listing(world: World) -> None:
    _name(world, "adam", "adam", "anna")
    assert [s["absent"] for s in substitutes.list_substitutions(world.store, world.users["anna"])] == ["adam"]
    assert substitutes.list_substitutions(world.store, world.users["piotr"]) == []
    assert len(substitutes.list_substitutions(world.store, world.users["olek"])) == 1
    assert substitutes.list_substitutions(world.store, world.users["nadia"]) == []
