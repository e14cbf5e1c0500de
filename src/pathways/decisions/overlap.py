"""Static overlap of decision table rules: can two rules of a UNIQUE table match the same input?

Each input entry that is *simple* becomes a set of values per type: `-`, literals (numbers,
strings, booleans, dates), comma lists of them, comparisons (`< 5`, `>= date("2026-01-01")`),
ranges (`[1..5)`, `]1..5]`, `(< 10)`), list literals of literals, and `not(...)` of any of these.
Two rules overlap when, in every column, their sets intersect; then we also build an example input.

Entries that are not simple (names, `?` expressions, arithmetic, function calls other than
`date("...")`, date and time or durations) are skipped: a pair of rules with such an entry in a
column where the other columns intersect is not reported, because we cannot tell without running
it. So the check never warns wrongly about those, and may miss an overlap hidden in them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Tree

from . import feel
from .feel import _negated
from .feel.parser import tree as feel_tree


class NotSimple(Exception):
    """An entry this analysis does not understand."""


@dataclass(frozen=True)
class Interval:
    """Values between `low` and `high` (None: unbounded) of one type, each end included or not."""

    low: Any
    high: Any
    low_in: bool = True
    high_in: bool = True

    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_in and self.high_in))

    def meet(self, other: Interval) -> Interval:
        low, low_in = _tighter(self.low, self.low_in, other.low, other.low_in, max)
        high, high_in = _tighter(self.high, self.high_in, other.high, other.high_in, min)
        return Interval(low, high, low_in, high_in)


def _tighter(a: Any, a_in: bool, b: Any, b_in: bool, pick: Any) -> tuple[Any, bool]:
    if a is None:
        return b, b_in
    if b is None or a == b:
        return a, a_in and (b_in if a == b else True)
    return (a, a_in) if pick(a, b) == a else (b, b_in)


Sets = dict[str, list[Interval]]


@dataclass(frozen=True)
class Condition:
    """What an entry matches: intervals per type, and `rest`: every value of the types not listed."""

    parts: Sets
    rest: bool = False

    def meet(self, other: Condition) -> Condition:
        parts: Sets = {}
        for kind in set(self.parts) | set(other.parts):
            mine = self.parts.get(kind, [Interval(None, None)] if self.rest else [])
            theirs = other.parts.get(kind, [Interval(None, None)] if other.rest else [])
            parts[kind] = [m for a in mine for b in theirs if not (m := a.meet(b)).empty()]
        return Condition(parts, self.rest and other.rest)

    def negate(self) -> Condition:
        return Condition({kind: _complement(kind, spans) for kind, spans in self.parts.items()}, not self.rest)

    def join(self, other: Condition) -> Condition:
        parts: Sets = {}
        for kind in set(self.parts) | set(other.parts):
            if kind not in self.parts and self.rest or kind not in other.parts and other.rest:
                parts[kind] = [Interval(None, None)]
            else:
                parts[kind] = self.parts.get(kind, []) + other.parts.get(kind, [])
        return Condition(parts, self.rest or other.rest)

    def empty(self) -> bool:
        return not self.rest and not any(self.parts.values())

    def example(self) -> Any:
        """A value this (non-empty) condition matches."""
        for kind in ("number", "string", "date", "boolean", "null"):
            for span in self.parts.get(kind, []):
                return _inside(kind, span)
        if self.rest:
            return next(_DEFAULTS[kind] for kind in _DEFAULTS if kind not in self.parts)
        return None


ANY = Condition({}, True)
_DEFAULTS: dict[str, Any] = {"number": Decimal(0), "string": "x", "date": datetime.date(2000, 1, 1),
                             "boolean": True, "null": None}
_STEP: dict[str, Any] = {"number": Decimal(1), "date": datetime.timedelta(days=1)}


def _complement(kind: str, spans: list[Interval]) -> list[Interval]:
    if kind == "boolean":
        present = {span.low for span in spans}
        return [Interval(value, value) for value in (False, True) if value not in present]
    out = [Interval(None, None)]
    for cut in spans:
        pieces = []
        for span in out:
            pieces.append(span.meet(Interval(None, cut.low, True, not cut.low_in)) if cut.low is not None else None)
            pieces.append(span.meet(Interval(cut.high, None, not cut.high_in, True)) if cut.high is not None else None)
        out = [piece for piece in pieces if piece is not None and not piece.empty()]
    return out


def _inside(kind: str, span: Interval) -> Any:
    """A value inside a non-empty interval."""
    if span.low is not None and span.low_in:
        return span.low
    if span.high is not None and span.high_in:
        return span.high
    if kind == "string":
        if span.low is None:
            return "" if span.high != "" else None
        return span.low + "a"
    step = _STEP.get(kind)
    if span.low is None and span.high is None:
        return _DEFAULTS[kind]
    if span.low is None:
        return span.high - step
    if span.high is None:
        return span.low + step
    if kind == "number":
        return (span.low + span.high) / 2
    return span.low + step


def condition(text: str) -> Condition:
    """The set of values an input entry matches; NotSimple when the entry is not simple."""
    stripped = text.strip()
    if stripped in ("", "-"):
        return ANY
    inner = _negated(stripped)
    if inner is not None:
        return condition(inner).negate()
    try:
        parsed = feel_tree(stripped, "unary tests")
    except Exception as error:  # a syntax error is lint's business elsewhere
        raise NotSimple(str(error)) from None
    result = Condition({})
    for test in parsed.children:
        result = result.join(_test(test))
    return result


_COMPARISONS = {"lt_test": "<", "le_test": "<=", "gt_test": ">", "ge_test": ">=", "eq_test": "=", "ne_test": "!="}


def _test(node: Tree[Any]) -> Condition:
    if node.data in _COMPARISONS:
        return _compare(_COMPARISONS[str(node.data)], node.children[0])
    return _value_test(node.children[0])


def _compare(operator: str, node: Any) -> Condition:
    kind, value = _literal(node)
    if kind == "null":
        raise NotSimple("comparison with null")
    if operator == "=":
        spans = [Interval(value, value)]
    elif operator == "!=":
        return Condition({kind: _complement(kind, [Interval(value, value)])}, True)
    elif operator.startswith("<"):
        spans = [Interval(None, value, True, operator == "<=")]
    else:
        spans = [Interval(value, None, operator == ">=", True)]
    return Condition({kind: [_discrete(kind, span) for span in spans]})


def _value_test(node: Any) -> Condition:
    data = node.data if isinstance(node, Tree) else None
    if data == "list":
        result = Condition({})
        for item in node.children:
            result = result.join(_value_test(item))
        return result
    if data == "comparison_range":
        return _compare(str(node.children[0]), node.children[1])
    if data in ("closed_start_interval", "open_start_interval"):
        parts = [child for child in node.children if not isinstance(child, Token)]
        (low_kind, low), (high_kind, high) = _literal(parts[0]), _literal(parts[1])
        if low_kind != high_kind or low_kind in ("null", "boolean"):
            raise NotSimple("range of mixed or unordered types")
        span = Interval(low, high, data == "closed_start_interval", parts[2].data == "closed_end")
        return Condition({low_kind: [] if span.empty() else [_discrete(low_kind, span)]})
    kind, value = _literal(node)
    if kind == "null":
        return Condition({"null": [Interval(None, None)]})
    return Condition({kind: [Interval(value, value)]})


def _discrete(kind: str, span: Interval) -> Interval:
    """Dates are whole days: an open end becomes the next (previous) day, included."""
    if kind != "date":
        return span
    low, high = span.low, span.high
    if low is not None and not span.low_in:
        low = low + datetime.timedelta(days=1)
    if high is not None and not span.high_in:
        high = high - datetime.timedelta(days=1)
    return Interval(low, high)


def _literal(node: Any) -> tuple[str, Any]:
    """A literal's type and value: numbers, strings, booleans, null, dates."""
    data = node.data if isinstance(node, Tree) else None
    if data == "number":
        return "number", _number(str(node.children[0]))
    if data == "negate" and isinstance(node.children[0], Tree) and node.children[0].data == "number":
        return "number", -_number(str(node.children[0].children[0]))
    if data == "string":
        return "string", feel.evaluate(str(node.children[0])).value
    if data in ("true", "false"):
        return "boolean", data == "true"
    if data == "null":
        return "null", None
    if data == "temporal":
        return _date(str(node.children[0]))
    if data == "call" and _is_date_call(node):
        return _date(str(node.children[1].children[0].children[0]))
    raise NotSimple(f"not a literal: {data}")


