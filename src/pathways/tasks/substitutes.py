"""Substitution: a user names a colleague to work their claimed tasks while they are away.

Rules (docs/operations-people.md, "Substitution"):
- The absent user names the substitute for a period `[starts_at, ends_at)`; so may whoever manages
  the absent user's work (`tasks/staff.py`). The substitute is an active user of the *same agency*;
  a period is at most `MAX_DAYS` long, ends in the future, and overlaps no other of the absent's.
- During the period the substitute sees the absent user's *claimed* open tasks in their own inbox
  (view `mine`, the row's `claimed_by` naming the absent user) and may complete, unclaim or assign
  them on the absent's behalf. The queues of the absent's roles are *not* opened: a substitution
  never grants a role. Sensitive fields follow the substitute's own roles, never the absent's, so
  naming a substitute cannot show anyone a value their own roles hide.
- Everything the substitute does on behalf is audited with `on_behalf_of` (the absent's username)
  beside the substitute as actor, and leaves a `TaskDoneOnBehalf` case event naming both.
- Outside the period (before it, after it, once ended), or if either user moved to another agency,
  nothing of the above applies: the absent user's tasks are theirs alone again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Integer, Select, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from pathways.base import clock
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.store.db import Store, UnitOfWork
from pathways.store.models import CaseEvent, Substitution, User
from pathways.tasks import audit, staff

MAX_DAYS = 366


def _active_now(now: datetime) -> list[Any]:
    return [Substitution.starts_at <= now, Substitution.ends_at > now, Substitution.ended_at.is_(None)]


def _absent(user: User, now: datetime) -> Select[int]:
    """The users `user` stands in for at `now`: same agency (both still), period running, not ended."""
    absent = aliased(User)
    return (select(Substitution.absent_id).join(absent, absent.id == Substitution.absent_id)
            .where(Substitution.substitute_id == user.id, Substitution.agency_id == user.agency_id,
                   absent.agency_id == user.agency_id, *_active_now(now)))


def absent_ids(s: Session, user: User, now: datetime | None = None) -> list[int]:
    return sorted(s.scalars(_absent(user, now or clock.now())).all())


def claimers(user: User, now: datetime) -> CompoundSelect[int]:
    """The user and those they stand in for, as a subquery (the inbox reads it in its own statement)."""
    return union_all(select(literal(user.id, Integer)), _absent(user, now))


def acting_for(s: Session, user: User, claimed_by: int | None) -> str | None:
    """The absent user's username if `user` may work a task `claimed_by` them now, else None."""
    if claimed_by is None or claimed_by == user.id or claimed_by not in absent_ids(s, user):
        return None
    return s.scalar(select(User.username).where(User.id == claimed_by))


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidData("a time needs its time zone", fields={field: "needs a time zone (e.g. +01:00 or Z)"})
    return value.astimezone(UTC)  # stored as UTC: SQLite keeps no offset


@audit.refusals("substitution.create")
def name_substitute(store: Store, user: User, absent: str, substitute: str, starts_at: datetime,
                    ends_at: datetime) -> dict[str, Any]:
    """`substitute` works `absent`'s claimed tasks during the period; by the absent user or their manager."""
    with store.unit_of_work() as uow:
        away = staff.user_named(uow.session, absent, "absent")
        if away.id != user.id and not staff.manages(uow.session, user, away):
            if user.roles & {staff.SUPERVISOR, staff.ADMIN}:
                raise NotFound("no such user (absent)")  # another agency's user: as if there were none
            raise NotAllowed("only the absent user, or a supervisor or admin of their agency, names a substitute")
        return _create(uow, user, user.username, away, substitute, starts_at, ends_at)


def operator_name_substitute(store: Store, actor: str, absent: str, substitute: str, starts_at: datetime,
                             ends_at: datetime) -> dict[str, Any]:
    """The same for the operator on the server (`pathways substitute add`), audited as `actor`."""
    with store.unit_of_work() as uow:
        away = staff.user_named(uow.session, absent, "absent")
        return _create(uow, None, actor, away, substitute, starts_at, ends_at)


