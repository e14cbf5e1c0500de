"""Properties of temporal values and ranges: `d.year`, `t.time offset`, `r.start included`."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from .values import Range, YearsMonths
from .wide_dates import WideDate, WideDateTime

Number = decimal.Decimal


def _seconds(value: dt.timedelta) -> Number:
    seconds = Number(value.seconds % 60) + Number(value.microseconds) / Number(1_000_000)
    return seconds


def _zone(value: dt.time | dt.datetime) -> Any:
    return getattr(value.tzinfo, "key", None)


def _offset(value: dt.time | dt.datetime) -> Any:
    offset = value.utcoffset()
    return offset


def _signed(value: dt.timedelta, unit: int, modulo: int | None) -> Number:
    total = abs(value)
    whole = int(total.total_seconds()) // unit
    amount = whole % modulo if modulo else whole
    return Number(-amount if value < dt.timedelta(0) else amount)


DATE: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: Number(v.year), "month": lambda v: Number(v.month), "day": lambda v: Number(v.day),
    "weekday": lambda v: Number(v.isoweekday()),
}
TIME: dict[str, Callable[[Any], Any]] = {
    "hour": lambda v: Number(v.hour), "minute": lambda v: Number(v.minute),
    "second": lambda v: Number(v.second) + Number(v.microsecond) / Number(1_000_000),
    "time offset": _offset, "timezone": _zone,
}
PROPERTIES: list[tuple[type | tuple[type, ...], dict[str, Callable[[Any], Any]]]] = [
    ((dt.datetime, WideDateTime), {**DATE, **TIME}),
    ((dt.date, WideDate), DATE),
    (dt.time, TIME),
    (dt.timedelta, {
        "days": lambda v: _signed(v, 86400, None), "hours": lambda v: _signed(v, 3600, 24),
        "minutes": lambda v: _signed(v, 60, 60), "seconds": lambda v: _signed(v, 1, 60),
    }),
    (YearsMonths, {
        "years": lambda v: Number(int(v.months / 12)),
        "months": lambda v: Number(abs(v.months) % 12 * (1 if v.months >= 0 else -1)),
    }),
    (Range, {
        "start": lambda v: v.start, "end": lambda v: v.end,
        "start included": lambda v: v.start_included, "end included": lambda v: v.end_included,
    }),
]
