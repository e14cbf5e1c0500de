"""Who manages whose work: the rule shared by reassigning a user's tasks and naming their substitute.

A user's work is managed by an administrator of their own agency, or by a supervisor
(`supervision.supervisor`): one of the user's own agency, or of a SUPERVISION agency (the
partnership's coordinator, whose agency takes part in the partnership's cases). A manager still
sees a case only when their agency takes part in it (`tasks/access.py`): reassigning checks each
task's case as well. An admin of another agency manages nobody here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from pathways.engine.errors import InvalidData, NotFound
from pathways.store.models import Agency, User
from pathways.tasks.bounds import MAX_CODE, check_text

SUPERVISOR = "supervision.supervisor"
ADMIN = "admin"
SUPERVISION = "SUPERVISION"


def user_named(s: Session, username: str, field: str = "username") -> User:
    """The user (agency loaded); NotFound names the field, never echoes the typed name."""
    check_text(field, username, MAX_CODE)
    user = s.scalars(select(User).options(joinedload(User.agency)).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no such user ({field})")
    return user


def manages(s: Session, manager: User, user: User) -> bool:
    """The manager may reassign `user`'s tasks and name their substitute (see the module's rule)."""
    roles = manager.roles
    if manager.agency_id == user.agency_id:
        return bool(roles & {SUPERVISOR, ADMIN})
    if SUPERVISOR not in roles:
        return False
    kind = s.scalar(select(Agency.kind).where(Agency.id == manager.agency_id))
    return kind == SUPERVISION


def require_colleague(absent: User, other: User, field: str) -> None:
    """`other` must be an active user of `absent`'s agency, and someone else."""
    if other.id == absent.id:
        raise InvalidData("a user cannot stand in for themselves", fields={field: "is the same user"})
    if other.agency_id != absent.agency_id:
        raise InvalidData("the user must be of the same agency", fields={field: "is of another agency"})
    if not other.active:
        raise InvalidData("the user's account is disabled", fields={field: "is disabled"})
