"""The write path of a case command: read the case, gather its rows, write them in bulk, commit.

The rules every command keeps (`pathways.engine.cases`):

- **Two reads.** `load_case` reads the case row with its snapshot in one query (completing a
  task reads the task row with them, `Sql.load_task`); `load_rows` reads its timer rows, open
  human-task rows and agencies in a second (one `UNION ALL`).
- **Gather, then write in bulk.** While the workflow runs, everything the command writes beside
  the snapshot is gathered in a `Rows` (events, measures, stage visits, tasks, candidates, inbox
  offers, timers). `Rows.write` then bumps the case's version first (`UPDATE cases ... WHERE
  version = v`: no row means a concurrent command won, and it raises `Conflict` before writing
  anything else), and writes each kind of row in ONE statement (an executemany), in a fixed
  order, and the snapshot last. The statements are built once (`Sql`): building one costs about
  as much as running it on SQLite. The ORM unit of work cost about two thirds of a step
  (docs/benchmarks.md, "Engine overhead"), so this path is SQLAlchemy Core.
- **`within` runs in the command's transaction, before the commit.** A caller's extra work (an
  authorization re-check, an audit entry) gets the ORM session and the case id after the rows are
  written: both land or neither does. The session holds the case row as written (`attach`), so
  `session.get(Case, case_id)` needs no query.
- **Sensitive values are sealed in events.** The values of the definition's sensitive fields
  (`Definition.sealed_fields`, set on `Rows.sealed` by the command) are written into an event's
  before/after, and into its nested `data` (CaseStarted, CaseCompleted), as `Sealed` markers:
  the `SealedValues` column turns each into a token bound to its field name, and opens it on
  reading. Every other value stays plain JSON, which the reports query in SQL.
- **The workflow cache is keyed by case version.** After a commit the command's workflow is kept
  (`WorkflowCache.put`) with the version it wrote. The case's next command takes it out (`take`:
  no two threads share a workflow) and uses it only if the case row still has that version; a
  command of another process, or a failed one (which never puts its workflow back), leaves the
  version different or the entry gone, and the snapshot is restored instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    String,
    bindparam,
    cast,
    delete,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached

from pathways.base import clock
from pathways.base.sealing import Sealed
from pathways.engine.actors import Actor
from pathways.engine.conflicts import LOST
from pathways.engine.errors import Conflict, NotFound
from pathways.engine.runtime import CaseRuntime
from pathways.store.db import UnitOfWork
from pathways.store.models import (
    Agency,
    Case,
    CaseAgency,
    CaseEvent,
    CaseState,
    HumanTask,
    Measure,
    StageVisit,
    TaskCandidate,
    TaskOffer,
    TaskUserOffer,
    Timer,
)

#: Work a caller adds to a command's own transaction, run with the session and the case id just
#: before the commit (see the module docstring).
Within = Callable[[Session, int], None]


@dataclass
class CaseRow:
    """The case as the command read it and will write it."""

    id: int
    version: int
    status: str
    stage: str | None
    pathway_version_id: int
    state: str


_CASE_COLUMNS = (Case.id, Case.version, Case.status, Case.stage, Case.pathway_version_id, CaseState.state)


class Sql:
    """The hot statements, built once."""

    load_case = select(*_CASE_COLUMNS).join_from(Case, CaseState, CaseState.case_id == Case.id).where(
        Case.id == bindparam("case"))
    load_task = (select(HumanTask.status, HumanTask.name, HumanTask.element_id, HumanTask.roles, *_CASE_COLUMNS)
                 .join_from(HumanTask, Case, Case.id == HumanTask.case_id)
                 .join(CaseState, CaseState.case_id == Case.id).where(HumanTask.id == bindparam("task")))
    # the case's timers, open tasks and agencies (id, kind) in one query, told apart by the first column
    case_rows: CompoundSelect[Any] = union_all(
        select(literal("timer"), Timer.id, Timer.due_at, null()).where(Timer.case_id == bindparam("case")),
        select(literal("task"), HumanTask.id, null(), HumanTask.element_id).where(
            HumanTask.case_id == bindparam("case"), HumanTask.status == "open"),
        select(literal("agency"), cast(CaseAgency.agency_id, String), null(), Agency.kind).join(
            Agency, Agency.id == CaseAgency.agency_id).where(CaseAgency.case_id == bindparam("case")))
    bump = update(Case).where(Case.id == bindparam("case"), Case.version == bindparam("seen")).values(
        status=bindparam("new_status"), stage=bindparam("new_stage"), updated_at=bindparam("now"),
        version=bindparam("new_version"))
    close_visit = update(StageVisit).where(StageVisit.case_id == bindparam("case"), StageVisit.left_at.is_(None)
                                           ).values(left_at=bindparam("now"))
    complete_task = update(HumanTask).where(HumanTask.id == bindparam("task")).values(
        status="completed", completed_at=bindparam("now"), completed_by=bindparam("user"))
    cancel_task = update(HumanTask).where(HumanTask.id == bindparam("task")).values(status="cancelled")
    move_timer = update(Timer).where(Timer.id == bindparam("timer")).values(
        due_at=bindparam("due"), claimed_until=None)
    drop_timers = delete(Timer).where(Timer.id.in_(bindparam("timers", expanding=True)))
    drop_offers = delete(TaskOffer).where(TaskOffer.task_id.in_(bindparam("tasks", expanding=True)))
    drop_user_offers = delete(TaskUserOffer).where(TaskUserOffer.task_id.in_(bindparam("tasks", expanding=True)))
    insert_state = insert(CaseState)
    update_state = update(CaseState).where(CaseState.case_id == bindparam("case")).values(
        state=bindparam("new_state"))
    #: the row kinds inserted in bulk, in the order they are written (tasks before what refers to them)
    inserts = {model: insert(model) for model in
               (HumanTask, TaskCandidate, TaskOffer, TaskUserOffer, StageVisit, Timer, CaseEvent, Measure)}


@dataclass
class Rows:
    """Everything a command writes beside the snapshot, gathered in order, written in bulk by `write`.

    `open_tasks` (id -> element) and `timers` (id -> due time) are the case's rows as the command
    found them; the sync steps (`pathways.engine.mirror`) compare them with the workflow.
    """

    case: CaseRow
    open_tasks: dict[str, str]
    timers: dict[str, datetime]
    new_case: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    close_visit_at: datetime | None = None  # when the visit open in the database ends
    tasks: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, str]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    user_offers: list[dict[str, Any]] = field(default_factory=list)  # `engine.candidate_users`
    agencies: list[tuple[int, str]] = field(default_factory=list)  # the case's (id, kind)
    cancelled: list[dict[str, str]] = field(default_factory=list)
    completed: dict[str, Any] | None = None
    new_timers: list[dict[str, Any]] = field(default_factory=list)
    moved_timers: list[dict[str, Any]] = field(default_factory=list)
    gone_timers: list[str] = field(default_factory=list)
    sealed: frozenset[str] = frozenset()  # the fields whose values events carry sealed

    def event(self, actor: Actor, kind: str, *, element_id: str | None = None, task_id: str | None = None,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        self.events.append({"case_id": self.case.id, "at": clock.now(), "actor": actor.name, "kind": kind,
                            "element_id": element_id, "task_id": task_id, "before": before, "after": after})

    def measure(self, kind: str, key: str, value: Any, element_id: str, agency_kind: str | None,
                agency_id: int | None = None, user_id: int | None = None, task_id: str | None = None) -> None:
        self.measures.append({"case_id": self.case.id, "kind": kind, "key": key, "value": value,
                              "agency_kind": agency_kind, "agency_id": agency_id, "user_id": user_id,
                              "element_id": element_id, "task_id": task_id, "at": clock.now()})

    def close_stage(self, now: datetime) -> None:
        """End the open stage visit: one opened by this command, or the one in the database."""
        for visit in self.visits:
            if visit["left_at"] is None:
                visit["left_at"] = now
        if self.close_visit_at is None and not self.new_case and self.case.stage is not None:
            self.close_visit_at = now  # a case without a stage never had a visit

    def write(self, conn: Connection, state: str | None) -> None:
        """Bump the case's version (or lose with `Conflict`), then write the gathered rows."""
        case = self.case
        bumped = conn.execute(Sql.bump, {
            "case": case.id, "seen": case.version, "new_status": case.status, "new_stage": case.stage,
            "now": clock.now(), "new_version": case.version + 1})
        if bumped.rowcount != 1:
            raise Conflict(LOST)
        case.version += 1
        self._write_tasks(conn)
        for model, rows in ((HumanTask, self.tasks), (TaskCandidate, self.candidates), (TaskOffer, self.offers),
                            (TaskUserOffer, self.user_offers), (StageVisit, self.visits),
                            (Timer, self.new_timers), (CaseEvent, self._sealed_events()), (Measure, self.measures)):
            if rows:
                conn.execute(Sql.inserts[model], rows)
        if self.moved_timers:
            conn.execute(Sql.move_timer, self.moved_timers)
        if self.gone_timers:
            conn.execute(Sql.drop_timers, {"timers": self.gone_timers})
        if state is None:
            return
        if self.new_case:
            conn.execute(Sql.insert_state, {"case_id": case.id, "state": state})
        else:
            conn.execute(Sql.update_state, {"case": case.id, "new_state": state})

    def _sealed_events(self) -> list[dict[str, Any]]:
        if not self.sealed:
            return self.events
        return [{**e, "before": seal_fields(e["before"], self.sealed), "after": seal_fields(e["after"], self.sealed)}
                for e in self.events]

    def _write_tasks(self, conn: Connection) -> None:
        """The rows that change before the inserts: the closed stage visit, completed and cancelled tasks."""
        if self.close_visit_at is not None:
            conn.execute(Sql.close_visit, {"case": self.case.id, "now": self.close_visit_at})
        if self.completed is not None:
            conn.execute(Sql.complete_task, self.completed)
        if self.cancelled:
            conn.execute(Sql.cancel_task, self.cancelled)
        closed = [t["task"] for t in self.cancelled] + ([self.completed["task"]] if self.completed else [])
        if closed:  # a closed task waits in no inbox
            conn.execute(Sql.drop_offers, {"tasks": closed})
            conn.execute(Sql.drop_user_offers, {"tasks": closed})


