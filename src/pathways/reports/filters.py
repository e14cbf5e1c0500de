"""The cases behind a figure: one filter vocabulary for reports, their links and the cases list.

Every figure row carries, per number, the `CaseFilter` that selects the cases it counts; its
`params()` become the query string of a link to the cases list (`/cases?pathway=...&stage=...`).
The first four parameters are the cases list's own (`pathway`, `stage`, `status`, `agency`);
the others narrow further and are documented in docs/reports.md. `conditions()` turns a filter
into WHERE clauses on `Case`, so the cases list (or a test) selects exactly the counted cases.

Dates are days in Europe/Warsaw, both ends included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select

from pathways.base import clock
from pathways.engine.errors import InvalidData
from pathways.store.models import (
    Agency,
    Case,
    CaseEvent,
    HumanTask,
    Measure,
    StageVisit,
    TaskCandidate,
    User,
)
from pathways.tasks.cases import case_conditions, takes_part

WARSAW = clock.WARSAW
STATUSES = ("active", "completed", "failed", "cancelled", "closed")
ENDED = ("any", "stopped")  # any: no longer active; stopped: failed, cancelled or closed
TASK_STATUSES = ("open", "overdue", "completed")
MEASURE_KINDS = ("hours", "benefit", "outcome")
NO_AGENCY = "none"  # measure_agency=none: measures recorded without an agency (system actors)
DATE_FIELDS = ("started_from", "started_to", "measured_from", "measured_to", "completed_from", "completed_to")


def day_start(day: date) -> datetime:
    """Midnight of a Warsaw day, in UTC (the database stores UTC)."""
    return datetime.combine(day, time(), WARSAW).astimezone(UTC)


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC of the Warsaw days first..last (either may be open)."""
    return (day_start(first) if first else None, day_start(last + timedelta(days=1)) if last else None)


def within(column: Any, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    start, end = day_range(first, last)
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(column >= start)
    if end is not None:
        found.append(column < end)
    return found


@dataclass(frozen=True)
class CaseFilter:
    # the cases list's own parameters
    pathway: str | None = None
    stage: str | None = None
    status: str | None = None
    agency: str | None = None
    # cases started (created) within these Warsaw days
    started_from: date | None = None
    started_to: date | None = None
    # the case entered this stage at some time
    reached: str | None = None
    # the case is no longer active (any) or was cancelled or closed (stopped)
    ended: str | None = None
    # the case has a measure of this kind (and key, agency, time)
    measure: str | None = None
    key: str | None = None
    measure_agency: str | None = None
    measure_agency_kind: str | None = None
    measured_from: date | None = None
    measured_to: date | None = None
    # the case has a task of this element (and status, role, agency, assignee, completion time)
    task: str | None = None
    task_status: str | None = None
    role: str | None = None
    task_agency: str | None = None
    assignee: str | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    # the follow-up six months after exit recorded this situation
    situation_6m: str | None = None

    def narrow(self, **changes: Any) -> CaseFilter:
        return replace(self, **changes)

    def params(self) -> dict[str, str]:
        """The non-empty parameters as query-string values (dates as YYYY-MM-DD)."""
        found: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != "":
                found[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return found

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CaseFilter:
        """Parse query parameters (unknown ones are ignored); InvalidData names each bad one."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None or str(raw).strip() == "":
                continue
            text = str(raw).strip()
            if f.name in DATE_FIELDS:
                try:
                    values[f.name] = date.fromisoformat(text)
                except ValueError:
                    problems[f.name] = "a date YYYY-MM-DD"
                continue
            values[f.name] = text
        choices = {"status": STATUSES, "ended": ENDED, "task_status": TASK_STATUSES, "measure": MEASURE_KINDS}
        for name, allowed in choices.items():
            if name in values and values[name] not in allowed:
                problems[name] = f"one of {', '.join(allowed)}"
        if problems:
            raise InvalidData("invalid case filter", fields=problems)
        return cls(**values)

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        """WHERE clauses on `Case` selecting exactly the cases this filter describes."""
        where = case_conditions(self.pathway, self.stage, self.status, self.agency)
        where += within(Case.created_at, self.started_from, self.started_to)
        if self.reached:
            where.append(_exists(StageVisit.case_id == Case.id, StageVisit.stage == self.reached))
        if self.ended == "any":
            where.append(Case.status != "active")
        elif self.ended == "stopped":
            where.append(Case.status.in_(("failed", "cancelled", "closed")))
        if self.measure or self.key or self.measure_agency or self.measure_agency_kind:
            where.append(_exists(Measure.case_id == Case.id, *self._measure_conditions()))
        if self.task or self.task_status or self.role or self.assignee:
            where.append(_exists(HumanTask.case_id == Case.id, *self._task_conditions(now)))
        if self.task_agency:
            where.append(takes_part(self.task_agency))
        if self.situation_6m:
            where.append(_exists(CaseEvent.case_id == Case.id, CaseEvent.kind == "TaskCompleted",
                                        CaseEvent.after["situation_6m"].as_string() == self.situation_6m,
                                        *within(CaseEvent.at, self.measured_from, self.measured_to)))
        return where

    def _measure_conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.measure:
            where.append(Measure.kind == self.measure)
        if self.key:
            where.append(Measure.key == self.key)
        if self.measure_agency == NO_AGENCY:
            where.append(Measure.agency_id.is_(None))
        elif self.measure_agency:
            where.append(Measure.agency_id == select(Agency.id).where(Agency.code == self.measure_agency)
                         .scalar_subquery())
        if self.measure_agency_kind:
            where.append(Measure.agency_kind == self.measure_agency_kind)
        return where + within(Measure.at, self.measured_from, self.measured_to)

    def _task_conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.task:
            where.append(HumanTask.element_id == self.task)
        if self.task_status in ("open", "overdue"):
            where.append(HumanTask.status == "open")
        if self.task_status == "overdue":
            where.append(and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now))
        if self.task_status == "completed":
            where.append(HumanTask.status == "completed")
        if self.role:
            where.append(_exists(TaskCandidate.task_id == HumanTask.id, TaskCandidate.role == self.role))
        if self.assignee:
            user_id = select(User.id).where(User.username == self.assignee).scalar_subquery()
            who = HumanTask.completed_by if self.task_status == "completed" else HumanTask.claimed_by
            where.append(who == user_id)
        return where + within(HumanTask.completed_at, self.completed_from, self.completed_to)


def _exists(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS correlated to the outer `Case` only: a figure's query may join agencies or tasks itself."""
    return exists().where(*where).correlate(Case)
