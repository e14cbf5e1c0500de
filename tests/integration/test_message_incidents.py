"""A kept message whose delivery keeps failing at a case opens an incident there (SQLite and PostgreSQL):
the sweep holds the message at that case, the data is corrected, a retry delivers it and resolves
the incident in one transaction, and an expired message cannot be retried."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pathways.base import clock
from pathways.demo import load_demo
from pathways.engine import corrections, incidents, message_incidents, messages
from pathways.engine.cases import Actor
from pathways.engine.definitions import collect
from pathways.engine.delivery import Key
from pathways.engine.deploy import deploy
from pathways.engine.messages import Message
from pathways.store.models import CaseEvent, HumanTask, Incident, PendingMessage
from tests.helpers import FIXTURES

OPS = ["mops-bartoszyce"]
WORKER, ADMIN, INTEGRATION = Actor("anna.ops", 1), Actor("admin.ops"), Actor("integration")
#: a case value the failing script quotes in its exception's text (`invalid literal for int(): ...`)
SECRET = "dwoje Kowalskich"


@pytest.fixture
def demo(store, engine, roles):
    load_demo(store, engine)
    deploy(store, collect([FIXTURES / "g17_payment_receiver.bpmn"]), roles)
    return engine


def waiting_case(engine, pseudonym="B-17", instalments=SECRET):
    return engine.start_case(WORKER, "g17_payment_receiver",
                             {"beneficiary_pseudonym": pseudonym, "instalments": instalments}, OPS)


def send(engine, pseudonym="B-17"):
    return messages.correlate(engine, INTEGRATION, Message("g17_payment", {"amount": 1200},
                                                           Key("beneficiary_pseudonym", pseudonym)), "all")


def rows(store, model, **where):
    with store.unit_of_work(write=False) as uow:
        query = select(model).where(*(getattr(model, k) == v for k, v in where.items()))
        return list(uow.session.scalars(query.order_by(model.id)))


def open_elements(store, case_id):
    return {t.element_id for t in rows(store, HumanTask, case_id=case_id, status="open")}


def fail_until_incident(engine):
    """The first attempt (the message from outside), then sweeps until the threshold."""
    done = send(engine)
    for _ in range(engine.incident_attempts - 1):
        messages.sweep(engine)
    return done


def test_the_threshold_th_failure_at_a_case_opens_a_message_incident_without_any_value(store, demo):
    engine = demo
    case_id = waiting_case(engine)
    done = send(engine)
    assert done.failed == [case_id] and done.kept is not None
    for n in range(2, engine.incident_attempts):
        messages.sweep(engine)
        assert rows(store, Incident) == [] and rows(store, PendingMessage)[0].attempts == n
    messages.sweep(engine)
    [incident] = rows(store, Incident)
    assert (incident.case_id, incident.source, incident.status) == (case_id, "message", "open")
    assert incident.element_id == "split_amount" and incident.error_kind == "script_error"
    assert incident.error_class == "ValueError" and incident.attempts == engine.incident_attempts
    failures = rows(store, CaseEvent, case_id=case_id, kind=message_incidents.FAILED)
    assert len(failures) == engine.incident_attempts
    assert failures[-1].after["reference"] == incident.reference and failures[-1].after["pending"] == done.kept
    written = [(e.kind, e.after) for e in rows(store, CaseEvent, case_id=case_id)
               if e.kind in (message_incidents.FAILED, incidents.OPENED)] + [
        (i.element_id, i.error_kind, i.error_class, i.reference) for i in rows(store, Incident)]
    assert SECRET not in str(written)


def test_the_sweep_holds_the_message_at_that_case_while_the_incident_is_open(store, demo):
    engine = demo
    case_id = waiting_case(engine)
    fail_until_incident(engine)
    [row] = rows(store, PendingMessage)
    before = row.attempts
    assert messages.sweep(engine) == (0, 0)
    assert rows(store, PendingMessage)[0].attempts == before  # not tried at the held case
    assert len(rows(store, CaseEvent, case_id=case_id, kind=message_incidents.FAILED)) == before
    # another case waiting for the same key still gets the held message
    other = waiting_case(engine, instalments=3)
    assert open_elements(store, other) == {"review"}
    assert rows(store, PendingMessage)[0].delivered_to == [other]
    assert open_elements(store, case_id) == set()


def test_after_the_correction_a_retry_delivers_it_and_resolves_the_incident(store, demo):
    engine = demo
    case_id = waiting_case(engine)
    done = fail_until_incident(engine)
    [incident] = rows(store, Incident)
    assert incidents.retry(engine, incident.id, ADMIN) == incidents.OPEN  # still wrong: one attempt more
    assert rows(store, Incident)[0].attempts == engine.incident_attempts + 1
    corrections.correct_value(engine, ADMIN, case_id, "instalments", 4, "błędna liczba rat")
    assert incidents.retry(engine, incident.id, ADMIN) == incidents.RESOLVED
    assert rows(store, Incident)[0].status == incidents.RESOLVED
    [row] = rows(store, PendingMessage)
    assert row.id == done.kept and row.delivered_to == [case_id] and row.delivered_at is not None
    assert open_elements(store, case_id) == {"review"}
    kinds = [e.kind for e in rows(store, CaseEvent, case_id=case_id)]
    assert kinds.index("MessageReceived") < kinds.index(incidents.RESOLVED_EVENT)
    assert messages.sweep(engine) == (0, 0)  # nothing is left pending


def test_a_retry_of_an_expired_message_says_so_and_the_case_can_be_cancelled(store, demo, frozen_clock):
    engine = demo
    case_id = waiting_case(engine)
    fail_until_incident(engine)
    [incident] = rows(store, Incident)
    frozen_clock.advance(days=8)  # past PATHWAYS_MESSAGE_KEEP_DAYS (7)
    assert messages.sweep(engine)[0] == 1  # dropped
    with pytest.raises(message_incidents.MessageExpired):
        incidents.retry(engine, incident.id, ADMIN)
    assert rows(store, Incident)[0].status == incidents.OPEN
    engine.cancel_case(ADMIN, case_id, "wiadomość wygasła")
    assert rows(store, Incident)[0].status == incidents.CANCELLED


def test_a_kept_message_not_yet_dropped_but_expired_is_refused_too(store, demo):
    engine = demo
    waiting_case(engine)
    fail_until_incident(engine)
    [incident] = rows(store, Incident)
    with store.unit_of_work() as uow:
        uow.session.execute(update(PendingMessage).values(expires_at=clock.now()))
        uow.commit()
    with pytest.raises(message_incidents.MessageExpired):
        incidents.retry(engine, incident.id, ADMIN)


def test_the_threshold_follows_the_engines_setting(store, demo):
    engine = demo
    engine.incident_attempts = 1
    case_id = waiting_case(engine)
    send(engine)
    [incident] = rows(store, Incident)
    assert incident.case_id == case_id and incident.attempts == 1


def test_a_message_another_case_throws_counts_at_its_receiver_too(store, demo, roles):
    engine = demo
    deploy(store, collect([FIXTURES / "m17_failing_receiver.bpmn", FIXTURES / "m17_throw_plain.bpmn"]), roles)
    engine.incident_attempts = 2
    receiver = engine.start_case(WORKER, "m17_failing_receiver", {}, OPS)
    engine.start_case(WORKER, "m17_throw_plain", {"secret_note": SECRET}, OPS)  # delivered after its commit
    assert rows(store, Incident) == [] and len(rows(store, CaseEvent, case_id=receiver,
                                                    kind=message_incidents.FAILED)) == 1
    messages.sweep(engine)
    [incident] = rows(store, Incident)
    assert (incident.case_id, incident.source, incident.element_id) == (receiver, "message", "broken")
    assert rows(store, PendingMessage)[0].delivered_at is None
