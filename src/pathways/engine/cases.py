"""Case commands: each one loads a case, runs it, and writes every consequence in ONE transaction.

Start, complete a task, fire timers, deliver a message, cancel, close. The workflow snapshot,
human-task rows, timer rows, stage history and the event log change together or not at all; a
concurrent command on the same case loses with `Conflict` (optimistic version check).

The hot path speaks SQLAlchemy Core, not the ORM unit of work: a command reads the case with its
snapshot in one query and its open task and timer rows in a second, gathers what it writes while
the workflow runs (`_Rows`), and writes each kind of row in one (executemany) statement. The ORM
unit of work cost about two thirds of a step (docs/benchmarks.md, "Engine overhead").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from pathways.base import clock
from pathways.base.values import jsonable
from pathways.engine import measures
from pathways.engine.definitions import SourceFile, build_spec
from pathways.engine.errors import CaseNotActive, Conflict, InvalidData, NotFound, PathwaysError, TaskNotOpen
from pathways.engine.roles import RoleVocabulary
from pathways.engine.runtime import CaseRuntime, Definition
from pathways.store.db import Store, UnitOfWork
from pathways.store.models import (
    Agency,
    Case,
    CaseAgency,
    CaseEvent,
    CaseState,
    DefinitionBlob,
    HumanTask,
    Measure,
    PathwayVersion,
    StageVisit,
    TaskCandidate,
    TaskOffer,
    Timer,
    User,
    UserRole,
)

SYSTEM = "system"

#: Work a caller adds to a command's own transaction (an authorization re-check, an audit entry),
#: run with the session and the case id just before the commit: both land or neither does. The
#: session holds the case row as the command wrote it (`session.get(Case, case_id)` needs no query).
Within = Callable[[Session, int], None]
_LOST_RACE = ("deadlock", "could not serialize", "database is locked", "lock timeout")
_LOST = "the case was changed by another command at the same time; nothing was written, reload and try again"
TIMER_RETRY_SECONDS = 300
#: How long a worker's claim on a due timer lasts; a stopped worker's claims lapse after it.
TIMER_LEASE_SECONDS = 60
#: Due timers claimed per query.
TIMER_BATCH = 50


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a user (name + id) or the system (timers)."""

    name: str = SYSTEM
    user_id: int | None = None



@dataclass
class _CaseRow:
    """The case as the command read it and will write it."""

    id: int
    version: int
    status: str
    stage: str | None
    pathway_version_id: int
    state: str


_CASE_COLUMNS = (Case.id, Case.version, Case.status, Case.stage, Case.pathway_version_id, CaseState.state)


class _Sql:
    """The hot statements, built once (building a statement costs about as much as running it on SQLite)."""

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
    insert_state = insert(CaseState)
    update_state = update(CaseState).where(CaseState.case_id == bindparam("case")).values(
        state=bindparam("new_state"))
    inserts = {model: insert(model) for model in
               (HumanTask, TaskCandidate, TaskOffer, StageVisit, Timer, CaseEvent, Measure)}


@dataclass
class _Rows:
    """Everything a command writes beside the snapshot, gathered in order, written in bulk by `write`.

    `open_tasks` (id -> element) and `timers` (id -> due time) are the case's rows as the command
    found them; the sync steps compare them with the workflow.
    """

    case: _CaseRow
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
    agencies: list[tuple[int, str]] = field(default_factory=list)  # the case's (id, kind)
    cancelled: list[dict[str, str]] = field(default_factory=list)
    completed: dict[str, Any] | None = None
    new_timers: list[dict[str, Any]] = field(default_factory=list)
    moved_timers: list[dict[str, Any]] = field(default_factory=list)
    gone_timers: list[str] = field(default_factory=list)

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
        bumped = conn.execute(_Sql.bump, {
            "case": case.id, "seen": case.version, "new_status": case.status, "new_stage": case.stage,
            "now": clock.now(), "new_version": case.version + 1})
        if bumped.rowcount != 1:
            raise Conflict(_LOST)
        case.version += 1
        if self.close_visit_at is not None:
            conn.execute(_Sql.close_visit, {"case": case.id, "now": self.close_visit_at})
        if self.completed is not None:
            conn.execute(_Sql.complete_task, self.completed)
        if self.cancelled:
            conn.execute(_Sql.cancel_task, self.cancelled)
        closed = [t["task"] for t in self.cancelled] + ([self.completed["task"]] if self.completed else [])
        if closed:  # a closed task waits in no inbox
            conn.execute(_Sql.drop_offers, {"tasks": closed})
        for model, rows in ((HumanTask, self.tasks), (TaskCandidate, self.candidates), (TaskOffer, self.offers),
                            (StageVisit, self.visits), (Timer, self.new_timers), (CaseEvent, self.events),
                            (Measure, self.measures)):
            if rows:
                conn.execute(_Sql.inserts[model], rows)
        if self.moved_timers:
            conn.execute(_Sql.move_timer, self.moved_timers)
        if self.gone_timers:
            conn.execute(_Sql.drop_timers, {"timers": self.gone_timers})
        if state is None:
            return
        if self.new_case:
            conn.execute(_Sql.insert_state, {"case_id": case.id, "state": state})
        else:
            conn.execute(_Sql.update_state, {"case": case.id, "new_state": state})


