"""Messages and signals between cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from pathways.base import sealing
from pathways.demo import load_demo
from pathways.engine import messages, signals
from pathways.engine.cases import Actor
from pathways.engine.definitions import collect
from pathways.engine.delivery import Key
from pathways.engine.deploy import deploy
from pathways.engine.messages import AmbiguousMessage, Message, NoReceiver
from pathways.store.models import Agency, CaseEvent, HumanTask, MessageWait, PendingMessage
from tests.helpers import FIXTURES

OPS, PUP = ["mops-bartoszyce"], ["pup-bartoszyce"]
ANNA, EWA = Actor("anna.ops", 1), Actor("ewa.pup", 4)
INTEGRATION = Actor("integration")


@pytest.fixture
def demo(store, engine, roles):
    load_demo(store, engine)
    deploy(store, collect(sorted(FIXTURES.glob("m17_*.bpmn"))), roles)
    return engine


def open_elements(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return set(uow.session.scalars(select(HumanTask.element_id).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")))


def events(store, case_id, kind):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def raw_after(store, case_id, kind):
    with store.unit_of_work(write=False) as uow:
        value = uow.session.execute(text("SELECT after FROM case_events WHERE case_id = :c AND kind = :k"),
                                    {"c": case_id, "k": kind}).scalar_one()
    return value if isinstance(value, dict) else json.loads(value)


def pending(store):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(PendingMessage).order_by(PendingMessage.id)))


def send_referral(engine, store, pseudonym, reason="trudna sytuacja mieszkaniowa"):
    sender = engine.start_case(EWA, "m17_referral_sender", {"beneficiary_pseudonym": pseudonym}, PUP)
    with store.unit_of_work(write=False) as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == sender)).one()
    engine.complete_task(EWA, task.id, {"referral_reason": reason, "offer_code": 7})
    return sender


def test_a_thrown_message_reaches_the_waiting_case_of_another_pathway_by_its_key(store, demo):
    mine = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-1"}, OPS)
    other = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-2"}, OPS)
    sender = send_referral(demo, store, "B-1")
    assert open_elements(store, mine) == {"review"}
    assert open_elements(store, other) == set()  # another person's case: the key does not match
    [received] = events(store, mine, "MessageReceived")
    assert received.after["data"] == {"referral_reason": "trudna sytuacja mieszkaniowa", "offer_code": 7}
    assert received.after["from_case"] == sender
    [sent] = events(store, sender, "MessageSent")
    assert sent.element_id == "notify_ops" and sent.after["correlation"] == "beneficiary_pseudonym"
    # the sender's sensitive field is sealed at rest in both timelines, the rest stays plain
    for case_id, kind in ((mine, "MessageReceived"), (sender, "MessageSent")):
        stored = raw_after(store, case_id, kind)["data"]
        assert sealing.is_sealed(stored["referral_reason"]) and stored["offer_code"] == 7
    [row] = pending(store)
    assert row.delivered_to == [mine] and row.delivered_at is not None
    with store.unit_of_work(write=False) as uow:  # the receiver waits for nothing now; the other still does
        assert set(uow.session.scalars(select(MessageWait.case_id))) >= {other}
        assert mine not in set(uow.session.scalars(select(MessageWait.case_id)))
        stored_index = uow.session.scalar(select(MessageWait.key_index).where(MessageWait.case_id == other))
    assert "B-2" not in stored_index  # a blind index, never the pseudonym


def test_a_message_nobody_waits_for_is_kept_sealed_and_given_to_the_case_that_waits_later(store, demo):
    send_referral(demo, store, "B-7")
    [row] = pending(store)
    assert row.delivered_at is None and row.key_name == "beneficiary_pseudonym"
    with store.unit_of_work(write=False) as uow:
        stored = uow.session.execute(text("SELECT payload FROM pending_messages")).scalar_one()
    assert sealing.is_sealed(stored) and "mieszkaniowa" not in stored
    later = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-7"}, OPS)
    assert open_elements(store, later) == {"review"}
    [row] = pending(store)
    assert row.delivered_to == [later]


def test_a_kept_message_expires(store, demo, frozen_clock):
    send_referral(demo, store, "B-8")
    frozen_clock.advance(days=7, minutes=1)
    assert messages.sweep(demo) == (1, 0)
    assert pending(store) == []
    late = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-8"}, OPS)
    assert open_elements(store, late) == set()  # still waiting: the message was dropped


def test_correlation_mismatch_single_is_not_found_and_all_is_kept(store, demo):
    case_id = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-3"}, OPS)
    wrong = Message("m17_referral", {}, Key("beneficiary_pseudonym", "B-4"))
    with pytest.raises(NoReceiver):
        messages.correlate(demo, INTEGRATION, wrong, "single")
    assert pending(store) == []  # nothing kept where one receiver was required
    done = messages.correlate(demo, INTEGRATION, wrong, "all")
    assert done.reached == [] and done.kept is not None
    assert open_elements(store, case_id) == set()
    right = messages.correlate(demo, INTEGRATION, Message("m17_referral", {"x": 1}, Key(None, "B-3")), "single")
    assert right.reached == [case_id] and open_elements(store, case_id) == {"review"}


def test_several_receivers_where_one_is_required_is_a_conflict_and_delivers_nothing(store, demo):
    first = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-5"}, OPS)
    second = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-5"}, OPS)
    message = Message("m17_referral", {}, Key("beneficiary_pseudonym", "B-5"))
    with pytest.raises(AmbiguousMessage):
        messages.correlate(demo, INTEGRATION, message, "single")
    assert open_elements(store, first) == open_elements(store, second) == set()
    by_case = messages.correlate(demo, INTEGRATION, Message("m17_referral", {}, Key("case_id", second)), "single")
    assert by_case.reached == [second]
    assert messages.correlate(demo, INTEGRATION, message, "all").reached == [first]


def test_a_message_start_event_starts_a_case_with_the_payload(store, demo):
    done = messages.correlate(demo, INTEGRATION, Message("m17_request", {"income": 1200}, start_agencies=OPS))
    [case_id] = done.started
    assert open_elements(store, case_id) == {"handle"}
    [started] = events(store, case_id, "CaseStarted")
    assert started.after["data"] == {"income": 1200} and started.after["agencies"] == OPS


def test_message_boundary_events_interrupting_and_not(store, demo):
    case_id = demo.start_case(EWA, "m17_boundary", {"beneficiary_pseudonym": "B-9"}, PUP)
    key = Key("beneficiary_pseudonym", "B-9")
    messages.correlate(demo, INTEGRATION, Message("m17_document", {"document": "umowa"}, key))
    assert open_elements(store, case_id) == {"internship", "check_document"}  # the internship goes on
    messages.correlate(demo, INTEGRATION, Message("m17_withdrawn", {}, key))
    assert open_elements(store, case_id) == {"check_document"}  # interrupted


def test_the_audience_limits_whose_cases_a_message_reaches(store, demo):
    demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-6"}, OPS)
    with store.unit_of_work(write=False) as uow:
        pup = uow.session.scalar(select(Agency.id).where(Agency.code == "pup-bartoszyce"))
    with pytest.raises(NoReceiver):
        messages.correlate(demo, Actor("ewa.pup"), Message("m17_referral", {}, Key(None, "B-6"), audience=[pup]))


def test_a_failing_receiver_keeps_the_message_pending_with_an_attempt(store, demo):
    case_id = demo.start_case(ANNA, "m17_failing_receiver", {}, OPS)
    done = messages.correlate(demo, INTEGRATION, Message("m17_plain", {}), "all")
    assert done.failed == [case_id] and done.reached == []
    [row] = pending(store)
    assert row.attempts == 1 and row.last_error == "script_error" and row.delivered_at is None
    assert messages.sweep(demo) == (0, 0)
    assert pending(store)[0].attempts == 2


def test_a_throw_without_payload_sends_an_empty_message(store, demo):
    case_id = demo.start_case(ANNA, "m17_throw_plain", {"secret_note": "x"}, OPS)
    [row] = pending(store)
    assert json.loads(row.payload) == {} and row.source_case_id == case_id and row.name == "m17_plain"


def test_a_signal_reaches_every_waiting_case_and_starts_the_pathways_it_starts(store, demo):
    waiting = [demo.start_case(ANNA, "m17_signal_wait", {}, OPS) for _ in range(3)]
    done = signals.broadcast(demo, INTEGRATION, "m17_call_closed", start_agencies=OPS)
    assert sorted(done.reached) == waiting and len(done.started) == 1
    assert all(open_elements(store, c) == {"follow_up"} for c in waiting)
    assert open_elements(store, done.started[0]) == {"evaluate"}
    assert len(events(store, waiting[0], "SignalReceived")) == 1
    again = signals.broadcast(demo, INTEGRATION, "m17_call_closed", start_agencies=OPS)
    assert again.reached == [] and len(again.started) == 1  # not kept: nobody waits any more


def test_a_signal_end_event_broadcasts_to_the_cases_of_another_pathway(store, demo):
    waiting = [demo.start_case(ANNA, "m17_signal_wait", {}, OPS) for _ in range(2)]
    thrower = demo.start_case(EWA, "m17_signal_throw", {}, PUP)
    with store.unit_of_work(write=False) as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == thrower)).one()
    demo.complete_task(EWA, task.id, {})
    assert all(open_elements(store, c) == {"follow_up"} for c in waiting)
    [row] = pending(store)
    assert row.kind == "signal" and sorted(row.delivered_to)[:2] == waiting and len(row.delivered_to) == 3
    assert len(events(store, thrower, "SignalSent")) == 1


def test_a_case_workers_kept_message_reaches_only_a_case_of_their_agency_later(store, demo):
    with store.unit_of_work(write=False) as uow:
        ops = uow.session.scalar(select(Agency.id).where(Agency.code == "mops-bartoszyce"))
    done = messages.correlate(demo, ANNA, Message("m17_referral", {"x": 1}, Key(None, "B-11"), audience=[ops]), "all")
    assert done.kept is not None
    foreign = demo.start_case(EWA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-11"}, PUP)
    assert open_elements(store, foreign) == set()  # waits on: the message was not for its agency
    mine = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-11"}, OPS)
    assert open_elements(store, mine) == {"review"}


def test_a_claimed_pending_message_is_left_to_the_process_delivering_it(store, demo, frozen_clock):
    send_referral(demo, store, "B-12")
    [row] = pending(store)
    assert messages._claim(demo, row.id) is True
    assert messages._claim(demo, row.id) is False  # a second process would skip it
    receiver = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-12"}, OPS)
    assert open_elements(store, receiver) == set()
    frozen_clock.advance(seconds=messages.CLAIM_SECONDS + 1)  # the claim of a stopped process lapses
    assert messages.sweep(demo) == (0, 1)
    assert open_elements(store, receiver) == {"review"}


def test_a_stale_wait_row_is_mended_not_delivered_to(store, demo):
    case_id = demo.start_case(ANNA, "m17_referral_receiver", {"beneficiary_pseudonym": "B-13"}, OPS)
    with store.unit_of_work() as uow:
        uow.session.add(MessageWait(case_id=case_id, kind="message", name="m17_ghost", element_id="x"))
        uow.commit()
    done = messages.correlate(demo, INTEGRATION, Message("m17_ghost", {}), "all")
    assert done.reached == [] and done.kept is not None
    with store.unit_of_work(write=False) as uow:
        names = set(uow.session.scalars(select(MessageWait.name).where(MessageWait.case_id == case_id)))
    assert names == {"m17_referral"}


def test_a_thrown_payload_over_the_limit_fails_the_command_and_writes_nothing(store, demo):
    from pathways.engine.errors import LimitExceeded

    with pytest.raises(LimitExceeded, match="notify_ops: the payload is larger than"):
        send_referral(demo, store, "B-14", reason="x" * 70_000)
    assert pending(store) == []
    with store.unit_of_work(write=False) as uow:
        assert list(uow.session.scalars(select(HumanTask.element_id).where(HumanTask.status == "open",
                                                                           HumanTask.element_id == "prepare")))
