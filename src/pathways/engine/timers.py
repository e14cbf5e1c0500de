"""BPMN timers that accept literal ISO 8601 text and follow the engine's clock.

Designers write timers in Camunda Modeler as literal ISO 8601 (`PT72H`, `P6M`, `2026-12-01T09:00:00Z`,
`R3/PT1H`), while plain SpiffWorkflow evaluates the text as a Python expression, so `PT72H` fails at
run time. `as_expression` quotes literals at parse time and leaves anything else alone, so expressions
such as `internship_end` or `"P%dM" % months` keep working.

SpiffWorkflow also compares due times against `datetime.now()` directly; the subclasses below use
`pathways.base.clock.now()` instead so tests and scenario replays can move time without sleeping.

Conventions (deliberate, relied on elsewhere):

* A datetime without a zone (and a bare date, meaning midnight) is UTC, never server local time, so
  a due time does not depend on where the engine happens to run.
* Durations are applied in UTC: years/months first, calendar-correct with the day clamped to the end
  of the target month (2026-01-31 + P1M = 2026-02-28), then weeks/days/hours/minutes/seconds as exact
  elapsed time (P1D is always 24 hours). Years and months must be whole numbers.
* Designators are accepted in either case (`pt72h`), as Camunda does; the price is that Python names
  which happen to look like ISO 8601 (`p1d`, `pt`) cannot be used as timer expressions.
* Cycles: `R[n]/<duration>` (first due one duration after the timer starts), `R[n]/<start>/<duration>`
  and `R[n]/<start>/<end>`; `R[n]/<duration>/<end>` and cron expressions are rejected.
* A timer fires once `clock.now() >= due` (SpiffWorkflow waits until strictly after `due`), so a
  test that advances a FrozenClock to exactly the due time sees it fire.
* Internal data keeps SpiffWorkflow's shape: `event_value` is a UTC ISO datetime string for date and
  duration timers, and `{"cycles", "next", "duration"}` for cycles (`cycles == -1` means unbounded,
  `duration` is the repeat interval in seconds, fixed when the timer starts).
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from pathways.base import clock

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>{_NUM})W)?(?:(?P<days>{_NUM})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUM})H)?(?:(?P<minutes>{_NUM})M)?(?:(?P<seconds>{_NUM})S)?)?",
    re.IGNORECASE,
)
_CYCLE = re.compile(r"R(\d*)/([^/]+)(?:/([^/]+))?", re.IGNORECASE)
# Text that is evidently an attempt at ISO 8601 (even though `PT72` or `R3/PT1H` compile as Python).
_ISO_LIKE = re.compile(r"R\d*/|P(?:T|\d|$)|\d{4}-\d", re.IGNORECASE)

_ELEMENT = {"date": "timeDate", "duration": "timeDuration", "cycle": "timeCycle"}
_EXAMPLES = {"date": "2026-12-01T09:00:00Z, 2026-12-01", "duration": "PT72H, P6M", "cycle": "R3/PT1H, R/P1D"}


class _Duration(NamedTuple):
    """A parsed ISO duration: calendar months plus an exact elapsed part."""

    months: int
    exact: timedelta

    def add_to(self, start: datetime) -> datetime:
        total = start.month - 1 + self.months
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day) + self.exact


def _bad(kind: str, text: str) -> ValueError:
    return ValueError(f"{_ELEMENT[kind]} {text!r} is not ISO 8601 (expected e.g. {_EXAMPLES[kind]})")


def _parse_duration(text: str) -> _Duration:
    match = _DURATION.fullmatch(text)
    if match is None:
        raise _bad("duration", text)
    part = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v is not None}
    exact = timedelta(weeks=part.get("weeks", 0), days=part.get("days", 0), hours=part.get("hours", 0),
                      minutes=part.get("minutes", 0), seconds=part.get("seconds", 0))
    return _Duration(int(part.get("years", 0)) * 12 + int(part.get("months", 0)), exact)


def _parse_datetime(text: str) -> datetime:
    """Parse an ISO date or datetime; naive means UTC. Bare digits are numbers, not dates."""
    try:
        if text.isdigit():
            raise ValueError(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _bad("date", text) from None
    return clock.aware(parsed)


def _parse_cycle(text: str, start: datetime) -> tuple[int, datetime, timedelta]:
    """Return (repetitions or -1 for unbounded, first due time, repeat interval)."""
    match = _CYCLE.fullmatch(text)
    if match is None:
        raise _bad("cycle", text)
    count = int(match[1]) if match[1] else -1
    first, second = match[2], match[3]
    if second is None:
        due = _parse_duration(first).add_to(start)
        interval = due - start
    elif first[:1].upper() == "P" and second[:1].upper() != "P":
        raise ValueError(f"timeCycle {text!r}: <duration>/<end> is unsupported; use R<n>/<start>/<duration>")
    else:
        due = _parse_datetime(first)
        end = _parse_datetime(second) if second[:1].upper() != "P" else _parse_duration(second).add_to(due)
        interval = end - due
    if interval <= timedelta(0):
        raise ValueError(f"timeCycle {text!r} must repeat after a positive interval")
    return count, due, interval



def parse_timer_value(kind: str, value: str, start: datetime) -> datetime:
    """First due time (UTC-aware) of a timer value of `kind` ("date", "duration" or "cycle") from `start`."""
    if kind not in _ELEMENT:
        raise ValueError(f"unknown timer kind {kind!r}")
    text, start = value.strip(), clock.aware(start)
    try:
        if kind == "date":
            return _parse_datetime(text)
        if kind == "duration":
            return _parse_duration(text).add_to(start)
        return _parse_cycle(text, start)[1]
    except ValueError as exc:
        if _ELEMENT[kind] in str(exc):
            raise
        raise _bad(kind, text) from exc  # e.g. a month/year overflow in a valid-looking literal


def _literal_kind(text: str) -> str | None:
    """Which kind of ISO 8601 literal the text is, if any."""
    for kind in _ELEMENT:
        try:
            parse_timer_value(kind, text, datetime(2000, 1, 1, tzinfo=UTC))
        except ValueError:
            continue
        return kind
    return None


def is_iso_literal(text: str) -> bool:
    """True when the stripped text is a literal ISO 8601 date/datetime, duration or repeating interval."""
    return _literal_kind(text.strip()) is not None


def as_expression(text: str) -> str:
    """The Python expression for a timer's text: literals are quoted (repr), expressions pass through."""
    stripped = text.strip()
    return repr(stripped) if is_iso_literal(stripped) else text


