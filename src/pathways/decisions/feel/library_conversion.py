"""FEEL's conversion functions (DMN 1.3, 10.3.4.1): date, time, date and time, duration, number,
string; and boolean `not`, `is`, and the context functions (10.3.4.8)."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from . import temporal
from .limits import check_length, spend
from .registry import OtherOverload, builtin, need, need_int
from .values import FEEL_CONTEXT, FeelError, YearsMonths, compare, equal, to_string, type_name
from .wide_dates import WideDate, WideDateTime, combine, date_of, make_date

Number = decimal.Decimal


@builtin("date", "from")
def date_from(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date | WideDate):
        return value
    if isinstance(value, WideDateTime):
        return value.on
    return temporal.parse_date(need(value, "string", "from"))


@builtin("date", "year", "month", "day")
def date_parts(year: Any, month: Any, day: Any) -> Any:
    return make_date(need_int(year, "year"), need_int(month, "month"), need_int(day, "day"))


@builtin("time", "from")
def time_from(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, WideDateTime):
        return value.clock
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.date):
        return dt.time(tzinfo=dt.UTC)
    return temporal.parse_time(need(value, "string", "from"))


@builtin("time", "hour", "minute", "second", "offset?")
def time_parts(hour: Any, minute: Any, second: Any, offset: Any = None) -> dt.time:
    seconds = need(second, "number", "second")
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    zone = None
    if offset is not None:
        zone = dt.timezone(need(offset, "days and time duration", "offset"))
    try:
        return dt.time(need_int(hour, "hour"), need_int(minute, "minute"), whole, micro, tzinfo=zone)
    except ValueError as error:
        raise FeelError(f"not a time: {error}") from None


@builtin("date and time", "from")
def datetime_from(value: Any) -> Any:
    if isinstance(value, dt.datetime | WideDateTime):
        return value
    if isinstance(value, dt.date | WideDate):
        return combine(value, dt.time())
    return temporal.parse_datetime(need(value, "string", "from"))


@builtin("date and time", "date", "time")
def datetime_parts(date: Any, time: Any) -> Any:
    if not isinstance(date, dt.date | WideDate | WideDateTime):
        raise FeelError("date must be a date or date and time")
    day = date.date() if isinstance(date, dt.datetime) else date_of(date)
    return combine(day, need(time, "time", "time"))


@builtin("duration", "from")
def duration(value: Any) -> Any:
    return temporal.parse_duration(need(value, "string", "from"))


@builtin("years and months duration", "from", "to")
def years_and_months(start: Any, end: Any) -> YearsMonths:
    for value, what in ((start, "from"), (end, "to")):
        if not isinstance(value, dt.date):
            raise FeelError(f"{what} must be a date or date and time")
    return temporal.months_between(start, end)


@builtin("number", "from", "grouping separator?", "decimal separator?")
def number_from(value: Any, grouping: Any = None, decimal_sep: Any = None) -> Number:
    text = need(value, "string", "from")
    if grouping is not None and grouping not in (" ", ",", "."):
        raise FeelError("grouping separator must be a space, comma or period")
    if decimal_sep is not None and (decimal_sep not in (",", ".") or decimal_sep == grouping):
        raise FeelError("decimal separator must be a comma or period, not the grouping separator")
    if grouping:
        text = text.replace(grouping, "")
    if decimal_sep:
        text = text.replace(decimal_sep, ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        raise FeelError(f"not a number: {value!r}")
    return FEEL_CONTEXT.create_decimal(text)


@builtin("string", "from")
def string(value: Any) -> Any:
    if value is None:
        return None
    _check_rendered(value)
    return to_string(value)


def _check_rendered(value: Any) -> None:
    """Refuse, before rendering it, a value whose text would outgrow the limit: a list of a million
    references to one long string is small in memory and enormous as text (and a list that holds
    itself never ends). Counted without recursion: a few characters per item, each string in full."""
    size, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, dict):
            size += 2 + sum(len(key) + 2 for key in item)
            pending.extend(item.values())
        elif isinstance(item, list):
            size += 2 + len(item)
            spend(len(item) // 4)
            pending.extend(item)
        else:
            size += 8
        check_length(size)


@builtin("not", "negand")
def not_(negand: Any) -> Any:
    return (not negand) if isinstance(negand, bool) else None


@builtin("is", "value1", "value2")
def is_(value1: Any, value2: Any) -> bool:
    if type_name(value1) != type_name(value2):
        return False
    if isinstance(value1, dt.datetime | dt.time):
        if getattr(value1.tzinfo, "key", None) != getattr(value2.tzinfo, "key", None):
            return False
        if value1.utcoffset() != value2.utcoffset():
            return False
    return equal(value1, value2) is True


@builtin("get value", "m", "key")
def get_value(m: Any, key: Any) -> Any:
    return need(m, "context", "m").get(need(key, "string", "key"))


@builtin("get entries", "m")
def get_entries(m: Any) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in need(m, "context", "m").items()]


@builtin("context put", "context", "key", "value")
def context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    if isinstance(key, list):  # `context put(c, ["a", "b"], v)` is the keys form; named, it is `keys:`
        raise OtherOverload("key must be a string; a list of keys is the parameter keys")
    return {**need(context, "context", "context"), need(key, "string", "key"): value}


@builtin("context put", "context", "keys", "value")
def context_put_path(context: Any, keys: Any, value: Any) -> dict[str, Any]:
    return _put_path(need(context, "context", "context"), need(keys, "list", "keys"), value)


def _put_path(context: dict[str, Any], keys: list[Any], value: Any) -> dict[str, Any]:
    if not keys:
        raise FeelError("context put needs at least one key")
    head = need(keys[0], "string", "key")
    if len(keys) == 1:
        return {**context, head: value}
    inner = context.get(head, {})
    return {**context, head: _put_path(need(inner, "context", "nested context"), keys[1:], value)}


@builtin("range", "from")
def range_from(value: Any) -> Any:
    """DMN 1.5's `range("[1..10)")`: the text of a range literal, evaluated without variables."""
    from . import evaluate  # the parser sits above the library: imported when called
    from .values import Range

    text = need(value, "string", "from").strip()
    if not text or text[0] not in "[(]" or text[-1] not in "])[" or not _literal_endpoints(text):
        raise FeelError(f"not a range: {value!r}")
    result = evaluate(text, {})
    if not isinstance(result.value, Range) or result.warnings:
        raise FeelError(f"not a range: {value!r}")
    start, end = result.value.start, result.value.end
    if start is None and end is None:
        raise FeelError(f"a range needs at least one end: {value!r}")
    if start is not None and end is not None and compare(start, end) in (None, 1):
        raise FeelError(f"a range's start must not be after its end: {value!r}")
    return result.value


