"""Who a human task is offered to.

A user is offered a task when they hold one of its roles, their agency participates in the case,
and their agency is of the role's kind (an NGO psychologist is not offered an OPS psychologist's
task). The inbox (issue 4) filters with the same rule.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from pathways.engine.errors import NotFound
from pathways.engine.roles import RoleVocabulary
from pathways.store.models import Agency, CaseAgency, HumanTask, User, UserRole


def offered_usernames(s: Session, task_id: str, roles: RoleVocabulary) -> list[str]:
    """Usernames of the active users a task is offered to, sorted."""
    task = s.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
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
