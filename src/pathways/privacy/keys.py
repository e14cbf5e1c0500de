"""Data keys at work: which keys seal how many values, and re-sealing everything under the current key.

A rotation (docs/privacy.md, "Keys") appends a new key to the ring, so it seals from then on,
and then runs `rotate`: every value sealed under an older key is opened and sealed again under
the current one, and values written before sealing existed are sealed. When `usage` names no
key but the current one, the old key can leave the ring.

What is sealed where:

- `case_states.state` and `task_comments.text`: each value one token (`SealedText`);
- `case_events.before` / `after`: JSON in which some values are tokens (`SealedValues`). The JSON
  is handled raw, below its column type, so each token stays where it is, sealed again with the
  same context (the JSON key it sits under); plain values stay plain, except those of the case's
  sensitive fields in events written before the engine sealed them (`sealed_fields_of`);
- `identities.sealed`: one token bound to the person's pseudonym, re-sealed through
  `pathways.privacy.identity` so the PESEL's blind index is recomputed under the current key.

Each table is walked in primary-key order in batches, each batch in a transaction of its own
whose rows are locked while they are re-sealed (`FOR UPDATE` on PostgreSQL; SQLite's write
transaction locks the file), so a case command running meanwhile is never overwritten. A value
already under the current key is left as it is: an interrupted rotation is simply run again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Text, bindparam, func, select, type_coerce, update
from sqlalchemy.orm import Session

from pathways.base import sealing
from pathways.privacy.identity import open_identity, reseal
from pathways.store.db import Store
from pathways.store.models import Beneficiary, Case, CaseEvent, CaseState, Identity, TaskComment

#: rows re-sealed per transaction
BATCH = 200
#: the key a value is counted under when it was written before sealing existed
PLAIN = "(plain)"

#: pathway version id -> the fields whose values events carry sealed
SealedFieldsOf = Callable[[Session, int], frozenset[str]]
Progress = Callable[[int], None]


@dataclass
class Usage:
    """How many values each key id seals (and how many are still plain), per kind of value."""

    by_key: Counter[str] = field(default_factory=Counter)
    by_table: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, table: str, key: str, count: int = 1) -> None:
        self.by_key[key] += count
        self.by_table.setdefault(table, Counter())[key] += count

    def keys_in_use(self) -> list[str]:
        return sorted(k for k, n in self.by_key.items() if n and k != PLAIN)


@dataclass
class Rotation:
    """What a rotation did: values re-sealed (were under an older key), sealed (were plain), left."""

    current: str
    resealed: Counter[str] = field(default_factory=Counter)
    sealed: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    usage: Usage = field(default_factory=Usage)


def total_rows(store: Store) -> int:
    """Rows a rotation walks (for a progress bar)."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        return sum(s.scalar(select(func.count()).select_from(model)) or 0
                   for model in (CaseState, TaskComment, CaseEvent, Identity))


# -- counting ------------------------------------------------------------------------------------
def usage(store: Store) -> Usage:
    """Which key ids seal how many values (`PLAIN`: values of sealed columns not sealed yet)."""
    found = Usage()
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        for table, column in (("case_states", CaseState.state), ("task_comments", TaskComment.text),
                              ("identities", Identity.sealed)):
            raw = type_coerce(column, Text)
            for (value,) in _batches(s, column.class_, select(raw).where(column.is_not(None))):
                found.add(table, _key_of(value))
        for _id, before, after in _batches(s, CaseEvent, select(
                CaseEvent.id, type_coerce(CaseEvent.before, JSON), type_coerce(CaseEvent.after, JSON))):
            for token in (*_tokens(before), *_tokens(after)):
                found.add("case_events", sealing.ring().key_id_of(token))
    return found


def _key_of(value: str | None) -> str:
    return sealing.ring().key_id_of(value) if value is not None and sealing.is_sealed(value) else PLAIN


