"""The audit log: who read or wrote which case data, who signed in, who was refused, and when.

Writing. Callers add the entry in the same session (and so the same transaction) as the work it
records; engine commands take it through `recorder(...)` as their `within`; a read ends with
`record_read`, which commits its entry in the read's own transaction (no second transaction, and
on SQLite no write lock while the read runs): the read returns nothing unless its entry was written.

Refusals. An access rule that refuses (`NotAllowed`, 403; `NotFound`, 404, which is also what a
case of another agency answers, so nobody learns it exists) leaves an `access.denied` entry. The
service functions that apply the rules are wrapped in `@refusals(attempted)` (or call
`refused(...)`), so the entry is written where the rule refuses, once, in a transaction of its
own (the refused one rolls back), whatever entry point (API, page, CLI) called it.

What an entry holds: ids (user, case, task), the action, the actor and the target; never case
values (form data, names, messages, comments), never a typed password or a typed username.

Reading. The log is read only by the `auditor` and `admin` roles (`READERS`), through
`read_log` / `export_log`; every read leaves one `audit.read` entry with its filters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.actors import Actor
from pathways.engine.cases import Within
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.store.db import Store, UnitOfWork
from pathways.store.models import AuditEntry, User

P = ParamSpec("P")
R = TypeVar("R")

#: the roles that may read the audit log (the data protection officer's and the administrator's)
READERS = frozenset({"auditor", "admin"})
DENIED = "access.denied"
#: the largest case id a column holds (32-bit INTEGER on PostgreSQL)
_MAX_ID = 2**31 - 1
MAX_PER_PAGE = 500
#: an export holds at most this many entries (newest first); narrow the filters for more
EXPORT_LIMIT = 100_000


def record(s: Session, user: User | None, action: str, *, case_id: int | None = None,
           task_id: str | None = None, detail: dict[str, Any] | None = None, actor: str | None = None,
           beneficiary_id: int | None = None) -> None:
    """Add an audit entry to the session (committed with the caller's transaction).

    `actor` names who acted when no user did (`cli:<os user>`); default `anonymous`.
    `beneficiary_id` names the person whose record was read or written (their access log, art. 15).
    """
    s.add(AuditEntry(at=clock.now(), user_id=user.id if user else None,
                     username=user.username if user else (actor or "anonymous")[:64],
                     action=action, case_id=case_id, task_id=task_id, detail=detail, beneficiary_id=beneficiary_id))


def acting(user: User | None, operator: str | None) -> Actor:
    """Who a command acts as: the user, or the operator on the server (`cli:<os user>`) when there is none."""
    return Actor(user.username, user.id) if user is not None else Actor((operator or "cli")[:64])


def within(user: User | None, operator: str | None, action: str, detail: dict[str, Any]) -> Within:
    """An audit entry `action` written in the command's own transaction, for the case it changes."""
    def add(s: Session, case_id: int) -> None:
        record(s, user, action, case_id=case_id, detail=detail, actor=operator)
    return add


def filters(query: object) -> dict[str, Any]:
    """The filters of a list query (a dataclass) for an audit entry: those given, with the free-text
    search `q` (a pseudonym, a name typed in a search box) replaced by its length, never its text."""
    given = {k: v.isoformat() if isinstance(v, date) else v  # a day filter (`due_by`) as JSON
             for k, v in asdict(query).items() if v is not None}  # type: ignore[call-overload]
    if "q" in given:
        given["q"] = {"length": len(str(given["q"]))}
    return given


def record_read(uow: UnitOfWork, user: User | None, action: str, *, case_id: int | None = None,
                task_id: str | None = None, detail: dict[str, Any] | None = None, actor: str | None = None,
                beneficiary_id: int | None = None) -> None:
    """End the read `uow` ran with its audit entry, committed in that transaction (see
    `UnitOfWork.commit_appending`); raises, and so fails the read, when the entry cannot be written.

    Call it last inside the read's `with` block, once the answer is built: a read that fails
    before it leaves no entry, one that returns always has one.
    """
    uow.commit_appending(lambda s: record(s, user, action, case_id=case_id, task_id=task_id, detail=detail,
                                          actor=actor, beneficiary_id=beneficiary_id))


def recorder(user: User, action: str, *, task_id: str | None = None,
             detail: dict[str, Any] | None = None, beneficiary_id: int | None = None) -> Within:
    """An audit entry to add inside an engine command's own transaction (its `within`), for the
    case the command works on: the entry and the change land together or not at all."""

    def add(s: Session, case_id: int) -> None:
        record(s, user, action, case_id=case_id, task_id=task_id, detail=detail, beneficiary_id=beneficiary_id)

    return add


# -- refusals -------------------------------------------------------------------------------------
def refused(store: Store, user: User | None, attempted: str, error: NotAllowed | NotFound, *,
            case_id: object = None, task_id: object = None, detail: dict[str, Any] | None = None) -> None:
    """Write the `access.denied` entry of a refusal, in its own transaction; once per error.

    The entry holds what was attempted (an action name), the status the caller answers (403 or
    404) and the ids asked for; never the error's message (it may quote what was typed).
    """
    if getattr(error, "audited", False):
        return
    error.audited = True  # type: ignore[union-attr]
    status = 404 if isinstance(error, NotFound) else 403
    with store.unit_of_work() as uow:
        record(uow.session, user, DENIED, case_id=_case_id(case_id), task_id=_task_id(task_id),
               detail={"attempted": attempted, "status": status, **(detail or {})})
        uow.commit()


def refusals(attempted: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Audit the refusals of a service function: `NotAllowed` and `NotFound` it raises leave an
    `access.denied` entry for `attempted`, then propagate unchanged.

    The function's own arguments say who and what: `user`, `case_id`, `task_id`, and the store
    as `store` (or `engine.store`).
    """

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)

        @wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except (NotAllowed, NotFound) as error:
                given = signature.bind_partial(*args, **kwargs).arguments
                store = given.get("store") or getattr(given.get("engine"), "store", None)
                if isinstance(store, Store):
                    user = given.get("user")
                    refused(store, user if isinstance(user, User) else None, attempted, error,
                            case_id=given.get("case_id"), task_id=given.get("task_id"))
                raise

        return guarded

    return wrap


@contextmanager
def refusing(store: Store, user: User | None, attempted: str, **ids: object) -> Iterator[None]:
    """The same as `@refusals` for a block: its `NotAllowed`/`NotFound` are audited, then re-raised."""
    try:
        yield
    except (NotAllowed, NotFound) as error:
        refused(store, user, attempted, error, case_id=ids.get("case_id"), task_id=ids.get("task_id"))
        raise


def require_role(store: Store, user: User, roles: frozenset[str] | set[str] | tuple[str, ...], attempted: str,
                 message: str | None = None) -> None:
    """NotAllowed (audited) unless `user` holds one of `roles`: the role rule of the API and the pages."""
    if user.roles & set(roles):
        return
    error = NotAllowed(message or f"this needs one of the roles: {', '.join(sorted(roles))}")
    refused(store, user, attempted, error)
    raise error


def _case_id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID else None


def _task_id(value: object) -> str | None:
    return value[:36] if isinstance(value, str) and value else None


# -- reading the log ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditQuery:
    """Filters of the log: a username, a case id, an action (`case.read`; `auth.` for every
    action starting so), a period [since, until); newest first, one page."""

    user: str | None = None
    case: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 50

    def check(self) -> None:
        problems = {}
        if self.page < 1:
            problems["page"] = "must be at least 1"
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"between 1 and {MAX_PER_PAGE}"
        if self.case is not None and not 0 < self.case <= _MAX_ID:
            problems["case"] = "not a case id"
        if self.since and self.until and _utc(self.since) >= _utc(self.until):
            problems["to"] = "must be after from"
        if problems:
            raise InvalidData("invalid audit query", fields=problems)

    def filters(self) -> dict[str, Any]:
        """The filters as given (for the `audit.read` entry), without paging and empty values."""
        found = {k: v for k, v in asdict(self).items() if v is not None and k not in ("page", "per_page")}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in found.items()}


@refusals("audit.read")
def read_log(store: Store, user: User | None, query: AuditQuery, *, actor: str | None = None) -> dict[str, Any]:
    """One page of the log, newest first, with the total; audited `audit.read` with the filters.

    `user=None` is the command line (an operator on the server), named by `actor`.
    """
    _require_reader(user)
    query.check()
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        where = _conditions(query)
        rows = list(s.execute(select(AuditEntry, func.count().over().label("total")).where(*where)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .offset((query.page - 1) * query.per_page).limit(query.per_page)).all())
        total = rows[0].total if rows else (s.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
                                            if query.page > 1 else 0)
        items = [entry_dict(entry) for entry, _ in rows]
        record_read(uow, user, "audit.read", actor=actor,
                    detail={"filters": query.filters(), "page": query.page, "format": "json", "total": total})
    return {"items": items, "total": total, "page": query.page, "per_page": query.per_page}


@refusals("audit.export")
def export_log(store: Store, user: User | None, query: AuditQuery, *, fmt: str = "csv",
               actor: str | None = None) -> list[dict[str, Any]]:
    """Every entry matching the filters (at most EXPORT_LIMIT, newest first), for a file; one
    `audit.read` entry with the filters and the format."""
    _require_reader(user)
    query.check()
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(AuditEntry).where(*_conditions(query))
                                   .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(EXPORT_LIMIT))
        items = [entry_dict(entry) for entry in rows]
        record_read(uow, user, "audit.read", actor=actor,
                    detail={"filters": query.filters(), "format": fmt, "total": len(items)})
    return items


def may_read(user: User) -> bool:
    return bool(user.roles & READERS)


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": clock.aware(entry.at), "user_id": entry.user_id, "username": entry.username,
            "action": entry.action, "case_id": entry.case_id, "task_id": entry.task_id,
            "detail": entry.detail or {}}


def _require_reader(user: User | None) -> None:
    if user is not None and not may_read(user):
        raise NotAllowed("the audit log is for auditors and administrators")


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.user:
        where.append(AuditEntry.username == query.user)
    if query.case is not None:
        where.append(AuditEntry.case_id == query.case)
    if query.action:
        if query.action.endswith("."):
            escaped = query.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(AuditEntry.action.like(escaped + "%", escape="\\"))
        else:
            where.append(AuditEntry.action == query.action)
    if query.since is not None:
        where.append(AuditEntry.at >= _utc(query.since))
    if query.until is not None:
        where.append(AuditEntry.at < _utc(query.until))
    return where


def parse_time(text: str | None, *, field: str, end: bool = False) -> datetime | None:
    """A period bound as people type it: `YYYY-MM-DD` (a Warsaw day: its start, or with `end` the
    start of the next day, so `to=2026-12-03` includes that day) or an ISO 8601 time (without a
    zone: Warsaw's). InvalidData naming `field` otherwise; None for nothing typed."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=clock.WARSAW)
            return start + timedelta(days=1) if end else start
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidData(f"{field}: not a date or time", fields={field: "YYYY-MM-DD or an ISO 8601 time"}) from None


def _utc(value: datetime) -> datetime:
    """A filter's time in UTC, as times are stored; a time without a zone is Warsaw's (the users')."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=clock.WARSAW)).astimezone(UTC)
