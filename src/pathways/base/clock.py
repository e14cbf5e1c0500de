"""Time, one way for the whole system.

Every due time, timer firing and event timestamp goes through `now()`, so tests (and a
supervisor replaying a scenario) can move time forward without sleeping. Every stored time is
UTC; `aware` gives back the zone that SQLite drops. Case workers read times in `WARSAW`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

#: the case workers' zone: "today", due days and every time shown on a page
WARSAW = ZoneInfo("Europe/Warsaw")

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the time source (None restores the system clock)."""
    global _source
    _source = source or (lambda: datetime.now(UTC))


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones, and all stored times are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