def seal_fields(payload: dict[str, Any] | None, fields: frozenset[str]) -> dict[str, Any] | None:
    """`payload` with the values of `fields` marked `Sealed`, at its top and in its nested `data`."""
    if payload is None:
        return None
    marked = {k: _marked(v) if k in fields else v for k, v in payload.items()}
    nested = marked.get("data")
    if isinstance(nested, dict):
        marked["data"] = {k: _marked(v) if k in fields else v for k, v in nested.items()}
    return marked


def _marked(value: Any) -> Sealed:
    """`value` to seal (a value a command already marked stays as it is)."""
    return value if isinstance(value, Sealed) else Sealed(value)


def load_case(conn: Connection, case_id: int) -> CaseRow:
    """The case row with its snapshot, or `NotFound`."""
    found = conn.execute(Sql.load_case, {"case": case_id}).first()
    if found is None:
        raise NotFound(f"case {case_id} does not exist")
    return CaseRow(*found)


def load_rows(conn: Connection, case: CaseRow) -> Rows:
    """The case's timer rows, open human-task rows and agencies, in one query."""
    found = conn.execute(Sql.case_rows, {"case": case.id}).all()
    return Rows(case, open_tasks={row[1]: row[3] for row in found if row[0] == "task"},
                timers={row[1]: clock.aware(row[2]) for row in found if row[0] == "timer"},
                agencies=[(int(row[1]), row[3]) for row in found if row[0] == "agency"])


