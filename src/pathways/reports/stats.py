"""Durations and their median and 90th percentile, computed by the database where it can.

PostgreSQL aggregates with `percentile_cont(p) WITHIN GROUP (ORDER BY seconds)`; SQLite has no
percentile function, so one query returns the durations sorted per group and `percentile` below
(the same linear interpolation as percentile_cont) reads them. Both give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import Float, Select, cast, func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

DAY = 86400
CENT = Decimal("0.01")


class Spread(NamedTuple):
    cases: int
    median: float  # seconds
    p90: float  # seconds


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds, as a float, in the database's own terms."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * float(DAY)


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-quantile of sorted values with linear interpolation (PostgreSQL's percentile_cont)."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * p
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spreads(s: Session, query: Callable[..., Select[Any]], keys: Sequence[Any],
            duration: ColumnElement[Any]) -> dict[tuple[Any, ...], Spread]:
    """Count, median and 90th percentile of `duration` per group of `keys`, in one query.

    `query(*columns)` builds the SELECT (joins and WHERE) for the given columns.
    """
    if s.get_bind().dialect.name == "postgresql":
        rows = s.execute(query(*keys, func.count(), func.percentile_cont(0.5).within_group(duration),
                               func.percentile_cont(0.9).within_group(duration)).group_by(*keys))
        return {tuple(row[:-3]): Spread(int(row[-3]), float(row[-2]), float(row[-1])) for row in rows}
    ordered = s.execute(query(*keys, duration).order_by(*keys, duration)).all()
    found: dict[tuple[Any, ...], Spread] = {}
    for group, members in groupby(ordered, key=lambda row: tuple(row[:-1])):
        values = [float(row[-1]) for row in members]
        found[group] = Spread(len(values), percentile(values, 0.5), percentile(values, 0.9))
    return found


def days(seconds: float) -> Decimal:
    """Seconds as days, rounded to hundredths (half up), for people to read."""
    return (Decimal(repr(round(seconds, 3))) / DAY).quantize(CENT, rounding=ROUND_HALF_UP)
