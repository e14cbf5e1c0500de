"""An error or escalation nobody catches ends the case as failed, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import CaseNotActive
from pathways.store.models import Case, CaseEvent, HumanTask, StageVisit
from tests.helpers import FIXTURES

WORKER = Actor("cli")


def _tasks(store, case_id):
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id))
        return {t.element_id: t.status for t in rows}


def _events(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


@pytest.fixture
def failing(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "e17_uncaught_error.bpmn", FIXTURES / "e17_caught_error.bpmn"]), roles)
    return Engine(store, roles)


def test_uncaught_error_end_event_fails_the_case(store, failing):
    case_id = failing.start_case(WORKER, "e17_uncaught_error", {"eligible": False})
    check = next(t for t in _open(store, case_id) if t.element_id == "check")
    failing.complete_task(WORKER, check.id, {})

    with store.unit_of_work(write=False) as uow:
        case = uow.session.get(Case, case_id)
        assert case.status == "failed"
        visits = uow.session.scalars(select(StageVisit).where(StageVisit.case_id == case_id)).all()
        assert all(v.left_at is not None for v in visits)  # the stay in the last stage ends with the case
    assert _tasks(store, case_id) == {"check": "completed", "other_work": "cancelled"}  # it left the inbox
    failed = [e for e in _events(store, case_id) if e.kind == "CaseFailed"]
    assert [(e.element_id, e.after) for e in failed] == [
        ("not_eligible", {"element": "not_eligible", "kind": "error", "code": "NOT_ELIGIBLE"})]
    assert "CaseCompleted" not in [e.kind for e in _events(store, case_id)]
    with pytest.raises(CaseNotActive):
        failing.send_message(WORKER, case_id, "anything", {})


def test_the_parent_does_not_go_on_after_an_uncaught_error(store, failing):
    """SpiffWorkflow alone would complete the sub-process and run `after_check`: never here."""
    case_id = failing.start_case(WORKER, "e17_uncaught_error", {"eligible": False})
    check = next(t for t in _open(store, case_id) if t.element_id == "check")
    failing.complete_task(WORKER, check.id, {})
    data = _last_data(store, failing, case_id)
    assert "checked_after" not in data


def test_the_other_path_completes_the_case(store, failing):
    case_id = failing.start_case(WORKER, "e17_uncaught_error", {"eligible": True})
    for task in _open(store, case_id):
        failing.complete_task(WORKER, task.id, {})
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"
    assert "CaseFailed" not in [e.kind for e in _events(store, case_id)]


def test_caught_error_and_intermediate_escalation_do_not_fail(store, failing):
    case_id = failing.start_case(WORKER, "e17_caught_error", {})
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "completed"
    assert _last_data(store, failing, case_id)["refused"] is True


def test_a_failed_case_can_be_closed(store, failing):
    case_id = failing.start_case(WORKER, "e17_uncaught_error", {"eligible": False})
    check = next(t for t in _open(store, case_id) if t.element_id == "check")
    failing.complete_task(WORKER, check.id, {})
    failing.close_case(WORKER, case_id, "reviewed")
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "closed"


def _open(store, case_id):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                           HumanTask.status == "open")).all()


def _last_data(store, engine, case_id):
    from pathways.engine.runtime import CaseRuntime
    from pathways.store.models import CaseState

    with store.unit_of_work(write=False) as uow:
        case = uow.session.get(Case, case_id)
        text = uow.session.get(CaseState, case_id).state
        return CaseRuntime.restore(engine.definition(uow.session, case.pathway_version_id), text).data()