def _create(uow: UnitOfWork, user: User | None, by: str, away: User, substitute: str, starts_at: datetime,
            ends_at: datetime) -> dict[str, Any]:
    s = uow.session
    starts_at, ends_at = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    now = clock.now()
    problems = {}
    if ends_at <= starts_at:
        problems["ends_at"] = "must be after starts_at"
    elif ends_at <= now:
        problems["ends_at"] = "must be in the future"
    elif ends_at - starts_at > timedelta(days=MAX_DAYS):
        problems["ends_at"] = f"the period may be at most {MAX_DAYS} days"
    stand_in = staff.user_named(s, substitute, "substitute")
    staff.require_colleague(away, stand_in, "substitute")
    if problems:
        raise InvalidData("the period is not valid", fields=problems)
    overlapping = s.scalar(select(Substitution.id).where(
        Substitution.absent_id == away.id, Substitution.ended_at.is_(None),
        Substitution.starts_at < ends_at, Substitution.ends_at > starts_at))
    if overlapping is not None:
        raise Conflict(f"{away.username} already has a substitute in that period (substitution {overlapping})")
    row = Substitution(absent_id=away.id, substitute_id=stand_in.id, agency_id=away.agency_id,
                       starts_at=starts_at, ends_at=ends_at, created_at=now, created_by=by)
    s.add(row)
    s.flush()
    audit.record(s, user, "substitution.create", actor=by, detail={
        "substitution": row.id, "absent": away.username, "substitute": stand_in.username,
        "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    uow.commit()
    return _summary(row, away.username, stand_in.username)


@audit.refusals("substitution.end")
def end_substitution(store: Store, user: User, substitution_id: int) -> dict[str, Any]:
    """Call a substitution off now: by the absent user, the substitute, or the absent's manager."""
    with store.unit_of_work() as uow:
        s = uow.session
        row = s.get(Substitution, substitution_id) if 0 < substitution_id < 2**31 else None
        away = s.get(User, row.absent_id) if row is not None else None
        if row is None or away is None or not (user.id in (row.absent_id, row.substitute_id)
                                               or staff.manages(s, user, away)):
            raise NotFound(f"substitution {substitution_id} does not exist")
        return _end(uow, user, user.username, row, away)


def operator_end_substitution(store: Store, actor: str, substitution_id: int) -> dict[str, Any]:
    with store.unit_of_work() as uow:
        row = uow.session.get(Substitution, substitution_id) if 0 < substitution_id < 2**31 else None
        away = uow.session.get(User, row.absent_id) if row is not None else None
        if row is None or away is None:
            raise NotFound(f"substitution {substitution_id} does not exist")
        return _end(uow, None, actor, row, away)


def _end(uow: UnitOfWork, user: User | None, by: str, row: Substitution, away: User) -> dict[str, Any]:
    stand_in = uow.session.get(User, row.substitute_id)
    assert stand_in is not None
    if row.ended_at is None and clock.aware(row.ends_at) > clock.now():
        row.ended_at = clock.now()
        audit.record(uow.session, user, "substitution.end", actor=by, detail={
            "substitution": row.id, "absent": away.username, "substitute": stand_in.username})
        uow.commit()
    return _summary(row, away.username, stand_in.username)


def operator_substitutions(store: Store) -> list[dict[str, Any]]:
    """Every substitution, newest first (the operator's list; names and times only)."""
    with store.unit_of_work(write=False) as uow:
        absent, stand_in = aliased(User), aliased(User)
        rows = uow.session.execute(
            select(Substitution, absent.username, stand_in.username).join(absent, absent.id == Substitution.absent_id)
            .join(stand_in, stand_in.id == Substitution.substitute_id)
            .order_by(Substitution.starts_at.desc(), Substitution.id.desc()).limit(1000)).all()
        return [_summary(row, away, name) for row, away, name in rows]


def list_substitutions(store: Store, user: User) -> list[dict[str, Any]]:
    """Substitutions naming the user (absent or substitute), and, for a manager, their agency's; newest first."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        absent, stand_in = aliased(User), aliased(User)
        mine = or_(Substitution.absent_id == user.id, Substitution.substitute_id == user.id)
        managed = staff.SUPERVISOR in user.roles or staff.ADMIN in user.roles
        rows = s.execute(
            select(Substitution, absent, stand_in.username).join(absent, absent.id == Substitution.absent_id)
            .join(stand_in, stand_in.id == Substitution.substitute_id)
            .where(or_(mine, Substitution.agency_id == user.agency_id) if managed else mine)
            .order_by(Substitution.starts_at.desc(), Substitution.id.desc()).limit(500)).all()
        return [_summary(row, away.username, name) for row, away, name in rows
                if user.id in (row.absent_id, row.substitute_id) or staff.manages(s, user, away)]


def _summary(row: Substitution, absent: str, substitute: str) -> dict[str, Any]:
    now = clock.now()
    starts, ends, ended = clock.aware(row.starts_at), clock.aware(row.ends_at), clock.aware(row.ended_at)
    assert starts is not None and ends is not None
    running = ended is None and starts <= now < ends
    return {"id": row.id, "absent": absent, "substitute": substitute, "starts_at": starts, "ends_at": ends,
            "ended_at": ended, "created_by": row.created_by, "active": running}


def log_on_behalf(s: Session, user: User, absent: str, task: Any, done: str) -> None:
    """The timeline's record that `user` did `done` (an event kind) to `absent`'s task, standing in for them."""
    s.add(CaseEvent(case_id=task.case_id, at=clock.now(), actor=user.username, kind="TaskDoneOnBehalf",
                    element_id=task.element_id, task_id=task.id, after={"on_behalf_of": absent, "done": done}))
