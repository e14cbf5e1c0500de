"""FEEL values as Python values, their equality, order and conversion to and from Python and JSON.

| FEEL | Python |
|---|---|
| number | `decimal.Decimal`, computed in FEEL's context (34 digits, half even: IEEE 754 decimal128) |
| string, boolean, null | `str`, `bool`, `None` |
| date | `datetime.date` (`wide_dates.WideDate` for a year outside 1 to 9999) |
| time | `datetime.time` (with or without `tzinfo`) |
| date and time | `datetime.datetime` (with or without `tzinfo`; `wide_dates.WideDateTime` beyond those years) |
| days and time duration | `datetime.timedelta` |
| years and months duration | `YearsMonths` (a whole number of months) |
| list, context | `list`, `dict` (keys in order) |
| range | `Range` |
| function | `Function` |
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FeelError as FeelError  # re-exported: the values and their one error
from .limits import spend

FEEL_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emin=-6143, Emax=6144, traps=[])
"""FEEL numbers are IEEE 754-2008 decimal128: 34 significant digits."""


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A years and months duration: `P1Y2M` is 14 months."""

    months: int

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        if not years and not months:
            return "P0Y"
        return sign + "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")


@dataclass(frozen=True)
class Range:
    """A FEEL range: `[1..10)`; an endpoint of None is unbounded (`< 10` as a range)."""

    start: Any
    end: Any
    start_included: bool = True
    end_included: bool = True
    comparison: str = ""
    """For DMN 1.4's `(< 10)`, `(= 5)`, `(!= 5)`: the operator (such a range never equals `(null..10)`)."""

    def contains(self, value: Any) -> bool | None:
        if value is None:
            return None
        if self.comparison in ("=", "!="):
            same = equal(value, self.start)
            return None if same is None else same == (self.comparison == "=")
        if self.start is not None:
            low = compare(self.start, value)
            if low is None:
                return None
            if low > 0 or (low == 0 and not self.start_included):
                return False
        if self.end is not None:
            high = compare(value, self.end)
            if high is None:
                return None
            if high > 0 or (high == 0 and not self.end_included):
                return False
        return True


@dataclass
class Function:
    """A FEEL function: a built-in or one written in FEEL (`function(x) x + 1`).

    `call` takes the positional arguments; `parameters` names them for named invocation.
    """

    name: str
    parameters: list[str]
    call: Callable[..., Any]
    variadic: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)


def number(value: Any) -> decimal.Decimal:
    """A Decimal in FEEL's context (rounded to 34 digits)."""
    return FEEL_CONTEXT.create_decimal(value)


_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = ()  # filled below, once the classes exist


def type_name(value: Any) -> str:
    """The FEEL type of a value, as `instance of` and the error messages name it."""
    if value is None:
        return "Null"
    for kind, name in _TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def equal(left: Any, right: Any) -> bool | None:
    """FEEL `=`: null equals only null; values of different types are not comparable (null)."""
    if left is None or right is None:
        return left is None and right is None
    kind = type_name(left)
    if kind != type_name(right):
        return None
    if kind == "list":
        return _all_equal(left, right) if len(left) == len(right) else False
    if kind == "context":
        return _all_equal([left[k] for k in left], [right[k] for k in left]) if set(left) == set(right) else False
    if kind in ("date and time", "time"):
        if (left.tzinfo is None) != (right.tzinfo is None):
            return False
        if kind == "time" and left.tzinfo is not None:
            return bool(_time_seconds(left) == _time_seconds(right))
    if wide_dates.is_wide(left) or wide_dates.is_wide(right):
        return wide_dates.sort_key(left) == wide_dates.sort_key(right)
    return bool(left == right)


