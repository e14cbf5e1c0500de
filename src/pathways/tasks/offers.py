"""Who a human task is offered to.

A user is offered a task when they hold one of its roles, their agency participates in the case,
and their agency is of the role's kind (an NGO psychologist is not offered an OPS psychologist's
task). The inbox reads the same rule from `task_offers`: a row per open, unclaimed task, role and
agency it is offered to. The engine writes those rows as tasks open and close; `withdraw` and
`put_back` keep them true as a task is claimed and given back.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, false, insert, or_, select
from sqlalchemy.orm import Session

from pathways.engine.errors import NotFound
from pathways.engine.roles import RoleVocabulary
from pathways.store.models import Agency, CaseAgency, HumanTask, TaskOffer, User, UserRole
from pathways.tasks import candidates


def offered_usernames(s: Session, task_id: str, roles: RoleVocabulary) -> list[str]:
    """Usernames of the active users a task is offered to, sorted."""
    task = s.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    named = candidates.usernames(s, task_id)  # camunda:candidateUsers: those users, and nobody else
    if named is not None:
        return named
    role_fits = [and_(UserRole.role == role, Agency.kind == roles.agency_kind(role))
                 for role in task.roles if roles.agency_kind(role)]
    query = (
        select(User.username).distinct()
        .join(UserRole, UserRole.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .join(CaseAgency, and_(CaseAgency.agency_id == Agency.id, CaseAgency.case_id == task.case_id))
        .where(User.active, or_(*role_fits) if role_fits else false())
        .order_by(User.username)
    )
    return list(s.scalars(query))


def withdraw(s: Session, task_id: str) -> None:
    """The task was claimed: it waits in no inbox any more."""
    s.execute(delete(TaskOffer).where(TaskOffer.task_id == task_id).execution_options(synchronize_session=False))


def put_back(s: Session, task_id: str, roles: RoleVocabulary) -> None:
    """The task was given back: it waits again for its roles in the case's agencies of their kind, or
    for the users it is offered to by name (their rows stayed: `tasks.candidates`)."""
    if candidates.offered_user_ids(s, task_id):
        return
    task = s.execute(select(HumanTask.case_id, HumanTask.roles, HumanTask.due_at, HumanTask.priority,
                            HumanTask.created_at).where(HumanTask.id == task_id)).one()
    agencies = [(agency_id, kind) for agency_id, kind in s.execute(
        select(Agency.id, Agency.kind).join(CaseAgency, CaseAgency.agency_id == Agency.id)
        .where(CaseAgency.case_id == task.case_id))]
    rows = [{"task_id": task_id, "agency_id": agency_id, "role": role, "due_at": task.due_at,
             "priority": task.priority, "created_at": task.created_at}
            for agency_id, role in roles.offers(task.roles, agencies)]
    if rows:
        s.execute(insert(TaskOffer), rows)
