"""The engine's notion of "now".

Every due time, timer firing and event timestamp goes through `now()`, so tests (and a
supervisor replaying a scenario) can move time forward without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the time source (None restores the system clock)."""
    global _source
    _source = source or (lambda: datetime.now(UTC))


class FrozenClock:
    """A clock that only moves when told to: `clock.advance(hours=72)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = (start or datetime.now(UTC)).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def install(self) -> FrozenClock:
        set_source(self)
        return self
