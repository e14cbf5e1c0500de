"""Who a message or signal reaches, and handing it to one case (in that case's own transaction).

`receivers` finds the active cases waiting for a name in `message_waits` (`engine.postbox` keeps
those rows): for a message, the correlation key decides (`engine.message_events`):

| the message carries            | it reaches a case waiting for its name whose catch ...             |
|--------------------------------|---------------------------------------------------------------------|
| `case_id` = N                  | ... belongs to case N (whatever the catch declares)                 |
| key `field` = value            | ... declares `correlation` = `field` and the case's `field` = value |
| a bare key (`--key K`)         | ... declares any `correlation` field whose value is K               |
| no key                         | ... declares no `correlation`                                       |

`audience` (agency ids) narrows it to cases one of those agencies takes part in (a case worker's
message reaches only their agency's cases). `starters` finds the pathways whose latest version
starts on the name; `start` starts one such case, `receive` delivers to one waiting case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessage
from sqlalchemy import Connection, delete, exists, func, select
from sqlalchemy.orm import Session

from pathways.base.sealing import Sealed
from pathways.engine.actors import Actor
from pathways.engine.errors import CaseNotActive, Conflict, MessageNotExpected
from pathways.engine.message_events import CASE_KEY, key_indexes
from pathways.engine.postbox import write_waits
from pathways.engine.writes import Within, load_case, load_rows
from pathways.store.models import Case, CaseAgency, MessageWait, PathwayVersion

if TYPE_CHECKING:
    from pathways.engine.cases import Engine

_log = logging.getLogger("pathways.engine")
#: tries of one delivery that lost a race with another command on the same case
RACE_TRIES = 3


@dataclass(frozen=True)
class Key:
    """A message's correlation key: a name (`case_id`, a field, or None for a bare key) and a value."""

    name: str | None
    value: Any


def receivers(conn: Connection, kind: str, name: str, key: Key | None = None,
              audience: Sequence[int] | None = None, index: str | None = None) -> list[int]:
    """Ids of the active cases waiting for `kind` `name` that `key` reaches (module docstring), oldest first.

    `index` is a key's blind index as a pending row stores it (instead of `key.value`)."""
    query = (select(MessageWait.case_id).join(Case, Case.id == MessageWait.case_id)
             .where(MessageWait.kind == kind, MessageWait.name == name, Case.status == "active"))
    if kind == "message":
        indexes = [index] if index else (
            key_indexes(key.value) if key is not None and key.value not in (None, "") else [])
        if key is not None and key.name == CASE_KEY:
            text = str(key.value).strip()
            query = query.where(MessageWait.case_id == (int(text) if text.isdigit() and len(text) < 11 else -1))
        elif key is not None and key.name is not None:
            query = query.where(MessageWait.field == key.name, MessageWait.key_index.in_(indexes))
        elif key is not None:
            query = query.where(MessageWait.field.is_not(None), MessageWait.key_index.in_(indexes))
        else:
            query = query.where(MessageWait.field.is_(None))
    if audience is not None:
        query = query.where(exists().where(CaseAgency.case_id == MessageWait.case_id,
                                           CaseAgency.agency_id.in_(list(audience) or [-1])))
    return list(dict.fromkeys(conn.scalars(query.order_by(MessageWait.case_id))))


def starters(engine: Engine, s: Session, kind: str, name: str) -> list[str]:
    """Keys of the pathways whose latest version has a `kind` start event named `name`."""
    latest = (select(PathwayVersion.key, func.max(PathwayVersion.version).label("v"))
              .group_by(PathwayVersion.key).subquery())
    versions = s.execute(select(PathwayVersion.id, PathwayVersion.key).join(
        latest, (latest.c.key == PathwayVersion.key) & (latest.c.v == PathwayVersion.version))
        .order_by(PathwayVersion.key)).all()
    wanted = SignalEventDefinition if kind == "signal" else BaseMessage
    found = []
    for version_id, key in versions:
        spec = engine.definition(s, version_id).spec
        for start in getattr(spec, "bpmn_start_events", []) or _starts(spec):
            definition = getattr(start, "event_definition", None)
            if isinstance(definition, wanted) and definition.name == name:
                found.append(key)
                break
    return found


def _starts(spec: Any) -> Iterable[Any]:
    return [t for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"]


def marked(payload: dict[str, Any], sealed: Iterable[str]) -> dict[str, Any]:
    """The payload with the values of the sender's sealed fields marked `Sealed` (for an event)."""
    fields = set(sealed)
    return {k: Sealed(v) if k in fields else v for k, v in payload.items()}


def start(engine: Engine, actor: Actor, key: str, kind: str, name: str, payload: dict[str, Any],
          agencies: Sequence[str], sealed: Iterable[str] = (), source: int | None = None) -> int:
    """Start a case of pathway `key` on a message or signal: its data is the payload, its start event catches it."""
    def caught(runtime: Any, rows: Any) -> None:
        if kind == "signal":
            runtime.receive_signal(name, payload)
        else:
            runtime.receive_message(name, payload)
        rows.event(actor, "MessageReceived" if kind == "message" else "SignalReceived", element_id=name,
                   after={kind: name, "from_case": source, "data": marked(payload, sealed)})

    return engine.start_case(actor, key, dict(payload), agencies=agencies, started_by=caught)


def receive(engine: Engine, actor: Actor, case_id: int, kind: str, name: str, payload: dict[str, Any],
            sealed: Iterable[str] = (), source: int | None = None, within: Within | None = None) -> bool:
    """Deliver to one case in its own transaction; False if it no longer waits (a race, a closed case).

    A failure of the receiver's run (`ScriptError`, ...) propagates: nothing of it was written.
    `within` runs in the delivering transaction (an incident's retry resolves it there)."""
    for attempt in range(RACE_TRIES):
        try:
            return _receive_once(engine, actor, case_id, kind, name, payload, sealed, source, within)
        except Conflict as exc:
            if isinstance(exc, CaseNotActive) or attempt == RACE_TRIES - 1:
                raise
    return False  # pragma: no cover - the loop returns or raises


def _receive_once(engine: Engine, actor: Actor, case_id: int, kind: str, name: str, payload: dict[str, Any],
                  sealed: Iterable[str], source: int | None, within: Within | None = None) -> bool:
    with engine._command() as uow:  # noqa: SLF001 - a command of the engine, kept in its own module
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status != "active":
            conn.execute(delete(MessageWait).where(MessageWait.case_id == case_id))  # a stale wait
            uow.commit()
            return False
        rows, runtime = load_rows(conn, case), engine._restore(uow.session, case)  # noqa: SLF001
        try:
            if kind == "signal":
                runtime.receive_signal(name, payload)
            else:
                runtime.receive_message(name, payload)
        except MessageNotExpected:  # the rows said it waits, its workflow says not: mend the rows
            write_waits(conn, case_id, runtime.waits())
            uow.commit()
            return False
        rows.event(actor, "MessageReceived" if kind == "message" else "SignalReceived", element_id=name,
                   after={kind: name, "from_case": source, "data": marked(payload, sealed)})
        engine._save(uow, rows, runtime, actor, within)  # noqa: SLF001
        return True
