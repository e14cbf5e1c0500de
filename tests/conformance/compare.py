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
