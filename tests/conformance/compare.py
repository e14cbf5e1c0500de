"""Expected against computed values, as the TCK's runners compare them.

Numbers are equal within 1e-8 absolute or 1e-10 relative (the runners allow for engines computing in
binary floating point; ours is decimal, so this only matters for irrational results such as `sqrt`).
Lists are compared element by element, contexts key by key (the same keys, in any order), dates, times,
date-times and durations by value (a zoned value is not equal to an unzoned one), everything else by
type and equality. Null equals only null.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

ABSOLUTE = decimal.Decimal("1e-8")
RELATIVE = decimal.Decimal("1e-10")


def _numbers_close(expected: decimal.Decimal, actual: decimal.Decimal) -> bool:
    if not (expected.is_finite() and actual.is_finite()):
        return expected == actual
    gap = abs(expected - actual)
    return gap <= ABSOLUTE or gap <= RELATIVE * abs(expected)


def _temporal_kind(value: Any) -> type | None:
    for kind in (dt.datetime, dt.date, dt.time, dt.timedelta):
        if isinstance(value, kind):
            return kind
    return None


def _temporal_same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dt.datetime | dt.time) and (expected.tzinfo is None) != (actual.tzinfo is None):
        return False
    return bool(expected == actual)


def same(expected: Any, actual: Any) -> bool:
    """Whether a computed value matches the TCK's expected value."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, decimal.Decimal):
        return isinstance(actual, decimal.Decimal) and _numbers_close(expected, actual)
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(expected) == len(actual)
                and all(same(e, a) for e, a in zip(expected, actual, strict=True)))
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and expected.keys() == actual.keys()
                and all(same(item, actual[key]) for key, item in expected.items()))
    kind = _temporal_kind(expected)
    if kind is not None:
        return _temporal_kind(actual) is kind and _temporal_same(expected, actual)
    return type(expected) is type(actual) and bool(expected == actual)


def difference(expected: Any, actual: Any, where: str = "") -> str:
    """Where two values first differ, for a failure message: `.b[2]: expected 1, got 2`."""
    if isinstance(expected, dict) and isinstance(actual, dict) and not same(expected, actual):
        missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
        if missing or extra:
            return f"{where or 'context'}: keys missing {sorted(missing)}, unexpected {sorted(extra)}"
        key = next(k for k in expected if not same(expected[k], actual[k]))
        return difference(expected[key], actual[key], f"{where}.{key}")
    if (isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual)
            and not same(expected, actual)):
        index = next(i for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if not same(e, a))
        return difference(expected[index], actual[index], f"{where}[{index + 1}]")
    return f"{where + ': ' if where else ''}expected {_short(expected)}, got {_short(actual)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."