TEMPORAL_CONSTRUCTORS = ("date", "time", "date and time", "duration")


def _literal_endpoint(node: Any) -> bool:
    """A number, string, `null`, `@"..."` literal, or `date("...")` (and time, date and time, duration)."""
    kind = getattr(node, "data", None)
    if kind in ("number", "string", "null", "temporal"):
        return True
    if kind == "negate":
        return getattr(node.children[0], "data", None) == "number"
    if kind == "call" and len(node.children) == 2 and getattr(node.children[1], "data", None) == "positional":
        name = " ".join(str(token) for token in getattr(node.children[0], "children", ()))
        arguments = node.children[1].children
        return name in TEMPORAL_CONSTRUCTORS and len(arguments) == 1 and arguments[0].data == "string"
    return False


def _literal_endpoints(text: str) -> bool:
    """The standard allows only literals as the ends of `range()`'s text, no names or other calls."""
    from lark import LarkError, Token

    from .parser import tree

    try:
        parsed = tree(text)
    except LarkError:
        return False
    if parsed.data not in ("closed_start_interval", "open_start_interval"):
        return False
    ends = [node for node in parsed.children if not isinstance(node, Token)][:2]
    return all(_literal_endpoint(node) for node in ends)


@builtin("context merge", "contexts")
def context_merge(contexts: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in need(contexts, "list", "contexts"):
        result.update(need(item, "context", "each context"))
    return result


@builtin("context", "entries")
def context_from(entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else [need(entries, "context", "entries")]:
        if "value" not in need(entry, "context", "entry"):
            raise FeelError("each entry needs a key and a value")
        key = need(entry.get("key"), "string", "key")
        if key in result:
            raise FeelError(f"duplicate key {key!r}")
        result[key] = entry.get("value")
    return result
