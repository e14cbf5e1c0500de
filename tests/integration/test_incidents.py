"""Incidents on SQLite and PostgreSQL: a timer whose firing keeps failing opens one, the case's
timers stop, the data is corrected, a retry resolves it and the case goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pathways.engine import firing, incidents
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import Conflict, NotFound
from pathways.store.models import Case, CaseEvent, HumanTask, Incident, Timer
from tests.helpers import FIXTURES

WORKER, ADMIN = Actor("cli"), Actor("admin.ops", None)
#: a case value the failing script quotes in its exception's text (`invalid literal for int(): ...`)
SECRET = "dwoje Kowalskich z Lipowej"


@pytest.fixture
def engine(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "i17_failing_timer.bpmn"]), roles)
    return Engine(store, roles)


def start(engine, household=SECRET):
    """A case past its intake, waiting a week before the script that fails on `household`."""
    case_id = engine.start_case(WORKER, "i17_failing_timer")
    with engine.store.unit_of_work(write=False) as uow:
        intake = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).one()
    engine.complete_task(WORKER, intake, {"allowance": 1200, "household_size": household})
    return case_id


def fail_until_incident(engine, frozen_clock, attempts=incidents.INCIDENT_ATTEMPTS):
    """Let the timer come due, then fire it `attempts` times, each after its back-off."""
    frozen_clock.advance(days=7)
    for n in range(1, attempts + 1):
        engine.fire_due_timers()
        frozen_clock.advance(seconds=firing.backoff(n).total_seconds())


def rows(store, model, case_id, **where):
    with store.unit_of_work(write=False) as uow:
        query = select(model).where(model.case_id == case_id, *(getattr(model, k) == v for k, v in where.items()))
        return list(uow.session.scalars(query.order_by(model.id)))


def open_tasks(store, case_id):
    return rows(store, HumanTask, case_id, status="open")


def test_the_third_failure_in_a_row_opens_an_incident_and_the_timers_stop(store, engine, frozen_clock):
    case_id = start(engine)
    frozen_clock.advance(days=7)
    for n in (1, 2):
        assert engine.fire_due_timers() == 0
        assert len(rows(store, CaseEvent, case_id, kind="TimerFailed")) == n
        assert rows(store, Incident, case_id) == []  # retried with back-off, not yet an incident
        frozen_clock.advance(seconds=firing.backoff(n).total_seconds())
    assert engine.fire_due_timers() == 0

    [incident] = rows(store, Incident, case_id)
    assert (incident.status, incident.source, incident.element_id, incident.attempts) == ("open", "timer", "share", 3)
    assert (incident.error_kind, incident.error_class) == ("script_error", "ValueError")
    [opened] = rows(store, CaseEvent, case_id, kind="IncidentOpened")
    assert opened.after["incident"] == incident.id and opened.element_id == "share"
    texts = repr([(c.name, getattr(incident, c.name)) for c in Incident.__table__.columns]) + repr(opened.after)
    assert SECRET not in texts and "1200" not in texts and "invalid literal" not in texts

    frozen_clock.advance(days=30)  # far past every back-off: the held timer is neither claimed nor awaited
    assert engine.fire_due_timers() == 0 and engine.next_due() is None
    assert len(rows(store, CaseEvent, case_id, kind="TimerFailed")) == 3
    assert all(t.claimed_until is None for t in rows(store, Timer, case_id))
    with store.unit_of_work(write=False) as uow:  # consistent at its last wait state: the timer
        assert uow.session.get(Case, case_id).status == "active"
    assert [t.element_id for t in rows(store, Timer, case_id)] == ["wait_week"]
    assert open_tasks(store, case_id) == []


def test_correcting_the_data_and_retrying_resolves_it_and_the_case_goes_on(store, engine, frozen_clock):
    case_id, other = start(engine), start(engine, household="3")
    fail_until_incident(engine, frozen_clock)
    assert [t.element_id for t in open_tasks(store, other)] == ["review"]  # the other case fired
    [incident] = rows(store, Incident, case_id)

    assert incidents.retry(engine, incident.id, ADMIN) == "open"  # not fixed yet: one attempt more
    [still] = rows(store, Incident, case_id)
    assert (still.status, still.attempts) == ("open", 4) and still.reference != incident.reference
    assert open_tasks(store, case_id) == []

    engine.correct_value(WORKER, case_id, "household_size", "2", "typed as words")
    assert incidents.retry(engine, incident.id, ADMIN) == "resolved"
    [done] = rows(store, Incident, case_id)
    assert (done.status, done.closed_by) == ("resolved", "admin.ops") and done.closed_at is not None
    assert [t.element_id for t in open_tasks(store, case_id)] == ["review"]
    assert rows(store, Timer, case_id) == []
    kinds = [e.kind for e in rows(store, CaseEvent, case_id)]
    assert kinds.index("IncidentOpened") < kinds.index("ValueCorrected") < kinds.index("TimerFired")
    assert kinds[-1] == "IncidentResolved"
    with pytest.raises(Conflict):  # resolved: nothing to retry
        incidents.retry(engine, incident.id, ADMIN)
    with pytest.raises(NotFound):
        incidents.retry(engine, incident.id + 1000, ADMIN)


def test_the_count_of_attempts_is_configurable(store, roles, engine, frozen_clock):
    once = Engine(store, roles, incident_attempts=1)
    case_id = start(once)
    frozen_clock.advance(days=7)
    assert once.fire_due_timers() == 0
    [incident] = rows(store, Incident, case_id)
    assert incident.attempts == 1 and len(rows(store, CaseEvent, case_id, kind="TimerFailed")) == 1


def test_cancelling_the_case_closes_its_incidents(store, engine, frozen_clock):
    case_id = start(engine)
    fail_until_incident(engine, frozen_clock)
    engine.cancel_case(ADMIN, case_id, "the person left the programme")
    [incident] = rows(store, Incident, case_id)
    assert (incident.status, incident.closed_by) == ("cancelled", "admin.ops")
    assert rows(store, Timer, case_id) == []


def test_a_retry_of_a_case_that_ended_meanwhile_closes_the_incident(store, engine, frozen_clock):
    case_id = start(engine)
    fail_until_incident(engine, frozen_clock)
    with store.unit_of_work() as uow:  # ended by other means, its timer rows left behind
        uow.session.execute(update(Case).where(Case.id == case_id).values(status="completed"))
        uow.commit()
    [incident] = rows(store, Incident, case_id)
    assert incidents.retry(engine, incident.id, ADMIN) == "cancelled"
    assert rows(store, Incident, case_id)[0].status == "cancelled" and rows(store, Timer, case_id) == []


def test_record_is_the_hook_for_other_background_work(store, engine, frozen_clock):
    case_id = start(engine)
    failure = incidents.describe(KeyError(SECRET), "receive_decision")
    assert failure == incidents.Failure("receive_decision", "internal_error", "KeyError")
    with store.unit_of_work() as uow:
        first = incidents.record(uow.session.connection(), case_id, failure, "abcd1234", source="message")
        again = incidents.record(uow.session.connection(), case_id, failure, "abcd5678", source="message", attempts=2)
        uow.commit()
    assert first == again
    [incident] = rows(store, Incident, case_id)
    assert (incident.attempts, incident.reference, incident.source) == (3, "abcd5678", "message")
    frozen_clock.advance(days=8)  # an open incident of any source holds the case's timers
    assert engine.fire_due_timers() == 0
    # the message retrier (engine.message_incidents): no kept message failed at the case, nothing is held
    assert incidents.retry(engine, incident.id, ADMIN) == incidents.RESOLVED

