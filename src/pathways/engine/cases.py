"""Case commands: each one loads a case, runs it, and writes every consequence in ONE transaction.

Start, complete a task, fire timers, deliver a message, cancel, close. The workflow snapshot,
human-task rows, timer rows, stage history and the event log change together or not at all; a
concurrent command on the same case loses with `Conflict` (optimistic version check).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.exc import StaleDataError

from pathways.engine import clock, measures
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
    Timer,
    User,
)

SYSTEM = "system"

#: Work a caller adds to a command's own transaction (an authorization re-check, an audit entry),
#: run with the session and the case id just before the commit: both land or neither does.
Within = Callable[[Session, int], None]
_LOST_RACE = ("deadlock", "could not serialize", "database is locked", "lock timeout")
TIMER_RETRY_SECONDS = 300


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a user (name + id) or the system (timers)."""

    name: str = SYSTEM
    user_id: int | None = None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class Engine:
    """The engine's command API over a store. No Flask, no HTTP: plain calls and domain errors."""

    def __init__(
        self,
        store: Store,
        roles: RoleVocabulary,
        on_timers_changed: Callable[[datetime], None] | None = None,
        cache_size: int = 64,
    ) -> None:
        self.store = store
        self.roles = roles
        self.on_timers_changed = on_timers_changed
        self._cache: OrderedDict[int, Definition] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

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
        data = _jsonable(data or {})
        with self._command() as uow:
            s = uow.session
            query = select(PathwayVersion).where(PathwayVersion.key == key)
            if version is not None:
                query = query.where(PathwayVersion.version == version)
            pv = s.scalars(query.order_by(PathwayVersion.version.desc()).limit(1)).first()
            if pv is None:
                raise NotFound(f"no deployed pathway {key!r}" + (f" version {version}" if version else ""))
            codes = list(dict.fromkeys(agencies))
            found = {a.code: a for a in s.scalars(select(Agency).where(Agency.code.in_(codes)))}
            missing = [c for c in codes if c not in found]
            if missing:
                raise InvalidData("unknown agencies", fields={"agencies": f"unknown: {', '.join(missing)}"})
            runtime = CaseRuntime.start(self.definition(s, pv.id), data)
            now = clock.now()
            case = Case(pathway_version_id=pv.id, pathway_key=key, beneficiary=beneficiary,
                        status="active", created_at=now, updated_at=now)
            case.agency_rows = [CaseAgency(agency_id=found[c].id) for c in codes]
            case.state_row = CaseState(state="")
            s.add(case)
            s.flush()
            self._event(s, case, actor, "CaseStarted", after={"data": data, "agencies": codes})
            self._save(uow, case, runtime, actor, within)
            return case.id

    def complete_task(self, actor: Actor, task_id: str, data: dict[str, Any], within: Within | None = None) -> int:
        """Complete an open human task with (already validated) data; returns the case id."""
        data = _jsonable(data)
        with self._command() as uow:
            s = uow.session
            row = s.get(HumanTask, task_id, options=[lazyload(HumanTask.candidate_rows)])
            if row is None:
                raise NotFound(f"task {task_id} does not exist")
            if row.status != "open":
                raise TaskNotOpen(f"task {row.id} ({row.name}) is already {row.status}", status=row.status)
            case, runtime = self._load(s, row.case_id)
            before, after = runtime.complete(task_id, data)
            now = clock.now()
            row.status, row.completed_at, row.completed_by = "completed", now, actor.user_id
            self._event(s, case, actor, "TaskCompleted", element_id=row.element_id, task_id=row.id,
                        before=before, after=after)
            self._record_task_measures(s, case, row, runtime.task(task_id).task_spec, data, actor)
            self._save(uow, case, runtime, actor, within)
            return case.id

    def send_message(self, actor: Actor, case_id: int, name: str, payload: dict[str, Any],
                     within: Within | None = None) -> None:
        payload = _jsonable(payload)
        with self._command() as uow:
            case, runtime = self._load(uow.session, case_id)
            runtime.receive_message(name, payload)
            self._event(uow.session, case, actor, "MessageReceived", element_id=name, after=payload)
            self._save(uow, case, runtime, actor, within)

    def cancel_case(self, actor: Actor, case_id: int, reason: str = "", close: bool = False) -> None:
        """Stop an active case: its open tasks are cancelled and its timers removed."""
        with self._command() as uow:
            s = uow.session
            case = self._case(s, case_id)
            if case.status == "closed":
                raise CaseNotActive(f"case {case_id} is already closed")
            if case.status == "active":
                _, runtime = self._load(s, case_id)
                runtime.cancel()
                case.status = "cancelled"
                self._event(s, case, actor, "CaseCancelled", after={"reason": reason})
                self._save(uow, case, runtime, actor)
            if close:
                case.status = "closed"
                self._event(s, case, actor, "CaseClosed", after={"reason": reason})
                self._commit(uow, case)

    def close_case(self, actor: Actor, case_id: int, reason: str = "") -> None:
        """Close a case for good (cancelling it first if it is still active)."""
        self.cancel_case(actor, case_id, reason, close=True)

    def fire_due_timers(self, limit: int = 1000) -> int:
        """Fire timers due by now, one case per transaction; returns how many cases advanced."""
        advanced = 0
        for _ in range(limit):
            outcome = self._fire_next()
            if outcome is None:
                break
            advanced += outcome
        return advanced

    def next_due(self) -> datetime | None:
        with self.store.unit_of_work(write=False) as uow:
            due = uow.session.scalar(select(func.min(Timer.due_at)))
            return _aware(due) if due is not None else None

    # -- internals -------------------------------------------------------------------------
    def _fire_next(self) -> int | None:
        """Claim the earliest due timer (SKIP LOCKED on PostgreSQL) and advance its case."""
        now = clock.now()
        case_id = None
        try:
            with self._command() as uow:
                s = uow.session
                query = select(Timer).where(Timer.due_at <= now).order_by(Timer.due_at).limit(1)
                if uow.dialect == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                timer = s.scalars(query).first()
                if timer is None:
                    return None
                case_id = timer.case_id
                case, runtime = self._load(s, case_id)
                fired = runtime.fire_due_timers()
                for element in fired:
                    self._event(s, case, Actor(), "TimerFired", element_id=element)
                self._save(uow, case, runtime, Actor())
                return 1
        except Conflict:
            return 0  # another process advanced this case first; its timers are handled
        except PathwaysError as exc:
            assert case_id is not None
            self._postpone_timers(case_id, exc)
            return 0

    def _postpone_timers(self, case_id: int, error: PathwaysError) -> None:
        """A timer whose case fails to advance is retried later, and the failure is logged."""
        with self._command() as uow:
            s = uow.session
            retry = clock.now() + timedelta(seconds=TIMER_RETRY_SECONDS)
            for timer in s.scalars(select(Timer).where(Timer.case_id == case_id, Timer.due_at <= clock.now())):
                timer.due_at = retry
            case = s.get(Case, case_id)
            if case is not None:
                self._event(s, case, Actor(), "TimerFailed", after={"error": error.message})
            uow.commit()

    def _case(self, s: Session, case_id: int, lean: bool = False) -> Case:
        """The case row; `lean` skips the eager loads a command does not need."""
        options = [lazyload(Case.agency_rows), lazyload(Case.pathway_version)] if lean else []
        case = s.get(Case, case_id, options=options)
        if case is None:
            raise NotFound(f"case {case_id} does not exist")
        return case

    def _load(self, s: Session, case_id: int) -> tuple[Case, CaseRuntime]:
        case = self._case(s, case_id, lean=True)
        if case.status != "active":
            raise CaseNotActive(f"case {case_id} is {case.status}")
        return case, CaseRuntime.restore(self.definition(s, case.pathway_version_id), case.state_row.state)

    def _event(self, s: Session, case: Case, actor: Actor, kind: str, *, element_id: str | None = None,
               task_id: str | None = None, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None) -> None:
        s.add(CaseEvent(case_id=case.id, at=clock.now(), actor=actor.name, kind=kind, element_id=element_id,
                        task_id=task_id, before=before, after=after))

    def _save(self, uow: UnitOfWork, case: Case, runtime: CaseRuntime, actor: Actor,
              within: Within | None = None) -> None:
        """Mirror the runtime into rows (stages, tasks, timers, status, snapshot) and commit."""
        s, now = uow.session, clock.now()
        with s.no_autoflush:  # the sync steps read rows this command has not changed: flush once, at commit
            self._sync_stages(s, case, runtime, actor, now)
            self._record_outcomes(s, case, runtime)
            self._sync_tasks(s, case, runtime, actor, now)
            earliest_new_timer = self._sync_timers(s, case, runtime)
            if runtime.completed and case.status == "active":
                case.status = "completed"
                self._close_stage(s, case, now)
                self._event(s, case, actor, "CaseCompleted", after={"data": _jsonable(runtime.data())})
        case.state_row.state = runtime.dump()
        if within is not None:
            within(s, case.id)
        self._commit(uow, case)
        if earliest_new_timer is not None and self.on_timers_changed is not None:
            self.on_timers_changed(earliest_new_timer)

    def _commit(self, uow: UnitOfWork, case: Case) -> None:
        case.updated_at = clock.now()
        uow.commit()

    @contextmanager
    def _command(self) -> Iterator[UnitOfWork]:
        """A write transaction whose lost races surface as `Conflict` (with nothing written)."""
        try:
            with self.store.unit_of_work() as uow:
                yield uow
        except StaleDataError:
            raise Conflict("the case was changed by another command at the same time; "
                           "nothing was written, reload and try again") from None
        except OperationalError as exc:
            if not any(word in str(exc.orig).lower() for word in _LOST_RACE):
                raise
            raise Conflict(f"concurrent change: {exc.orig}; nothing was written, try again") from None

    def _record_task_measures(self, s: Session, case: Case, row: HumanTask, spec: Any, data: dict[str, Any],
                              actor: Actor) -> None:
        """Hours and benefits from a completed task's form, credited to the completing user's agency."""
        user = s.get(User, actor.user_id) if actor.user_id is not None else None
        held = sorted(set(row.roles) & user.roles) if user is not None else []
        role = held[0] if held else (row.roles[0] if row.roles else None)
        agency_kind = user.agency.kind if user is not None else (self.roles.agency_kind(role) if role else None)
        for fact in measures.task_facts(spec, data, role):
            s.add(Measure(case_id=case.id, kind=fact.kind, key=fact.key, value=fact.value, agency_kind=agency_kind,
                          agency_id=user.agency_id if user else None, user_id=actor.user_id,
                          element_id=fact.element_id, task_id=row.id, at=clock.now()))

    def _record_outcomes(self, s: Session, case: Case, runtime: CaseRuntime) -> None:
        """Outcomes reached since the last command, credited to the agency kind of the element's lane."""
        for outcome, element, lane in runtime.reached_outcomes():
            lane_role = self.roles.resolve_lane(lane)
            s.add(Measure(case_id=case.id, kind="outcome", key=outcome, value=1, element_id=element,
                          agency_kind=self.roles.agency_kind(lane_role) if lane_role else None, at=clock.now()))

    def _sync_stages(self, s: Session, case: Case, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
        for stage, element in runtime.enter_stages():
            if stage == case.stage:
                continue
            self._close_stage(s, case, now)
            s.add(StageVisit(case_id=case.id, stage=stage, entered_at=now))
            self._event(s, case, actor, "StageEntered", element_id=element,
                        before={"stage": case.stage}, after={"stage": stage})
            case.stage = stage

    def _close_stage(self, s: Session, case: Case, now: datetime) -> None:
        for visit in s.new:  # a visit opened earlier in this command is not in the database yet
            if isinstance(visit, StageVisit) and visit.case_id == case.id and visit.left_at is None:
                visit.left_at = now
        s.execute(update(StageVisit).where(StageVisit.case_id == case.id, StageVisit.left_at.is_(None))
                  .values(left_at=now).execution_options(synchronize_session=False))

    def _sync_tasks(self, s: Session, case: Case, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
        rows = {r.id: r for r in s.scalars(select(HumanTask).where(
            HumanTask.case_id == case.id, HumanTask.status == "open").options(lazyload(HumanTask.candidate_rows)))}
        current = {t.id: t for t in runtime.open_tasks(case.stage)}
        for task_id, row in rows.items():
            if task_id not in current:
                row.status = "cancelled"
                self._event(s, case, actor, "TaskCancelled", element_id=row.element_id, task_id=row.id)
        for task_id, task in current.items():
            if task_id in rows:
                continue
            s.add(HumanTask(
                id=task.id, case_id=case.id, element_id=task.element_id, name=task.name, lane=task.lane,
                roles=list(task.roles), stage=task.stage, status="open", priority=task.priority,
                due_at=runtime.due_at(task, now), created_at=now,
                candidate_rows=[TaskCandidate(role=r) for r in task.roles],
            ))
            self._event(s, case, actor, "TaskOpened", element_id=task.element_id, task_id=task.id,
                        after={"roles": list(task.roles)})

    def _sync_timers(self, s: Session, case: Case, runtime: CaseRuntime) -> datetime | None:
        """Make the timer rows match the waiting timers; returns the earliest new or moved due time."""
        rows = {t.id: t for t in s.scalars(select(Timer).where(Timer.case_id == case.id))}
        current = {t.id: t for t in runtime.waiting_timers()} if case.status == "active" else {}
        for gone in rows.keys() - current.keys():
            s.delete(rows[gone])
        changed: list[datetime] = []
        for timer_id, timer in current.items():
            existing = rows.get(timer_id)
            if existing is None:
                s.add(Timer(id=timer_id, case_id=case.id, element_id=timer.element_id, due_at=timer.due_at))
                changed.append(timer.due_at)
            elif _aware(existing.due_at) != timer.due_at:
                existing.due_at = timer.due_at
                changed.append(timer.due_at)
        return min(changed, default=None)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)

