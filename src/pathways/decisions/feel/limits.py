"""Bounds on one evaluation, so that a careless or hostile DMN file cannot hold a server thread.

FEEL runs in the server process (it has no way to reach Python, files or the network), but it
can loop: `for a in 1..1000000, b in 1..1000000 return a`, a function that calls itself twice,
a context that doubles a string forty times. So one evaluation (a FEEL expression, or a whole
DMN decision with everything it requires) gets a budget:

- `MAX_STEPS` steps, spent by each iteration of `for`, `some` and `every`, each item a filter
  tests and each function call (built-in or written in FEEL);
- `MAX_SECONDS` of wall-clock time, looked at every 1,024 steps;
- no string or list longer than `MAX_ITEMS` made by an operator or a function (that one value
  becomes null, with a warning, as any FEEL error does), refused by the built-ins that could make
  one before they make it (`check_length`), and every 1,024 items made cost a step;
- no regular expression that can backtrack without end, or costs too much on its text
  (`regex_spans`, `check_regex`): Python's `re` runs in C and cannot be interrupted.

Running out of steps or time stops the whole evaluation with `EvaluationLimit`: the expression is
null with a warning, the decision gives no result (`Evaluation.error`). The budget lives in a
context variable set by the outermost `bounded()`, so the DMN model and FEEL share one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .errors import FeelError

MAX_STEPS = 1_000_000
MAX_SECONDS = 2.0
MAX_ITEMS = 1_000_000
_CLOCK_EVERY = 1_024
_ITEMS_PER_STEP = 1_024


class EvaluationLimit(Exception):
    """The evaluation ran out of steps or time; not a FeelError, so nothing inside turns it into null."""


class Budget:
    __slots__ = ("steps", "deadline", "_until_clock", "_limits")

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.steps = steps
        self.deadline = time.monotonic() + seconds
        self._until_clock = _CLOCK_EVERY
        self._limits = (steps, seconds)  # for the messages: this budget's, not the defaults

    def spend(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise EvaluationLimit(f"the evaluation was stopped after {self._limits[0]:,} steps (iterations, "
                                  "filtered items and function calls)")
        self._until_clock -= steps
        if self._until_clock <= 0:
            self._until_clock = _CLOCK_EVERY
            if time.monotonic() > self.deadline:
                raise EvaluationLimit(f"the evaluation was stopped after {self._limits[1]:g} s")


_active: ContextVar[Budget | None] = ContextVar("pathways_feel_budget", default=None)


@contextmanager
def bounded(steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> Iterator[Budget]:
    """The budget of the evaluation in progress, or a new one for an outermost evaluation."""
    active = _active.get()
    if active is not None:
        yield active
        return
    budget = Budget(steps, seconds)
    token = _active.set(budget)
    try:
        yield budget
    finally:
        _active.reset(token)


def spend(steps: int = 1) -> None:
    budget = _active.get()
    if budget is not None:
        budget.spend(steps)


def check_size(value: Any) -> Any:
    """`value`, unless it is a string or list longer than `MAX_ITEMS` (a FEEL error: null).

    Making a long value is work the steps would not count otherwise (a loop that builds a string of
    a million characters each time round is a few steps per round): every 1,024 items made cost a step.
    """
    if isinstance(value, str | list):
        if len(value) > MAX_ITEMS:
            raise FeelError(f"a {'string' if isinstance(value, str) else 'list'} longer than {MAX_ITEMS:,} items")
        if len(value) >= _ITEMS_PER_STEP:
            spend(len(value) // _ITEMS_PER_STEP)
    return value


def check_length(length: int, what: str = "string") -> None:
    """Refuse, before a built-in makes it, a string or list longer than `MAX_ITEMS`.

    `check_size` looks at a value once it exists; `string join` of a thousand strings of a million
    characters, or `replace` with a long replacement, would have taken gigabytes by then.
    """
    if length > MAX_ITEMS:
        raise FeelError(f"a {what} longer than {MAX_ITEMS:,} items")


# -- regular expressions: Python's `re` backtracks, in C, holding the GIL, and cannot be stopped -------
#: the most backtracking steps a pattern may cost on a text, by the estimate of `regex_cost`
MAX_REGEX_COST = 10**8


def regex_spans(pattern: Any) -> tuple[int, ...]:
    """For a parsed pattern (`re._parser.parse`), the number of widths each variable part may take
    (and the count of each fixed repetition),
    or a FeelError for a pattern that can backtrack without end whatever the text: `(a+)+$` on thirty
    `a`s takes minutes of a server thread, and the step budget cannot interrupt C code.

    Refused: back-references (matching with them is NP-hard), a repeated part that itself holds a
    repetition or an alternative of another width (`(a+)+`, `(a|aa)*`, `(.*,){20}`).
    """
    return tuple(_widths(list(pattern), False))


def check_regex(spans: tuple[int, ...], text_length: int) -> None:
    """Refuse a pattern too costly on this text: its cost is estimated as the text's length times,
    for each repetition, the widths it may take there (or its count, for a fixed one), which bounds
    the backtracking of a pattern without nested variable repetitions (`regex_spans`)."""
    cost = text_length + 1
    for span in spans:
        cost *= min(span, text_length + 1)
        if cost > MAX_REGEX_COST:
            raise FeelError("the regular expression would take too long on a text this long")


def _widths(items: list[Any], repeated: bool) -> Iterator[int]:
    for op, argument in items:
        kind = str(op)
        if kind in ("GROUPREF", "GROUPREF_EXISTS"):
            raise FeelError("regular expressions with back-references are not supported")
        if kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, inner = argument
            if high != low:
                if repeated:
                    raise FeelError("a repeated part of a regular expression must not itself repeat a variable "
                                    "number of times (catastrophic backtracking)")
                yield high - low + 1
            elif high > 1:  # `a{10000}b` tries ten thousand characters at each position of the text
                yield high
            yield from _widths(list(inner), repeated or high > 1)
        elif kind == "BRANCH":
            if repeated:
                raise FeelError("a repeated part of a regular expression must not hold alternatives "
                                "(catastrophic backtracking)")
            alternatives = argument[1]
            yield len(alternatives)
            for alternative in alternatives:
                yield from _widths(list(alternative), repeated)
        elif kind == "ATOMIC_GROUP":
            yield from _widths(list(argument), repeated)
        elif kind in ("SUBPATTERN", "ASSERT", "ASSERT_NOT"):
            yield from _widths(list(argument[-1]), repeated)
