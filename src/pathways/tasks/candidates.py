"""Tasks offered to named users (`camunda:candidateUsers`): who sees and may claim them.

The engine writes a `task_user_offers` row per open task and qualifying named user
(`pathways.engine.candidate_users`) and then leaves the task out of its roles' queue. Here the
rule is read back: such a task is in the inbox of those users only (while it is unclaimed, their
agency is still in the case and their account active), and only they may claim it or be assigned
it. A supervisor may still assign it, but only to one of them. A task given back returns to the
same users, not to the role queue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import Session

from pathways.store.models import CaseAgency, HumanTask, TaskUserOffer, User


def offered_user_ids(s: Session, task_id: str) -> set[int]:
    """The users a task is offered to by name (empty: the task goes by its roles)."""
    return set(s.scalars(select(TaskUserOffer.user_id).where(TaskUserOffer.task_id == task_id)))


def usernames(s: Session, task_id: str) -> list[str] | None:
    """The active named users a task is offered to whose agency is still in its case, sorted; None when
    the task names none (then `tasks.offers.offered_usernames` decides)."""
    if not offered_user_ids(s, task_id):
        return None
    return list(s.scalars(
        select(User.username).join(TaskUserOffer, TaskUserOffer.user_id == User.id)
        .join(HumanTask, HumanTask.id == TaskUserOffer.task_id)
        .where(TaskUserOffer.task_id == task_id, User.active,
               exists().where(CaseAgency.case_id == HumanTask.case_id, CaseAgency.agency_id == User.agency_id))
        .order_by(User.username)))


def inbox_rows(user: User, window: list[ColumnElement[bool]]) -> Any:
    """The inbox rows `(id, due_at, created_at, priority, mine)` of the unclaimed open tasks offered to
    `user` by name, with a view's due-time `window` (on `TaskUserOffer.due_at`)."""
    return (select(TaskUserOffer.task_id.label("id"), TaskUserOffer.due_at, TaskUserOffer.created_at,
                   TaskUserOffer.priority, false().label("mine"))
            .join(HumanTask, HumanTask.id == TaskUserOffer.task_id)
            .where(TaskUserOffer.user_id == user.id, HumanTask.status == "open", HumanTask.claimed_by.is_(None),
                   exists().where(CaseAgency.case_id == HumanTask.case_id,
                                  CaseAgency.agency_id == user.agency_id), *window))
