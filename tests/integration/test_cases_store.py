"""Case commands against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pathways.demo import load_demo
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import (
    CaseNotActive,
    InvalidData,
    InvalidDefinition,
    MessageNotExpected,
    NotFound,
    ScriptError,
    TaskNotOpen,
)
from pathways.engine.roles import RoleVocabulary
from pathways.engine.views import case_summary
from pathways.store.models import (
    Case,
    CaseEvent,
    CaseState,
    HumanTask,
    PathwayVersion,
    StageVisit,
    Timer,
    User,
    UserRole,
)
from pathways.tasks.offers import offered_usernames
from tests.helpers import FIXTURES, WORKFLOWS

PARTNERS = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"]
ANNA, MAREK, PIOTR, EWA, TERESA = (Actor(n, i) for i, n in enumerate(
    ["anna.ops", "marek.ngo", "piotr.ops", "ewa.pup", "teresa.sup"], start=1))


def open_tasks(store, case_id):
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")).all()
        return {r.element_id: r for r in rows}


def offered_to(store, task_id):
    with store.unit_of_work(write=False) as uow:
        return offered_usernames(uow.session, task_id, RoleVocabulary.load(WORKFLOWS / "roles.toml"))


@pytest.fixture
def demo(store, engine):
    load_demo(store, engine)
    return engine


def test_deploy_is_idempotent_and_versions_changes(store, roles, tmp_path):
    first = deploy(store, collect([WORKFLOWS]), roles)
    assert sorted(first.created) == sorted((path.stem, 1) for path in WORKFLOWS.glob("*.bpmn"))
    assert deploy(store, collect([WORKFLOWS]), roles).created == []
    changed = tmp_path / "intake_referral.bpmn"
    shutil.copy(WORKFLOWS / "intake_referral.bpmn", changed)
    changed.write_text(changed.read_text().replace("Zgłoszenie", "Zgłoszenie sprawy"))
    assert deploy(store, collect([changed]), roles).created == [("intake_referral", 2)]
    with store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(PathwayVersion)) == len(first.created) + 1


def test_running_case_keeps_its_version(store, demo, roles, tmp_path):
    old_case = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    changed = tmp_path / "intake_referral.bpmn"
    changed.write_text((WORKFLOWS / "intake_referral.bpmn").read_text().replace(
        "Identyfikacja i diagnoza wstępna", "Identyfikacja (v2)"))
    deploy(store, collect([changed]), roles)
    new_case = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    assert open_tasks(store, old_case)["identify"].name == "Identyfikacja i diagnoza wstępna"
    assert open_tasks(store, new_case)["identify"].name == "Identyfikacja (v2)"
    demo.complete_task(ANNA, open_tasks(store, old_case)["identify"].id,
                       {"needs_crisis_support": False, "risk_level": "low", "intake_date": "2026-11-02"})
    with store.unit_of_work(write=False) as uow:
        assert case_summary(uow.session, old_case)["version"] == 1


def test_broken_file_deploys_nothing(store, roles, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text((WORKFLOWS / "intake_referral.bpmn").read_text().replace("PT72H", "PT72"))
    with pytest.raises(InvalidDefinition) as err:
        deploy(store, collect([WORKFLOWS, bad]), roles)
    assert any("crisis_overdue" in p and "PT72" in p for p in err.value.details["problems"])
    with store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(PathwayVersion)) == 0


def test_multi_lane_pathway_end_to_end(store, demo, frozen_clock):
    """OPS -> (NGO || OPS psychologist) -> gateway -> PUP, with a non-interrupting boundary timer."""
    case_id = demo.start_case(ANNA, "intake_referral", {"beneficiary_pseudonym": "BEN-42"}, PARTNERS, "BEN-42")
    identify = open_tasks(store, case_id)["identify"]
    assert offered_to(store, identify.id) == ["anna.ops"]
    demo.complete_task(ANNA, identify.id, {"needs_crisis_support": True, "risk_level": "high",
                                           "intake_date": "2026-11-02", "notes": "pilne"})
    tasks = open_tasks(store, case_id)
    assert set(tasks) == {"crisis_intervention", "psych_diagnosis"}
    assert offered_to(store, tasks["crisis_intervention"].id) == ["marek.ngo"]
    assert offered_to(store, tasks["psych_diagnosis"].id) == ["piotr.ops"]
    assert tasks["crisis_intervention"].priority == 80
    with store.unit_of_work(write=False) as uow:
        [timer] = uow.session.scalars(select(Timer).where(Timer.case_id == case_id)).all()
        assert timer.element_id == "crisis_overdue"

    frozen_clock.advance(hours=72)
    assert demo.fire_due_timers() == 2  # this case and the demo case waiting on the same timer
    tasks = open_tasks(store, case_id)
    assert offered_to(store, tasks["escalate_overdue"].id) == ["teresa.sup"]
    assert "crisis_intervention" in tasks
    demo.complete_task(TERESA, tasks["escalate_overdue"].id, {})

    frozen_clock.advance(hours=2)
    demo.complete_task(MAREK, tasks["crisis_intervention"].id,
                       {"hours": 6, "shelter_location": "ul. Tajna 1", "outcome": "stabilised"})
    demo.complete_task(PIOTR, tasks["psych_diagnosis"].id, {"hours": 2, "recommendation": "positive"})
    plan = open_tasks(store, case_id)["career_plan"]
    assert offered_to(store, plan.id) == ["ewa.pup"]
    frozen_clock.advance(days=1)
    demo.complete_task(EWA, plan.id, {"registered_unemployed": True, "plan_items": "staż", "hours": 3})

    with store.unit_of_work(write=False) as uow:
        summary = case_summary(uow.session, case_id)
        assert summary["status"] == "completed"
        assert [v["stage"] for v in summary["stages"]] == ["Identyfikacja", "Interwencja kryzysowa", "Aktywizacja"]
        assert all(v["left_at"] is not None for v in summary["stages"])
        kinds = [e["kind"] for e in summary["events"]]
        assert kinds[0] == "CaseStarted" and kinds[-1] == "CaseCompleted"
        assert kinds.count("TaskCompleted") == 5 and kinds.count("TimerFired") == 1
        completed = uow.session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "TaskCompleted")).all()
        by_actor = {e.actor: e for e in completed}
        assert set(by_actor) == {"anna.ops", "marek.ngo", "piotr.ops", "ewa.pup", "teresa.sup"}
        assert by_actor["piotr.ops"].after == {"hours": 2, "recommendation": "positive"}
        # parallel branches carry their own data: the NGO's hours are not in the psychologist's view
        assert by_actor["piotr.ops"].before == {"hours": None, "recommendation": None}
        assert uow.session.scalar(select(func.count()).select_from(Timer)) == 0
        assert not open_tasks(store, case_id)


def test_failed_command_writes_nothing(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "broken_script.bpmn"]), roles)
    engine = Engine(store, roles)
    anna = Actor("anna.ops")
    case_id = engine.start_case(anna, "broken_script", {})
    task = open_tasks(store, case_id)["fill"]

    def snapshot():
        with store.unit_of_work(write=False) as uow:
            s = uow.session
            return (s.get(CaseState, case_id).state, s.get(Case, case_id).version,
                    s.scalar(select(func.count()).select_from(CaseEvent)),
                    s.scalar(select(func.count()).select_from(StageVisit)), s.get(HumanTask, task.id).status)

    before = snapshot()
    with pytest.raises(ScriptError, match="at divide.*ZeroDivisionError"):
        engine.complete_task(anna, task.id, {"hours": 4, "sessions": 0})
    assert snapshot() == before
    engine.complete_task(anna, task.id, {"hours": 4, "sessions": 2})
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"


def test_task_commands_refuse_clearly(store, demo):
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    task = open_tasks(store, case_id)["identify"]
    data = {"needs_crisis_support": False, "risk_level": "low", "intake_date": "2026-11-02"}
    demo.complete_task(ANNA, task.id, data)
    with pytest.raises(TaskNotOpen, match="already completed"):
        demo.complete_task(ANNA, task.id, data)
    with pytest.raises(NotFound):
        demo.complete_task(ANNA, "00000000-0000-0000-0000-000000000000", data)
    with pytest.raises(NotFound):
        demo.start_case(ANNA, "no_such_pathway", {})
    with pytest.raises(InvalidData):
        demo.start_case(ANNA, "intake_referral", {}, ["no-such-agency"])


def test_cancel_and_close(store, demo):
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    demo.cancel_case(ANNA, case_id, "beneficiary moved away")
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.get(Case, case_id).status == "cancelled"
        assert {t.status for t in s.scalars(select(HumanTask).where(HumanTask.case_id == case_id))} == {"cancelled"}
    demo.close_case(ANNA, case_id)
    with pytest.raises(CaseNotActive):
        demo.close_case(ANNA, case_id)
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "closed"


def test_message_correlates_to_case(store, roles):
    deploy(store, collect([FIXTURES / "message_wait.bpmn"]), roles)
    engine = Engine(store, roles)
    waiting, other = (engine.start_case(Actor("cli"), "message_wait", {}) for _ in range(2))
    engine.send_message(Actor("pup-system"), waiting, "employment_confirmed", {"employer": "Stolarnia"})
    assert list(open_tasks(store, waiting)) == ["record_employment"]
    assert open_tasks(store, other) == {}
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, waiting).stage == "Zatrudnienie"


def _timer_rows(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return [t.element_id for t in uow.session.scalars(select(Timer).where(Timer.case_id == case_id))]


def test_event_based_gateway_takes_the_message_that_comes_first(store, roles, frozen_clock):
    """Wait for the employer's reply or 14 days, whichever comes first (an event-based gateway)."""
    deploy(store, collect([FIXTURES / "event_gateway.bpmn"]), roles)
    engine = Engine(store, roles)
    case_id = engine.start_case(Actor("cli"), "event_gateway", {})
    assert _timer_rows(store, case_id) == ["gw"]  # the gateway's timer is a row the workers see
    engine.send_message(Actor("pup-system"), case_id, "employer_reply", {"accepted": True})
    assert list(open_tasks(store, case_id)) == ["review"]
    assert _timer_rows(store, case_id) == []  # the other way is gone, with its timer
    with pytest.raises(MessageNotExpected):
        engine.send_message(Actor("pup-system"), case_id, "employer_reply", {})


