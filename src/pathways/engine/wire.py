"""Values crossing to and from a script worker: JSON text, never pickle.

A worker runs untrusted code, so the server reads nothing from it but JSON (a pickle from a
process that may have been subverted could run code in the server). Beside the JSON types, the
few types SpiffWorkflow's snapshot keeps (datetime, timedelta, UUID) travel as tagged objects;
`date` and `Decimal` travel too, but only as the result of an expression (a timer, a DMN cell):
the snapshot cannot hold them, so a script that leaves one in the case data is refused here,
at its element, instead of failing every later save of the case.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

#: the key of a tagged value; no script can make a dict key that starts with NUL and pass `to_wire`
TAG = "\x00pw"
MAX_DEPTH = 100
MAX_INT_BITS = 64_000  # json cannot write integers of more than 4,300 digits (about 14,000 bits) anyway
_SAVED = {dt.datetime: "datetime", dt.timedelta: "timedelta", uuid.UUID: "uuid"}
_RESULT_ONLY = {dt.date: "date", decimal.Decimal: "decimal"}


class Unsavable(Exception):
    """A value the case data cannot hold; `kind` is its type name and `key` the top-level name
    it was found under (a name from the script, never a value)."""

    def __init__(self, kind: str, key: str | None = None) -> None:
        super().__init__(kind)
        self.kind, self.key = kind, key


def to_wire(value: Any, savable: bool = True, depth: int = 0) -> Any:
    """A JSON-able copy of `value`, or `Unsavable` (tuples become lists, as in the snapshot)."""
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise Unsavable("int of more than 4,000 digits")
        return int(value)
    if depth >= MAX_DEPTH:
        raise Unsavable(f"structure nested more than {MAX_DEPTH} levels")
    if isinstance(value, list | tuple):
        return [to_wire(item, savable, depth + 1) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith(TAG):
                raise Unsavable(f"dict key of type {type(key).__name__}" if not isinstance(key, str)
                                else "dict key starting with NUL")
            result[key] = to_wire(item, savable, depth + 1)
        return result
    kind = _SAVED.get(type(value)) or (None if savable else _RESULT_ONLY.get(type(value)))
    if kind is None:
        raise Unsavable(type(value).__name__)
    text = (f"{value.days},{value.seconds},{value.microseconds}" if isinstance(value, dt.timedelta)
            else str(value) if isinstance(value, uuid.UUID | decimal.Decimal) else value.isoformat())
    return {TAG: kind, "v": text}


def data_to_wire(data: dict[str, Any]) -> dict[str, Any]:
    """Case data as JSON-able values, naming the top-level key of an unsavable value."""
    result = {}
    for key, value in data.items():
        try:
            result[key] = to_wire(value)
        except Unsavable as exc:
            raise Unsavable(exc.kind, key if isinstance(key, str) else None) from None
    return result


def _revive(obj: dict[str, Any]) -> Any:
    kind = obj.get(TAG)
    if kind is None:
        return obj
    text = str(obj.get("v", ""))
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "timedelta":
        days, seconds, micro = (int(part) for part in text.split(","))
        return dt.timedelta(days=days, seconds=seconds, microseconds=micro)
    if kind == "uuid":
        return uuid.UUID(text)
    if kind == "decimal":
        return decimal.Decimal(text)
    raise ValueError("unknown tagged value")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    return json.loads(text, object_hook=_revive)
