"""Running the pieces of FEEL that walk values: unary tests against an input, `for` and
quantifier iterations, ranges to iterate over, paths and filters."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable
from typing import Any

from .limits import spend
from .scope import Compiled, Scope
from .values import FeelError, Range, compare


def with_input(scope: Scope, value: Any, tests: list[Callable[[Scope, Any], Any]]) -> Any:
    inner = scope.child({"?": value})
    seen_null = False
    for test in tests:
        outcome = test(inner, value)
        if outcome is True:
            return True
        if outcome is None:
            seen_null = True
    return None if seen_null else False


def loop(scope: Scope, iterations: list[tuple[str, Compiled, Compiled | None]], index: int,
          visit: Callable[[Scope], None]) -> None:
    if index == len(iterations):
        visit(scope)
        return
    name, first, second = iterations[index]
    for item in _source(scope, first, second):
        spend()
        loop(scope.child({name: item}), iterations, index + 1, visit)


def _source(scope: Scope, first: Compiled, second: Compiled | None) -> Iterable[Any]:
    start = first(scope)
    if second is None:
        if isinstance(start, Range):
            if compare(start.start, start.end) == 1:
                raise FeelError("a range's start is after its end")
            low = start.start if start.start_included else _step(start.start, 1)
            high = start.end if start.end_included else _step(start.end, -1)
            return _range_items(low, high)
        if start is None:
            return []
        return start if isinstance(start, list) else [start]
    return _range_items(start, second(scope))


def _step(value: Any, by: int) -> Any:
    if isinstance(value, decimal.Decimal):
        return value + by
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value + dt.timedelta(days=by)
    raise FeelError("only ranges of whole numbers or dates can be iterated over")


def _range_items(start: Any, end: Any) -> Iterable[Any]:
    """The items of `start..end`, made one at a time as the loop spends its steps on them."""
    if not isinstance(start, decimal.Decimal) or not isinstance(end, decimal.Decimal):
        if type(start) is dt.date and type(end) is dt.date:
            step = dt.timedelta(days=1 if end >= start else -1)
            count = abs((end - start).days)
            return (start + step * i for i in range(count + 1))
        raise FeelError("a range to iterate over needs two whole numbers")
    if start != start.to_integral_value() or end != end.to_integral_value():
        raise FeelError("a range to iterate over needs two whole numbers")
    low, high = int(start), int(end)
    stride = 1 if high >= low else -1
    return (decimal.Decimal(i) for i in range(low, high + stride, stride))


def path(value: Any, key: str) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        spend(1 + len(value) // 4)
        return [path(item, key) for item in value]
    if isinstance(value, dict):
        return value.get(key)
    return property_of(value, key)


def property_of(value: Any, key: str) -> Any:
    from .properties import PROPERTIES

    for kind, props in PROPERTIES:
        if isinstance(value, kind) and key in props:
            return props[key](value)
    raise FeelError(f"no property {key!r} on {value!r}")


def filter_list(scope: Scope, items: list[Any], condition: Compiled) -> Any:
    if items:
        probe = condition(scope.child(_item_scope(items[0])))
        if isinstance(probe, decimal.Decimal):
            index = int(probe) if probe == probe.to_integral_value() else 0
            if index > 0 and index <= len(items):
                return items[index - 1]
            if index < 0 and -index <= len(items):
                return items[index]
            return None
    else:  # `[][1]` is null, `[][item > 1]` is []: try the condition on nothing, quietly
        probe = condition(Scope({"item": None}, scope, []))
        return None if isinstance(probe, decimal.Decimal) else []
    spend(len(items))
    result = []
    for item in items:
        if condition(scope.child(_item_scope(item))) is True:
            result.append(item)
    return result


def _item_scope(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return {"item": item, **item}  # an entry named `item` wins over the item itself
    return {"item": item}
