"""Column types that seal what they store (`pathways.base.sealing`), so a copy of the database alone
reveals none of it.

`SealedText`: the whole text is one token (a case's workflow snapshot, a comment, a person's
identity). `SealedValues`: JSON whose `Sealed` markers become tokens on the way in, and whose tokens
are opened on the way out; everything else stays plain JSON, so reports can still read the
counted fields of an event in SQL (`CaseEvent.after["situation_6m"]`) while the sensitive ones
are sealed beside them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from pathways.base import sealing


class SealedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or sealing.is_sealed(value):
            return value
        return sealing.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else sealing.unseal(value)


def seal_markers(value: Any, key: str = "") -> Any:
    """`value` with each `Sealed` marker replaced by its token (the JSON of the marked value).

    A token is bound to the key it sits under: moved to another field it does not open."""
    if isinstance(value, sealing.Sealed):
        return sealing.seal(json.dumps(value.value, ensure_ascii=False), key)
    if isinstance(value, dict):
        return {k: seal_markers(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [seal_markers(v, key) for v in value]
    return value


def open_tokens(value: Any, key: str = "") -> Any:
    """`value` with each token opened back into the value it sealed."""
    if isinstance(value, str):
        return json.loads(sealing.ring().unseal(value, key)) if sealing.is_sealed(value) else value
    if isinstance(value, dict):
        return {k: open_tokens(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [open_tokens(v, key) for v in value]
    return value


def has_tokens(value: Any) -> bool:
    if isinstance(value, str):
        return sealing.is_sealed(value)
    if isinstance(value, dict):
        return any(has_tokens(v) for v in value.values())
    if isinstance(value, list):
        return any(has_tokens(v) for v in value)
    return False


class SealedValues(TypeDecorator[Any]):
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else seal_markers(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return value if value is None or not has_tokens(value) else open_tokens(value)
