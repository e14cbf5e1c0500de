"""Firing due timers: claim a batch, advance each case on its own; one failing case stops no other.

The rules:

- **Claims are leases, renewed while used.** `claim_due` marks up to `TIMER_BATCH` of the
  earliest due, unclaimed timer rows with `claimed_until = now + TIMER_LEASE_SECONDS` (15 s) in
  one short transaction, committed before any case runs. While the worker goes through the batch
  it renews the claims of the cases it has not reached yet once half the lease has passed
  (`renew`), so a long batch keeps its rows and a worker that stops (killed, its machine gone)
  holds nothing for longer than 15 s. Every scheduler wakes when a claim lapses (`next_due`
  counts the end of each lease), so another worker takes the rows at once. One case's run must
  stay well inside the lease (the engine's limits bound a command to seconds); if it did not,
  a second worker would run the case too and lose with `Conflict`: wasted work, never a double fire.
  Rows a command writes carry no claim, and a firing command unclaims the due rows it leaves.
- **SKIP LOCKED.** On PostgreSQL the claim's `SELECT ... FOR UPDATE SKIP LOCKED` lets concurrent
  workers take disjoint batches instead of queueing on each other's rows. SQLite has one writer
  at a time (`BEGIN IMMEDIATE`), so its claims are serialized anyway.
- **One case, one transaction.** Each claimed case is advanced by the `advance` callback (an
  `Engine` command) in its own transaction. If two workers reach one case (a lapsed claim, a
  user's command at the same moment) the case's version check makes the later one lose with
  `Conflict`: its claim is released so the timer is taken again.
- **A failure is the case's own.** Any other exception (`Exception`, not `BaseException`: an
  interrupt still stops the worker, and its claims lapse) is caught per case: the full error goes
  to the server log (logger `pathways.engine`) under a short reference; the case gets a
  `TimerFailed` event holding only the due timers' element ids, the exception's class name, that
  reference and the retry time, never a message (it may quote case data, and partner agencies
  read the event log); its due timers move out by the back-off and are unclaimed; and the
  remaining cases fire. `CaseNotActive` counts as a failure, not as a lost race: timer rows that
  outlived their case would otherwise be released and claimed again at once, for ever.
- **Back-off.** The n-th consecutive failure of a case postpones its due timers by
  `TIMER_RETRY_SECONDS * 2**(n-1)`, at most `TIMER_RETRY_MAX_SECONDS`. The count is read from
  the case's event log: the `TimerFailed` events since the case's last event of another kind.
  They are written in the same transaction as each postponement, so the count cannot drift from
  what happened, it needs no column (and no migration), and it is read only when a case fails
  (one indexed query over the case's latest events, stopping where the cap is reached). Any
  command that changes the case (a timer fired, a task completed) logs an event and so ends the
  run; it also moves the timer rows back to the workflow's own due times.
- **Incidents.** The `attempts`-th failure in a row (`PATHWAYS_INCIDENT_ATTEMPTS`, default 3) also
  opens an incident on the case (`pathways.engine.incidents`, in the same transaction, with an
  `IncidentOpened` event). The timers of a case with an open incident are neither claimed nor
  counted by `next_due`: the case waits for an administrator to retry or cancel it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, insert, or_, select, update

from pathways.base import clock
from pathways.engine import incidents
from pathways.engine.actors import SYSTEM
from pathways.engine.conflicts import command
from pathways.engine.errors import CaseNotActive, Conflict
from pathways.store.db import Store
from pathways.store.models import CaseEvent, Timer

log = logging.getLogger("pathways.engine")

#: Due timers claimed per query.
TIMER_BATCH = 50
#: How long a worker's claim on a due timer lasts; a stopped worker's claims lapse after it.
TIMER_LEASE_SECONDS = 15
#: The postponement after a case's first failure to advance on its timers; it doubles per failure.
TIMER_RETRY_SECONDS = 60
#: The longest postponement, however often the case failed.
TIMER_RETRY_MAX_SECONDS = 6 * 3600
FAILED = "TimerFailed"
#: Past failures beyond this many postpone by the maximum anyway: the event query reads no further.
_COUNTED = (TIMER_RETRY_MAX_SECONDS // TIMER_RETRY_SECONDS).bit_length()

#: Advances one case on its due timers in a transaction of its own.
Advance = Callable[[int], None]


def fire_due(store: Store, advance: Advance, limit: int, attempts: int = incidents.INCIDENT_ATTEMPTS) -> int:
    """Claim and fire due timers until none is due or `limit` cases were tried; returns how many advanced.

    A case failing the `attempts`-th time in a row gets an incident and waits for an administrator."""
    advanced = tried = 0
    while tried < limit:
        claimed, token = claim_due(store, min(TIMER_BATCH, limit - tried))
        if not claimed:
            break
        for case_id in claimed:
            if clock.now() >= token - timedelta(seconds=TIMER_LEASE_SECONDS / 2):
                token = _renewed(store, token)
            advanced += fire_case(store, advance, case_id, token, attempts)
        tried += len(claimed)
    return advanced


def next_due(store: Store) -> datetime | None:
    """When a scheduler should next wake: the earliest due time of a timer nobody holds, or the
    end of a claim on a timer, whichever is sooner (a worker that stopped leaves its claims to lapse)."""
    now = clock.now()
    free = or_(Timer.claimed_until.is_(None), Timer.claimed_until <= now)
    with store.unit_of_work(write=False) as uow:
        due, lapse = uow.session.execute(select(
            func.min(case((free, Timer.due_at))), func.min(case((~free, Timer.claimed_until))))
            .where(incidents.not_held(Timer.case_id))).one()
        found = [clock.aware(value) for value in (due, lapse) if value is not None]
        return min(found) if found else None


def renew(store: Store, token: datetime) -> datetime:
    """Extend this worker's claims (those still marked `token`) by a lease from now; the new token."""
    renewed = clock.now() + timedelta(seconds=TIMER_LEASE_SECONDS)
    if renewed <= token:
        return token
    with command(store) as uow:
        uow.session.connection().execute(update(Timer).where(Timer.claimed_until == token).values(
            claimed_until=renewed))
        uow.commit()
    return renewed