def test_event_based_gateway_takes_the_timer_when_no_message_comes(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "event_gateway.bpmn"]), roles)
    engine = Engine(store, roles)
    case_id = engine.start_case(Actor("cli"), "event_gateway", {})
    frozen_clock.advance(days=13)
    assert engine.fire_due_timers() == 0 and list(open_tasks(store, case_id)) == []
    frozen_clock.advance(days=1, seconds=1)
    assert engine.fire_due_timers() == 1
    assert list(open_tasks(store, case_id)) == ["chase"]
    assert _timer_rows(store, case_id) == []
    with pytest.raises(MessageNotExpected, match="waiting for: none"):
        engine.send_message(Actor("pup-system"), case_id, "employer_reply", {})


def test_due_timer_rows_match_workflow(store, engine, frozen_clock):
    case_id = engine.start_case(Actor("cli"), "intake_referral", {})
    engine.complete_task(Actor("cli"), open_tasks(store, case_id)["identify"].id,
                         {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"})
    assert engine.next_due() == frozen_clock() + timedelta(hours=72)
    engine.complete_task(Actor("cli"), open_tasks(store, case_id)["crisis_intervention"].id,
                         {"hours": 1, "outcome": "declined"})
    assert engine.next_due() is None  # the boundary timer went with its task


def test_offers_respect_participation_agency_kind_and_activity(store, demo):
    """Only participating agencies, only the role's agency kind, only active users."""
    ops_only = demo.start_case(ANNA, "intake_referral", {}, ["mops-bartoszyce"])
    assert offered_to(store, open_tasks(store, ops_only)["identify"].id) == ["anna.ops"]
    demo.complete_task(ANNA, open_tasks(store, ops_only)["identify"].id,
                       {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"})
    # the NGO does not take part: nobody is offered the crisis intervention
    assert offered_to(store, open_tasks(store, ops_only)["crisis_intervention"].id) == []
    with store.unit_of_work() as uow:
        piotr = uow.session.scalars(select(User).where(User.username == "piotr.ops")).one()
        piotr.active = False
        uow.commit()
    assert offered_to(store, open_tasks(store, ops_only)["psych_diagnosis"].id) == []
    # an NGO user wrongly given an OPS role is still not offered OPS work
    everyone = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    with store.unit_of_work() as uow:
        marek = uow.session.scalars(select(User).where(User.username == "marek.ngo")).one()
        marek.role_rows.append(UserRole(role="ops.social_worker"))
        uow.commit()
    assert offered_to(store, open_tasks(store, everyone)["identify"].id) == ["anna.ops"]
    with pytest.raises(NotFound):
        offered_to(store, "00000000-0000-0000-0000-000000000000")


def test_work_within_a_command_lands_with_it_or_not_at_all(store, demo):
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    identify = open_tasks(store, case_id)["identify"].id
    data = {"needs_crisis_support": False, "risk_level": "low", "intake_date": "2026-11-02"}

    def refuse(s, seen_case_id):
        assert seen_case_id == case_id
        raise TaskNotOpen("claimed by someone else meanwhile")

    with pytest.raises(TaskNotOpen):
        demo.complete_task(ANNA, identify, data, within=refuse)
    assert "identify" in open_tasks(store, case_id)  # nothing of the command was written

    def note(s, seen_case_id):
        s.add(CaseEvent(case_id=seen_case_id, actor="test", kind="Noted"))

    demo.complete_task(ANNA, identify, data, within=note)
    with store.unit_of_work(write=False) as uow:
        kinds = list(uow.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))
    assert "Noted" in kinds and "TaskCompleted" in kinds
    assert "identify" not in open_tasks(store, case_id)


def test_a_completed_task_stays_completed_and_is_not_reported_cancelled(store, demo):
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    identify = open_tasks(store, case_id)["identify"].id
    demo.complete_task(ANNA, identify, {"needs_crisis_support": False, "risk_level": "low",
                                         "intake_date": "2026-11-02"})
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.get(HumanTask, identify).status == "completed"
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.task_id == identify)))
    assert kinds == ["TaskOpened", "TaskCompleted"]