def _is_date_call(node: Tree[Any]) -> bool:
    name, arguments = node.children[0], node.children[1] if len(node.children) > 1 else None
    return (isinstance(name, Tree) and [str(t) for t in name.children] == ["date"]
            and isinstance(arguments, Tree) and arguments.data == "positional" and len(arguments.children) == 1
            and isinstance(arguments.children[0], Tree) and arguments.children[0].data == "string")


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise NotSimple("number") from None


def _date(quoted: str) -> tuple[str, Any]:
    value = feel.evaluate(f"date({quoted})").value
    if type(value) is not datetime.date:
        raise NotSimple("not a date")
    return "date", value


def overlapping_pairs(rules: Sequence[Sequence[str]]) -> list[tuple[int, int, list[Any]]]:
    """Every pair of rules (1-based numbers) that can both match, with an example input."""
    conditions: list[list[Condition | None]] = [[_maybe(text) for text in rule] for rule in rules]
    found = []
    for i, first in enumerate(conditions):
        for j in range(i + 1, len(conditions)):
            if _pair(first, conditions[j]) is not None and (example := overlap(rules[i], rules[j])) is not None:
                found.append((i + 1, j + 1, example))
    return found


def _maybe(text: str) -> Condition | None:
    try:
        return condition(text)
    except NotSimple:
        return None


def _pair(first: list[Condition | None], second: list[Condition | None]) -> list[Any] | None:
    example = []
    for mine, theirs in zip(first, second, strict=True):
        if mine is None or theirs is None:
            return None
        both = mine.meet(theirs)
        if both.empty():
            return None
        example.append(both.example())
    return example


def overlap(first: Sequence[str], second: Sequence[str]) -> list[Any] | None:
    """An input (one value per column) on which both rules match; None when there is none or when
    a column holds an entry that is not simple (see the module's docstring)."""
    example = _pair([_maybe(text) for text in first], [_maybe(text) for text in second])
    if example is None:
        return None
    for mine, theirs, value in zip(first, second, example, strict=True):
        if not (feel.unary_test(mine, value) and feel.unary_test(theirs, value)):
            return None  # the example is wrong (a corner this analysis gets wrong): say nothing
    return example
