"""Bounds on one evaluation, so that a careless or hostile DMN file cannot hold a server thread.

FEEL runs in the server process (it has no way to reach Python, files or the network), but it
can loop: `for a in 1..1000000, b in 1..1000000 return a`, a function that calls itself twice,
a context that doubles a string forty times. So one evaluation (a FEEL expression, or a whole
DMN decision with everything it requires) gets a budget:

- `MAX_STEPS` steps, spent by each iteration of `for`, `some` and `every`, each item a filter
  tests and each function call (built-in or written in FEEL);
- `MAX_SECONDS` of wall-clock time, looked at every 1,024 steps;
- no string or list longer than `MAX_ITEMS` made by an operator or a function (that one value
  becomes null, with a warning, as any FEEL error does).

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

from .values import FeelError

MAX_STEPS = 1_000_000
MAX_SECONDS = 2.0
MAX_ITEMS = 1_000_000
_CLOCK_EVERY = 1_024


class EvaluationLimit(Exception):
    """The evaluation ran out of steps or time; not a FeelError, so nothing inside turns it into null."""


class Budget:
    __slots__ = ("steps", "deadline", "_until_clock")

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.steps = steps
        self.deadline = time.monotonic() + seconds
        self._until_clock = _CLOCK_EVERY

    def spend(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise EvaluationLimit(f"the evaluation was stopped after {MAX_STEPS:,} steps (iterations, filtered "
                                  "items and function calls)")
        self._until_clock -= steps
        if self._until_clock <= 0:
            self._until_clock = _CLOCK_EVERY
            if time.monotonic() > self.deadline:
                raise EvaluationLimit(f"the evaluation was stopped after {MAX_SECONDS:g} s")


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
    """`value`, unless it is a string or list longer than `MAX_ITEMS` (a FEEL error: null)."""
    if isinstance(value, str | list) and len(value) > MAX_ITEMS:
        raise FeelError(f"a {'string' if isinstance(value, str) else 'list'} longer than {MAX_ITEMS:,} items")
    return value
