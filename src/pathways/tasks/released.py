"""Claims of disabled users: given back to their roles' queues, at once or after a grace period.

A disabled account cannot work its claimed tasks, and nobody else sees them in a queue: they
would wait unseen. With `PATHWAYS_RELEASE_DISABLED_CLAIMS=true` they are released (given back
to their roles' queues) `PATHWAYS_RELEASE_DISABLED_AFTER_HOURS` (default 0) after the account
was disabled (the time of its last `account.disabled` audit entry): at once by `pathways user
disable` when there is no grace period, else by `pathways tasks release-disabled` (run it from
cron or a systemd timer). Until then the supervisor dashboard lists them (`pending`), so a
supervisor may reassign them by hand (`tasks/reassign.py`). Each release leaves a
`TaskUnclaimed` case event (actor `system`, `reason: account_disabled`) and a
`task.release_disabled` audit entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.store.db import Store
from pathways.store.models import AuditEntry, Case, CaseEvent, HumanTask, User
from pathways.tasks import access, audit, work

SYSTEM = "system"


def _disabled_claims(s: Session) -> list[tuple[User, datetime | None, int]]:
    """(disabled user, when disabled, open claims) for every disabled user holding open claims."""
    disabled_at = (select(func.max(AuditEntry.at)).where(AuditEntry.user_id == User.id,
                                                        AuditEntry.action == "account.disabled")
                   .correlate(User).scalar_subquery())
    rows = s.execute(select(User, disabled_at, func.count(HumanTask.id))
                     .join(HumanTask, HumanTask.claimed_by == User.id)
                     .where(~User.active, HumanTask.status == "open").group_by(User.id).order_by(User.username))
    return [(user, clock.aware(at), int(count)) for user, at, count in rows]


def release_due(engine: Engine, grace: timedelta, now: datetime | None = None) -> list[dict[str, Any]]:
    """Release the claims of users disabled at least `grace` ago; returns what was released."""
    now = now or clock.now()
    released: list[dict[str, Any]] = []
    with engine.store.unit_of_work() as uow:
        s = uow.session
        for user, at, _ in _disabled_claims(s):
            if at is not None and at + grace > now:
                continue
            for task in s.scalars(select(HumanTask).where(HumanTask.claimed_by == user.id, HumanTask.status == "open")):
                if not work._set_claim(s, engine, task.id, user.id, None):
                    continue
                s.add(CaseEvent(case_id=task.case_id, at=now, actor=SYSTEM, kind="TaskUnclaimed",
                                element_id=task.element_id, task_id=task.id,
                                after={"previous": user.username, "reason": "account_disabled"}))
                audit.record(s, None, "task.release_disabled", case_id=task.case_id, task_id=task.id,
                             actor=SYSTEM, detail={"previous": user.username})
                released.append({"id": task.id, "case_id": task.case_id, "user": user.username})
        uow.commit()
    return released


def pending(store: Store, viewer: User, grace: timedelta | None) -> list[dict[str, Any]]:
    """Disabled users whose claims in cases the viewer sees still wait: user, count, when released (None: never).

    `grace` None: automatic release is off. Counts only, no case data: the dashboard shows them."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        found = []
        for user, at, _ in _disabled_claims(s):
            count = s.scalar(select(func.count(HumanTask.id)).join(Case, Case.id == HumanTask.case_id).where(
                HumanTask.claimed_by == user.id, HumanTask.status == "open", access.case_visible_to(viewer))) or 0
            if count:
                release_at = (at or clock.now()) + grace if grace is not None else None
                found.append({"user": user.username, "full_name": user.full_name, "tasks": int(count),
                              "disabled_at": at, "release_at": release_at})
        return found