def _all_equal(left: list[Any], right: list[Any]) -> bool | None:
    spend(1 + len(left) // 4)  # comparing long lists is work the evaluation's budget must see
    for a, b in zip(left, right, strict=True):
        same = equal(a, b)
        if not same:
            return same
    return True


def _time_seconds(value: dt.time) -> float:
    offset = value.utcoffset() or dt.timedelta(0)
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return seconds - offset.total_seconds()


ORDERED = ("number", "string", "date", "date and time", "time", "days and time duration", "years and months duration")


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 for two values of one ordered type; None (null) otherwise."""
    if left is None or right is None:
        return None
    kind = type_name(left)
    if kind != type_name(right) or kind not in ORDERED:
        return None
    if wide_dates.is_wide(left) or wide_dates.is_wide(right):  # a local one as if in UTC, as below
        keys = wide_dates.sort_key(left), wide_dates.sort_key(right)
        return (keys[0] > keys[1]) - (keys[0] < keys[1])
    if kind in ("date and time", "time") and (left.tzinfo is None) != (right.tzinfo is None):
        if kind == "time":
            return None
        # a local date and time is compared as if in UTC, as most engines do
        left, right = _as_utc(left), _as_utc(right)
    if kind == "time" and left.tzinfo is not None:
        a, b = _time_seconds(left), _time_seconds(right)
        return (a > b) - (a < b)
    return int(left > right) - int(left < right)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def from_python(value: Any) -> Any:
    """A FEEL value from a Python or JSON value: numbers become Decimals, tuples lists, and so on."""
    if value is None or isinstance(value, bool | str | decimal.Decimal):
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return number(repr(value))
    if isinstance(value, dt.date | dt.time | dt.timedelta | YearsMonths | Range | Function):
        return value
    if wide_dates.is_wide(value):
        return value
    if isinstance(value, Mapping):
        return {str(key): from_python(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [from_python(item) for item in value]
    if callable(value):
        return Function(getattr(value, "__name__", "function"), [], value, variadic=True)
    raise FeelError(f"no FEEL value for a Python {type(value).__name__}")


def to_python(value: Any) -> Any:
    """A plain Python value: whole numbers as int, others as Decimal; temporal values unchanged."""
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return value
    if isinstance(value, list):
        return [to_python(item) for item in value]
    if isinstance(value, dict):
        return {key: to_python(item) for key, item in value.items()}
    return value


def to_json(value: Any) -> Any:
    """A JSON-ready value: numbers as int or float, temporal values and ranges as FEEL strings."""
    value = to_python(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return to_string(value)


def to_string(value: Any) -> str:
    """FEEL's `string()` of a value: `2026-01-01`, `P1Y`, `[1..2]`."""
    if value is None:
        return "null"
    for kind, render in _RENDER:
        if isinstance(value, kind):
            return render(value)
    return str(value)


def _range_text(value: Range) -> str:
    if value.comparison:
        return f"({value.comparison} {_literal(value.start if value.start is not None else value.end)})"
    return (("[" if value.start_included else "(") + _literal(value.start) + ".." + _literal(value.end)
            + ("]" if value.end_included else ")"))


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return to_string(value)


def format_number(value: decimal.Decimal) -> str:
    if value.is_finite() and value == value.to_integral_value():
        return str(value.quantize(decimal.Decimal(1), context=FEEL_CONTEXT)) if abs(value) < 10**34 else str(value)
    text = format(value.normalize(FEEL_CONTEXT), "f")
    return text


def format_time(value: dt.time) -> str:
    text = value.strftime("%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + _zone_suffix(value.tzinfo, value.utcoffset())


def format_datetime(value: dt.datetime) -> str:
    return value.date().isoformat() + "T" + format_time(value.timetz())


def _zone_suffix(tzinfo: dt.tzinfo | None, offset: dt.timedelta | None) -> str:
    if tzinfo is None:
        return ""
    key = getattr(tzinfo, "key", None)
    if key:
        return "@" + str(key)
    if offset is None:
        return ""
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = abs(int(offset.total_seconds()))
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def format_timedelta(value: dt.timedelta) -> str:
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    days, seconds = value.days, value.seconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = sign + "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if secs or value.microseconds:
        fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        clock += f"{secs}{fraction}S"
    if clock:
        text += "T" + clock
    return text if text not in ("P", "-P") else "P0D"


from . import wide_dates  # noqa: E402 - it needs FeelError from above

_TYPES = (
    (bool, "boolean"), (wide_dates.WideDateTime, "date and time"), (wide_dates.WideDate, "date"),
    (decimal.Decimal, "number"), (str, "string"), (dt.datetime, "date and time"),
    (dt.date, "date"), (dt.time, "time"), (dt.timedelta, "days and time duration"),
    (YearsMonths, "years and months duration"), (list, "list"), (dict, "context"), (Range, "range"),
    (Function, "function"),
)
_RENDER: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (bool, lambda v: "true" if v else "false"), (decimal.Decimal, format_number), (str, lambda v: v),
    ((wide_dates.WideDate, wide_dates.WideDateTime), lambda v: wide_dates.format_wide(v, format_time)),
    (dt.datetime, format_datetime), (dt.date, lambda v: v.isoformat()), (dt.time, format_time),
    (dt.timedelta, format_timedelta), (YearsMonths, str),
    (list, lambda v: "[" + ", ".join(_literal(item) for item in v) + "]"),
    (dict, lambda v: "{" + ", ".join(f"{key}: {_literal(item)}" for key, item in v.items()) + "}"),
    (Range, _range_text), (Function, lambda v: f"function {v.name}"),
)