def test_cancelling_a_case_ends_its_last_stage_visit(store, demo):
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    demo.cancel_case(ANNA, case_id, "moved away")
    with store.unit_of_work(write=False) as uow:
        visits = list(uow.session.scalars(select(StageVisit).where(StageVisit.case_id == case_id)))
    assert visits and all(v.left_at is not None for v in visits)


@pytest.mark.postgres
def test_postgresql_connections_run_without_jit(postgres_schema):
    """JIT compilation cost more than the inbox queries it compiled; pathways' connections switch it off."""
    from sqlalchemy import text

    with postgres_schema.engine.connect() as conn:
        assert conn.scalar(text("SHOW jit")) == "off"


# -- the workflow a process keeps between a case's commands ----------------------------------------
IDENTIFY = {"needs_crisis_support": True, "risk_level": "high", "intake_date": "2026-11-02"}


def _case_state(store, case_id):
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        rows = s.scalars(select(HumanTask).where(HumanTask.case_id == case_id))
        tasks = sorted((t.element_id, t.status) for t in rows)
        return s.get(Case, case_id).stage, s.get(Case, case_id).status, tasks


def _count_restores(monkeypatch):
    from pathways.engine.runtime import CaseRuntime

    calls = []
    original = CaseRuntime.restore.__func__

    def counting(cls, definition, text, *limits):
        calls.append(1)
        return original(cls, definition, text, *limits)

    monkeypatch.setattr(CaseRuntime, "restore", classmethod(counting))
    return calls