def _renewed(store: Store, token: datetime) -> datetime:
    try:
        return renew(store, token)
    except Exception:  # the claims lapse; a worker taking them loses or wins on the case's version
        log.exception("renewing timer claims failed")
        return token


def claim_due(store: Store, batch: int) -> tuple[list[int], datetime]:
    """Claim the earliest due, unclaimed timers; returns their cases (earliest first) and the claim."""
    now = clock.now()
    token = now + timedelta(seconds=TIMER_LEASE_SECONDS)
    with command(store) as uow:
        due = (select(Timer.id)
               .where(Timer.due_at <= now, or_(Timer.claimed_until.is_(None), Timer.claimed_until <= now),
                      incidents.not_held(Timer.case_id))
               .order_by(Timer.due_at).limit(batch))
        if uow.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = uow.session.connection().execute(
            update(Timer).where(Timer.id.in_(due.scalar_subquery())).values(claimed_until=token)
            .returning(Timer.case_id, Timer.due_at)).all()
        uow.commit()
    return list(dict.fromkeys(case_id for case_id, _ in sorted(claimed, key=lambda r: r[1]))), token


def fire_case(store: Store, advance: Advance, case_id: int, token: datetime,
              attempts: int = incidents.INCIDENT_ATTEMPTS) -> bool:
    """Advance one claimed case; True if it advanced. Never raises an `Exception`."""
    try:
        advance(case_id)
        return True
    except CaseNotActive as exc:  # timer rows outlived their case: no retry can succeed
        _failed(store, case_id, exc, attempts)
    except Conflict:  # another command changed the case first: let the timer be claimed again
        _guarded(release, store, case_id, token)
    except Exception as exc:
        _failed(store, case_id, exc, attempts)
    return False


def _failed(store: Store, case_id: int, exc: Exception, attempts: int = incidents.INCIDENT_ATTEMPTS) -> None:
    """Log the error under a new reference, then postpone and record (see the module docstring).

    The log has the traceback with every frame and exception class; the texts of exceptions that
    may quote case values are withheld (`pathways.base.logs`)."""
    reference = secrets.token_hex(4)
    log.error("timers of case %d failed to advance it (reference %s)", case_id, reference, exc_info=exc)
    _guarded(record_failure, store, case_id, exc, reference, attempts)


def release(store: Store, case_id: int, token: datetime) -> None:
    """Give back this worker's claims on the case's timers."""
    with command(store) as uow:
        uow.session.connection().execute(update(Timer).where(
            Timer.case_id == case_id, Timer.claimed_until == token).values(claimed_until=None))
        uow.commit()


def backoff(failures: int) -> timedelta:
    """The postponement after the `failures`-th consecutive failure (1 for the first)."""
    exponent = min(max(failures, 1) - 1, _COUNTED)
    return timedelta(seconds=min(TIMER_RETRY_SECONDS * 2 ** exponent, TIMER_RETRY_MAX_SECONDS))


def record_failure(store: Store, case_id: int, error: Exception, reference: str,
                   attempts: int = incidents.INCIDENT_ATTEMPTS) -> None:
    """Postpone the case's due timers by the back-off, unclaimed, and log `TimerFailed` on the case;
    the `attempts`-th failure in a row opens an incident (`pathways.engine.incidents.record`)."""
    now = clock.now()
    with command(store) as uow:
        conn = uow.session.connection()
        due = conn.execute(select(Timer.id, Timer.element_id).where(
            Timer.case_id == case_id, Timer.due_at <= now)).all()
        if not due:  # a concurrent command (a cancellation) took the timers: nothing waits, nothing to record
            return
        failures = 1 + failures_before(conn, case_id, max(_COUNTED, attempts))
        retry_at = now + backoff(failures)
        conn.execute(update(Timer).where(Timer.id.in_([timer_id for timer_id, _ in due])).values(
            due_at=retry_at, claimed_until=None))
        elements = sorted({element for _, element in due})
        after = {"elements": elements, "error": type(error).__name__, "reference": reference,
                 "retry_at": retry_at.isoformat()}
        conn.execute(insert(CaseEvent).values(  # timer rows imply their case: they go with it (cascade)
            case_id=case_id, at=now, actor=SYSTEM, kind=FAILED, element_id=elements[0], before=None, after=after))
        if failures >= attempts:
            failure = incidents.describe(error, elements[0])
            incidents.record(conn, case_id, failure, reference, attempts=failures)
        uow.commit()


def failures_before(conn: Connection, case_id: int, cap: int = _COUNTED) -> int:
    """How many times in a row the case failed to advance on its timers, up to `cap` (the back-off's)."""
    kinds = conn.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                         .order_by(CaseEvent.id.desc()).limit(cap)).all()
    return next((i for i, kind in enumerate(kinds) if kind != FAILED), len(kinds))


def _guarded(step: Callable[..., None], *args: object) -> None:
    """Run a bookkeeping step; if it fails too, log it and go on (the claim lapses after the lease)."""
    try:
        step(*args)
    except Exception:
        log.exception("timer bookkeeping (%s) failed", step.__name__)
