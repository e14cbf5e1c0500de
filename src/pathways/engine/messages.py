"""Messages between cases and from outside: correlate, keep what nobody waits for, deliver it later.

A message goes, in this order, to the waiting cases its key reaches (`engine.delivery.receivers`),
else it starts a case of each pathway whose latest version has a message start event of its name,
else it is kept (`pending_messages`, payload sealed) until a case starts waiting for it or it
expires (`Engine.message_keep`, `PATHWAYS_MESSAGE_KEEP_DAYS`, 7 days by default). Each receiving
case advances in its own transaction (`delivery.receive`).

- `correlate`: a message from outside (API, CLI). `mode="single"`: exactly one case must wait
  for it now (`NoReceiver`, 404, when none does; `AmbiguousMessage`, 409, when several do; in
  both cases nothing is delivered or kept). `mode="all"`: every waiting case, else a start, else kept.
- `after_commit`: called by `Engine._save` after each command's commit with what it threw
  (`engine.postbox.Sent`): the thrown messages are delivered, and a case that started waiting
  gets the oldest kept message that matches each new wait. Deliveries a delivery causes are
  queued, not nested (one drain per thread).
- A delivery whose receiver fails at run time (a script error) leaves the message pending with
  `attempts` + 1 and the error code (`last_error`), logged; `sweep` retries pending messages and
  drops expired ones (the scheduler and `pathways message deliver`). Failures at one case become
  an incident there after `Engine.incident_attempts` (`engine.message_incidents`): the message
  then skips that case until an administrator retries it (`message_incidents.redeliver`) or cancels the case.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, delete, insert, or_, select, update

from pathways.base import clock
from pathways.base.values import jsonable
from pathways.engine import delivery, incidents, message_incidents
from pathways.engine.actors import Actor
from pathways.engine.delivery import Key
from pathways.engine.errors import Conflict, NotFound, PathwaysError
from pathways.engine.message_events import CASE_KEY, Wait
from pathways.engine.postbox import Sent, pending_row
from pathways.store.models import CaseAgency, PendingMessage

if TYPE_CHECKING:
    from pathways.engine.cases import Engine

_log = logging.getLogger("pathways.engine")
_local = threading.local()
#: the most deliveries one drain runs (a chain of cases messaging each other stops there, the rest stays pending)
MAX_CHAIN = 1000
#: how long a process holds a pending message it delivers (another process's sweep leaves it alone meanwhile)
CLAIM_SECONDS = 120


class NoReceiver(NotFound):
    """No case (that the sender may reach) waits for the message, where exactly one must."""

    code = "no_receiver"


class AmbiguousMessage(Conflict):
    """Several cases wait for the message, where exactly one must: nothing was delivered."""

    code = "message_ambiguous"


@dataclass
class Delivery:
    """What a message or signal did: the cases it reached or started, or the pending row keeping it."""

    reached: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # receivers whose run failed (the message stays pending)
    errors: dict[int, tuple[incidents.Failure, str]] = field(default_factory=dict)  # failed case: (failure, log ref)
    kept: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Message:
    """A message from outside: name, key, payload, and whose cases it may reach."""

    name: str
    payload: dict[str, Any]
    key: Key | None = None
    audience: Sequence[int] | None = None  # agency ids (None: any case)
    start_agencies: Sequence[str] = ()


def correlate(engine: Engine, actor: Actor, message: Message, mode: str = "single") -> Delivery:
    """Deliver a message from outside (module docstring); `mode` is "single" or "all"."""
    payload = jsonable(message.payload)
    with engine.store.unit_of_work(write=False) as uow:
        found = delivery.receivers(uow.session.connection(), "message", message.name, message.key, message.audience)
        starts = [] if found else delivery.starters(engine, uow.session, "message", message.name)
    if mode == "single" and len(found) + (len(starts) if not found else 0) != 1:
        if len(found) > 1 or len(starts) > 1:
            raise AmbiguousMessage(f"{max(len(found), len(starts))} cases wait for message {message.name!r} "
                                   "with this key; send it with a key that names one, or to all")
        raise NoReceiver(f"no case waits for message {message.name!r} with this key")
    done = Delivery()
    for case_id in found:
        attempt(done, case_id, lambda c: delivery.receive(engine, actor, c, "message", message.name, payload))
    if not found:
        for key in starts:
            done.started.append(delivery.start(engine, actor, key, "message", message.name, payload,
                                               message.start_agencies))
    if not done.reached and not done.started:
        kept_key = (message.key.name, message.key.value) if message.key is not None else None
        values = pending_row("message", message.name, payload, sender=actor.name, keep=engine.message_keep,
                             key=kept_key, audience=list(message.audience) if message.audience is not None else None,
                             start_agencies=list(message.start_agencies))
        values.update(attempts=len(done.failed), last_error="script_error" if done.failed else None)
        with engine.store.unit_of_work() as uow:
            done.kept = int(uow.session.execute(insert(PendingMessage).values(**values)
                                                .returning(PendingMessage.id)).scalar_one())
            _failures(engine, uow.session.connection(), done.kept, message.name, done)
            uow.commit()
        done.expires_at = values["expires_at"]
    return done


def attempt(done: Delivery, case_id: int, deliver: Any) -> None:
    try:
        if deliver(case_id):
            done.reached.append(case_id)
    except PathwaysError as exc:  # the receiver's run failed: nothing of it was written
        reference = str(exc.details.get("reference") or "")[:16]  # a script failure is logged under its own
        if not reference:
            reference = secrets.token_hex(4)
            _log.warning("message delivery to case %s failed: %s (reference %s)", case_id, exc.code, reference,
                         exc_info=exc)
        else:
            _log.warning("message delivery to case %s failed: %s (reference %s)", case_id, exc.code, reference)
        done.failed.append(case_id)
        done.errors[case_id] = (incidents.describe(exc, ""), reference)


def _failures(engine: Engine, conn: Connection, pending_id: int, name: str, done: Delivery) -> None:
    """Count each receiver's failure on it (`message_incidents.failed`: the threshold-th opens an incident)."""
    for case_id, (failure, reference) in sorted(done.errors.items()):
        message_incidents.failed(conn, case_id, pending_id, name, failure, reference, engine.incident_attempts)


