"""Messages and signals from outside, as users send them: who may, what is valid, what they learn.

Who may send (docs/security.md, "Messages and signals"):

- `integration` (another agency's system) and `admin`: to any case; the answer names every case
  reached or started.
- a case worker (any case-work role): only to cases their own agency takes part in. A case of
  another agency is never reached, and the answer is the same as if it did not exist (404 where
  one receiver is required, "kept" otherwise), so a foreign worker learns nothing of it. A case
  the message or signal starts takes part in the worker's agency only.
- anyone else (designer, auditor, supervisor without case work): 403.

Every send is audited (`message.send`, `signal.send`: the name, the mode, how many were reached,
never the payload or the key's value).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.engine.delivery import Key
from pathways.engine.errors import InvalidData, NotAllowed
from pathways.engine.messages import Delivery, Message, correlate
from pathways.engine.postbox import MAX_PAYLOAD_BYTES, payload_json
from pathways.engine.signals import broadcast
from pathways.store.db import Store
from pathways.store.models import Agency, PendingMessage, User
from pathways.tasks import audit
from pathways.tasks.access import is_case_worker
from pathways.tasks.bounds import MAX_CODE, MAX_KEY, check_json, check_text

#: roles that may send to any case
SEND_ANY = frozenset({"integration", "admin"})
MODES = ("single", "all")
#: a message or signal name: letters (any script), digits, `_ . : / -`, single spaces between words
NAME = re.compile(r"^[^\W][\w.:/-]*( [\w.:/-]+)*$")
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
MAX_LISTED = 500


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidData("name is required", fields={"name": "give the message or signal name"})
    check_text("name", name, MAX_KEY)
    if not NAME.match(name):
        raise InvalidData("name is not valid", fields={
            "name": "use letters, digits, _ . : / - and single spaces (as in the BPMN message's name)"})
    return name


def check_key(correlation: Any, key: Any) -> Key | None:
    """The correlation of a request: `correlation` {field: value} or a bare `key`, not both."""
    if correlation and key not in (None, ""):
        raise InvalidData("give either correlation or key", fields={"key": "not with correlation"})
    if key not in (None, ""):
        return Key(None, _value("key", key))
    if not correlation:
        return None
    if not isinstance(correlation, dict) or len(correlation) != 1:
        raise InvalidData("correlation is one field and its value",
                          fields={"correlation": 'one field, e.g. {"beneficiary_pseudonym": "B-0001-AB"}'})
    [(name, value)] = correlation.items()
    if not isinstance(name, str) or not FIELD.match(name):
        raise InvalidData("correlation field is not valid",
                          fields={"correlation": "a case field's id: letters, digits and _"})
    return Key(name, _value(f"correlation.{name}", value))


def _value(where: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidData("a correlation value is text or a whole number", fields={where: "text or a whole number"})
    if isinstance(value, str):
        check_text(where, value, MAX_KEY)
    elif abs(value) >= 2**53:
        raise InvalidData("a correlation value is too large", fields={where: "too large"})
    return value


def check_data(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidData("data must be a JSON object", fields={"data": "a JSON object of field ids and values"})
    check_json("data", data)
    try:
        payload_json(data)
    except Exception:
        raise InvalidData("data is too large", fields={"data": f"at most {MAX_PAYLOAD_BYTES} bytes of JSON"}) from None
    return data


def _who(store: Store, user: User | None, agencies: Sequence[str] | None) -> tuple[list[int] | None, list[str]]:
    """The sender's audience (None: any case) and the agencies of a case the send starts.

    Integration and admin name the agencies (default: their own); a case worker's send starts
    cases of their own agency only (adding another agency needs a legal basis: the case page)."""
    given = list(dict.fromkeys(agencies or ()))
    for i, code in enumerate(given):
        check_text(f"agencies[{i}]", code, MAX_CODE)
    if user is None:
        return None, given
    if not user.roles & SEND_ANY and not is_case_worker(user):
        raise NotAllowed("sending messages and signals needs a case-work role or the integration role")
    with store.unit_of_work(write=False) as uow:
        own = uow.session.scalar(select(Agency.code).where(Agency.id == user.agency_id))
    if user.roles & SEND_ANY:
        return None, given or ([own] if own else [])
    if any(code != own for code in given):
        raise InvalidData("a case worker's message starts cases of their own agency only", fields={
            "agencies": "only your own agency; add others with their legal basis on the case"})
    return [user.agency_id], [own] if own else []


@audit.refusals("message.send")
def send_message(store: Store, engine: Engine, user: User | None, name: str, *, data: Any = None,
                 correlation: Any = None, key: Any = None, mode: str = "single",
                 agencies: Sequence[str] | None = None, operator: str | None = None) -> dict[str, Any]:
    """Correlate a message from outside (`engine.messages.correlate`) as `user` may; `operator`
    (`cli:<os user>`, no user) is someone on the server, who may send to any case."""
    message_name, found_key, payload = check_name(name), check_key(correlation, key), check_data(data)
    if mode not in MODES:
        raise InvalidData("mode is single or all", fields={"mode": "single or all"})
    audience, starts = _who(store, user, agencies)
    message = Message(message_name, payload, found_key, audience, starts)
    done = correlate(engine, audit.acting(user, operator), message, mode)
    return _answer(store, user, operator, "message.send", message_name, done, mode=mode)


@audit.refusals("signal.send")
def send_signal(store: Store, engine: Engine, user: User | None, name: str, *, data: Any = None,
                agencies: Sequence[str] | None = None, operator: str | None = None) -> dict[str, Any]:
    """Broadcast a signal (`engine.signals.broadcast`) to the waiting cases `user` may reach."""
    signal_name, payload = check_name(name), check_data(data)
    audience, starts = _who(store, user, agencies)
    done = broadcast(engine, audit.acting(user, operator), signal_name, payload, audience, starts)
    return _answer(store, user, operator, "signal.send", signal_name, done)



def _answer(store: Store, user: User | None, operator: str | None, action: str, name: str, done: Delivery,
            **detail: Any) -> dict[str, Any]:
    with store.unit_of_work() as uow:
        audit.record(uow.session, user, action, actor=operator, detail={
            "name": name, "reached": len(done.reached), "started": len(done.started),
            "kept": done.kept is not None, **detail})
        uow.commit()
    return {"name": name, "reached": done.reached, "started": done.started, "count": len(done.reached),
            "failed": len(done.failed),
            "kept": {"id": done.kept, "expires_at": done.expires_at} if done.kept is not None else None}


def list_pending(store: Store, user: User | None, name: str | None = None, include_delivered: bool = False,
                 limit: int = 100, operator: str | None = None) -> dict[str, Any]:
    """Messages kept for later: name, key name (never its value), times, attempts; never the payload.

    Integration, admin and an operator see every one; a case worker those their agency's people
    sent (or their agency's cases threw)."""
    if user is not None and not user.roles & SEND_ANY and not is_case_worker(user):
        raise NotAllowed("listing messages needs a case-work role or the integration role")
    if name is not None:
        check_name(name)
    query = select(PendingMessage, func.count().over().label("total")).where(PendingMessage.kind == "message")
    if not include_delivered:
        query = query.where(PendingMessage.delivered_at.is_(None), PendingMessage.expires_at > clock.now())
    if name is not None:
        query = query.where(PendingMessage.name == name)
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.execute(query.order_by(PendingMessage.id.desc()).limit(MAX_LISTED)).all()
        items = [_item(row.PendingMessage) for row in rows if _mine(uow.session, user, row.PendingMessage)]
        audit.record_read(uow, user, "message.list", actor=operator, detail={"count": len(items[:limit])})
    return {"items": items[:max(1, min(limit, MAX_LISTED))], "total": len(items)}


def _mine(s: Any, user: User | None, row: PendingMessage) -> bool:
    if user is None or user.roles & SEND_ANY:
        return True
    if row.audience is not None:
        return user.agency_id in row.audience
    if row.source_case_id is None:
        return False
    from pathways.store.models import CaseAgency

    return bool(s.scalar(select(func.count()).select_from(CaseAgency).where(
        CaseAgency.case_id == row.source_case_id, CaseAgency.agency_id == user.agency_id)))


def _item(row: PendingMessage) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "key_name": row.key_name, "keyed": row.key_index is not None
            or row.target_case_id is not None, "source_case_id": row.source_case_id, "sender": row.sender,
            "created_at": row.created_at, "expires_at": row.expires_at, "delivered_at": row.delivered_at,
            "attempts": row.attempts, "last_error": row.last_error}
