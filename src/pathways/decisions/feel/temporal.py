"""FEEL's temporal values from their strings, and their arithmetic.

`date("2026-01-31")`, `time("10:30:00+02:00")`, `date and time("2026-01-31T10:30:00@Europe/Warsaw")`,
`duration("P1DT2H")` (days and time), `duration("P1Y2M")` (years and months).
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import re
import zoneinfo
from typing import Any

from . import wide_dates
from .values import FeelError, YearsMonths

DATE = re.compile(r"^(-?(?:[1-9]\d{4,8}|\d{4}))-(\d{2})-(\d{2})$")
TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?|@[A-Za-z_/+\-0-9]+)?$")
DAY_TIME = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?$")
YEAR_MONTH = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?$")


def parse_date(text: str) -> dt.date | wide_dates.WideDate:
    match = DATE.match(text)
    if not match:
        raise FeelError(f"not a date: {text!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return wide_dates.make_date(year, month, day)
    except FeelError as error:
        raise FeelError(f"not a date: {text!r} ({error})") from None


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    if text.startswith("@"):
        try:
            return zoneinfo.ZoneInfo(text[1:])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise FeelError(f"unknown time zone {text[1:]!r}") from None
    sign = -1 if text[0] == "-" else 1
    parts = [int(part) for part in text[1:].split(":")]
    offset = dt.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0)
    if offset > dt.timedelta(hours=14):
        raise FeelError(f"offset out of range: {text!r}")
    return dt.timezone(sign * offset)


def parse_time(text: str) -> dt.time:
    match = TIME.match(text)
    if not match:
        raise FeelError(f"not a time: {text!r}")
    hour, minute, second = (int(part) for part in match.groups()[:3])
    fraction = match.group(4)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour = 0
    try:
        return dt.time(hour, minute, second, micro, tzinfo=_zone(match.group(5)))
    except ValueError as error:
        raise FeelError(f"not a time: {text!r} ({error})") from None


def parse_datetime(text: str) -> dt.datetime | wide_dates.WideDateTime:
    if "T" not in text:
        return wide_dates.combine(parse_date(text), dt.time())
    date_part, time_part = text.split("T", 1)
    day = parse_date(date_part)
    clock = parse_time(time_part)
    if time_part.startswith("24:"):
        day = wide_dates.from_ordinal(wide_dates.ordinal(day) + 1)
    return wide_dates.combine(day, clock)


def parse_duration(text: str) -> dt.timedelta | YearsMonths:
    match = YEAR_MONTH.match(text)
    if match and text.rstrip("-") not in ("P", "-P"):
        sign = -1 if match.group(1) else 1
        years, months = int(match.group(2) or 0), int(match.group(3) or 0)
        return YearsMonths(sign * (years * 12 + months))
    match = DAY_TIME.match(text)
    if match and text not in ("P", "-P") and not text.endswith("T"):
        sign = -1 if match.group(1) else 1
        days, hours, minutes = (int(match.group(i) or 0) for i in (2, 3, 4))
        seconds = decimal.Decimal(match.group(5) or 0)
        return sign * dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=float(seconds))
    full = re.match(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", text)
    if full and text not in ("P", "-P") and not text.endswith("T"):
        raise FeelError(f"a duration mixes years or months with days or time: {text!r}")
    raise FeelError(f"not a duration: {text!r}")


def parse_temporal(text: str) -> Any:
    """The value of an `@"..."` literal: a date, time, date and time or duration by its form."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_datetime(text)
    if DATE.match(text):
        return parse_date(text)
    return parse_time(text)


def add_months(value: dt.date, months: int) -> Any:
    """`date + P1M`: the same day of a later month, or its last day (Jan 31 + P1M = Feb 28)."""
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        return wide_dates.add_months(value, months)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def months_between(start: dt.date, end: dt.date) -> YearsMonths:
    """The whole months from start to end, as `years and months duration(from, to)` counts them."""
    months = (end.year - start.year) * 12 + end.month - start.month
    end_key = (end.day, end.time() if isinstance(end, dt.datetime) else dt.time())
    start_key = (start.day, start.time() if isinstance(start, dt.datetime) else dt.time())
    if months > 0 and end_key < start_key:
        months -= 1
    elif months < 0 and end_key > start_key:
        months += 1
    return YearsMonths(months)


def subtract_datetimes(left: dt.datetime, right: dt.datetime) -> dt.timedelta:
    if left.tzinfo is None and right.tzinfo is not None and right.tzinfo is dt.UTC and right.time() == dt.time():
        right = right.replace(tzinfo=None)  # a date: its midnight, in the other side's local time
    elif right.tzinfo is None and left.tzinfo is dt.UTC and left.time() == dt.time():
        left = left.replace(tzinfo=None)
    if (left.tzinfo is None) != (right.tzinfo is None):
        left = left if left.tzinfo else left.replace(tzinfo=dt.UTC)
        right = right if right.tzinfo else right.replace(tzinfo=dt.UTC)
    if left.tzinfo is not None:
        return left.astimezone(dt.UTC) - right.astimezone(dt.UTC)
    return left - right


def add_time(value: dt.time, delta: dt.timedelta) -> dt.time:
    moved = dt.datetime.combine(dt.date(2000, 1, 1), value) + delta
    return moved.timetz()


def time_difference(left: dt.time, right: dt.time) -> dt.timedelta:
    day = dt.date(2000, 1, 1)
    return subtract_datetimes(dt.datetime.combine(day, left), dt.datetime.combine(day, right))
