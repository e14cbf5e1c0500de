"""Waiting timers for the administrators: list them across cases, fire one now, reschedule one.

Who may (docs/security.md, "Timers"):

- **List, fire, reschedule**: the `admin` (`MANAGERS`), of the cases their agency takes part in
  (`tasks.access`). Everyone else: 403 (audited). A timer of a case the admin's agency does not
  take part in is left out of the list and answers 404, as a timer that does not exist: its id,
  its case and its element stay unknown.
- **Anybody who may see a case** sees its waiting timers (element and due time: no case value)
  on the case page, in the case API and in `pathways case show` (`of_case`).
- **The operator** on the server (`pathways timer ...`, `user=None` with `actor`) reaches every
  timer, as `pathways case show` reaches every case.

Each fire and reschedule is audited (`timer.fire`, `timer.reschedule`: the timer, its element,
the due times; never the reason, which is sealed in the case's `TimerRescheduled` event) in the
transaction of the change; each list read is audited as `timer.list`. What the operations do to
the case: `pathways.engine.timer_control`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import timer_control
from pathways.engine.cases import Engine
from pathways.engine.errors import InvalidData, NotFound
from pathways.store.db import Store
from pathways.store.models import Case, Timer, User
from pathways.tasks import audit
from pathways.tasks.access import MAX_ID, case_visible_to

MANAGERS = frozenset({"admin"})
#: the most timers one list answers (earliest due first)
LIMIT = 500


@dataclass(frozen=True)
class TimerQuery:
    pathway: str | None = None
    element: str | None = None
    overdue: bool | None = None
    case: int | None = None

    def check(self) -> None:
        if self.case is not None and not 0 < self.case <= MAX_ID:
            raise InvalidData("invalid timer query", fields={"case": "not a case id"})


def as_dict(timer: Timer, pathway: str, now: datetime | None = None) -> dict[str, Any]:
    due = clock.aware(timer.due_at)
    claimed = timer.claimed_until is not None and clock.aware(timer.claimed_until) > (now or clock.now())
    return {"id": timer.id, "case_id": timer.case_id, "pathway": pathway, "element": timer.element_id,
            "due_at": due, "overdue": due <= (now or clock.now()), "being_fired": claimed}


def of_case(s: Session, case_id: int) -> list[dict[str, Any]]:
    """The waiting timers of a case the caller may already see, earliest first."""
    found = s.execute(select(Timer, Case.pathway_key).join(Case, Case.id == Timer.case_id).where(
        Timer.case_id == case_id).order_by(Timer.due_at, Timer.id)).all()
    now = clock.now()
    return [as_dict(timer, key, now) for timer, key in found]


def parse_at(text: str | datetime) -> datetime:
    """A new due time given as ISO 8601 text (naive: UTC); `InvalidData` naming `at` if malformed."""
    if isinstance(text, datetime):
        return clock.aware(text)
    try:
        return clock.aware(datetime.fromisoformat(text.strip()))
    except (ValueError, AttributeError):
        raise InvalidData("the new due time is not a date and time", fields={
            "at": "ISO 8601, e.g. 2026-12-24T09:00:00+01:00 (without a zone: UTC)"}) from None


def _visible(user: User | None) -> list[ColumnElement[bool]]:
    return [] if user is None else [case_visible_to(user)]


def list_timers(store: Store, user: User | None, query: TimerQuery, *, actor: str | None = None
                ) -> list[dict[str, Any]]:
    """Waiting timers of the cases the user may see, earliest due first (the operator: every case)."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "timer.list")
    query.check()
    now = clock.now()
    where = _visible(user)
    if query.pathway:
        where.append(Case.pathway_key == query.pathway)
    if query.element:
        where.append(Timer.element_id == query.element)
    if query.overdue is not None:
        where.append(Timer.due_at <= now if query.overdue else Timer.due_at > now)
    if query.case:
        where.append(Timer.case_id == query.case)
    with store.unit_of_work(write=False) as uow:
        found = uow.session.execute(select(Timer, Case.pathway_key).join(Case, Case.id == Timer.case_id)
                                    .where(*where).order_by(Timer.due_at, Timer.id).limit(LIMIT)).all()
        answer = [as_dict(timer, key, now) for timer, key in found]
        audit.record_read(uow, user, "timer.list", detail=audit.filters(query), actor=actor)
    return answer


def _find(store: Store, user: User | None, timer_id: str) -> dict[str, Any]:
    """The timer if its case is visible to `user`; NotFound otherwise (no existence leak)."""
    timer_id = timer_control.check_timer_id(timer_id)
    with store.unit_of_work(write=False) as uow:
        found = uow.session.execute(select(Timer, Case.pathway_key).join(Case, Case.id == Timer.case_id).where(
            Timer.id == timer_id, *_visible(user))).first()
        if found is None:
            raise NotFound(f"timer {timer_id} is not waiting (it fired, or its case moved on or ended)")
        return as_dict(found[0], found[1])




@audit.refusals("timer.fire")
def fire_timer(store: Store, engine: Engine, user: User | None, timer_id: str, *,
               actor: str | None = None) -> dict[str, Any]:
    """Fire a waiting timer now; answers its case's id, status and the timers it waits for after."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "timer.fire")
    found = _find(store, user, timer_id)
    detail = {"timer": found["id"], "element": found["element"], "due_at": found["due_at"].isoformat()}
    case_id = timer_control.fire_now(engine, audit.acting(user, actor), found["id"],
                                     within=audit.within(user, actor, "timer.fire", detail))
    return _case_after(store, found, case_id)


@audit.refusals("timer.reschedule")
def reschedule_timer(store: Store, engine: Engine, user: User | None, timer_id: str, at: str | datetime,
                     reason: str, *, actor: str | None = None) -> dict[str, Any]:
    """Move a waiting timer to a new due time (in the future) with a reason; answers the timer after."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "timer.reschedule")
    new_due = timer_control.check_new_time(parse_at(at))
    timer_control.check_reason(reason)
    found = _find(store, user, timer_id)
    detail = {"timer": found["id"], "element": found["element"], "was": found["due_at"].isoformat(),
              "due_at": new_due.isoformat()}
    timer_control.reschedule(engine, audit.acting(user, actor), found["id"], new_due, reason,
                             within=audit.within(user, actor, "timer.reschedule", detail))
    return _find(store, None, found["id"])


def _case_after(store: Store, found: dict[str, Any], case_id: int) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        case = uow.session.get(Case, case_id)
        status, stage = (case.status, case.stage) if case is not None else ("", None)
        return {"fired": found, "case_id": case_id, "case_status": status, "stage": stage,
                "timers": of_case(uow.session, case_id)}
