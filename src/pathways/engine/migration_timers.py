"""Rescheduling the waiting timers of a migrated case whose definition changed in the new version.

A timer keeps its due time in its task's `event_value` (`pathways.engine.timers`). When the new
version's timer text differs from the old one, the due time is computed again from the moment the
timer started, so a designer who changes PT72H to PT96H adds a day to every waiting timer rather
than restarting it: a duration timer started at its old due time minus its old duration (exact
part first, then the months, the inverse of how a duration is added); a date timer takes the new
date; a cycle timer restarts at the start of its current repetition with the new cycle. The same
expression evaluation as when the timer started (`timers._evaluate`, in the sandbox) reads the
texts, so expressions over case data work as literals do; a text that gives no due time refuses
the case (nothing is written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState

from pathways.engine import timers

_TIMER_KINDS = {"TimeDateTimer": "date", "DurationTimer": "duration", "CycleTimer": "cycle"}


def reschedule(workflow: Any, old_spec: Callable[[str], Any]) -> list[str]:
    """Give each waiting timer whose definition changed its new due time; the reasons it cannot."""
    reasons = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        was = old_spec(str(task.id))
        new_text, old_text = _timer_text(task.task_spec), _timer_text(was) if was is not None else None
        if new_text is None or old_text is None or new_text == old_text:
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            continue  # not started: it computes its due time itself
        try:
            task._set_internal_data(event_value=_new_value(task, old_text, new_text, value))
        except ValueError as exc:
            reasons.append(f"the new timer of {task.task_spec.bpmn_id} gives no due time: {exc}")
    return reasons


def _timer_text(spec: Any) -> tuple[str, str] | None:
    """(kind, expression) of the one timer a spec waits on, None when it is not a plain timer."""
    definitions = timers.event_definitions(spec)
    if len(definitions) != 1 or type(definitions[0]).__name__ not in _TIMER_KINDS:
        return None
    return _TIMER_KINDS[type(definitions[0]).__name__], str(definitions[0].expression)


def _new_value(task: Any, old: tuple[str, str], new: tuple[str, str], value: Any) -> Any:
    evaluate = timers._evaluate  # noqa: SLF001 - the engine's own timer expression evaluation
    if old[0] == "cycle":
        started = timers._parse_datetime(value["next"]) - timedelta(seconds=value["duration"])  # noqa: SLF001
    else:
        due = timers._parse_datetime(value)  # noqa: SLF001
        started = _start_of(evaluate(task, old[1]).strip(), due) if old[0] == "duration" else due
    text = evaluate(task, new[1]).strip()
    if new[0] == "cycle":
        count, first, interval = timers._parse_cycle(text, started)  # noqa: SLF001
        return {"cycles": count, "next": first.isoformat(), "duration": interval.total_seconds()}
    return timers.parse_timer_value(new[0], text, started).isoformat()


def _start_of(duration: str, due: datetime) -> datetime:
    """When a duration timer due at `due` started: the duration taken back (exact part, then months)."""
    parsed = timers._parse_duration(duration)  # noqa: SLF001
    back = due - parsed.exact
    return timers._Duration(-parsed.months, timedelta(0)).add_to(back)  # noqa: SLF001