def _tokens(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if sealing.is_sealed(value):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tokens(v)
    elif isinstance(value, list):
        for v in value:
            yield from _tokens(v)


def _batches(s: Session, model: Any, query: Any) -> Iterator[Any]:
    """The rows of `query` on `model`, read BATCH at a time in primary-key order."""
    pk = _pk(model)
    last: Any = None
    while True:
        page = query.add_columns(pk).order_by(pk).limit(BATCH)
        rows = s.execute(page if last is None else page.where(pk > last)).all()
        for row in rows:
            yield tuple(row)[:-1]
        if len(rows) < BATCH:
            return
        last = rows[-1][-1]


def _pk(model: Any) -> Any:
    return {CaseState: CaseState.case_id, Identity: Identity.beneficiary_id}.get(model, getattr(model, "id", None))


# -- rotating ------------------------------------------------------------------------------------
def rotate(store: Store, sealed_fields_of: SealedFieldsOf | None = None, progress: Progress | None = None) -> Rotation:
    """Re-seal every sealed value under the ring's current key; seal what is still plain.

    `sealed_fields_of` names the sensitive fields of a pathway version, so their values in events
    written before the engine sealed them are sealed too (none: event values keep their form).
    `progress` is told how many rows each batch walked.
    """
    ring = sealing.ring()
    done = Rotation(ring.current)
    tick = progress or (lambda _n: None)
    for model, column in ((CaseState, CaseState.state), (TaskComment, TaskComment.text)):
        _rotate_text(store, model, column, done, tick)
    _rotate_events(store, sealed_fields_of, done, tick)
    _rotate_identities(store, done, tick)
    return done


def _walk(store: Store, model: Any, query: Any, step: Callable[[Session, list[Any]], None], tick: Progress) -> None:
    """Run `step` on each batch of `query`'s rows (the first column: `model`'s primary key), locked,
    in a write transaction of its own."""
    pk = _pk(model)
    last: Any = None
    while True:
        with store.unit_of_work(write=True) as uow:
            page = query.order_by(pk).limit(BATCH).with_for_update(of=model)
            rows = list(uow.session.execute(page if last is None else page.where(pk > last)).all())
            if rows:
                step(uow.session, rows)
                uow.commit()
        tick(len(rows))
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def _rotate_text(store: Store, model: Any, column: Any, done: Rotation, tick: Progress) -> None:
    table, pk = model.__tablename__, _pk(model)
    raw = type_coerce(column, Text)
    write = update(model).where(pk == bindparam("row")).values({column.key: type_coerce(bindparam("value"), Text)})

    def step(s: Session, rows: list[Any]) -> None:
        changed = []
        for row_id, value in rows:
            done.rows[table] += 1
            if value is None:
                continue
            if sealing.is_sealed(value):
                if sealing.ring().key_id_of(value) == done.current:
                    done.usage.add(table, done.current)
                    continue
                value, counter = sealing.unseal(value), done.resealed
            else:
                counter = done.sealed
            changed.append({"row": row_id, "value": sealing.seal(value)})
            counter[table] += 1
            done.usage.add(table, done.current)
        if changed:
            s.connection().execute(write, changed)

    _walk(store, model, select(pk, raw), step, tick)


def _rotate_events(store: Store, sealed_fields_of: SealedFieldsOf | None, done: Rotation, tick: Progress) -> None:
    before, after = type_coerce(CaseEvent.before, JSON), type_coerce(CaseEvent.after, JSON)
    write = update(CaseEvent).where(CaseEvent.id == bindparam("row")).values(
        before=type_coerce(bindparam("new_before"), JSON), after=type_coerce(bindparam("new_after"), JSON))
    fields_of: dict[int, frozenset[str]] = {}

    def step(s: Session, rows: list[Any]) -> None:
        changed = []
        for row_id, version_id, old_before, old_after in rows:
            done.rows["case_events"] += 1
            if sealed_fields_of is not None and version_id not in fields_of:
                fields_of[version_id] = sealed_fields_of(s, version_id)
            fields = fields_of.get(version_id, frozenset())
            counts: Counter[str] = Counter()
            new_before = _reseal_json(_seal_plain(old_before, fields, counts), "", done.current, counts)
            new_after = _reseal_json(_seal_plain(old_after, fields, counts), "", done.current, counts)
            done.usage.add("case_events", done.current, sum(1 for _ in (*_tokens(new_before), *_tokens(new_after))))
            if counts["resealed"] or counts["sealed"]:
                done.resealed["case_events"] += counts["resealed"]
                done.sealed["case_events"] += counts["sealed"]
                changed.append({"row": row_id, "new_before": new_before, "new_after": new_after})
        if changed:
            s.connection().execute(write, changed)

    query = select(CaseEvent.id, Case.pathway_version_id, before, after).join(Case, Case.id == CaseEvent.case_id)
    _walk(store, CaseEvent, query, step, tick)


def _seal_plain(payload: Any, fields: frozenset[str], counts: Counter[str]) -> Any:
    """Seal the plain values of `fields` at the top of an event payload and in its nested `data`."""
    if not fields or not isinstance(payload, dict):
        return payload

    def sealed(part: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in part.items():
            if k in fields and not sealing.is_sealed(v):
                v = sealing.seal(json.dumps(v, ensure_ascii=False), k)
                counts["sealed"] += 1
            out[k] = v
        return out

    out = sealed(payload)
    if isinstance(out.get("data"), dict) and "data" not in fields:
        out["data"] = sealed(out["data"])
    return out


def _reseal_json(value: Any, key: str, current: str, counts: Counter[str]) -> Any:
    """`value` with each token under an older key opened and sealed again, with its own context."""
    if isinstance(value, str):
        if not sealing.is_sealed(value):
            return value
        if sealing.ring().key_id_of(value) == current:
            counts["kept"] += 1
            return value
        counts["resealed"] += 1
        return sealing.seal(sealing.ring().unseal(value, key), key)
    if isinstance(value, dict):
        return {k: _reseal_json(v, k, current, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_reseal_json(v, key, current, counts) for v in value]
    return value


def _rotate_identities(store: Store, done: Rotation, tick: Progress) -> None:
    def step(s: Session, rows: list[Any]) -> None:
        for _pk_value, row, pseudonym in rows:
            done.rows["identities"] += 1
            if sealing.is_sealed(row.sealed) and sealing.ring().key_id_of(row.sealed) == done.current:
                done.usage.add("identities", done.current)
                continue
            reseal(row, pseudonym, open_identity(row, pseudonym))  # also the PESEL's blind index
            done.resealed["identities"] += 1
            done.usage.add("identities", done.current)

    query = select(Identity.beneficiary_id, Identity, Beneficiary.pseudonym).join(
        Beneficiary, Beneficiary.id == Identity.beneficiary_id)
    _walk(store, Identity, query, step, tick)
