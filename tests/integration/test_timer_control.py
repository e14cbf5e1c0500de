"""Timers by hand: fire now, reschedule, shift (SQLite and PostgreSQL).

The workflow's due time (the snapshot) and the timer row must agree after each operation: a
rescheduled timer fires at its new time and not at its old one, also in a fresh engine that
restores the case from its snapshot (another process), and a refused operation writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pathways.base import clock
from pathways.engine import firing, timer_control
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import CaseNotActive, InvalidData, NotFound
from pathways.engine.runtime import CaseRuntime
from pathways.store.models import Case, CaseEvent, CaseState, HumanTask, Timer
from tests.helpers import FIXTURES

KEY = "o18_timer_wait"
ADMIN = Actor("ewa.admin", None)


@pytest.fixture
def timer_engine(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "o18_timer_wait.bpmn"]), roles)
    return Engine(store, roles)


def _start(engine: Engine, wait: str = "P3D") -> tuple[int, Timer]:
    case_id = engine.start_case(Actor("cli"), KEY, {"wait_for": wait})
    return case_id, _timer(engine, case_id)


def _timer(engine: Engine, case_id: int) -> Timer:
    with engine.store.unit_of_work(write=False) as uow:
        found = uow.session.scalars(select(Timer).where(Timer.case_id == case_id)).all()
        assert len(found) == 1
        return found[0]


def _snapshot_due(engine: Engine, case_id: int):
    with engine.store.unit_of_work(write=False) as uow:
        case = uow.session.get(Case, case_id)
        state = uow.session.get(CaseState, case_id).state
        runtime = CaseRuntime.restore(engine.definition(uow.session, case.pathway_version_id), state)
    return {t.id: t.due_at for t in runtime.waiting_timers()}


def _kinds(engine: Engine, case_id: int) -> list[str]:
    with engine.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                                        .order_by(CaseEvent.id)))


def _review_open(engine: Engine, case_id: int) -> bool:
    with engine.store.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == "review", HumanTask.status == "open")) is not None


def test_fire_now_advances_the_case_at_once(timer_engine, frozen_clock):
    case_id, timer = _start(timer_engine)
    other_id, other = _start(timer_engine)
    assert timer_control.fire_now(timer_engine, ADMIN, timer.id) == case_id
    assert _review_open(timer_engine, case_id)
    assert not _review_open(timer_engine, other_id)  # only the timer asked for
    assert "TimerFiredByHand" in _kinds(timer_engine, case_id) and "TimerFired" not in _kinds(timer_engine, case_id)
    with timer_engine.store.unit_of_work(write=False) as uow:
        event = uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == "TimerFiredByHand")).one()
        assert event.actor == "ewa.admin" and event.element_id == "wait"
        assert event.before == {"due_at": clock.aware(timer.due_at).isoformat()}
        assert uow.session.get(Timer, timer.id) is None
    with pytest.raises(NotFound, match="not waiting"):  # fired: a second press finds nothing
        timer_control.fire_now(timer_engine, ADMIN, timer.id)


def test_rescheduled_timer_fires_at_the_new_time_not_the_old(timer_engine, store, roles, frozen_clock):
    case_id, timer = _start(timer_engine, "P3D")
    old_due = clock.aware(timer.due_at)
    new_due = clock.now() + timedelta(days=5)
    timer_control.reschedule(timer_engine, ADMIN, timer.id, new_due, "Beneficjent w szpitalu do piątku")
    assert clock.aware(_timer(timer_engine, case_id).due_at) == new_due  # the row ...
    assert _snapshot_due(timer_engine, case_id) == {timer.id: new_due}  # ... and the snapshot agree
    other_process = Engine(store, roles)  # restores from the snapshot, as another worker does
    frozen_clock.current = old_due + timedelta(seconds=1)
    assert other_process.fire_due_timers() == 0
    assert timer_engine.fire_due_timers() == 0
    assert not _review_open(timer_engine, case_id)
    frozen_clock.current = new_due
    assert other_process.fire_due_timers() == 1
    assert _review_open(timer_engine, case_id)
    with store.unit_of_work(write=False) as uow:
        event = uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == "TimerRescheduled")).one()
        assert event.before == {"due_at": old_due.isoformat()}
        assert event.after["due_at"] == new_due.isoformat()
        assert event.after["reason"] == "Beneficjent w szpitalu do piątku"  # readable through the store
        assert "szpitalu" not in str(uow.session.connection().exec_driver_sql(
            "SELECT after FROM case_events WHERE kind = 'TimerRescheduled'").scalar())  # sealed at rest


def test_reschedule_earlier_fires_earlier(timer_engine, frozen_clock):
    case_id, timer = _start(timer_engine, "P30D")
    timer_control.reschedule(timer_engine, ADMIN, timer.id, clock.now() + timedelta(hours=1), "termin wcześniej")
    frozen_clock.advance(hours=1)
    assert timer_engine.fire_due_timers() == 1
    assert _review_open(timer_engine, case_id)


@pytest.mark.parametrize("at, reason, field", [
    (timedelta(seconds=0), "powód", "at"),
    (timedelta(days=-1), "powód", "at"),
    (timedelta(days=366 * 11), "powód", "at"),
    (timedelta(days=1), "   ", "reason"),
])
def test_bad_reschedules_are_refused_and_change_nothing(timer_engine, frozen_clock, at, reason, field):
    case_id, timer = _start(timer_engine)
    before = (_kinds(timer_engine, case_id), _snapshot_due(timer_engine, case_id), _timer(timer_engine, case_id).due_at)
    with pytest.raises(InvalidData) as refused:
        timer_control.reschedule(timer_engine, ADMIN, timer.id, clock.now() + at, reason)
    assert field in refused.value.details["fields"]
    assert before == (_kinds(timer_engine, case_id), _snapshot_due(timer_engine, case_id),
                      _timer(timer_engine, case_id).due_at)


def test_timers_of_a_cancelled_case_neither_fire_nor_move(timer_engine, store, frozen_clock):
    case_id, timer = _start(timer_engine)
    timer_engine.cancel_case(ADMIN, case_id, "rezygnacja")
    with pytest.raises(NotFound, match="not waiting"):  # cancelling removed the row
        timer_control.fire_now(timer_engine, ADMIN, timer.id)
    # a row that outlived its case (a crash between writes in an older version): a clear refusal
    with store.unit_of_work() as uow:
        uow.session.add(Timer(id=timer.id, case_id=case_id, element_id="wait", due_at=timer.due_at))
        uow.commit()
    kinds = _kinds(timer_engine, case_id)
    with pytest.raises(CaseNotActive, match="is cancelled"):
        timer_control.fire_now(timer_engine, ADMIN, timer.id)
    with pytest.raises(CaseNotActive, match="is cancelled"):
        timer_control.reschedule(timer_engine, ADMIN, timer.id, clock.now() + timedelta(days=1), "x")
    assert _kinds(timer_engine, case_id) == kinds
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "cancelled"


@pytest.mark.parametrize("bad", ["nope", "", "1 OR 1=1", "0" * 36])
def test_malformed_or_unknown_timer_ids_are_not_found(timer_engine, bad):
    with pytest.raises(NotFound):
        timer_control.fire_now(timer_engine, ADMIN, bad)


def test_shift_moves_every_timer_by_the_delta(timer_engine, frozen_clock):
    case_id, timer = _start(timer_engine, "P3D")
    moved = timer_control.shift(timer_engine, ADMIN, case_id, timedelta(days=2))
    expected = clock.aware(timer.due_at) + timedelta(days=2)
    was = clock.aware(timer.due_at).isoformat()
    assert moved == [{"element": "wait", "before": was, "after": expected.isoformat()}]
    assert clock.aware(_timer(timer_engine, case_id).due_at) == expected
    assert _snapshot_due(timer_engine, case_id) == {timer.id: expected}
    assert _kinds(timer_engine, case_id)[-1] == "TimersShifted"


def test_fire_now_loses_cleanly_to_a_concurrent_worker(timer_engine, store, frozen_clock):
    """The worker fired the timer between the admin's page load and the click: 'not waiting'."""
    case_id, timer = _start(timer_engine, "PT1H")
    frozen_clock.advance(hours=1)
    assert timer_engine.fire_due_timers() == 1
    with pytest.raises(NotFound):
        timer_control.fire_now(timer_engine, ADMIN, timer.id)
    assert _kinds(timer_engine, case_id).count("TimerFired") == 1