class Engine:
    """The engine's command API over a store. No Flask, no HTTP: plain calls and domain errors."""

    def __init__(
        self,
        store: Store,
        roles: RoleVocabulary,
        on_timers_changed: Callable[[datetime], None] | None = None,
        cache_size: int = 64,
        runtime_cache_size: int = 256,
    ) -> None:
        self.store = store
        self.roles = roles
        self.on_timers_changed = on_timers_changed
        self._cache: OrderedDict[int, Definition] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        # Workflows as the last command of this process left them, by case id, with the case
        # version they were written as. A command takes its case's entry out (so no two threads
        # share a workflow) and uses it only if the case row still has that version: a command of
        # another process, or a failed one, bumps or leaves the version, and the snapshot is
        # restored instead. A successful command puts its workflow back.
        self._runtimes: OrderedDict[int, tuple[int, CaseRuntime]] = OrderedDict()
        self._runtime_cache_size = runtime_cache_size

    # -- definitions -----------------------------------------------------------------------
    def definition(self, session: Session, version_id: int) -> Definition:
        """The built specs of a version, parsed once per process and kept in an LRU cache."""
        with self._cache_lock:  # server threads share the cache
            cached = self._cache.get(version_id)
            if cached is not None:
                self._cache.move_to_end(version_id)
                return cached
        version = session.get(PathwayVersion, version_id)
        if version is None:
            raise NotFound(f"pathway version {version_id} does not exist")
        blobs = {b.hash: b for b in session.scalars(select(DefinitionBlob).where(
            DefinitionBlob.hash.in_(version.files)))}
        files = [SourceFile(blobs[h].filename, blobs[h].content.encode()) for h in version.files]
        spec, subprocess_specs = build_spec(files, version.key)
        built = Definition(version.id, version.key, spec, subprocess_specs, self.roles)
        with self._cache_lock:
            self._cache[version_id] = built
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return built

    # -- commands --------------------------------------------------------------------------
    def start_case(
        self,
        actor: Actor,
        key: str,
        data: dict[str, Any] | None = None,
        agencies: Iterable[str] = (),
        beneficiary: str = "",
        version: int | None = None,
        within: Within | None = None,
    ) -> int:
        """Start a case of pathway `key` (latest version unless `version`); returns the case id."""
        data = jsonable(data or {})
        with self._command() as uow:
            conn = uow.session.connection()
            query = select(PathwayVersion.id).where(PathwayVersion.key == key)
            if version is not None:
                query = query.where(PathwayVersion.version == version)
            version_id = conn.scalar(query.order_by(PathwayVersion.version.desc()).limit(1))
            if version_id is None:
                raise NotFound(f"no deployed pathway {key!r}" + (f" version {version}" if version else ""))
            codes = list(dict.fromkeys(agencies))
            found: dict[str, tuple[int, str]] = {code: (agency_id, kind) for code, agency_id, kind in conn.execute(
                select(Agency.code, Agency.id, Agency.kind).where(Agency.code.in_(codes)))} if codes else {}
            missing = [c for c in codes if c not in found]
            if missing:
                raise InvalidData("unknown agencies", fields={"agencies": f"unknown: {', '.join(missing)}"})
            runtime = CaseRuntime.start(self.definition(uow.session, version_id), data)
            now = clock.now()
            case_id: int | None = conn.scalar(insert(Case).values(
                pathway_version_id=version_id, pathway_key=key, beneficiary=beneficiary, status="active",
                created_at=now, updated_at=now, version=1).returning(Case.id))
            assert case_id is not None
            if codes:
                conn.execute(insert(CaseAgency), [{"case_id": case_id, "agency_id": found[c][0]} for c in codes])
            rows = _Rows(_CaseRow(case_id, 1, "active", None, version_id, ""), {}, {}, new_case=True,
                         agencies=[found[c] for c in codes])
            rows.event(actor, "CaseStarted", after={"data": data, "agencies": codes})
            self._save(uow, rows, runtime, actor, within)
            return case_id

    def complete_task(self, actor: Actor, task_id: str, data: dict[str, Any], within: Within | None = None) -> int:
        """Complete an open human task with (already validated) data; returns the case id."""
        data = jsonable(data)
        with self._command() as uow:
            conn = uow.session.connection()
            found = conn.execute(_Sql.load_task, {"task": task_id}).first()
            if found is None:
                raise NotFound(f"task {task_id} does not exist")
            status, name, element_id, task_roles = found[:4]
            if status != "open":
                raise TaskNotOpen(f"task {task_id} ({name}) is already {status}", status=status)
            case = self._active(_CaseRow(*found[4:]))
            rows = self._rows(conn, case)
            rows.open_tasks.pop(task_id, None)  # its row becomes completed, not cancelled
            runtime = self._restore(uow.session, case)
            before, after = runtime.complete(task_id, data)
            rows.completed = {"task": task_id, "now": clock.now(), "user": actor.user_id}
            rows.event(actor, "TaskCompleted", element_id=element_id, task_id=task_id, before=before, after=after)
            self._record_task_measures(conn, rows, task_id, task_roles, runtime.task(task_id).task_spec, data, actor)
            self._save(uow, rows, runtime, actor, within)
            return case.id

    def send_message(self, actor: Actor, case_id: int, name: str, payload: dict[str, Any],
                     within: Within | None = None) -> None:
        payload = jsonable(payload)
        with self._command() as uow:
            conn = uow.session.connection()
            case = self._active(self._case(conn, case_id))
            rows, runtime = self._rows(conn, case), self._restore(uow.session, case)
            runtime.receive_message(name, payload)
            rows.event(actor, "MessageReceived", element_id=name, after=payload)
            self._save(uow, rows, runtime, actor, within)

    def cancel_case(self, actor: Actor, case_id: int, reason: str = "", close: bool = False) -> None:
        """Stop an active case: its open tasks are cancelled and its timers removed."""
        with self._command() as uow:
            conn = uow.session.connection()
            case = self._case(conn, case_id)
            if case.status == "closed":
                raise CaseNotActive(f"case {case_id} is already closed")
            if case.status != "active":
                rows = _Rows(case, {}, {})
                rows.event(actor, "CaseClosed", after={"reason": reason})
                case.status = "closed"
                self._write(uow, rows, None)
                return
            rows, runtime = self._rows(conn, case), self._restore(uow.session, case)
            runtime.cancel()
            case.status = "cancelled"
            rows.close_stage(clock.now())  # the last stay ends with the case
            rows.event(actor, "CaseCancelled", after={"reason": reason})
            if close:  # closing an active case cancels it first, in the same transaction
                self._sync(rows, runtime, actor)
                case.status = "closed"
                rows.event(actor, "CaseClosed", after={"reason": reason})
                self._write(uow, rows, runtime.dump())
                return
            self._save(uow, rows, runtime, actor)

    def close_case(self, actor: Actor, case_id: int, reason: str = "") -> None:
        """Close a case for good (cancelling it first if it is still active)."""
        self.cancel_case(actor, case_id, reason, close=True)

    def fire_due_timers(self, limit: int = 1000) -> int:
        """Fire timers due by now; returns how many cases advanced.

        Claims up to `TIMER_BATCH` due timers per query (on PostgreSQL with `FOR UPDATE SKIP
        LOCKED`, so workers take disjoint batches), then advances each claimed case in its own
        transaction, so a failing case holds up no other.
        """
        advanced = tried = 0
        while tried < limit:
            claimed, token = self._claim_due(min(TIMER_BATCH, limit - tried))
            if not claimed:
                break
            for case_id in claimed:
                advanced += self._fire_case(case_id, token)
            tried += len(claimed)
        return advanced

    def next_due(self) -> datetime | None:
        """The earliest due time of a timer nobody holds (claimed timers are being fired)."""
        now = clock.now()
        with self.store.unit_of_work(write=False) as uow:
            due = uow.session.scalar(select(func.min(Timer.due_at)).where(
                or_(Timer.claimed_until.is_(None), Timer.claimed_until <= now)))
            return clock.aware(due) if due is not None else None

    # -- timers ----------------------------------------------------------------------------
    def _claim_due(self, batch: int) -> tuple[list[int], datetime]:
        """Claim the earliest due, unclaimed timers; returns their cases (earliest first) and the claim."""
        now = clock.now()
        token = now + timedelta(seconds=TIMER_LEASE_SECONDS)
        with self._command() as uow:
            due = (select(Timer.id)
                   .where(Timer.due_at <= now, or_(Timer.claimed_until.is_(None), Timer.claimed_until <= now))
                   .order_by(Timer.due_at).limit(batch))
            if uow.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            claimed = uow.session.connection().execute(
                update(Timer).where(Timer.id.in_(due.scalar_subquery())).values(claimed_until=token)
                .returning(Timer.case_id, Timer.due_at)).all()
            uow.commit()
        return list(dict.fromkeys(case_id for case_id, _ in sorted(claimed, key=lambda r: r[1]))), token

    def _fire_case(self, case_id: int, token: datetime) -> int:
        """Advance one case whose timer fell due; 1 if it advanced."""
        try:
            with self._command() as uow:
                conn = uow.session.connection()
                case = self._active(self._case(conn, case_id))
                rows, runtime = self._rows(conn, case), self._restore(uow.session, case)
                fired = runtime.fire_due_timers()
                for element in fired:
                    rows.event(Actor(), "TimerFired", element_id=element)
                self._save(uow, rows, runtime, Actor(), release_due=True)
                return 1
        except Conflict:  # another command changed the case first: let the timer be claimed again
            self._release(case_id, token)
            return 0
        except PathwaysError as exc:
            self._postpone_timers(case_id, exc)
            return 0

    def _release(self, case_id: int, token: datetime) -> None:
        with self._command() as uow:
            uow.session.connection().execute(update(Timer).where(
                Timer.case_id == case_id, Timer.claimed_until == token).values(claimed_until=None))
            uow.commit()

    def _postpone_timers(self, case_id: int, error: PathwaysError) -> None:
        """A timer whose case fails to advance is retried later, and the failure is logged."""
        with self._command() as uow:
            conn = uow.session.connection()
            now = clock.now()
            conn.execute(update(Timer).where(Timer.case_id == case_id, Timer.due_at <= now).values(
                due_at=now + timedelta(seconds=TIMER_RETRY_SECONDS), claimed_until=None))
            if conn.scalar(select(Case.id).where(Case.id == case_id)) is not None:
                conn.execute(insert(CaseEvent).values(case_id=case_id, at=clock.now(), actor=SYSTEM, kind="TimerFailed",
                                                      before=None, after={"error": error.message}))
            uow.commit()

    # -- loading ---------------------------------------------------------------------------
    @staticmethod
    def _case(conn: Connection, case_id: int) -> _CaseRow:
        found = conn.execute(_Sql.load_case, {"case": case_id}).first()
        if found is None:
            raise NotFound(f"case {case_id} does not exist")
        return _CaseRow(*found)

    @staticmethod
    def _active(case: _CaseRow) -> _CaseRow:
        if case.status != "active":
            raise CaseNotActive(f"case {case.id} is {case.status}")
        return case

    @staticmethod
    def _rows(conn: Connection, case: _CaseRow) -> _Rows:
        """The case's timer rows, open human-task rows and agencies, in one query."""
        found: Sequence[Any] = conn.execute(_Sql.case_rows, {"case": case.id}).all()
        return _Rows(case, open_tasks={row[1]: row[3] for row in found if row[0] == "task"},
                     timers={row[1]: clock.aware(row[2]) for row in found if row[0] == "timer"},
                     agencies=[(int(row[1]), row[3]) for row in found if row[0] == "agency"])

    def _restore(self, s: Session, case: _CaseRow) -> CaseRuntime:
        """The case's workflow: this process's own copy when it is current, else from the snapshot."""
        with self._cache_lock:
            kept = self._runtimes.pop(case.id, None)
        if kept is not None and kept[0] == case.version:
            return kept[1]
        return CaseRuntime.restore(self.definition(s, case.pathway_version_id), case.state)

    def _keep(self, case: _CaseRow, runtime: CaseRuntime) -> None:
        """Keep a committed case's workflow for its next command (active cases only)."""
        if case.status != "active" or self._runtime_cache_size <= 0:
            return
        with self._cache_lock:
            self._runtimes[case.id] = (case.version, runtime)
            if len(self._runtimes) > self._runtime_cache_size:
                self._runtimes.popitem(last=False)

    # -- writing ---------------------------------------------------------------------------
    def _save(self, uow: UnitOfWork, rows: _Rows, runtime: CaseRuntime, actor: Actor,
              within: Within | None = None, release_due: bool = False) -> None:
        """Mirror the runtime into rows (stages, tasks, timers, status, snapshot) and commit."""
        earliest_new_timer = self._sync(rows, runtime, actor, release_due)
        self._offer(rows)
        self._write(uow, rows, runtime.dump(), within)
        self._keep(rows.case, runtime)
        if earliest_new_timer is not None and self.on_timers_changed is not None:
            self.on_timers_changed(earliest_new_timer)

    def _sync(self, rows: _Rows, runtime: CaseRuntime, actor: Actor, release_due: bool = False) -> datetime | None:
        now = clock.now()
        self._sync_stages(rows, runtime, actor, now)
        self._record_outcomes(rows, runtime)
        self._sync_tasks(rows, runtime, actor, now)
        earliest_new_timer = self._sync_timers(rows, runtime, now if release_due else None)
        if runtime.completed and rows.case.status == "active":
            rows.case.status = "completed"
            rows.close_stage(now)
            rows.event(actor, "CaseCompleted", after={"data": jsonable(runtime.data())})
        return earliest_new_timer

    def _offer(self, rows: _Rows) -> None:
        """The inbox rows (`task_offers`) of the tasks this command opens."""
        rows.offers = [{"task_id": task["id"], "agency_id": agency_id, "role": role, "due_at": task["due_at"],
                        "priority": task["priority"], "created_at": task["created_at"]}
                       for task in rows.tasks for agency_id, role in self.roles.offers(task["roles"], rows.agencies)]

    def _write(self, uow: UnitOfWork, rows: _Rows, state: str | None, within: Within | None = None) -> None:
        rows.write(uow.session.connection(), state)
        if within is not None:
            self._attach(uow.session, rows.case)
            within(uow.session, rows.case.id)
        uow.commit()

    @staticmethod
    def _attach(s: Session, case: _CaseRow) -> None:
        """Put the case row as written into the session, so `within` reads it without a query."""
        row = Case(id=case.id, pathway_version_id=case.pathway_version_id, status=case.status, stage=case.stage,
                   version=case.version)
        make_transient_to_detached(row)
        s.add(row)
        s.info["pathways_case"] = row  # the identity map holds unchanged rows weakly: keep this one alive

    @contextmanager
    def _command(self) -> Iterator[UnitOfWork]:
        """A write transaction whose lost races surface as `Conflict` (with nothing written)."""
        try:
            with self.store.unit_of_work() as uow:
                yield uow
        except StaleDataError:  # ORM work of a `within` that lost a race
            raise Conflict(_LOST) from None
        except OperationalError as exc:
            if not any(word in str(exc.orig).lower() for word in _LOST_RACE):
                raise
            raise Conflict(f"concurrent change: {exc.orig}; nothing was written, try again") from None

    def _record_task_measures(self, conn: Connection, rows: _Rows, task_id: str, task_roles: list[str], spec: Any,
                              data: dict[str, Any], actor: Actor) -> None:
        """Hours and benefits from a completed task's form, credited to the completing user's agency."""
        if not measures.task_facts(spec, data, role="any"):
            return  # nothing to count, whoever completed it: no need to look the user up
        found = conn.execute(  # the user's agency and kind, and their roles, in one statement
            select(User.agency_id, Agency.kind, UserRole.role).join_from(User, Agency, Agency.id == User.agency_id)
            .outerjoin(UserRole, UserRole.user_id == User.id).where(User.id == actor.user_id)
        ).all() if actor.user_id is not None else []
        user = found[0] if found else None
        held = sorted(set(task_roles) & {row.role for row in found if row.role is not None})
        role = held[0] if held else (task_roles[0] if task_roles else None)
        agency_kind = user.kind if user is not None else (self.roles.agency_kind(role) if role else None)
        for fact in measures.task_facts(spec, data, role):
            rows.measure(fact.kind, fact.key, fact.value, fact.element_id, agency_kind,
                         agency_id=user.agency_id if user is not None else None, user_id=actor.user_id,
                         task_id=task_id)

    def _record_outcomes(self, rows: _Rows, runtime: CaseRuntime) -> None:
        """Outcomes reached since the last command, credited to the agency kind of the element's lane."""
        for outcome, element, lane in runtime.reached_outcomes():
            lane_role = self.roles.resolve_lane(lane)
            rows.measure("outcome", outcome, 1, element, self.roles.agency_kind(lane_role) if lane_role else None)

    @staticmethod
    def _sync_stages(rows: _Rows, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
        case = rows.case
        for stage, element in runtime.enter_stages():
            if stage == case.stage:
                continue
            rows.close_stage(now)
            rows.visits.append({"case_id": case.id, "stage": stage, "entered_at": now, "left_at": None})
            rows.event(actor, "StageEntered", element_id=element, before={"stage": case.stage}, after={"stage": stage})
            case.stage = stage

    @staticmethod
    def _sync_tasks(rows: _Rows, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
        current = {t.id: t for t in runtime.open_tasks(rows.case.stage)}
        for task_id, element_id in rows.open_tasks.items():
            if task_id not in current:
                rows.cancelled.append({"task": task_id})
                rows.event(actor, "TaskCancelled", element_id=element_id, task_id=task_id)
        for task_id, task in current.items():
            if task_id in rows.open_tasks:
                continue
            rows.tasks.append({
                "id": task.id, "case_id": rows.case.id, "element_id": task.element_id, "name": task.name,
                "lane": task.lane, "roles": list(task.roles), "stage": task.stage, "status": "open",
                "priority": task.priority, "due_at": runtime.due_at(task, now), "created_at": now,
                "claimed_by": None, "claimed_at": None, "completed_at": None, "completed_by": None,
            })
            rows.candidates.extend({"task_id": task.id, "role": r} for r in task.roles)
            rows.event(actor, "TaskOpened", element_id=task.element_id, task_id=task.id,
                       after={"roles": list(task.roles)})

    @staticmethod
    def _sync_timers(rows: _Rows, runtime: CaseRuntime, release_due: datetime | None) -> datetime | None:
        """Make the timer rows match the waiting timers; returns the earliest new or moved due time.

        `release_due` (a timer-firing command's time): a due row that stays as it was is unclaimed too.
        """
        current = {t.id: t for t in runtime.waiting_timers()} if rows.case.status == "active" else {}
        rows.gone_timers = [timer_id for timer_id in rows.timers if timer_id not in current]
        changed: list[datetime] = []
        for timer_id, timer in current.items():
            existing = rows.timers.get(timer_id)
            if existing is None:
                rows.new_timers.append({"id": timer_id, "case_id": rows.case.id, "element_id": timer.element_id,
                                        "due_at": timer.due_at, "claimed_until": None})
                changed.append(timer.due_at)
            elif existing != timer.due_at:
                rows.moved_timers.append({"timer": timer_id, "due": timer.due_at})
                changed.append(timer.due_at)
            elif release_due is not None and existing <= release_due:
                rows.moved_timers.append({"timer": timer_id, "due": timer.due_at})
        return min(changed, default=None)
