"""The audit log: every read and write of case data, with user, time and action.

Callers add the entry in the same session (and so the same transaction) as the work it records;
engine commands take it through `recorder(...)` as their `within`; a read ends with `record_read`,
which commits its entry in the read's own transaction (no second transaction, and on SQLite no
write lock while the read runs): the read returns nothing unless its entry was written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.cases import Within
from pathways.store.db import UnitOfWork
from pathways.store.models import AuditEntry, User


def record(s: Session, user: User | None, action: str, *, case_id: int | None = None,
           task_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Add an audit entry to the session (committed with the caller's transaction)."""
    s.add(AuditEntry(at=clock.now(), user_id=user.id if user else None,
                     username=user.username if user else "anonymous",
                     action=action, case_id=case_id, task_id=task_id, detail=detail))


def record_read(uow: UnitOfWork, user: User | None, action: str, *, case_id: int | None = None,
                task_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """End the read `uow` ran with its audit entry, committed in that transaction (see
    `UnitOfWork.commit_appending`); raises, and so fails the read, when the entry cannot be written.

    Call it last inside the read's `with` block, once the answer is built: a read that fails
    before it leaves no entry, one that returns always has one.
    """
    uow.commit_appending(lambda s: record(s, user, action, case_id=case_id, task_id=task_id, detail=detail))


def recorder(user: User, action: str, *, task_id: str | None = None,
             detail: dict[str, Any] | None = None) -> Within:
    """An audit entry to add inside an engine command's own transaction (its `within`), for the
    case the command works on: the entry and the change land together or not at all."""

    def add(s: Session, case_id: int) -> None:
        record(s, user, action, case_id=case_id, task_id=task_id, detail=detail)

    return add