def test_a_dead_workers_claims_lapse_within_the_lease_and_wake_the_others(timer_engine, store, frozen_clock):
    case_id, timer = _start(timer_engine, "PT1M")
    frozen_clock.advance(minutes=1)
    claimed, token = firing.claim_due(store, 10)  # a worker claims, then dies
    assert claimed == [case_id]
    assert timer_engine.next_due() == token  # the others wake when the claim lapses, not in 60 s
    assert token - clock.now() == timedelta(seconds=firing.TIMER_LEASE_SECONDS) <= timedelta(seconds=15)
    assert timer_engine.fire_due_timers() == 0  # still held
    frozen_clock.current = token
    assert timer_engine.fire_due_timers() == 1


def test_claims_are_renewed_while_a_long_batch_runs(timer_engine, store, frozen_clock):
    first, _ = _start(timer_engine, "PT1M")
    second, _ = _start(timer_engine, "PT1M")
    frozen_clock.advance(minutes=1)
    seen = []

    def slow_advance(case_id):
        with store.unit_of_work(write=False) as uow:
            seen.append(max(clock.aware(t) for t in uow.session.scalars(select(Timer.claimed_until)).all()))
        timer_engine._advance_on_timers(case_id)
        frozen_clock.advance(seconds=firing.TIMER_LEASE_SECONDS * 0.6)  # each case takes most of a lease

    assert firing.fire_due(store, slow_advance, 10) == 2
    assert seen[1] > seen[0]  # the second case's claim was renewed before it ran
    with store.unit_of_work() as uow:
        uow.session.execute(update(Timer).values(claimed_until=None))
        uow.commit()