def after_commit(engine: Engine, sent: Sent) -> None:
    """Deliver what a committed command sent, and kept messages to the case's new waits (never raises)."""
    if not sent.pending and not any(w.kind == "message" for w in sent.new_waits):
        return
    queue: list[Sent] | None = getattr(_local, "queue", None)
    if queue is not None:
        queue.append(sent)
        return
    _local.queue = queue = [sent]
    try:
        for _ in range(MAX_CHAIN):
            if not queue:
                break
            item = queue.pop(0)
            try:
                for pending_id in item.pending:
                    deliver_pending(engine, pending_id)
                for wait in sorted((w for w in item.new_waits if w.kind == "message"), key=lambda w: w.element_id):
                    _give_kept(engine, item.case_id, wait)
            except Exception:  # a failed delivery leaves its message pending; the command itself is committed
                _log.exception("delivering the messages of case %s failed", item.case_id)
    finally:
        _local.queue = None


def _claim(engine: Engine, pending_id: int) -> bool:
    """Hold the pending row for this delivery (one conditional UPDATE: two processes never both win)."""
    now = clock.now()
    with engine.store.unit_of_work() as uow:
        result: CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]
            update(PendingMessage).where(
                PendingMessage.id == pending_id, PendingMessage.delivered_at.is_(None),
                or_(PendingMessage.claimed_until.is_(None), PendingMessage.claimed_until < now))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS)))
        uow.commit()
    return bool(result.rowcount)


def deliver_pending(engine: Engine, pending_id: int, only: int | None = None) -> Delivery:
    """Deliver a pending message or signal now (to case `only`, if given); it stays pending if nobody took it.

    The row is claimed first: a row another process is delivering is left alone (an empty `Delivery`)."""
    if not _claim(engine, pending_id):
        return Delivery()
    try:
        done = _deliver_claimed(engine, pending_id, only)
    except BaseException:
        _settle(engine, pending_id, "message", Delivery())  # release the claim, then fail as before
        raise
    return done


