"""`camunda:assignee`: a user task that opens already claimed by the user the BPMN names.

The task is claimed for that user when it opens, in the same command, only if the user exists,
is active, and works in an agency of the case that the task is offered to, holding one of the
roles it is offered to there (the inbox rule of `tasks/offers.py`: a pre-assignment gives no one
a task they could not have claimed). Otherwise the task stays in its roles' queue and the
timeline says why (`TaskAssigneeNotApplied`, with a reason code and the user name, never a case
value). A pre-assigned task leaves no inbox offer: it is in the assignee's own list ("mine").
Deploy refuses a file whose assignee does not exist (`engine.deploy`); this run-time check
covers a user deactivated, moved or removed since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pathways.engine.actors import Actor
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import Rows
from pathways.store.models import User, UserRole

#: why an assignee was not applied (the case page translates each)
REASONS = ("unknown_user", "inactive_user", "agency_not_in_case", "role_not_held")


def assignees(rows: Rows, runtime: CaseRuntime) -> dict[str, str]:
    """Task id -> the literal assignee of each task this command opens."""
    found = {}
    for task in rows.tasks:
        assignment = getattr(runtime.task(task["id"]).task_spec, "assignment", None)
        if assignment is not None and assignment.assignee:
            found[task["id"]] = assignment.assignee
    return found


def users_and_roles(conn: Connection, names: set[str]) -> tuple[dict[str, Any], dict[int, set[str]]]:
    """The users of these names (id, username, active, agency) and the roles each holds, by user id."""
    users = {row.username: row for row in conn.execute(
        select(User.id, User.username, User.active, User.agency_id).where(User.username.in_(names)))}
    held: dict[int, set[str]] = {}
    for user_id, role in conn.execute(select(UserRole.user_id, UserRole.role).where(
            UserRole.user_id.in_([u.id for u in users.values()]))):
        held.setdefault(user_id, set()).add(role)
    return users, held


def apply(conn: Connection, rows: Rows, runtime: CaseRuntime, now: datetime) -> None:
    """Claim each new pre-assigned task for its assignee, or log why not; after `mirror.offer`."""
    wanted = assignees(rows, runtime)
    if not wanted:
        return
    users, held = users_and_roles(conn, set(wanted.values()))
    case_agencies = {agency_id for agency_id, _kind in rows.agencies}
    for task in rows.tasks:
        name = wanted.get(task["id"])
        if name is None:
            continue
        user = users.get(name)
        offered = [(o["agency_id"], o["role"]) for o in rows.offers if o["task_id"] == task["id"]]
        reason = refusal(user, held.get(user.id, set()) if user else set(), case_agencies, offered)
        element, task_id = task["element_id"], task["id"]
        if reason is not None:
            rows.event(Actor(), "TaskAssigneeNotApplied", element_id=element, task_id=task_id,
                       after={"assignee": name, "reason": reason})
            continue
        assert user is not None
        task["claimed_by"], task["claimed_at"] = user.id, now
        rows.offers = [o for o in rows.offers if o["task_id"] != task_id]
        rows.event(Actor(), "TaskAssigned", element_id=element, task_id=task_id,
                   after={"claimed_by": name, "by": "camunda:assignee"})


def refusal(user: Any, roles: set[str], case_agencies: set[int], offered: list[tuple[int, str]]) -> str | None:
    """Why `user` may not have the task (a `REASONS` code), or None."""
    if user is None:
        return "unknown_user"
    if not user.active:
        return "inactive_user"
    if user.agency_id not in case_agencies:
        return "agency_not_in_case"
    if not any(agency == user.agency_id and role in roles for agency, role in offered):
        return "role_not_held"
    return None
