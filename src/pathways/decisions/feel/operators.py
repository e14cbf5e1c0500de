"""FEEL's arithmetic on numbers, strings, dates, times and durations (DMN 1.3, 10.3.2.3).

Each operator takes two FEEL values and returns one; a null operand gives null, and operands that do
not go together (a number plus a string) raise `FeelError`, which the evaluator records as a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from . import temporal, wide_dates
from .values import FEEL_CONTEXT, FeelError, YearsMonths, type_name

Number = decimal.Decimal


def _types(left: Any, right: Any) -> tuple[str, str]:
    return type_name(left), type_name(right)


def add(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    kinds = _types(left, right)
    if wide_dates.is_wide(left) or wide_dates.is_wide(right):
        return _wide(left, right, kinds, 1)
    if kinds == ("number", "number"):
        return FEEL_CONTEXT.add(left, right)
    if kinds == ("string", "string"):
        return left + right
    if kinds[0] in ("days and time duration", "years and months duration") and kinds[1] in (
        "date", "date and time", "time"
    ):
        return add(right, left)
    if kinds == ("days and time duration", "days and time duration"):
        return left + right
    if kinds == ("years and months duration", "years and months duration"):
        return YearsMonths(left.months + right.months)
    if kinds[1] == "years and months duration" and kinds[0] in ("date", "date and time"):
        return temporal.add_months(left, right.months)
    if kinds == ("date and time", "days and time duration"):
        return _shift(left, right)
    if kinds == ("date", "days and time duration"):
        return _shift(left, right)
    if kinds == ("time", "days and time duration"):
        return temporal.add_time(left, right)
    raise FeelError(f"cannot add a {kinds[1]} to a {kinds[0]}")


def _wide(left: Any, right: Any, kinds: tuple[str, str], sign: int) -> Any:
    """A date or date and time beyond years 1 to 9999, plus or minus a duration (`wide_dates`)."""
    if sign > 0 and kinds[0].endswith("duration"):
        left, right, kinds = right, left, (kinds[1], kinds[0])
    if kinds[0] in ("date", "date and time") and kinds[1] == "years and months duration":
        return wide_dates.add_months(left, sign * right.months)
    if kinds[0] in ("date", "date and time") and kinds[1] == "days and time duration":
        return wide_dates.shift(left, right if sign > 0 else -right)
    if sign < 0 and kinds[0] == kinds[1] and kinds[0] in ("date", "date and time"):
        if kinds[0] == "date and time" and (left.tzinfo is None) != (right.tzinfo is None):
            raise FeelError("cannot subtract a local date and time and one with a time zone")
        try:
            return dt.timedelta(microseconds=wide_dates.sort_key(left) - wide_dates.sort_key(right))
        except OverflowError:
            raise FeelError("the duration between those dates is too long") from None
    raise FeelError(f"cannot {'add' if sign > 0 else 'subtract'} a {kinds[1]} and a {kinds[0]} of such a year")


def _shift(value: dt.date, delta: dt.timedelta) -> Any:
    """A date moves by whole days, a date and time by the duration; past year 9999 or before year 1 the
    result is a wide date (`wide_dates`)."""
    try:
        return value + (delta if isinstance(value, dt.datetime) else dt.timedelta(days=delta.days))
    except OverflowError:
        return wide_dates.shift(value, delta)


def subtract(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    kinds = _types(left, right)
    if wide_dates.is_wide(left) or wide_dates.is_wide(right):
        return _wide(left, right, kinds, -1)
    if kinds == ("number", "number"):
        return FEEL_CONTEXT.subtract(left, right)
    if kinds in (("days and time duration", "days and time duration"),):
        return left - right
    if kinds == ("years and months duration", "years and months duration"):
        return YearsMonths(left.months - right.months)
    if kinds[1] == "years and months duration" and kinds[0] in ("date", "date and time"):
        return temporal.add_months(left, -right.months)
    if kinds[1] == "days and time duration" and kinds[0] in ("date", "date and time", "time"):
        return add(left, -right)
    if kinds[0] in ("date", "date and time") and kinds[1] in ("date", "date and time"):
        if "date" in kinds and kinds[0] != kinds[1] and any(
                isinstance(v, dt.datetime) and v.tzinfo is None for v in (left, right)):
            raise FeelError("cannot subtract a date and a local date and time")
        if kinds == ("date and time", "date and time") and (left.tzinfo is None) != (right.tzinfo is None):
            raise FeelError("cannot subtract a local date and time and one with a time zone")
        return temporal.subtract_datetimes(_as_datetime(left), _as_datetime(right))
    if kinds == ("time", "time"):
        return temporal.time_difference(left, right)
    raise FeelError(f"cannot subtract a {kinds[1]} from a {kinds[0]}")


def _as_datetime(value: dt.date) -> dt.datetime:
    # a date is its midnight in UTC when subtracted from a date and time with a zone
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)


def multiply(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    kinds = _types(left, right)
    if kinds == ("number", "number"):
        return FEEL_CONTEXT.multiply(left, right)
    if kinds[0] == "number" and kinds[1].endswith("duration"):
        return multiply(right, left)
    if kinds == ("days and time duration", "number"):
        return dt.timedelta(seconds=float(FEEL_CONTEXT.multiply(_seconds(left), right)))
    if kinds == ("years and months duration", "number"):
        return YearsMonths(int(FEEL_CONTEXT.multiply(Number(left.months), right).to_integral_value(decimal.ROUND_DOWN)))
    raise FeelError(f"cannot multiply a {kinds[0]} by a {kinds[1]}")


def _seconds(value: dt.timedelta) -> Number:
    return Number(value.days * 86400 + value.seconds) + Number(value.microseconds) / Number(1_000_000)


def divide(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    kinds = _types(left, right)
    if kinds[1] == "number" and right == 0:
        raise FeelError("division by zero")
    if kinds == ("number", "number"):
        return FEEL_CONTEXT.divide(left, right)
    if kinds == ("days and time duration", "number"):
        return dt.timedelta(seconds=float(FEEL_CONTEXT.divide(_seconds(left), right)))
    if kinds == ("years and months duration", "number"):
        return YearsMonths(int(FEEL_CONTEXT.divide(Number(left.months), right).to_integral_value(decimal.ROUND_DOWN)))
    if kinds == ("days and time duration", "days and time duration"):
        if not right:
            raise FeelError("division by zero")
        return FEEL_CONTEXT.divide(_seconds(left), _seconds(right))
    if kinds == ("years and months duration", "years and months duration"):
        if not right.months:
            raise FeelError("division by zero")
        return FEEL_CONTEXT.divide(Number(left.months), Number(right.months))
    raise FeelError(f"cannot divide a {kinds[0]} by a {kinds[1]}")


def power(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if _types(left, right) != ("number", "number"):
        raise FeelError("** takes two numbers")
    try:
        if right == right.to_integral_value():
            return FEEL_CONTEXT.power(left, int(right))
        return FEEL_CONTEXT.power(left, right)
    except (decimal.InvalidOperation, OverflowError):
        raise FeelError("no such power") from None


def negate(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Number):
        return FEEL_CONTEXT.minus(value)
    if isinstance(value, dt.timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    raise FeelError(f"cannot negate a {type_name(value)}")


ARITHMETIC = {"+": add, "-": subtract, "*": multiply, "/": divide, "**": power}


def check_number(value: Any) -> Any:
    """A result that is not finite (overflow beyond decimal128) is an error, not infinity."""
    if isinstance(value, Number) and not value.is_finite():
        raise FeelError("number out of range")
    return value
