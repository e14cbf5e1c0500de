"""Mirroring a case's workflow into the rows beside its snapshot.

After the workflow ran, each step compares what the workflow now holds with the rows the command
read (`Rows.open_tasks`, `Rows.timers`) and gathers the difference into the `Rows` the write
path (`pathways.engine.writes`) writes in bulk: stages entered, human tasks opened and cancelled
with their candidate roles and inbox offers, timers added, moved and gone, and the measures a
task or an outcome records. Nothing here touches the database, except the one read of the
completing user's agency and roles that crediting hours needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pathways.engine import measures
from pathways.engine.actors import Actor
from pathways.engine.roles import RoleVocabulary
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import Rows
from pathways.store.models import Agency, User, UserRole


def sync_stages(rows: Rows, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
    """A stage entered closes the open visit, opens one and logs `StageEntered`."""
    case = rows.case
    for stage, element in runtime.enter_stages():
        if stage == case.stage:
            continue
        rows.close_stage(now)
        rows.visits.append({"case_id": case.id, "stage": stage, "entered_at": now, "left_at": None})
        rows.event(actor, "StageEntered", element_id=element, before={"stage": case.stage}, after={"stage": stage})
        case.stage = stage


def sync_tasks(rows: Rows, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
    """Open rows for the workflow's new tasks; cancel the rows of tasks it no longer waits for."""
    current = {t.id: t for t in runtime.open_tasks(rows.case.stage)}
    for task_id, element_id in rows.open_tasks.items():
        if task_id not in current:
            rows.cancelled.append({"task": task_id})
            rows.event(actor, "TaskCancelled", element_id=element_id, task_id=task_id)
    for task_id, task in current.items():
        if task_id in rows.open_tasks:
            continue
        rows.tasks.append({
            "id": task.id, "case_id": rows.case.id, "element_id": task.element_id, "name": task.name,
            "lane": task.lane, "roles": list(task.roles), "stage": task.stage, "status": "open",
            "priority": task.priority, "due_at": runtime.due_at(task, now), "created_at": now,
            "claimed_by": None, "claimed_at": None, "completed_at": None, "completed_by": None,
        })
        rows.candidates.extend({"task_id": task.id, "role": r} for r in task.roles)
        rows.event(actor, "TaskOpened", element_id=task.element_id, task_id=task.id,
                   after={"roles": list(task.roles)})


def sync_timers(rows: Rows, runtime: CaseRuntime, release_due: datetime | None) -> datetime | None:
    """Make the timer rows match the waiting timers; returns the earliest new or moved due time.

    `release_due` (a timer-firing command's time): a due row that stays as it was is unclaimed too.
    """
    current = {t.id: t for t in runtime.waiting_timers()} if rows.case.status == "active" else {}
    rows.gone_timers = [timer_id for timer_id in rows.timers if timer_id not in current]
    changed: list[datetime] = []
    for timer_id, timer in current.items():
        existing = rows.timers.get(timer_id)
        if existing is None:
            rows.new_timers.append({"id": timer_id, "case_id": rows.case.id, "element_id": timer.element_id,
                                    "due_at": timer.due_at, "claimed_until": None})
            changed.append(timer.due_at)
        elif existing != timer.due_at:
            rows.moved_timers.append({"timer": timer_id, "due": timer.due_at})
            changed.append(timer.due_at)
        elif release_due is not None and existing <= release_due:
            rows.moved_timers.append({"timer": timer_id, "due": timer.due_at})
    return min(changed, default=None)


def offer(rows: Rows, roles: RoleVocabulary) -> None:
    """The inbox rows (`task_offers`) of the tasks this command opens."""
    rows.offers = [{"task_id": task["id"], "agency_id": agency_id, "role": role, "due_at": task["due_at"],
                    "priority": task["priority"], "created_at": task["created_at"]}
                   for task in rows.tasks for agency_id, role in roles.offers(task["roles"], rows.agencies)]


def record_outcomes(rows: Rows, runtime: CaseRuntime, roles: RoleVocabulary) -> None:
    """Outcomes reached since the last command, credited to the agency kind of the element's lane."""
    for outcome, element, lane in runtime.reached_outcomes():
        lane_role = roles.resolve_lane(lane)
        rows.measure("outcome", outcome, 1, element, roles.agency_kind(lane_role) if lane_role else None)


def record_decisions(rows: Rows, runtime: CaseRuntime, actor: Actor) -> None:
    """`DecisionMade` for each business rule task decided: decision, file version, matched rules."""
    for element, record in runtime.decisions_made():
        rows.event(actor, "DecisionMade", element_id=element, after=record)


def record_task_measures(conn: Connection, rows: Rows, roles: RoleVocabulary, task_id: str, task_roles: list[str],
                         spec: Any, data: dict[str, Any], actor: Actor) -> None:
    """Hours and benefits from a completed task's form, credited to the completing user's agency."""
    if not measures.task_facts(spec, data, role="any"):
        return  # nothing to count, whoever completed it: no need to look the user up
    found = conn.execute(  # the user's agency and kind, and their roles, in one statement
        select(User.agency_id, Agency.kind, UserRole.role).join_from(User, Agency, Agency.id == User.agency_id)
        .outerjoin(UserRole, UserRole.user_id == User.id).where(User.id == actor.user_id)
    ).all() if actor.user_id is not None else []
    user = found[0] if found else None
    held = sorted(set(task_roles) & {row.role for row in found if row.role is not None})
    role = held[0] if held else (task_roles[0] if task_roles else None)
    agency_kind = user.kind if user is not None else (roles.agency_kind(role) if role else None)
    for fact in measures.task_facts(spec, data, role):
        rows.measure(fact.kind, fact.key, fact.value, fact.element_id, agency_kind,
                     agency_id=user.agency_id if user is not None else None, user_id=actor.user_id,
                     task_id=task_id)
