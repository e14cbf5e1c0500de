"""A case's messages and waits, written in the same transaction as its snapshot.

Every case command ends in `Engine._save`, which calls `record` before the commit:

- each message or signal the case threw that nothing in it caught (`CaseRuntime.outbox`) becomes a
  `pending_messages` row (payload sealed) and a `MessageSent`/`SignalSent` event on the thrower's
  timeline, so an acknowledged command never loses what it sent;
- the `message_waits` rows follow what the case waits for (`CaseRuntime.waits`): written only
  when that changed since the case was loaded, so a command that changes no wait writes nothing here.

After the commit `Engine._save` hands the `Sent` to `pathways.engine.messages.after_commit`, which
delivers the new messages (each receiving case in its own transaction) and gives a case that
started waiting the messages kept for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessage
from sqlalchemy import Connection, delete, insert

from pathways.base import clock
from pathways.base.values import jsonable
from pathways.engine import uncaught
from pathways.engine.actors import Actor
from pathways.engine.errors import LimitExceeded
from pathways.engine.message_events import CASE_KEY, Wait, key_index
from pathways.store.models import MessageWait, PendingMessage

#: the largest payload a message may carry (its JSON, in bytes)
MAX_PAYLOAD_BYTES = 64 * 1024
#: how long a message nobody waits for is kept, unless the engine is told otherwise
DEFAULT_KEEP = timedelta(days=7)


@dataclass
class Sent:
    """What a committed command leaves for delivery: new pending rows, and the case's new waits."""

    case_id: int
    pending: list[int] = field(default_factory=list)
    new_waits: frozenset[Wait] = frozenset()


def payload_json(payload: dict[str, Any], element: str | None = None) -> str:
    """The payload's JSON, or `LimitExceeded` past `MAX_PAYLOAD_BYTES` (naming the element, no value)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise LimitExceeded(f"{element or 'message'}: the payload is larger than {MAX_PAYLOAD_BYTES} bytes",
                            element=element, limit="message_payload")
    return text


def pending_row(kind: str, name: str, payload: dict[str, Any], *, sender: str, keep: timedelta,
                key: tuple[str | None, Any] | None = None, sealed: frozenset[str] = frozenset(),
                source_case_id: int | None = None, audience: list[int] | None = None,
                start_agencies: list[str] | None = None, element: str | None = None) -> dict[str, Any]:
    """The values of a `pending_messages` row; `key` is (key name or None for a bare key, value)."""
    now = clock.now()
    key_name, key_value = key if key is not None else (None, None)
    target = None
    if key_name == CASE_KEY:
        text = str(key_value).strip()
        target = int(text) if text.isdigit() and len(text) < 11 else -1  # a reference to no case: reaches none
    return {"kind": kind, "name": name, "key_name": key_name,
            "key_index": key_index(key_value) if key is not None and target is None and key_value not in (None, "")
            else None, "target_case_id": target, "payload": payload_json(payload, element),
            "sealed_fields": sorted(sealed & set(payload)), "source_case_id": source_case_id,
            "sender": sender[:64], "audience": audience, "start_agencies": list(start_agencies or []),
            "created_at": now, "expires_at": now + keep, "delivered_at": None, "delivered_to": [], "attempts": 0,
            "last_error": None, "claimed_until": None}


def record(conn: Connection, rows: Any, runtime: Any, actor: Actor, keep: timedelta = DEFAULT_KEEP) -> Sent:
    """In the command's transaction: the thrown messages as pending rows and events, and the waits."""
    case_id = rows.case.id
    sent = Sent(case_id)
    agencies = _agency_codes(conn, rows) if runtime.outbox else []
    for event in runtime.outbox:
        thrown = _thrown(event, runtime, actor, keep, case_id, agencies)
        if thrown is None:
            continue
        values, element = thrown
        sent.pending.append(int(conn.execute(insert(PendingMessage).values(**values)
                                             .returning(PendingMessage.id)).scalar_one()))
        kind = "MessageSent" if values["kind"] == "message" else "SignalSent"
        rows.event(actor, kind, element_id=element,
                   after={values["kind"]: values["name"], "correlation": values["key_name"],
                          "data": json.loads(values["payload"])})
    runtime.outbox.clear()
    after = runtime.waits() if rows.case.status == "active" else frozenset()
    if after != runtime.saved_waits:
        write_waits(conn, case_id, after, replace=bool(runtime.saved_waits) or not rows.new_case)
        sent.new_waits = after - runtime.saved_waits
        runtime.saved_waits = after
    return sent


def write_waits(conn: Connection, case_id: int, waits: frozenset[Wait], replace: bool = True) -> None:
    """The case's `message_waits` rows: exactly `waits` (the old ones deleted unless `replace` is False)."""
    if replace:
        conn.execute(delete(MessageWait).where(MessageWait.case_id == case_id))
    if waits:
        conn.execute(insert(MessageWait), [
            {"case_id": case_id, "kind": w.kind, "name": w.name[:200], "element_id": w.element_id[:200],
             "field": w.field, "key_index": w.index} for w in sorted(waits, key=_order)])


def _order(wait: Wait) -> tuple[str, str, str, str]:
    return wait.kind, wait.name, wait.element_id, wait.field or ""


def _thrown(event: Any, runtime: Any, actor: Actor, keep: timedelta, case_id: int,
            agencies: list[str]) -> tuple[dict[str, Any], str | None] | None:
    definition = event.event_definition
    thrower = uncaught._thrower(runtime.workflow, definition)
    element = getattr(thrower, "bpmn_id", None)
    if isinstance(definition, SignalEventDefinition):
        kind, payload, key = "signal", {}, None
    elif isinstance(definition, BaseMessage):
        kind = "message"
        body = event.payload.get("payload") if isinstance(event.payload, dict) else None
        payload = jsonable(body if isinstance(body, dict) else ({} if body is None else {"value": body}))
        correlations = event.correlations or {}
        key = next(iter(correlations.items())) if correlations else None
        if key is not None:
            key = (key[0], jsonable(key[1]))
    else:
        return None
    return pending_row(kind, definition.name or "", payload, sender=actor.name, keep=keep, key=key,
                       sealed=runtime.definition.sealed_fields, source_case_id=case_id,
                       start_agencies=agencies, element=element), element


def _agency_codes(conn: Connection, rows: Any) -> list[str]:
    """The thrower's agencies (a case a message starts takes part in them)."""
    from sqlalchemy import select

    from pathways.store.models import Agency

    ids = [agency_id for agency_id, _ in rows.agencies]
    return list(conn.scalars(select(Agency.code).where(Agency.id.in_(ids)))) if ids else []
