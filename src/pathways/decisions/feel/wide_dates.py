"""Dates and date-times outside Python's years 1 to 9999, which FEEL allows (years ±999,999,999).

`date("-2017-12-31")`, `@"99999-12-31T11:22:33"`. The Gregorian calendar repeats every 400 years
(146,097 days), so a wide date is counted as a day number through a Python date in the same place of
the 400-year cycle. Within years 1 to 9999 the values are always Python's own `datetime.date` and
`datetime.datetime` (`make_date` and `shift` hand those back), so the rest of FEEL meets these types only
for such years: they have the properties (`year`, `month`, `day`, `weekday`, the time's), order and
equality, `string()`, and the arithmetic with durations; other operations on them are FEEL errors.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import FeelError

CYCLE_YEARS, CYCLE_DAYS = 400, 146_097
MAX_YEAR = 999_999_999
DAY_SECONDS = 86_400


@dataclass(frozen=True, order=True)
class WideDate:
    """A FEEL date of a year Python's `date` cannot hold."""

    year: int
    month: int
    day: int

    def isoweekday(self) -> int:
        return (ordinal(self) - 1) % 7 + 1

    def isoformat(self) -> str:
        sign = "-" if self.year < 0 else ""
        return f"{sign}{abs(self.year):04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class WideDateTime:
    """A FEEL date and time of such a year: the date, and the time of day (with its zone, if any)."""

    on: WideDate
    clock: dt.time

    year = property(lambda self: self.on.year)
    month = property(lambda self: self.on.month)
    day = property(lambda self: self.on.day)
    hour = property(lambda self: self.clock.hour)
    minute = property(lambda self: self.clock.minute)
    second = property(lambda self: self.clock.second)
    microsecond = property(lambda self: self.clock.microsecond)
    tzinfo = property(lambda self: self.clock.tzinfo)

    def isoweekday(self) -> int:
        return self.on.isoweekday()

    def utcoffset(self) -> dt.timedelta | None:
        """The zone's offset, for a named zone its rule at the same place of a 400-year cycle."""
        if self.clock.tzinfo is None:
            return None
        year, month, day = _in_cycle(self.on)
        return dt.datetime.combine(dt.date(year, month, day), self.clock).utcoffset()


Day = dt.date | WideDate


def _in_cycle(value: WideDate) -> tuple[int, int, int]:
    return (value.year - 1) % CYCLE_YEARS + 1, value.month, value.day


def make_date(year: int, month: int, day: int) -> Day:
    """A date of any FEEL year: Python's own within 1 to 9999."""
    if not -MAX_YEAR <= year <= MAX_YEAR:
        raise FeelError(f"year {year} is out of FEEL's range")
    if 1 <= year <= 9999:
        try:
            return dt.date(year, month, day)
        except ValueError as error:
            raise FeelError(f"not a date: {error}") from None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange((year - 1) % CYCLE_YEARS + 1, month)[1]:
        raise FeelError(f"not a date: {year}-{month}-{day}")
    return WideDate(year, month, day)


def ordinal(value: Day) -> int:
    """Day 1 is 0001-01-01, as `date.toordinal`; earlier days are 0 and below."""
    if isinstance(value, dt.date):
        return value.toordinal()
    cycles = (value.year - 1) // CYCLE_YEARS
    year, month, day = _in_cycle(value)
    return cycles * CYCLE_DAYS + dt.date(year, month, day).toordinal()


def from_ordinal(number: int) -> Day:
    cycles, rest = divmod(number - 1, CYCLE_DAYS)
    day = dt.date.fromordinal(rest + 1)
    return make_date(day.year + cycles * CYCLE_YEARS, day.month, day.day)


def combine(day: Day, clock: dt.time) -> dt.datetime | WideDateTime:
    return dt.datetime.combine(day, clock) if isinstance(day, dt.date) else WideDateTime(day, clock)


def date_of(value: Any) -> Day:
    return value.on if isinstance(value, WideDateTime) else value


def is_wide(value: Any) -> bool:
    return isinstance(value, WideDate | WideDateTime)


def _clock_seconds(clock: dt.time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


def shift(value: Any, delta: dt.timedelta) -> Any:
    """A date or date and time of any year moved by a days and time duration (a date by whole days)."""
    if isinstance(value, WideDate) or type(value) is dt.date:
        return from_ordinal(ordinal(value) + delta.days)
    clock = _clock(value)
    micro = clock.microsecond + delta.microseconds
    seconds = _clock_seconds(clock) + delta.seconds + micro // 1_000_000
    days = ordinal(_day(value)) + delta.days + seconds // DAY_SECONDS
    seconds %= DAY_SECONDS
    moved = dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro % 1_000_000, tzinfo=clock.tzinfo)
    return combine(from_ordinal(days), moved)


def _day(value: Any) -> Day:
    """The date of a date, or of a date and time (Python's or wide)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return date_of(value)


def add_months(value: Any, months: int) -> Any:
    """`date + P1M` for any year: the same day of the later month, or its last day."""
    day = _day(value)
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange((year - 1) % CYCLE_YEARS + 1, month + 1)[1]
    moved = make_date(year, month + 1, min(day.day, last))
    return moved if not isinstance(value, WideDateTime | dt.datetime) else combine(moved, _clock(value))


def _clock(value: Any) -> dt.time:
    return value.clock if isinstance(value, WideDateTime) else value.timetz()


def sort_key(value: Any) -> int:
    """Order and equality of dates and date-times of any year, in microseconds: by instant when zoned."""
    if isinstance(value, WideDate) or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return ordinal(value) * DAY_SECONDS * 1_000_000
    clock = _clock(value)
    offset = value.utcoffset() or dt.timedelta(0)
    seconds = ordinal(_day(value)) * DAY_SECONDS + _clock_seconds(clock)
    return seconds * 1_000_000 + clock.microsecond - (offset // dt.timedelta(microseconds=1))


def format_wide(value: WideDate | WideDateTime, format_time: Callable[[dt.time], str]) -> str:
    if isinstance(value, WideDate):
        return value.isoformat()
    return value.on.isoformat() + "T" + format_time(value.clock)
