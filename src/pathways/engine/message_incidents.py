"""A kept message whose delivery keeps failing at a case becomes an incident of that case (source "message").

A receiving case whose run fails (a script error on the path after its catch) writes nothing;
the message stays pending (`engine.messages`). Each failed attempt at a case writes, in the
transaction that counts it on the pending row, a `MessageFailed` event on the receiving case (the
message's name and row id, the error's code and class, a log reference: never a value nor the
exception's text). The `Engine.incident_attempts`-th failure of one message at one case
(`PATHWAYS_INCIDENT_ATTEMPTS`, as for timers) opens an incident with source "message" there
(`failed`); while it is open the deliveries of that message skip that case (`held`), other cases
still get it. The retrier registered here redelivers, at that case only, the kept messages that
failed there (`redeliver`): success marks the row delivered to the case and resolves
the incident in the receiving command's own transaction; a message that expired meanwhile
cannot be redelivered (`MessageExpired`, 409): the administrator cancels the case instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import delivery, incidents
from pathways.engine.actors import SYSTEM, Actor
from pathways.engine.conflicts import command
from pathways.engine.errors import CaseNotActive, Conflict, PathwaysError
from pathways.engine.incidents import Failure
from pathways.engine.writes import Within
from pathways.store.models import Case, CaseEvent, Incident, MessageWait, PendingMessage

if TYPE_CHECKING:
    from pathways.engine.cases import Engine

SOURCE = "message"
FAILED = "MessageFailed"
#: the newest events of a case read to count a message's failures there
_SCAN = 500


class MessageExpired(Conflict):
    """The message an incident holds expired (or was removed): nothing is left to redeliver."""

    code = "message_expired"


def failed(conn: Connection, case_id: int, pending_id: int, name: str, failure: Failure, reference: str,
           threshold: int) -> None:
    """Record a failed delivery of pending message `pending_id` at the case; the `threshold`-th opens an incident."""
    if not failure.element:  # the error named no element: the catch that waits for the message
        element = conn.scalar(select(MessageWait.element_id).where(
            MessageWait.case_id == case_id, MessageWait.kind == "message", MessageWait.name == name))
        failure = replace(failure, element=(element or name)[:200])
    conn.execute(insert(CaseEvent).values(
        case_id=case_id, at=clock.now(), actor=SYSTEM, kind=FAILED, element_id=failure.element, before=None,
        after={"message": name, "pending": pending_id, "error": failure.error_class, "kind": failure.kind,
               "reference": reference[:16]}))
    if _open(conn, case_id) is not None:  # another failure of the held work: one more attempt on it
        incidents.record(conn, case_id, failure, reference, source=SOURCE)
        return
    count = sum(1 for pending in _failures(conn, case_id) if pending == pending_id)
    if count >= threshold:
        incidents.record(conn, case_id, failure, reference, source=SOURCE, attempts=count)


def held(conn: Connection, pending_id: int, cases: Iterable[int]) -> set[int]:
    """Those of `cases` where an open message incident holds this message (it failed there)."""
    candidates = list(cases)
    if not candidates:
        return set()
    with_incident = conn.scalars(select(Incident.case_id).where(
        Incident.case_id.in_(candidates), Incident.source == SOURCE, Incident.status == incidents.OPEN)).all()
    return {case_id for case_id in with_incident if pending_id in _failures(conn, case_id)}


def _open(conn: Connection, case_id: int) -> int | None:
    return conn.scalar(select(Incident.id).where(
        Incident.case_id == case_id, Incident.source == SOURCE, Incident.status == incidents.OPEN))


def _failures(conn: Connection, case_id: int) -> list[int]:
    """The pending ids of the case's failed deliveries since its last resolved incident, oldest first."""
    found = conn.execute(select(CaseEvent.kind, CaseEvent.after).where(
        CaseEvent.case_id == case_id, CaseEvent.kind.in_([FAILED, incidents.RESOLVED_EVENT]))
        .order_by(CaseEvent.id.desc()).limit(_SCAN)).all()
    ids: list[int] = []
    for kind, after in found:
        if kind == incidents.RESOLVED_EVENT:
            break
        pending = (after or {}).get("pending")
        if isinstance(pending, int):
            ids.append(pending)
    return ids[::-1]


def _retry(engine: Engine, case_id: int, within: Within) -> None:
    """Redeliver, at the case, the kept messages that failed there (oldest first); the last one resolves."""
    with engine.store.unit_of_work(write=False) as uow:
        conn = uow.session.connection()
        wanted = list(dict.fromkeys(_failures(conn, case_id)))
        rows = {row.id: row for row in uow.session.scalars(select(PendingMessage).where(
            PendingMessage.id.in_(wanted or [-1])))}
        now = clock.now()
        live = [i for i in wanted if i in rows and rows[i].delivered_at is None
                and clock.aware(rows[i].expires_at) > now]
        gone = [i for i in wanted if i not in rows or (rows[i].delivered_at is None
                                                       and clock.aware(rows[i].expires_at) <= now)]
    if not live and gone:
        raise MessageExpired(f"the message this incident holds has expired ({len(gone)} kept message(s)): "
                             "it cannot be delivered again; cancel the case, or send the message anew")
    if not live:  # delivered meanwhile (another way): nothing is held any more
        with command(engine.store) as uow:
            within(uow.session, case_id)
            uow.commit()
        return
    for pending_id in live[:-1]:
        redeliver(engine, pending_id, case_id)
    redeliver(engine, live[-1], case_id, within)


def redeliver(engine: Engine, pending_id: int, case_id: int, within: Within | None = None) -> None:
    """Deliver a kept message to one case again (an incident's retry, `_retry`).

    Success marks the row delivered to the case, and runs `within`, in the receiving command's own
    transaction; a failure counts an attempt on the row and propagates; a case that no longer waits
    for it: `within` alone (nothing is held any more), or `CaseNotActive` if the case ended."""
    from pathways.engine import messages  # messages uses this module: imported when a retry runs

    if not messages._claim(engine, pending_id):  # noqa: SLF001 - the claim messages' deliveries take
        raise Conflict(f"kept message {pending_id} is being delivered right now; try again in a moment")
    with engine.store.unit_of_work(write=False) as uow:
        row = uow.session.get(PendingMessage, pending_id)
        assert row is not None  # claimed above: it is there and not delivered
        kind, name, source, sealed = row.kind, row.name, row.source_case_id, list(row.sealed_fields)
        payload, sender = json.loads(row.payload), row.sender

    def delivered(s: Session, case: int) -> None:
        s.execute(update(PendingMessage).where(PendingMessage.id == pending_id).values(
            delivered_at=clock.now(), delivered_to=[case_id], claimed_until=None))
        if within is not None:
            within(s, case)

    actor = Actor(f"case {source}" if source is not None else sender)
    try:
        reached = delivery.receive(engine, actor, case_id, kind, name, payload, sealed, source, within=delivered)
    except PathwaysError:
        messages._settle(engine, pending_id, kind, messages.Delivery(failed=[case_id]))  # noqa: SLF001
        raise
    except BaseException:
        messages._settle(engine, pending_id, kind, messages.Delivery())  # noqa: SLF001
        raise
    if reached:
        return
    messages._settle(engine, pending_id, kind, messages.Delivery())  # noqa: SLF001
    with engine.store.unit_of_work() as uow:
        status = uow.session.scalar(select(Case.status).where(Case.id == case_id))
        if status != "active":
            raise CaseNotActive(f"case {case_id} is no longer active")
        if within is not None:
            within(uow.session, case_id)
        uow.commit()


incidents.register(SOURCE, _retry)
