"""Operating a case's waiting timers by hand: fire one now, reschedule it, shift all of a case's.

A timer's due time lives in the workflow snapshot: a one-shot timer's `event_value` (UTC ISO
text) or a cycle's `{"next": ...}`, on the waiting task (`pathways.engine.timers`). The timer row
(`timers.due_at`) only mirrors it for the scheduler's queries. So each operation here changes the
value in the restored workflow and saves the case through the engine's own write path: the row
follows the snapshot in the same transaction (`mirror.sync_timers` moves it), the case's version
is bumped (a worker firing the old due time at the same moment loses with `Conflict`, and its
copy of the workflow is stale), and other processes wake for an earlier time (`engine.wake`).
A rescheduled timer therefore fires at its new time, never at the old one, whichever process
fires it, and a restart changes nothing.

The rules:

- **Fire now** (`fire_now`): the timer's due time becomes now and the case advances at once, as
  a worker would have advanced it (other timers of the case due by now fire too, as `TimerFired`).
  The case logs `TimerFiredByHand` (who, the element, the due time it had). A cycle fires one
  repetition; its next one is one interval after now.
- **Reschedule** (`reschedule`): a new due time, strictly in the future (a past or present time
  would be "fire now" under another name: refused), at most `MAX_AHEAD` ahead, with a reason.
  `TimerRescheduled` holds the due times before and after and the reason, sealed (staff's free
  text about a person, as a cancellation's). A cycle's later repetitions follow from the new time.
- **Shift** (`shift`, `shift_runtime`): every waiting timer of a case moves by the same delta (a
  suspension's length); `TimersShifted` lists the elements. `shift_runtime` is the piece another
  command (suspend/resume) calls inside its own transaction; it writes no event.
- A timer of a case that is not active does not fire and cannot be moved (`CaseNotActive`); a
  timer that no longer waits (it fired, the case moved on) is `NotFound`. Nothing is written then.

Who may do this is the caller's rule (`pathways.tasks.timers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, select

from pathways.base import clock
from pathways.base.sealing import Sealed
from pathways.engine import timers
from pathways.engine.actors import Actor
from pathways.engine.errors import CaseNotActive, InvalidData, NotFound
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import CaseRow, load_case, load_rows
from pathways.store.models import Timer

if TYPE_CHECKING:
    from pathways.engine.cases import Engine, Within

FIRED_BY_HAND, RESCHEDULED, SHIFTED = "TimerFiredByHand", "TimerRescheduled", "TimersShifted"
#: the furthest ahead a timer may be rescheduled (a typo in the year should not park a case for ever)
MAX_AHEAD = timedelta(days=366 * 10)
#: the longest reason kept
MAX_REASON = 2000


def check_timer_id(timer_id: str) -> str:
    """The timer id (a workflow task's UUID) as stored, or `NotFound` (no query for a malformed id)."""
    try:
        return str(UUID(str(timer_id)))
    except ValueError:
        raise NotFound(f"timer {str(timer_id)[:40]!r} does not exist") from None


def case_of(conn: Connection, timer_id: str) -> int:
    """The case a waiting timer belongs to, or `NotFound`."""
    case_id = conn.scalar(select(Timer.case_id).where(Timer.id == check_timer_id(timer_id)))
    if case_id is None:
        raise NotFound(f"timer {timer_id} is not waiting (it fired, or its case moved on or ended)")
    return int(case_id)


def set_due(task: Any, when: datetime) -> None:
    """Make the waiting timer task due at `when` in the workflow itself (one-shot or cycle)."""
    value = task._get_internal_data("event_value")
    iso = clock.aware(when).isoformat()
    task._set_internal_data(event_value={**value, "next": iso} if isinstance(value, dict) else iso)


def shift_runtime(runtime: CaseRuntime, delta: timedelta) -> list[dict[str, Any]]:
    """Move every waiting timer of the workflow by `delta`; (element, before, after) of each, for an event.

    For another command's own transaction (a suspension's resume): the caller saves the case, and
    the timer rows follow the snapshot there."""
    moved = []
    for waiting in runtime.waiting_timers():
        task = runtime.task(waiting.id)
        set_due(task, waiting.due_at + delta)
        moved.append({"element": waiting.element_id, "before": waiting.due_at.isoformat(),
                      "after": (waiting.due_at + delta).isoformat()})
    return moved


def check_new_time(at: datetime, now: datetime | None = None) -> datetime:
    """A reschedule's new due time, UTC-aware; naive means UTC. `InvalidData` if not in the future."""
    now = now or clock.now()
    at = clock.aware(at)
    if at <= now:
        raise InvalidData("the new due time must be in the future", fields={
            "at": f"{at.isoformat(timespec='seconds')} is not after now ({now.isoformat(timespec='seconds')}); "
                  "to fire the timer now, fire it"})
    if at > now + MAX_AHEAD:
        raise InvalidData("the new due time is too far ahead", fields={
            "at": f"at most {MAX_AHEAD.days // 366} years ahead"})
    return at


def check_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidData("say why the timer is rescheduled", fields={"reason": "required"})
    if len(reason) > MAX_REASON:
        raise InvalidData("the reason is too long", fields={"reason": f"at most {MAX_REASON} characters"})
    return reason.strip()


def _waiting(engine: Engine, uow: Any, case: CaseRow, timer_id: str) -> tuple[CaseRuntime, Any, datetime]:
    if case.status != "active":
        raise CaseNotActive(f"case {case.id} is {case.status}: its timers no longer fire or move",
                            status=case.status)
    runtime = engine._restore(uow.session, case)  # noqa: SLF001 - a command of the engine, in its own module
    task = runtime.task(timer_id)
    due = timers.due_time(task)
    if due is None:
        raise NotFound(f"timer {timer_id} is not waiting (it fired, or its case moved on)")
    return runtime, task, due


def fire_now(engine: Engine, actor: Actor, timer_id: str, within: Within | None = None) -> int:
    """Fire a waiting timer now, whatever its due time; returns its case's id."""
    timer_id = check_timer_id(timer_id)
    with engine._command() as uow:  # noqa: SLF001
        conn = uow.session.connection()
        case = load_case(conn, case_of(conn, timer_id))
        runtime, task, due = _waiting(engine, uow, case, timer_id)
        rows = load_rows(conn, case)
        element = task.task_spec.bpmn_id
        set_due(task, clock.now())
        rows.event(actor, FIRED_BY_HAND, element_id=element, before={"due_at": due.isoformat()})
        others = runtime.fire_due_timers()
        if element in others:
            others.remove(element)
        for other in others:
            rows.event(Actor(), "TimerFired", element_id=other)
        engine._save(uow, rows, runtime, actor, within, release_due=True)  # noqa: SLF001
        return case.id


def reschedule(engine: Engine, actor: Actor, timer_id: str, at: datetime, reason: str,
               within: Within | None = None) -> int:
    """Move a waiting timer to `at` (in the future) with a reason; returns its case's id."""
    timer_id = check_timer_id(timer_id)
    at, reason = check_new_time(at), check_reason(reason)
    with engine._command() as uow:  # noqa: SLF001
        conn = uow.session.connection()
        case = load_case(conn, case_of(conn, timer_id))
        runtime, task, due = _waiting(engine, uow, case, timer_id)
        rows = load_rows(conn, case)
        set_due(task, at)
        rows.event(actor, RESCHEDULED, element_id=task.task_spec.bpmn_id, before={"due_at": due.isoformat()},
                   after={"due_at": at.isoformat(), "reason": Sealed(reason)})
        engine._save(uow, rows, runtime, actor, within)  # noqa: SLF001
        return case.id


def shift(engine: Engine, actor: Actor, case_id: int, delta: timedelta, within: Within | None = None
          ) -> list[dict[str, Any]]:
    """Move every waiting timer of an active case by `delta` (`TimersShifted`); what moved."""
    with engine._command() as uow:  # noqa: SLF001
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status != "active":
            raise CaseNotActive(f"case {case.id} is {case.status}: its timers no longer fire or move",
                                status=case.status)
        runtime, rows = engine._restore(uow.session, case), load_rows(conn, case)  # noqa: SLF001
        moved = shift_runtime(runtime, delta)
        if moved:
            rows.event(actor, SHIFTED, after={"seconds": delta.total_seconds(), "timers": moved})
        engine._save(uow, rows, runtime, actor, within)  # noqa: SLF001
        return moved
