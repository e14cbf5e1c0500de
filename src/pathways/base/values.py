"""Values as JSON can hold them: what is stored in snapshots and events and sent in responses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def jsonable(value: Any, exact: bool = True) -> Any:
    """A copy of `value` made of JSON types: dates become ISO text, tuples lists, keys text.

    Decimals (money) stay exact as text unless `exact` is false (figures for charts: numbers).
    Anything else that JSON has no type for becomes its `str`, as `json.dumps(default=str)` would.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value) if exact else float(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, exact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, exact) for v in value]
    return str(value)


# -- bounds: what every layer may store (docs/security.md, "Input bounds") ------------------------
#: the deepest nesting of objects and arrays a JSON value may have (a flat object is depth 1)
MAX_DEPTH = 32
#: keys of objects and items of arrays, at every level together
MAX_MEMBERS = 10_000
#: characters of every text and key together
MAX_CHARS = 1_000_000

NUL_MESSAGE = "must not contain NUL or SOH characters"
SURROGATE_MESSAGE = "must be valid Unicode text (no unpaired surrogates)"


def text_problem(text: str) -> str | None:
    """Why PostgreSQL cannot store `text` (a NUL, an unpaired surrogate), or None (also a SOH).

    SQLite stores both, PostgreSQL refuses both (text and JSON alike), so a value one database
    keeps and the other refuses is refused everywhere. ASCII text, the common case, costs one scan.
    """
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    # U+0001 begins every sealed value (`pathways.base.sealing`): no typed text may pass for one
    return NUL_MESSAGE if "\x00" in text or "\x01" in text else None


class Bounds:
    """Limits of one JSON value; `problem(value)` names the first one it breaks."""

    __slots__ = ("depth", "members", "chars")

    def __init__(self, depth: int = MAX_DEPTH, members: int = MAX_MEMBERS, chars: int = MAX_CHARS) -> None:
        self.depth, self.members, self.chars = depth, members, chars

    def problem(self, value: Any, name: str = "") -> tuple[str, str] | None:
        """(where, what) of the first broken bound of `value`, or None.

        `where` is a dotted path of keys below `name` (only keys that are themselves clean and
        short; never a value), so a client learns which field is wrong without the server echoing
        what it sent. Iterative: a value nested deeper than Python's recursion limit is refused,
        never a RecursionError.
        """
        members = chars = 0
        stack: list[tuple[Any, int, str]] = [(value, 0, name)]
        while stack:
            item, depth, where = stack.pop()
            if isinstance(item, str):
                chars += len(item)
                bad = text_problem(item)
                if bad:
                    return where or "value", bad
            elif isinstance(item, dict | list | tuple):
                if depth >= self.depth:
                    return where or "value", f"nested deeper than {self.depth} levels"
                members += len(item)
                if members > self.members:
                    return where or "value", f"more than {self.members:,} keys and items in all"
                if isinstance(item, dict):
                    for key, child in item.items():
                        key = key if isinstance(key, str) else str(key)
                        chars += len(key)
                        bad = text_problem(key)
                        if bad:
                            return where or "value", f"a key {bad}"
                        stack.append((child, depth + 1, _child(where, key)))
                else:
                    stack.extend((child, depth + 1, where) for child in item)
            if chars > self.chars:
                return where or "value", f"longer than {self.chars:,} characters in all"
        return None


def _child(where: str, key: str) -> str:
    """The dotted path of a key: short printable keys by name, at most four levels, else `…`."""
    if where.endswith("…"):
        return where
    if len(key) > 64 or not key.isprintable() or where.count(".") >= 3:
        key = "…"
    return f"{where}.{key}" if where else key


#: the bounds of request bodies, case data, form values and message payloads
BOUNDS = Bounds()
