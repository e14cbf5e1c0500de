"""Handing on all of a user's open tasks (they leave, or go on leave): to a colleague or back to the queue.

Rules (docs/operations-people.md, "Reassigning a user's tasks"):
- Done by whoever manages the user's work (`tasks/staff.py`: a supervisor or admin of their
  agency, or the partnership's supervisor); anyone else gets `NotAllowed` (audited).
- First a dry run (`apply=False`): the list of the user's open claimed tasks and what would become
  of each. `apply=True` does it, in one transaction, each task by compare-and-set of its claim (a
  task someone changed meanwhile is listed as refused, `changed`, and left alone).
- A task goes to the target only if the target could claim it (`tasks/offers.py`: their agency
  takes part in the case and they hold one of its roles of their agency's kind); else it stays
  with the user and is listed as refused with the reason (`agency_not_in_case`, `no_role`).
  `--to-queue` gives every task back to its roles' queues.
- Tasks in cases the manager's agency does not take part in are neither shown nor moved: only
  their number is given (`hidden`), as the manager may not see those cases.
- Each moved task leaves a case event (`TaskAssigned` / `TaskUnclaimed`, `reassigned_from`) and
  an audit entry `task.reassign`; the run leaves one `tasks.reassign` (or `tasks.reassign.preview`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.store.db import UnitOfWork
from pathways.store.models import Case, CaseAgency, CaseEvent, HumanTask, User
from pathways.tasks import access, audit, candidates, staff, work
from pathways.tasks.inbox import agency_kind

MAX_TASKS = 5000  # one run moves at most this many (a user holding more: run it again)


def open_claims(s: Session, user_id: int) -> list[HumanTask]:
    return list(s.scalars(select(HumanTask).where(HumanTask.claimed_by == user_id, HumanTask.status == "open")
                          .order_by(HumanTask.case_id, HumanTask.created_at, HumanTask.id).limit(MAX_TASKS)))


def refusal(s: Session, engine: Engine, target: User, task: HumanTask) -> str | None:
    """Why `target` may not be handed `task` (the claim rule), or None."""
    if not s.scalar(select(exists().where(CaseAgency.case_id == task.case_id,
                                          CaseAgency.agency_id == target.agency_id))):
        return "agency_not_in_case"
    if not set(task.roles) & access.held_roles(target, engine.roles, agency_kind(s, target)):
        return "no_role"
    named = candidates.offered_user_ids(s, task.id)
    if named and target.id not in named:  # `camunda:candidateUsers`: only the named users may hold it
        return "not_named"
    return None


def _visible(s: Session, manager: User, case_id: int) -> bool:
    return bool(s.scalar(select(exists().where(Case.id == case_id, access.case_visible_to(manager)))))


@audit.refusals("tasks.reassign")
def reassign(engine: Engine, user: User, source: str, target: str | None, *, apply: bool) -> dict[str, Any]:
    """The plan (or the outcome, with `apply`) of handing `source`'s open tasks to `target` (None: the queue)."""
    with engine.store.unit_of_work() as uow:
        s = uow.session
        leaving = staff.user_named(s, source, "from")
        if not user.roles & {staff.SUPERVISOR, staff.ADMIN}:
            raise NotAllowed("only a supervisor or admin of the user's agency reassigns their tasks")
        if not staff.manages(s, user, leaving):
            raise NotFound("no such user (from)")  # another agency's user: as if there were none
        return _run(uow, engine, _By(user.username, user), leaving, target, apply)


def operator_reassign(engine: Engine, actor: str, source: str, target: str | None, *, apply: bool) -> dict[str, Any]:
    """The same for the operator on the server (`pathways tasks reassign`): every task, audited as `actor`."""
    with engine.store.unit_of_work() as uow:
        return _run(uow, engine, _By(actor, None), staff.user_named(uow.session, source, "from"), target, apply)


@dataclass(frozen=True)
class _By:
    name: str
    user: User | None  # None: the operator (`cli:<os user>`), who sees every case


def _run(uow: UnitOfWork, engine: Engine, by: _By, leaving: User, target: str | None, apply: bool) -> dict[str, Any]:
    s = uow.session
    receiver = staff.user_named(s, target, "to") if target is not None else None
    if receiver is not None:
        if receiver.id == leaving.id:
            raise InvalidData("the tasks are already this user's", fields={"to": "is the same user"})
        if not receiver.active:
            raise InvalidData("the user's account is disabled", fields={"to": "is disabled"})
    items: list[dict[str, Any]] = []
    hidden = 0
    for task in open_claims(s, leaving.id):
        if by.user is not None and not _visible(s, by.user, task.case_id):
            hidden += 1
            continue
        reason = refusal(s, engine, receiver, task) if receiver is not None else None
        outcome = "refused" if reason else ("assigned" if receiver is not None else "queued")
        if apply and reason is None:
            if work._set_claim(s, engine, task.id, leaving.id, receiver.id if receiver is not None else None):
                _log(s, by, task, leaving, receiver)
            else:
                outcome, reason = "refused", "changed"
        items.append({"id": task.id, "name": task.name, "case_id": task.case_id, "outcome": outcome,
                      "reason": reason})
    refused = sum(1 for i in items if i["outcome"] == "refused")
    summary = {"from": leaving.username, "to": receiver.username if receiver is not None else None,
               "applied": apply, "tasks": items, "hidden": hidden, "moved": len(items) - refused if apply else 0,
               "refused": refused}
    detail = {"from": summary["from"], "to": summary["to"], "moved": summary["moved"], "refused": refused,
              "hidden": hidden, "cases": sorted({i["case_id"] for i in items})}
    if apply:
        audit.record(s, by.user, "tasks.reassign", detail=detail, actor=by.name)
        uow.commit()
    else:
        audit.record_read(uow, by.user, "tasks.reassign.preview", detail=detail, actor=by.name)
    return summary


def _log(s: Session, by: _By, task: HumanTask, leaving: User, receiver: User | None) -> None:
    """The case event and audit entry of one moved task (as `work._log` writes them for a single assignment)."""
    after: dict[str, Any] = {"claimed_by": receiver.username} if receiver is not None else {}
    after.update(previous=leaving.username, reassigned_from=leaving.username)
    s.add(CaseEvent(case_id=task.case_id, at=clock.now(), actor=by.name,
                    kind="TaskAssigned" if receiver is not None else "TaskUnclaimed",
                    element_id=task.element_id, task_id=task.id, after=after))
    audit.record(s, by.user, "task.reassign", case_id=task.case_id, task_id=task.id, detail=after, actor=by.name)