def finish(uow: UnitOfWork, rows: Rows, state: str | None, within: Within | None = None) -> None:
    """Write the gathered rows and the snapshot (`state`, None: unchanged), run `within`, commit."""
    rows.write(uow.session.connection(), state)
    if within is not None:
        attach(uow.session, rows.case)
        within(uow.session, rows.case.id)
    uow.commit()


def attach(s: Session, case: CaseRow) -> None:
    """Put the case row as written into the session, so `within` reads it without a query."""
    row = Case(id=case.id, pathway_version_id=case.pathway_version_id, status=case.status, stage=case.stage,
               version=case.version)
    make_transient_to_detached(row)
    s.add(row)
    s.info["pathways_case"] = row  # the identity map holds unchanged rows weakly: keep this one alive


class WorkflowCache:
    """Workflows as this process's last command left them, by case id, with the version written."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[int, tuple[int, CaseRuntime]] = OrderedDict()
        self._lock = threading.Lock()  # server threads share the cache

    def take(self, case: CaseRow) -> CaseRuntime | None:
        """The case's kept workflow if it is current; either way the entry is gone."""
        with self._lock:
            kept = self._kept.pop(case.id, None)
        return kept[1] if kept is not None and kept[0] == case.version else None

    def put(self, case: CaseRow, runtime: CaseRuntime) -> None:
        """Keep a committed case's workflow for its next command (active cases only)."""
        if case.status != "active" or self._size <= 0:
            return
        with self._lock:
            self._kept[case.id] = (case.version, runtime)
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
