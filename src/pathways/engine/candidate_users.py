"""`camunda:candidateUsers`: a user task offered to the users the BPMN names, not to its roles' queue.

When such a task opens, each named user who may work it gets a `task_user_offers` row: the user
exists, is active, and works in an agency of the case that the task is offered to, holding one of
the task's roles there (the rule of `engine.preassign`, so naming someone never gives them a task
they could not have claimed: a user of a foreign agency, or of the case's agency without the
role, gets nothing). If at least one named user qualifies, the task leaves its roles' queue (its
`task_offers` rows are not written) and only those users see and may claim it
(`pathways.tasks.candidates`). If none does (all moved, deactivated or removed since deploy), the
task stays in its roles' queue, so no task is stranded. Either way each user left out is logged
(`TaskCandidateNotApplied`, the user name and a reason code, never a case value), and the users
it is offered to are logged (`TaskOfferedToUsers`). A task that `camunda:assignee` claimed at once
is left alone. Deploy refuses a name that is no user of the installation (`engine.deploy`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from pathways.engine import preassign
from pathways.engine.actors import Actor
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import Rows
from pathways.store.models import TaskUserOffer


def named(rows: Rows, runtime: CaseRuntime) -> dict[str, tuple[str, ...]]:
    """Task id -> the candidate user names of each unclaimed task this command opens."""
    found = {}
    for task in rows.tasks:
        assignment = getattr(runtime.task(task["id"]).task_spec, "assignment", None)
        users = getattr(assignment, "candidate_users", ())
        if users and task.get("claimed_by") is None:
            found[task["id"]] = users
    return found


def apply(conn: Connection, rows: Rows, runtime: CaseRuntime, now: datetime) -> None:
    """Offer each new candidate-user task to its qualifying users; after `preassign.apply`."""
    wanted = named(rows, runtime)
    if not wanted:
        return
    names = {name for users in wanted.values() for name in users}
    users, held = preassign.users_and_roles(conn, names)
    case_agencies = {agency_id for agency_id, _kind in rows.agencies}
    for task in rows.tasks:
        if task["id"] not in wanted:
            continue
        offered = [(o["agency_id"], o["role"]) for o in rows.offers if o["task_id"] == task["id"]]
        chosen = []
        for name in wanted[task["id"]]:
            user = users.get(name)
            reason = preassign.refusal(user, held.get(user.id, set()) if user else set(), case_agencies, offered)
            if reason is None:
                chosen.append(name)
            else:
                rows.event(Actor(), "TaskCandidateNotApplied", element_id=task["element_id"], task_id=task["id"],
                           after={"user": name, "reason": reason})
        if not chosen:
            continue
        rows.offers = [o for o in rows.offers if o["task_id"] != task["id"]]
        rows.user_offers.extend({"task_id": task["id"], "user_id": users[name].id, "due_at": task["due_at"],
                                 "priority": task["priority"], "created_at": task["created_at"]}
                                for name in dict.fromkeys(chosen))
        rows.event(Actor(), "TaskOfferedToUsers", element_id=task["element_id"], task_id=task["id"],
                   after={"users": list(dict.fromkeys(chosen)), "by": "camunda:candidateUsers"})


def leaving(conn: Connection, task_ids: list[str], users: set[int]) -> tuple[Any, set[str], set[str]]:
    """An agency leaves a case (`engine.participation`): the statement removing its users' offers of these
    tasks, the tasks still offered to named users of other agencies, and the tasks whose named users
    all leave (back to their roles' queue, so none is stranded)."""
    found: dict[str, set[int]] = {}
    for task_id, user_id in conn.execute(select(TaskUserOffer.task_id, TaskUserOffer.user_id)
                                         .where(TaskUserOffer.task_id.in_(task_ids))):
        found.setdefault(task_id, set()).add(user_id)
    kept = {task_id for task_id, named in found.items() if named - users}
    statement = delete(TaskUserOffer).where(TaskUserOffer.task_id.in_(task_ids), TaskUserOffer.user_id.in_(users))
    return statement, kept, set(found) - kept
