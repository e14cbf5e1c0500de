"""Read-only views of cases for the CLI and the API (no workflow is loaded or changed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.engine.errors import NotFound
from pathways.store.models import Agency, Case, CaseEvent, HumanTask, StageVisit, Timer


def case_summary(s: Session, case_id: int) -> dict[str, Any]:
    case = s.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    agencies = s.scalars(select(Agency).where(Agency.id.in_(case.agency_ids)).order_by(Agency.code))
    visits = s.scalars(select(StageVisit).where(StageVisit.case_id == case_id).order_by(StageVisit.id))
    tasks = s.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.created_at))
    events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return {
        "id": case.id,
        "pathway": case.pathway_key,
        "version": case.pathway_version.version,
        "beneficiary": case.beneficiary,
        "status": case.status,
        "stage": case.stage,
        "agencies": [a.code for a in agencies],
        "stages": [{"stage": v.stage, "entered_at": v.entered_at, "left_at": v.left_at} for v in visits],
        "tasks": [{"id": t.id, "element": t.element_id, "name": t.name, "status": t.status, "roles": t.roles,
                   "due_at": t.due_at, "priority": t.priority} for t in tasks],
        "timers": [{"id": t.id, "element": t.element_id, "due_at": t.due_at} for t in s.scalars(
            select(Timer).where(Timer.case_id == case_id).order_by(Timer.due_at, Timer.id))],
        "events": [{"at": e.at, "actor": e.actor, "kind": e.kind, "element": e.element_id} for e in events],
    }
