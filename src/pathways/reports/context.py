"""What every figure query needs: the session, who asks (visibility), the scope, the clock.

`Context.where(filter)` is the one place the visibility rule enters a report: a user sees the
cases their agency takes part in (`tasks.access.case_visible_to`); `user=None` is the command
line, which runs with the database's own credentials and sees every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Exists, func, select
from sqlalchemy.orm import Session

from pathways.engine.cases import Engine
from pathways.reports.figure import Scope
from pathways.reports.filters import CaseFilter
from pathways.store.models import Case, PathwayVersion, User
from pathways.tasks.access import case_visible_to


@dataclass(frozen=True)
class PathwayInfo:
    key: str
    name: str
    stages: tuple[str, ...]  # in flow order

    def position(self, stage: str | None) -> int:
        return self.stages.index(stage) if stage in self.stages else len(self.stages)

    @property
    def final_stage(self) -> str | None:
        return self.stages[-1] if self.stages else None


@dataclass
class Context:
    session: Session
    engine: Engine
    user: User | None
    scope: Scope
    now: datetime
    lang: str = "en"
    _pathways: dict[str, PathwayInfo] | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def where(self, case_filter: CaseFilter) -> list[ColumnElement[bool]]:
        """WHERE clauses on `Case`: visible to the user and matching the filter."""
        return [*visible_to(self.user), *case_filter.conditions(self.now)]

    @property
    def pathways(self) -> dict[str, PathwayInfo]:
        """Every deployed pathway's latest version: its name and its stages in flow order."""
        if self._pathways is None:
            newest = (select(PathwayVersion.key, func.max(PathwayVersion.version).label("version"))
                      .group_by(PathwayVersion.key).subquery())
            versions = self.session.scalars(select(PathwayVersion).join(
                newest, (PathwayVersion.key == newest.c.key) & (PathwayVersion.version == newest.c.version)))
            self._pathways = {}
            for version in versions:
                definition = self.engine.definition(self.session, version.id)
                self._pathways[version.key] = PathwayInfo(version.key, version.name, stage_order(definition.spec))
        return self._pathways

    def pathway(self, key: str) -> PathwayInfo:
        return self.pathways.get(key) or PathwayInfo(key, key, ())

    def role_name(self, key: str) -> str:
        role = self.engine.roles.roles.get(key)
        if role is None:
            return key
        return role.pl if self.lang == "pl" else role.en


def visible_to(user: User | None) -> list[ColumnElement[bool]]:
    """The access rule (`case_visible_to`) correlated to the outer `Case` only, so a figure's query
    may join case agencies itself; no condition for the command line (`user=None`)."""
    if user is None:
        return []
    return [cast(Exists, case_visible_to(user)).correlate(Case)]


def stage_order(spec: Any) -> tuple[str, ...]:
    """The `stage` properties of a process in flow order: a topological order of its elements.

    The parser's order is the file's; here a depth-first walk from the start over the outgoing
    flows (loops' back edges ignored) lists each element after everything that leads to it.
    """
    seen: set[str] = set()
    finished: list[Any] = []

    def walk(first: Any) -> None:
        seen.add(first.name)
        stack = [(first, iter(first.outputs))]
        while stack:
            node, outputs = stack[-1]
            following = next(outputs, None)
            if following is None:
                stack.pop()
                finished.append(node)
            elif following.name not in seen:
                seen.add(following.name)
                stack.append((following, iter(following.outputs)))

    walk(spec.start)
    for task_spec in spec.task_specs.values():  # elements not reachable from the start (e.g. event subprocesses)
        if task_spec.name not in seen:
            walk(task_spec)
    stages: list[str] = []
    for task_spec in reversed(finished):
        stage = (getattr(task_spec, "extensions", None) or {}).get("stage")
        if stage and stage not in stages:
            stages.append(str(stage))
    return tuple(stages)
