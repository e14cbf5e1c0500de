"""A case that fails to advance on its timers stops no other (SQLite and PostgreSQL).

The failing case is the one with the earliest due timer, so before the fix it led every claimed
batch: `fire_due_timers` raised, the other cases never fired and every claim stayed taken.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pathways.engine import firing
from pathways.engine.cases import Actor
from pathways.engine.runtime import CaseRuntime
from pathways.store.models import Case, CaseEvent, HumanTask, Timer

SECRET = "Zofia Nowak z ulicy Lipowej"  # a case value: it must reach no event
IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}


def _case_with_due_timer(store, engine, frozen_clock, pseudonym):
    case_id = engine.start_case(Actor("cli"), "intake_referral", {"beneficiary_pseudonym": pseudonym})
    with store.unit_of_work(write=False) as uow:
        identify = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == "identify")).one()
    engine.complete_task(Actor("cli"), identify, IDENTIFY)
    frozen_clock.advance(seconds=1)  # due times in the order the cases were made
    return case_id


def _timers(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(Timer).where(Timer.case_id == case_id)).all()


def _events(store, case_id, kind):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == kind).order_by(CaseEvent.id)).all()


def _aware(value):
    return value.replace(tzinfo=None)


@pytest.fixture
def fails_for_secret(monkeypatch):
    """The runtime raises a non-domain error, quoting the data, for the case holding SECRET."""
    fire = CaseRuntime.fire_due_timers

    def fire_or_fail(self):
        if self.data().get("beneficiary_pseudonym") == SECRET:
            raise KeyError(f"no rule for {SECRET}")
        return fire(self)

    monkeypatch.setattr(CaseRuntime, "fire_due_timers", fire_or_fail)
    return monkeypatch


def test_a_failing_case_is_recorded_and_postponed_and_the_others_fire(store, engine, frozen_clock,
                                                                      fails_for_secret, caplog):
    failing = _case_with_due_timer(store, engine, frozen_clock, SECRET)
    others = [_case_with_due_timer(store, engine, frozen_clock, name) for name in ("A-1", "A-2")]
    element = _timers(store, failing)[0].element_id
    frozen_clock.advance(hours=73)

    with caplog.at_level("ERROR", logger="pathways.engine"):
        assert engine.fire_due_timers() == 2
    for case_id in others:
        assert [e.element_id for e in _events(store, case_id, "TimerFired")] == [element]
        assert all(t.claimed_until is None for t in _timers(store, case_id))
    assert _events(store, failing, "TimerFired") == []

    [failed] = _events(store, failing, "TimerFailed")
    reference = failed.after["reference"]
    assert re.fullmatch(r"[0-9a-f]{8}", reference)
    retry_at = frozen_clock() + timedelta(seconds=firing.TIMER_RETRY_SECONDS)
    assert failed.after == {"elements": [element], "error": "KeyError", "reference": reference,
                            "retry_at": retry_at.isoformat()}
    assert failed.element_id == element and failed.actor == "system"
    assert SECRET not in repr([failed.element_id, failed.before, failed.after])
    [timer] = _timers(store, failing)
    assert _aware(timer.due_at) == _aware(retry_at) and timer.claimed_until is None
    # the error is in the server log, under the reference the event shows: its traceback with the
    # exception's class, never its text, which quotes the value (`pathways.base.logs`)
    [logged] = [r for r in caplog.records if r.name == "pathways.engine" and reference in r.getMessage()]
    assert logged.exc_info is None and "KeyError" in logged.exc_text and "Traceback" in logged.exc_text
    assert SECRET not in logging.Formatter().format(logged)
    assert engine.next_due() is not None and _aware(engine.next_due()) == _aware(retry_at)


def test_each_failure_in_a_row_doubles_the_postponement_until_the_case_advances(store, engine, frozen_clock,
                                                                               fails_for_secret):
    engine.incident_attempts = 10  # the back-off alone: no incident holds the timer (see test_incidents.py)
    failing = _case_with_due_timer(store, engine, frozen_clock, SECRET)
    frozen_clock.advance(hours=73)
    waits = []
    for _ in range(3):
        assert engine.fire_due_timers() == 0
        [timer] = _timers(store, failing)
        waits.append(_aware(timer.due_at) - _aware(frozen_clock()))
        assert engine.fire_due_timers() == 0  # postponed: not due, nothing claimed again
        frozen_clock.advance(seconds=waits[-1].total_seconds())
    first = firing.TIMER_RETRY_SECONDS
    assert waits == [timedelta(seconds=first), timedelta(seconds=2 * first), timedelta(seconds=4 * first)]
    assert len(_events(store, failing, "TimerFailed")) == 3

    with store.unit_of_work() as uow:  # anything else that happens to the case ends the run
        uow.session.add(CaseEvent(case_id=failing, actor="test", kind="Noted"))
        uow.commit()
    assert engine.fire_due_timers() == 0
    assert _aware(_timers(store, failing)[0].due_at) - _aware(frozen_clock()) == timedelta(seconds=first)

    fails_for_secret.undo()  # the pathway is fixed: the postponed timer fires
    frozen_clock.advance(seconds=first)
    assert engine.fire_due_timers() == 1
    assert len(_events(store, failing, "TimerFired")) == 1


def test_a_failing_bookkeeping_step_stops_no_other_case(store, engine, frozen_clock, fails_for_secret):
    failing = _case_with_due_timer(store, engine, frozen_clock, SECRET)
    other = _case_with_due_timer(store, engine, frozen_clock, "B-1")
    frozen_clock.advance(hours=73)

    def broken(*args):
        raise RuntimeError("database went away")

    fails_for_secret.setattr(firing, "record_failure", broken)
    assert engine.fire_due_timers() == 1
    assert len(_events(store, other, "TimerFired")) == 1
    [timer] = _timers(store, failing)  # its claim lapses after the lease
    assert timer.claimed_until is not None


def test_timers_left_on_a_finished_case_are_postponed_not_claimed_again_at_once(store, engine, frozen_clock):
    stale = _case_with_due_timer(store, engine, frozen_clock, "C-1")
    other = _case_with_due_timer(store, engine, frozen_clock, "C-2")
    with store.unit_of_work() as uow:  # a row the engine would have removed with the case's end
        uow.session.execute(update(Case).where(Case.id == stale).values(status="completed"))
        uow.commit()
    frozen_clock.advance(hours=73)
    assert engine.fire_due_timers() == 1
    assert len(_events(store, other, "TimerFired")) == 1
    [failed] = _events(store, stale, "TimerFailed")
    assert failed.after["error"] == "CaseNotActive"
    [timer] = _timers(store, stale)
    assert _aware(timer.due_at) > _aware(frozen_clock()) and timer.claimed_until is None
