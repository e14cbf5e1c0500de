"""FEEL's list functions (DMN 1.3, 10.3.4.4), with positions from 1 and negative from the end."""

from __future__ import annotations

import decimal
from typing import Any

from .limits import check_length, spend
from .registry import builtin, call_function, need, need_int, need_list, spread
from .values import FEEL_CONTEXT, FeelError, Function, compare, equal

Number = decimal.Decimal
Items = list[Any]  # inside functions whose parameter is named `list`, as the standard names it


def _scanned(items: list[Any]) -> list[Any]:
    """The items, a step of the budget spent per four items (a comparison or a sum is cheaper than a
    filter's test, a step each): a built-in that looks at every item of a long list, in a loop, is work
    the budget must see (`list contains` of 100,000 items three hundred times was 20 s of a 2 s
    budget, the clock being looked at only every 1,024 steps)."""
    spend(len(items) // 4)
    return items


def _contains(items: list[Any], value: Any) -> bool:
    return any(equal(item, value) is True for item in _scanned(items))


@builtin("list contains", "list", "element")
def list_contains(list: Any, element: Any) -> bool:
    return _contains(need_list(list), element)


@builtin("count", "list")
def count(list: Any) -> Number:
    return Number(len(need_list(list)))


def _extreme(values: tuple[Any, ...], sign: int) -> Any:
    items = _scanned(spread(values))
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            raise FeelError("min and max need comparable items")
        if order * sign > 0:
            best = item
    if len(items) == 1 and compare(best, best) is None:
        raise FeelError("min and max need comparable items")
    return best


@builtin("min", "list", variadic=True)
def minimum(*values: Any) -> Any:
    return _extreme(values, -1)


@builtin("max", "list", variadic=True)
def maximum(*values: Any) -> Any:
    return _extreme(values, 1)


def _numbers(values: tuple[Any, ...]) -> list[Number]:
    items = _scanned(spread(values))
    for item in items:
        if not isinstance(item, Number) or isinstance(item, bool):
            raise FeelError("expected numbers")
    return items


@builtin("sum", "list", variadic=True)
def total(*values: Any) -> Any:
    items = _numbers(values)
    if not items:
        return None
    result = Number(0)
    for item in items:
        result = FEEL_CONTEXT.add(result, item)
    return result


@builtin("mean", "list", variadic=True)
def mean(*values: Any) -> Any:
    items = _numbers(values)
    if not items:
        return None
    return FEEL_CONTEXT.divide(total(items), Number(len(items)))


@builtin("product", "list", variadic=True)
def product(*values: Any) -> Any:
    items = _numbers(values)
    if not items:
        return None
    result = Number(1)
    for item in items:
        result = FEEL_CONTEXT.multiply(result, item)
    return result


@builtin("median", "list", variadic=True)
def median(*values: Any) -> Any:
    items = sorted(_numbers(values))
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return FEEL_CONTEXT.divide(FEEL_CONTEXT.add(items[middle - 1], items[middle]), Number(2))


@builtin("stddev", "list", variadic=True)
def stddev(*values: Any) -> Any:
    items = _numbers(values)
    if len(items) < 2:
        return None
    average = mean(items)
    squares = sum((FEEL_CONTEXT.power(item - average, 2) for item in items), Number(0))
    return FEEL_CONTEXT.sqrt(FEEL_CONTEXT.divide(squares, Number(len(items) - 1)))


@builtin("mode", "list", variadic=True)
def mode(*values: Any) -> Any:
    items = _numbers(values)
    counts: dict[Number, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(item for item, seen in counts.items() if seen == top)


def _booleans(values: tuple[Any, ...]) -> list[Any]:
    items = _scanned(spread(values))
    for item in items:
        if item is not None and not isinstance(item, bool):
            raise FeelError("expected booleans")
    return items


@builtin("all", "list", variadic=True)
def all_(*values: Any) -> Any:
    items = _booleans(values)
    if any(item is False for item in items):
        return False
    return None if any(item is None for item in items) else True


@builtin("any", "list", variadic=True)
def any_(*values: Any) -> Any:
    items = _booleans(values)
    if any(item is True for item in items):
        return True
    return None if any(item is None for item in items) else False


def _position(items: list[Any], position: Any, what: str = "position") -> int:
    index = need_int(position, what)
    if index == 0 or abs(index) > len(items):
        raise FeelError(f"{what} {index} out of range")
    return index - 1 if index > 0 else len(items) + index


@builtin("sublist", "list", "start position", "length?")
def sublist(list: Any, start: Any, length: Any = None) -> list[Any]:
    items: Items = need(list, "list", "list")
    begin = _position(items, start, "start position")
    if length is None:
        return items[begin:]
    size = need_int(length, "length")
    if size < 0 or begin + size > len(items):
        raise FeelError("length out of range")
    return items[begin:begin + size]


@builtin("append", "list", "item", variadic=True)
def append(list: Any, *items: Any) -> list[Any]:
    start = need_list(list)
    check_length(len(start) + len(items), "list")
    return [*start, *items]


@builtin("concatenate", "list", variadic=True)
def concatenate(*lists: Any) -> list[Any]:
    parts = [need(items, "list", "each argument") for items in lists]
    check_length(sum(len(items) for items in parts), "list")
    return [item for items in parts for item in items]


@builtin("insert before", "list", "position", "newItem")
def insert_before(list: Any, position: Any, newItem: Any) -> list[Any]:  # noqa: N803 - the standard's name
    items = need(list, "list", "list")
    index = _position(items, position)
    return [*items[:index], newItem, *items[index:]]


@builtin("remove", "list", "position")
def remove(list: Any, position: Any) -> list[Any]:
    items = need(list, "list", "list")
    index = _position(items, position)
    return [*items[:index], *items[index + 1:]]


@builtin("list replace", "list", "position", "newItem")
def list_replace(list: Any, position: Any, newItem: Any) -> list[Any]:  # noqa: N803 - the standard's name
    """DMN 1.5: replace the item at a position, or every item a function `match(item, newItem)` picks."""
    items: Items = need_list(list)
    if isinstance(position, Function):
        if position.parameters and len(position.parameters) != 2:
            raise FeelError("match must take two parameters: item and newItem")
        result = []
        for item in items:
            matched = call_function(position, [item, newItem])
            if not isinstance(matched, bool):
                raise FeelError("match must return true or false")
            result.append(newItem if matched else item)
        return result
    index = _position(items, position)
    return [*items[:index], newItem, *items[index + 1:]]


@builtin("list replace", "list", "match", "newItem")
def list_replace_matching(list: Any, match: Any, newItem: Any) -> list[Any]:  # noqa: N803
    if not isinstance(match, Function):
        raise FeelError("match must be a function")
    return list_replace(list, match, newItem)


@builtin("reverse", "list")
def reverse(list: Any) -> list[Any]:
    return need_list(list)[::-1]


@builtin("index of", "list", "match")
def index_of(list: Any, match: Any) -> list[Number]:
    items = _scanned(need(list, "list", "list"))
    return [Number(i + 1) for i, item in enumerate(items) if equal(item, match) is True]


@builtin("union", "list", variadic=True)
def union(*lists: Any) -> list[Any]:
    return distinct_values(concatenate(*lists))


@builtin("distinct values", "list")
def distinct_values(list: Any) -> list[Any]:
    """Strings, numbers, booleans and null are told apart by hashing; other items are compared with
    every item kept so far, each comparison a step of the evaluation's budget (it is quadratic)."""
    result: Items = []
    seen: set[tuple[type, Any]] = set()
    others: Items = []
    for item in _scanned(need_list(list)):
        if item is None or isinstance(item, str | bool) or (isinstance(item, Number) and item.is_finite()):
            key = (type(item), item)
            if key not in seen:
                seen.add(key)
                result.append(item)
            continue
        spend(len(others) + 1)
        if not _contains(others, item):
            others.append(item)
            result.append(item)
    return result


@builtin("flatten", "list")
def flatten(list: Any) -> list[Any]:
    """Iterative, and refused once it outgrows the limit: a list that holds itself (or lists nested
    deeper than Python's stack) must not take the server's memory or stack."""
    result: Items = []
    pending = [iter(need_list(list))]
    while pending:
        item = next(pending[-1], _END)
        if item is _END:
            pending.pop()
        elif isinstance(item, type(result)):
            if len(pending) >= MAX_NESTING:
                raise FeelError(f"flatten: lists nested deeper than {MAX_NESTING:,} levels")
            pending.append(iter(item))
        else:
            result.append(item)
            check_length(len(result), "list")
    return result


_END = object()
MAX_NESTING = 1_000


@builtin("sort", "list", "precedes?")
def sort(list: Any, precedes: Any = None) -> list[Any]:
    items = [*_scanned(need(list, "list", "list"))]
    if precedes is None:
        spend(len(items) * max(len(items).bit_length(), 1) // 4)  # n log n comparisons
        for item in items[1:]:
            if compare(items[0], item) is None:
                raise FeelError("sort needs comparable items or a function")
        return sorted(items, key=_Key)
    if not isinstance(precedes, Function):
        raise FeelError("precedes must be a function")
    # insertion sort with the FEEL function as the order: lists in decisions are short
    result: Items = []
    for item in items:
        index = len(result)
        while index > 0 and call_function(precedes, [item, result[index - 1]]) is True:
            index -= 1
        result.insert(index, item)
    return result


class _Key:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Key) -> bool:
        return compare(self.value, other.value) == -1