def check_timer_text(kind: str, text: str) -> str | None:
    """Linter check: None if `text` is a valid literal for `kind` or a compilable Python expression.

    A literal of the wrong kind (a date in timeDuration) and text that is evidently an attempt at ISO
    8601 (`PT72`, `R/`, which may happen to compile as Python) are reported.
    """
    element, stripped = _ELEMENT.get(kind), text.strip()
    if element is None:
        return f"unknown timer kind {kind!r}"
    if not stripped:
        return f"{element} is empty"
    found = _literal_kind(stripped)
    if found == kind:
        return None
    if found is not None:
        return f"{element} {stripped!r} is an ISO 8601 {found}, not a {kind} (e.g. {_EXAMPLES[kind]})"
    if _ISO_LIKE.match(stripped):
        try:
            parse_timer_value(kind, stripped, datetime(2000, 1, 1, tzinfo=UTC))
        except ValueError as exc:
            return str(exc)
    try:
        compile(stripped, "<timer>", "eval")
    except SyntaxError:
        return str(_bad(kind, stripped))
    return None


def _evaluate(my_task: Any, expression: str) -> str:
    """Evaluate the timer expression; datetimes/dates become ISO strings (naive still meaning UTC)."""
    value = my_task.workflow.script_engine.evaluate(my_task, expression)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"timer expression {expression!r} gave {type(value).__name__}, not ISO 8601 text")
    return value


class _OneShotTimer:
    """Shared firing logic for date and duration timers (the due time is fixed once computed)."""

    kind = "date"
    expression: str

    def has_fired(self, my_task: Any) -> bool:
        """SpiffWorkflow's logic, but the value goes through our parser and the clock is `clock.now()`."""
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            due = parse_timer_value(self.kind, _evaluate(my_task, self.expression), clock.now())
            event_value = due.isoformat()
            my_task._set_internal_data(event_value=event_value)
        if _parse_datetime(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class TimeDateTimer(_OneShotTimer, TimeDateEventDefinition):  # type: ignore[misc]
    """timeDate timer: fires at an absolute moment."""

    kind = "date"


class DurationTimer(_OneShotTimer, DurationTimerEventDefinition):  # type: ignore[misc]
    """timeDuration timer: fires a duration after the event is reached."""

    kind = "duration"


class CycleTimer(CycleTimerEventDefinition):  # type: ignore[misc]
    """timeCycle timer: fires repeatedly (non-interrupting boundary or event subprocess start)."""

    def cycle_complete(self, my_task: Any) -> bool:
        """True when a repetition is due; marks the event fired once all repetitions are used up."""
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = _evaluate(my_task, self.expression).strip()
            count, due, interval = _parse_cycle(value, clock.aware(clock.now()))
            event_value = {"cycles": count, "next": due.isoformat(), "duration": interval.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_due = _parse_datetime(event_value["next"])
            if next_due <= clock.now():
                event_value["next"] = (next_due + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1 if event_value["cycles"] > 0 else 0  # -1 stays unbounded
                ready = True
        else:
            my_task._set_internal_data(event_fired=True)
        my_task._set_internal_data(event_value=event_value)
        return ready


_CLASSES: dict[str, type[Any]] = {"date": TimeDateTimer, "duration": DurationTimer, "cycle": CycleTimer}


def make_timer_definition(kind: str, name: str, text: str, description: str | None = None) -> Any:
    """The timer event definition for a timeDate/timeDuration/timeCycle element's text."""
    if kind not in _CLASSES:
        raise ValueError(f"unknown timer kind {kind!r}")
    return _CLASSES[kind](name, as_expression(text), description=description)


def event_definitions(spec: Any) -> list[Any]:
    """The events a task spec waits for: its own, or each of an event-based gateway's (a multiple event)."""
    definition = getattr(spec, "event_definition", None)
    return list(getattr(definition, "event_definitions", None) or [definition])


def due_time(task: Any) -> datetime | None:
    """Next due time (UTC) of a WAITING task on one of our timers; None if not a timer or not computed.

    An event-based gateway's timer keeps its time on the gateway's task."""
    if task.state != TaskState.WAITING or not any(
            isinstance(d, tuple(_CLASSES.values())) for d in event_definitions(task.task_spec)):
        return None
    event_value = task._get_internal_data("event_value")
    if isinstance(event_value, dict):
        event_value = event_value["next"] if event_value.get("cycles") != 0 else None
    return None if event_value is None else _parse_datetime(event_value)


# Serialize the subclasses exactly as SpiffWorkflow serializes their base classes.
TIMER_CONVERTERS: dict[type, type] = {
    TimeDateTimer: DEFAULT_CONFIG[TimeDateEventDefinition],
    DurationTimer: DEFAULT_CONFIG[DurationTimerEventDefinition],
    CycleTimer: DEFAULT_CONFIG[CycleTimerEventDefinition],
}