def test_a_process_reuses_its_own_workflow_and_restores_after_anothers_command(store, demo, roles, monkeypatch):
    other = Engine(store, roles)  # a second server process on the same database
    restores = _count_restores(monkeypatch)
    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    demo.complete_task(ANNA, open_tasks(store, case_id)["identify"].id, IDENTIFY)
    assert restores == []  # started and advanced here: the kept workflow was current
    other.complete_task(MAREK, open_tasks(store, case_id)["crisis_intervention"].id,
                        {"hours": 2})
    assert len(restores) == 1  # the other process had never seen the case
    demo.complete_task(PIOTR, open_tasks(store, case_id)["psych_diagnosis"].id,
                       {"hours": 1, "psych_notes": "y", "recommendation": "negative"})
    assert len(restores) == 2  # this process's copy was one command behind: not used
    reference = Engine(store, roles, runtime_cache_size=0)  # restores for every command
    again = reference.start_case(ANNA, "intake_referral", {}, PARTNERS)
    reference.complete_task(ANNA, open_tasks(store, again)["identify"].id, IDENTIFY)
    reference.complete_task(MAREK, open_tasks(store, again)["crisis_intervention"].id,
                            {"hours": 2})
    reference.complete_task(PIOTR, open_tasks(store, again)["psych_diagnosis"].id,
                            {"hours": 1, "psych_notes": "y", "recommendation": "negative"})
    assert _case_state(store, case_id) == _case_state(store, again)


def test_a_failed_command_leaves_no_workflow_behind(store, demo, monkeypatch):
    from pathways.engine.errors import Conflict

    case_id = demo.start_case(ANNA, "intake_referral", {}, PARTNERS)
    task = open_tasks(store, case_id)["identify"].id

    def refuse(session, case):
        raise Conflict("refused by the caller")

    with pytest.raises(Conflict):
        demo.complete_task(ANNA, task, IDENTIFY, within=refuse)  # the workflow moved on in memory, then rolled back
    restores = _count_restores(monkeypatch)
    assert open_tasks(store, case_id).keys() == {"identify"}
    demo.complete_task(ANNA, task, IDENTIFY)  # from the snapshot, not the half-run workflow
    assert restores == [1]
    assert {"crisis_intervention", "psych_diagnosis"} <= open_tasks(store, case_id).keys()
