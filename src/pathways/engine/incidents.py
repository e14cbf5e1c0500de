"""Incidents: background work of a case that kept failing, held until an administrator acts.

Work nobody waits for (a timer that fired; later, a message the system delivers) cannot answer
anybody with its error. `pathways.engine.firing` retries it with back-off; after
`INCIDENT_ATTEMPTS` failures in a row (`PATHWAYS_INCIDENT_ATTEMPTS`) it calls `record`, which
opens an **incident** on the case: the element that failed, the error's code and class, the log
reference of the last failure, when it was first and last seen and how many attempts failed.
While an incident of a case is open its timers are not claimed (`not_held`): the case waits at
its last wait state, which every failed attempt left untouched (a failing command writes nothing).

The rules:

- **No case value, no exception text.** An incident is read by the partnership's administrators
  and shown on the case page; an exception's text may quote the data a script failed on. `describe`
  keeps the element, the stable code of a `PathwaysError` (`script_error`, `limit_exceeded`) or
  `internal_error`, and the class name (the one `located.located` already put in the details),
  bounded to identifier characters. The traceback is in the server log under `reference`.
- **One open incident per case and source.** Another failure of the same work (a retry that
  fails again) counts an attempt on it and takes the newest element, error and reference.
- **Retry** (`retry`) runs the held work again at once, through the retrier registered for the
  incident's source (`register`; the timers' is the engine's timer-firing command). Success
  resolves the incident in the command's own transaction; a failure counts an attempt and keeps
  it open (nothing of the attempt is written); a case that is no longer active closes it as
  cancelled and drops the timer rows that outlived the case; a concurrent change (`Conflict`)
  changes nothing and propagates. `outcome_within` lets the caller add its audit entry to the
  transaction of whichever outcome happened.
- **Cancelling** the case (`Engine.cancel_case`) closes its open incidents as cancelled in the
  same transaction (`close_for_case`).

Who may list, retry or cancel is the caller's rule (`pathways.tasks.incidents`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, delete, exists, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from pathways.base import clock
from pathways.engine.actors import SYSTEM, Actor
from pathways.engine.conflicts import command
from pathways.engine.errors import CaseNotActive, Conflict, NotFound, PathwaysError
from pathways.store.models import CaseEvent, Incident, Timer

if TYPE_CHECKING:
    from pathways.engine.cases import Engine, Within

log = logging.getLogger("pathways.engine")

#: failures in a row of a case's background work before it becomes an incident (Config: PATHWAYS_INCIDENT_ATTEMPTS)
INCIDENT_ATTEMPTS = 3
OPEN, RESOLVED, CANCELLED = "open", "resolved", "cancelled"
OPENED, RESOLVED_EVENT = "IncidentOpened", "IncidentResolved"
_CLASS = re.compile(r"[^A-Za-z0-9_.]")

#: runs an incident's work again, for one case, in one transaction ending with `within`
Retrier = Callable[["Engine", int, "Within"], None]
_RETRIERS: dict[str, Retrier] = {}


@dataclass(frozen=True)
class Failure:
    """What an incident may say about a failure: no value, no exception text."""

    element: str
    kind: str
    error_class: str


def describe(error: BaseException, element: str) -> Failure:
    """The failure of `error` at `element` (the failing element `located.located` names wins)."""
    error_class: object = type(error).__name__
    if isinstance(error, PathwaysError):
        kind = error.code
        element = str(error.details.get("element") or element)
        error_class = error.details.get("error") or error_class
    else:
        kind = "internal_error"
    return Failure(element[:200], kind[:40], _CLASS.sub("", str(error_class))[:100] or "Exception")


def record(conn: Connection, case_id: int, failure: Failure, reference: str, *, source: str = "timer",
           attempts: int = 1) -> int:
    """Open an incident on the case for `source` work, or count `attempts` more on the open one; its id.

    For other background paths (message delivery): call it in the transaction that records the
    failure, after your own retries, with the failure `describe` made and your log reference."""
    now = clock.now()
    found = conn.execute(select(Incident.id, Incident.attempts).where(
        Incident.case_id == case_id, Incident.source == source, Incident.status == OPEN)).first()
    values = {"element_id": failure.element, "error_kind": failure.kind, "error_class": failure.error_class,
              "reference": reference[:16], "last_seen": now}
    if found is not None:
        conn.execute(update(Incident).where(Incident.id == found.id).values(
            attempts=found.attempts + attempts, **values))
        return int(found.id)
    incident_id = conn.scalar(insert(Incident).values(
        case_id=case_id, source=source, attempts=attempts, first_seen=now, status=OPEN, **values)
        .returning(Incident.id))
    assert incident_id is not None
    conn.execute(insert(CaseEvent).values(
        case_id=case_id, at=now, actor=SYSTEM, kind=OPENED, element_id=failure.element, before=None,
        after={"incident": incident_id, "source": source, "error": failure.error_class, "kind": failure.kind,
               "reference": reference[:16], "attempts": attempts}))
    return int(incident_id)


def not_held(case_id: InstrumentedAttribute[int] | ColumnElement[int]) -> ColumnElement[bool]:
    """A WHERE clause: the case has no open incident (its timers may be claimed)."""
    return ~exists().where(Incident.case_id == case_id, Incident.status == OPEN)


def close(conn: Connection, incident_id: int, status: str, by: str) -> None:
    """Mark an incident resolved or cancelled by `by` (an actor's name)."""
    conn.execute(update(Incident).where(Incident.id == incident_id, Incident.status == OPEN).values(
        status=status, closed_at=clock.now(), closed_by=by[:64]))


def close_for_case(conn: Connection, case_id: int, by: str) -> None:
    """Close the case's open incidents as cancelled (the case was cancelled)."""
    conn.execute(update(Incident).where(Incident.case_id == case_id, Incident.status == OPEN).values(
        status=CANCELLED, closed_at=clock.now(), closed_by=by[:64]))


def register(source: str, retrier: Retrier) -> None:
    """Let incidents of `source` be retried with `retrier` (another background path's own)."""
    _RETRIERS[source] = retrier


def _retry_timers(engine: Engine, case_id: int, within: Within) -> None:
    engine._advance_on_timers(case_id, within=within)  # noqa: SLF001 - the engine's own timer command


register("timer", _retry_timers)


def retry(engine: Engine, incident_id: int, actor: Actor,
          outcome_within: Callable[[str], Within] | None = None) -> str:
    """Run an open incident's work again now; returns its status after: resolved, open or cancelled.

    NotFound for no such incident, Conflict when it is not open (or the case changed meanwhile)."""
    with engine.store.unit_of_work(write=False) as uow:
        row = uow.session.get(Incident, incident_id)
        if row is None:
            raise NotFound(f"incident {incident_id} does not exist")
        if row.status != OPEN:
            raise Conflict(f"incident {incident_id} is already {row.status}", status=row.status)
        case_id, source, element = row.case_id, row.source, row.element_id
    retrier = _RETRIERS.get(source)
    if retrier is None:
        raise Conflict(f"incident {incident_id}: work of kind {source!r} cannot be retried here")

    def then(status: str) -> Within:
        def add(s: Session, case: int) -> None:
            conn = s.connection()
            if status != OPEN:
                close(conn, incident_id, status, actor.name)
            if status == RESOLVED:
                conn.execute(insert(CaseEvent).values(
                    case_id=case, at=clock.now(), actor=actor.name[:64], kind=RESOLVED_EVENT, element_id=element,
                    before=None, after={"incident": incident_id}))
            if outcome_within is not None:
                outcome_within(status)(s, case)
        return add

    try:
        retrier(engine, case_id, then(RESOLVED))
        return RESOLVED
    except CaseNotActive:  # the case ended meanwhile: nothing is left to retry
        with command(engine.store) as uow:
            uow.session.connection().execute(delete(Timer).where(Timer.case_id == case_id))
            then(CANCELLED)(uow.session, case_id)
            uow.commit()
        return CANCELLED
    except Conflict:
        raise
    except Exception as exc:
        reference = secrets.token_hex(4)
        log.error("retry of incident %d (case %d) failed (reference %s)", incident_id, case_id, reference,
                  exc_info=exc)
        with command(engine.store) as uow:
            record(uow.session.connection(), case_id, describe(exc, element), reference, source=source)
            then(OPEN)(uow.session, case_id)
            uow.commit()
        return OPEN