def _deliver_claimed(engine: Engine, pending_id: int, only: int | None) -> Delivery:
    with engine.store.unit_of_work(write=False) as uow:
        row = uow.session.get(PendingMessage, pending_id)
        if row is None or row.delivered_at is not None or clock.aware(row.expires_at) <= clock.now():
            return Delivery()
        kind, name, source, sealed = row.kind, row.name, row.source_case_id, list(row.sealed_fields)
        payload, agencies, sender = json.loads(row.payload), list(row.start_agencies), row.sender
        key = Key(CASE_KEY, row.target_case_id) if row.target_case_id is not None else (
            Key(row.key_name, None) if row.key_name or row.key_index else None)
        found = [only] if only is not None else delivery.receivers(
            uow.session.connection(), kind, name, key, row.audience, index=row.key_index)
        starts = [] if only is not None or (found and kind == "message") else delivery.starters(
            engine, uow.session, kind, name)
        if kind == "message":  # an open incident holds this message at the cases it failed at
            skip = message_incidents.held(uow.session.connection(), pending_id, found)
            found = [case_id for case_id in found if case_id not in skip]
    actor = Actor(f"case {source}" if source is not None else sender)
    done = Delivery()
    for case_id in found:
        if case_id != source:
            attempt(done, case_id, lambda c: delivery.receive(engine, actor, c, kind, name, payload, sealed, source))
    if kind == "signal" or not done.reached:
        for key_ in starts:
            done.started.append(delivery.start(engine, actor, key_, kind, name, payload, agencies, sealed, source))
    _settle(engine, pending_id, kind, done, name)
    return done


def _settle(engine: Engine, pending_id: int, kind: str, done: Delivery, name: str = "") -> None:
    """Mark the row delivered (a signal always: signals are not kept), or count a failed attempt
    (and each receiver's failure, `_failures`); release it."""
    values: dict[str, Any] = {"claimed_until": None}
    if kind == "signal" or done.reached or done.started:
        values.update(delivered_at=clock.now(), delivered_to=done.reached + done.started)
    elif done.failed:
        values.update(attempts=PendingMessage.attempts + 1, last_error="script_error")
    with engine.store.unit_of_work() as uow:
        uow.session.execute(update(PendingMessage).where(PendingMessage.id == pending_id).values(**values))
        if "attempts" in values:
            _failures(engine, uow.session.connection(), pending_id, name, done)
        uow.commit()


def _give_kept(engine: Engine, case_id: int, wait: Wait) -> None:
    """The oldest kept message that matches a case's new wait, delivered to it."""
    now = clock.now()
    with engine.store.unit_of_work(write=False) as uow:
        agencies = list(uow.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case_id)))
        if wait.field is None:
            keyed = (PendingMessage.key_index.is_(None)) & (PendingMessage.target_case_id.is_(None))
        else:
            keyed = (PendingMessage.key_index == wait.index) & or_(
                PendingMessage.key_name.is_(None), PendingMessage.key_name == wait.field)
        candidates = uow.session.execute(
            select(PendingMessage.id, PendingMessage.audience, PendingMessage.source_case_id).where(
                PendingMessage.kind == "message", PendingMessage.name == wait.name,
                PendingMessage.delivered_at.is_(None), PendingMessage.expires_at > now,
                or_(PendingMessage.target_case_id == case_id, keyed)).order_by(PendingMessage.id).limit(20)).all()
    for pending_id, audience, source in candidates:
        if source == case_id or (audience is not None and not set(audience) & set(agencies)):
            continue
        if deliver_pending(engine, pending_id, only=case_id).reached:
            return


def sweep(engine: Engine) -> tuple[int, int]:
    """Drop expired pending messages and retry the others; returns (dropped, delivered)."""
    now = clock.now()
    with engine.store.unit_of_work() as uow:
        result: CursorResult[Any] = uow.session.execute(delete(PendingMessage).where(  # type: ignore[assignment]
            PendingMessage.delivered_at.is_(None), PendingMessage.expires_at <= now))
        dropped = result.rowcount or 0
        uow.commit()
    with engine.store.unit_of_work(write=False) as uow:
        ids = list(uow.session.scalars(select(PendingMessage.id).where(
            PendingMessage.delivered_at.is_(None)).order_by(PendingMessage.id).limit(MAX_CHAIN)))
    delivered = 0
    for pending_id in ids:
        done = deliver_pending(engine, pending_id)
        delivered += bool(done.reached or done.started)
    return dropped, delivered
