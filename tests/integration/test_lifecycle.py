"""A case's lifecycle on SQLite and PostgreSQL: cancel, close early, suspend and resume, with
their refusals, and stuck cases becoming runnable when the agency they need is added."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pathways import reports
from pathways.engine import participation
from pathways.engine.actors import Actor
from pathways.engine.cases import Engine
from pathways.engine.errors import CaseNotActive, CaseSuspended, InvalidData, NotAllowed, NotFound
from pathways.reports import Scope
from pathways.store.models import AuditEntry, Case, CaseEvent, Measure, StageVisit, TaskOffer
from pathways.tasks import cases, inbox, lifecycle, stuck, work
from pathways.tasks.inbox import InboxQuery
from tests.life_fixtures import NOTE, STATUTE, deploy_life, past_intake, seed, task, timers


@pytest.fixture
def engine(store, roles, frozen_clock):
    deploy_life(store, roles)
    return Engine(store, roles)


@pytest.fixture
def users(store, engine):
    return seed(store, engine)


def case_row(store, case_id):
    with store.unit_of_work(write=False) as uow:
        found = uow.session.get(Case, case_id)
        uow.session.expunge(found)
        return found


def events(store, case_id, kind):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def audit_rows(store, action):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def inbox_ids(store, engine, user):
    return [t["id"] for t in inbox.inbox(store, user, engine.roles, InboxQuery()).items]


def test_cancel_withdraws_tasks_and_timers_records_the_reason_and_keeps_the_case_readable(store, engine, users):
    found = past_intake(store, engine)
    assert inbox_ids(store, engine, users["ewa"]) == [found.job_plan]
    assert timers(store, found.case_id)

    answer = lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "moved_away", NOTE)

    assert answer["status"] == "cancelled" and not answer["can_cancel"]
    assert inbox_ids(store, engine, users["ewa"]) == []
    assert timers(store, found.case_id) == []
    assert task(store, found.case_id, "job_plan", status="cancelled").id == found.job_plan
    with store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(TaskOffer)).all() == []
        assert all(v.left_at is not None for v in uow.session.scalars(
            select(StageVisit).where(StageVisit.case_id == found.case_id)))
    [cancelled] = events(store, found.case_id, "CaseCancelled")
    assert cancelled.after == {"reason_code": "moved_away", "reason": NOTE}  # the note opens for readers
    [entry] = audit_rows(store, "case.cancel")
    assert entry.detail == {"reason": "moved_away"} and NOTE not in repr(entry.detail)
    detail = cases.case_detail(store, engine, users["anna"], found.case_id)  # still readable
    assert detail["status"] == "cancelled" and detail["open_tasks"] == []


@pytest.mark.parametrize("status", ["completed", "cancelled", "closed", "failed"])
def test_a_case_that_is_not_running_cannot_be_cancelled_closed_or_suspended(store, engine, users, status):
    found = past_intake(store, engine)
    with store.unit_of_work() as uow:
        uow.session.get(Case, found.case_id).status = status
        uow.commit()
    for call in (lambda: lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "duplicate"),
                 lambda: lifecycle.close_case(store, engine, users["teresa"], found.case_id, "exited"),
                 lambda: lifecycle.suspend_case(store, engine, users["teresa"], found.case_id),
                 lambda: lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "shift")):
        with pytest.raises(CaseNotActive, match=f"is {status}"):
            call()
    assert case_row(store, found.case_id).status == status
    assert audit_rows(store, "case.cancel") == []


def test_cancelling_a_completed_case_is_refused(store, engine, users, frozen_clock):
    found = past_intake(store, engine)
    work.complete(engine, users["ewa"], found.job_plan, {"plan_ready": True})
    frozen_clock.advance(days=7)
    assert engine.fire_due_timers() == 1
    work.complete(engine, users["anna"], task(store, found.case_id, "follow_up").id, {"reached": True})
    assert case_row(store, found.case_id).status == "completed"
    with pytest.raises(CaseNotActive, match="is completed: only an active or suspended case can be cancelled"):
        lifecycle.cancel_case(store, engine, users["root"], found.case_id, "duplicate")
    assert events(store, found.case_id, "CaseCancelled") == [] and audit_rows(store, "case.cancel") == []
    assert case_row(store, found.case_id).status == "completed"


def test_who_may_cancel(store, engine, users):
    found = past_intake(store, engine)
    with pytest.raises(NotFound):  # a coordinator of a partnership outside the case learns nothing
        lifecycle.cancel_case(store, engine, users["obca"], found.case_id, "duplicate")
    with pytest.raises(NotFound):  # the PUP's worker of an agency outside the case: as if it did not exist
        lifecycle.cancel_case(store, engine, users["pawel"], found.case_id, "duplicate")
    with pytest.raises(NotAllowed):  # a case worker of the case may not end it
        lifecycle.cancel_case(store, engine, users["anna"], found.case_id, "duplicate")
    with pytest.raises(NotAllowed):  # nor the PUP's worker of the case
        lifecycle.cancel_case(store, engine, users["ewa"], found.case_id, "duplicate")
    denied = [(a.username, a.detail["status"]) for a in audit_rows(store, "access.denied")]
    assert denied == [("obca", 404), ("pawel", 404), ("anna", 403), ("ewa", 403)]
    assert case_row(store, found.case_id).status == "active"
    lifecycle.cancel_case(store, engine, users["root"], found.case_id, "entered_by_mistake")  # an admin of ops
    assert case_row(store, found.case_id).status == "cancelled"


def test_cancel_needs_a_reason_from_the_list_and_a_note_for_other(store, engine, users):
    found = past_intake(store, engine)
    with pytest.raises(InvalidData) as bad:
        lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "bored")
    assert "reason" in bad.value.details["fields"]
    with pytest.raises(InvalidData) as missing:
        lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "other", "  ")
    assert missing.value.details["fields"] == {"note": "required"}
    assert case_row(store, found.case_id).status == "active"


def test_close_early_with_an_allowed_outcome_counts_it_in_the_reports(store, engine, users):
    found = past_intake(store, engine)
    answer = lifecycle.close_case(store, engine, users["teresa"], found.case_id, "exited", NOTE)
    assert answer["status"] == "closed" and timers(store, found.case_id) == []
    [closed] = events(store, found.case_id, "CaseClosed")
    assert closed.after == {"outcome": "exited", "early": True, "reason": NOTE}
    with store.unit_of_work(write=False) as uow:
        [measure] = uow.session.scalars(select(Measure).where(Measure.case_id == found.case_id))
    assert (measure.kind, measure.key, measure.agency_kind) == ("outcome", "exited", "SUPERVISION")
    figure = reports.build(store, engine, users["teresa"], ["outcomes"], Scope())["outcomes"]
    assert {r["outcome"]: r["participants"] for r in figure.rows if r["group"] == "outcome"}["exited"] == 1
    assert [a.detail for a in audit_rows(store, "case.close")] == [{"outcome": "exited"}]


def test_close_early_refuses_an_outcome_the_pathway_does_not_allow(store, engine, users):
    found = past_intake(store, engine)
    with pytest.raises(InvalidData) as refused:
        lifecycle.close_case(store, engine, users["teresa"], found.case_id, "employed")
    assert refused.value.details["fields"] == {"outcome": "one of exited, moved_away"}
    other = engine.start_case(Actor("anna"), "intake_referral", {}, ["ops", "sup"], "B-TEST-02")
    with pytest.raises(InvalidData, match="does not let a case be closed early"):
        lifecycle.close_case(store, engine, users["teresa"], other, "exited")
    assert case_row(store, found.case_id).status == "active" and case_row(store, other).status == "active"


def test_a_suspended_cases_tasks_cannot_be_claimed_or_completed_and_its_timers_wait(store, engine, users,
                                                                                   frozen_clock):
    found = past_intake(store, engine)
    [(element, due)] = timers(store, found.case_id)
    answer = lifecycle.suspend_case(store, engine, users["teresa"], found.case_id, NOTE)
    assert answer["status"] == "suspended" and answer["suspended"]["by"] == "teresa"
    assert answer["suspended"]["timers"] == [{"element": "wait_week", "due_at": due}]
    assert timers(store, found.case_id) == []  # no worker claims them meanwhile
    assert inbox_ids(store, engine, users["ewa"]) == [found.job_plan]  # still there, marked
    assert inbox.inbox(store, users["ewa"], engine.roles, InboxQuery()).items[0]["case_status"] == "suspended"
    with pytest.raises(CaseSuspended, match="suspended"):
        work.claim(engine, users["ewa"], found.job_plan)
    with pytest.raises(CaseSuspended, match="suspended"):
        work.complete(engine, users["ewa"], found.job_plan, {"plan_ready": True})
    with pytest.raises(CaseNotActive, match="only an active case can be suspended"):
        lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    frozen_clock.advance(days=10)
    assert engine.fire_due_timers() == 0
    assert events(store, found.case_id, "TimerFired") == []
    detail = cases.case_detail(store, engine, users["anna"], found.case_id)
    assert detail["status"] == "suspended" and detail["suspended"]["by"] == "teresa"
    assert NOTE not in repr([a.detail for a in audit_rows(store, "case.suspend")])


def test_resume_shifts_the_timers_by_the_suspensions_length(store, engine, users, frozen_clock):
    found = past_intake(store, engine)
    [(_, due)] = timers(store, found.case_id)
    lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    frozen_clock.advance(days=10)
    answer = lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "shift")
    assert answer["status"] == "active" and answer["resumed"]["suspended_seconds"] == 10 * 86400
    assert timers(store, found.case_id) == [("wait_week", due + timedelta(days=10))]
    assert engine.fire_due_timers() == 0  # not due yet: the week restarts where it stopped
    frozen_clock.advance(days=7)
    assert engine.fire_due_timers() == 1
    assert task(store, found.case_id, "follow_up").id
    work.claim(engine, users["ewa"], found.job_plan)  # the tasks are workable again
    [resumed] = events(store, found.case_id, "CaseResumed")
    assert resumed.after["timers_mode"] == "shift"


def test_resume_fire_lets_the_overdue_timers_fire_at_once(store, engine, users, frozen_clock):
    found = past_intake(store, engine)
    [(_, due)] = timers(store, found.case_id)
    lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    frozen_clock.advance(days=10)
    lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "fire")
    assert timers(store, found.case_id) == [("wait_week", due)]  # overdue
    assert engine.next_due() == due
    assert engine.fire_due_timers() == 1
    assert task(store, found.case_id, "follow_up").id


def test_resume_refuses_an_active_case_and_a_mode_it_does_not_know(store, engine, users):
    found = past_intake(store, engine)
    with pytest.raises(CaseNotActive, match="only a suspended case can be resumed"):
        lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "shift")
    lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    with pytest.raises(InvalidData):
        lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "later")
    assert case_row(store, found.case_id).status == "suspended"


def test_a_suspended_case_can_be_cancelled(store, engine, users):
    found = past_intake(store, engine)
    lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "died")
    assert case_row(store, found.case_id).status == "cancelled"
    assert inbox_ids(store, engine, users["ewa"]) == [] and timers(store, found.case_id) == []
    assert lifecycle.lifecycle_of(store, engine, users["teresa"], found.case_id)["suspended"] is None


def test_a_case_started_without_the_agency_a_lane_needs_is_stuck_until_it_is_added(store, engine, users):
    found = past_intake(store, engine, agencies=["ops", "sup"])  # no PUP: nobody is offered job_plan
    with store.unit_of_work(write=False) as uow:
        reasons = stuck.of_case(uow.session, engine.roles, found.case_id)
        listed = stuck.stuck_cases(uow.session, users["teresa"], engine.roles)
        assert stuck.stuck_cases(uow.session, users["obca"], engine.roles) == []  # not their case
    assert reasons == [{"task_id": found.job_plan, "element": "job_plan", "name": "Indywidualny plan działania",
                        "needs": ["PUP"], "reason": "task Indywidualny plan działania needs a PUP; no PUP takes part"}]
    assert [(c["case_id"], c["agencies"]) for c in listed] == [(found.case_id, ["OPS", "SUPERVISION"])]
    assert cases.case_detail(store, engine, users["anna"], found.case_id)["stuck"] == reasons

    participation.add_agency(store, engine.roles, Actor("anna"), found.case_id, "pup", STATUTE)

    assert inbox_ids(store, engine, users["ewa"]) == [found.job_plan]  # at once
    assert cases.case_detail(store, engine, users["anna"], found.case_id)["stuck"] == []
    with store.unit_of_work(write=False) as uow:
        assert stuck.stuck_cases(uow.session, users["teresa"], engine.roles) == []
    work.complete(engine, users["ewa"], found.job_plan, {"plan_ready": True})  # runnable


def test_removing_an_agency_gives_its_tasks_to_another_of_its_kind_or_leaves_the_case_stuck(store, engine, users):
    found = past_intake(store, engine, agencies=["ops", "pup", "pup2", "sup"])
    work.claim(engine, users["ewa"], found.job_plan)
    change = participation.remove_agency(store, engine.roles, Actor("anna"), found.case_id, "pup", "left")
    assert change.returned == [found.job_plan]
    assert inbox_ids(store, engine, users["pawel"]) == [found.job_plan]
    with store.unit_of_work(write=False) as uow:
        assert stuck.of_case(uow.session, engine.roles, found.case_id) == []
    change = participation.remove_agency(store, engine.roles, Actor("anna"), found.case_id, "pup2", "left too")
    assert change.waiting == [found.job_plan]
    with store.unit_of_work(write=False) as uow:
        [reason] = stuck.of_case(uow.session, engine.roles, found.case_id)
        [listed] = stuck.stuck_cases(uow.session, users["teresa"], engine.roles)
    assert reason["needs"] == ["PUP"] and listed["case_id"] == found.case_id


def test_the_operator_cancels_any_case_from_the_command_line(store, engine, users):
    found = past_intake(store, engine)
    lifecycle.cancel_case(store, engine, None, found.case_id, "duplicate", actor="cli:ola")
    [entry] = audit_rows(store, "case.cancel")
    assert entry.username == "cli:ola" and entry.case_id == found.case_id
    with pytest.raises(NotFound):
        lifecycle.cancel_case(store, engine, None, 999_999, "duplicate", actor="cli:ola")


def test_an_agency_added_to_a_suspended_case_is_offered_its_task_which_waits_for_the_resume(store, engine, users):
    found = past_intake(store, engine, agencies=["ops", "sup"])
    lifecycle.suspend_case(store, engine, users["teresa"], found.case_id)
    participation.add_agency(store, engine.roles, Actor("anna"), found.case_id, "pup", STATUTE)
    assert inbox_ids(store, engine, users["ewa"]) == [found.job_plan]
    with pytest.raises(CaseSuspended):
        work.claim(engine, users["ewa"], found.job_plan)
    lifecycle.resume_case(store, engine, users["teresa"], found.case_id, "shift")
    work.claim(engine, users["ewa"], found.job_plan)
    lifecycle.cancel_case(store, engine, users["teresa"], found.case_id, "duplicate")
    with pytest.raises(CaseNotActive, match="agencies join active or suspended cases only"):
        participation.add_agency(store, engine.roles, Actor("anna"), found.case_id, "pup2", STATUTE)
