"""FEEL's temporal functions (day of year, week of year, now, today) and range functions
(DMN 1.3, 10.3.4.7: before, after, meets, overlaps, during, ...), on points and ranges alike."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from .registry import builtin
from .values import FeelError, Range, compare, equal

Number = decimal.Decimal
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def _day(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise FeelError("expected a date or date and time")
    return value


@builtin("day of year", "date")
def day_of_year(date: Any) -> Number:
    return Number(_day(date).timetuple().tm_yday)


@builtin("day of week", "date")
def day_of_week(date: Any) -> str:
    return WEEKDAYS[_day(date).weekday()]


@builtin("month of year", "date")
def month_of_year(date: Any) -> str:
    return MONTHS[_day(date).month - 1]


@builtin("week of year", "date")
def week_of_year(date: Any) -> Number:
    return Number(_day(date).isocalendar()[1])


@builtin("now")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@builtin("today")
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _point(value: Any) -> Range:
    return value if isinstance(value, Range) else Range(value, value, True, True)


def _cmp(a: Any, b: Any) -> int:
    order = compare(a, b)
    if order is None:
        raise FeelError("range function arguments are not comparable")
    return order


def _before(a: Range, b: Range) -> bool:
    order = _cmp(a.end, b.start)
    return order < 0 or (order == 0 and not (a.end_included and b.start_included))


@builtin("before", "point1", "point2")
def before(point1: Any, point2: Any) -> bool:
    return _before(_point(point1), _point(point2))


@builtin("after", "point1", "point2")
def after(point1: Any, point2: Any) -> bool:
    return _before(_point(point2), _point(point1))


@builtin("meets", "range1", "range2")
def meets(range1: Any, range2: Any) -> bool:
    a, b = _point(range1), _point(range2)
    return a.end_included and b.start_included and _cmp(a.end, b.start) == 0


@builtin("met by", "range1", "range2")
def met_by(range1: Any, range2: Any) -> bool:
    return meets(range2, range1)


@builtin("overlaps", "range1", "range2")
def overlaps(range1: Any, range2: Any) -> bool:
    a, b = _point(range1), _point(range2)
    return not _before(a, b) and not _before(b, a)


@builtin("overlaps before", "range1", "range2")
def overlaps_before(range1: Any, range2: Any) -> bool:
    a, b = _point(range1), _point(range2)
    starts_first = _cmp(a.start, b.start) < 0 or (_cmp(a.start, b.start) == 0 and a.start_included
                                                 and not b.start_included)
    ends_inside = _cmp(a.end, b.end) < 0 or (_cmp(a.end, b.end) == 0 and (not a.end_included or b.end_included))
    return starts_first and ends_inside and overlaps(a, b)


@builtin("overlaps after", "range1", "range2")
def overlaps_after(range1: Any, range2: Any) -> bool:
    return overlaps_before(range2, range1)


def _includes(outer: Range, inner: Range) -> bool:
    low, high = _cmp(outer.start, inner.start), _cmp(inner.end, outer.end)
    low_ok = low < 0 or (low == 0 and (outer.start_included or not inner.start_included))
    high_ok = high < 0 or (high == 0 and (outer.end_included or not inner.end_included))
    return low_ok and high_ok


@builtin("includes", "range", "point")
def includes(range: Any, point: Any) -> bool:
    return _includes(_point(range), _point(point))


@builtin("during", "point", "range")
def during(point: Any, range: Any) -> bool:
    return _includes(_point(range), _point(point))


@builtin("starts", "point", "range")
def starts(point: Any, range: Any) -> bool:
    a, b = _point(point), _point(range)
    return (_cmp(a.start, b.start) == 0 and a.start_included == b.start_included
            and _includes(b, a))


@builtin("started by", "range", "point")
def started_by(range: Any, point: Any) -> bool:
    return starts(point, range)


@builtin("finishes", "point", "range")
def finishes(point: Any, range: Any) -> bool:
    a, b = _point(point), _point(range)
    return _cmp(a.end, b.end) == 0 and a.end_included == b.end_included and _includes(b, a)


@builtin("finished by", "range", "point")
def finished_by(range: Any, point: Any) -> bool:
    return finishes(point, range)


@builtin("coincides", "point1", "point2")
def coincides(point1: Any, point2: Any) -> bool:
    a, b = _point(point1), _point(point2)
    return (equal(a.start, b.start) is True and equal(a.end, b.end) is True
            and a.start_included == b.start_included and a.end_included == b.end_included)
