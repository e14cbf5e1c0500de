"""Case commands: each one loads a case, runs it, and writes every consequence in ONE transaction.

Start, complete a task, fire timers, deliver a message, cancel, close. The workflow snapshot,
human-task rows, timer rows, stage history and the event log change together or not at all; a
concurrent command on the same case loses with `Conflict` (optimistic version check).

Each command follows the write path of `pathways.engine.writes` (two reads, rows gathered while
the workflow runs, one statement per kind of row, `within` before the commit, the workflow cache
keyed by case version); `pathways.engine.mirror` turns the workflow into those rows,
`pathways.engine.firing` claims due timers and keeps one failing case from stopping the others,
and `pathways.engine.conflicts` tells a lost race from a failure.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.base.sealing import Sealed
from pathways.base.values import jsonable
from pathways.engine import (  # messages: also registers the retrier of message incidents
    candidate_users,
    firing,
    incidents,
    messages,
    mirror,
    postbox,
    preassign,
    wake,
)
from pathways.engine.actors import SYSTEM, Actor
from pathways.engine.budget import EngineLimits
from pathways.engine.built import Definition
from pathways.engine.conflicts import command
from pathways.engine.deciding import LEGACY_LANGUAGE
from pathways.engine.definitions import SourceFile, build_spec
from pathways.engine.errors import CaseNotActive, CaseSuspended, InvalidData, NotFound, TaskNotOpen
from pathways.engine.firing import TIMER_BATCH, TIMER_LEASE_SECONDS, TIMER_RETRY_MAX_SECONDS, TIMER_RETRY_SECONDS
from pathways.engine.roles import RoleVocabulary
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import CaseRow, Rows, Sql, Within, WorkflowCache, finish, load_case, load_rows
from pathways.store.db import Store, UnitOfWork
from pathways.store.models import Agency, Case, CaseAgency, DefinitionBlob, PathwayVersion

__all__ = ["SYSTEM", "TIMER_BATCH", "TIMER_LEASE_SECONDS", "TIMER_RETRY_MAX_SECONDS", "TIMER_RETRY_SECONDS",
           "Actor", "Engine", "Within"]


class Engine:
    """The engine's command API over a store. No Flask, no HTTP: plain calls and domain errors."""

    def __init__(
        self,
        store: Store,
        roles: RoleVocabulary,
        on_timers_changed: Callable[[datetime], None] | None = None,
        cache_size: int = 64,
        runtime_cache_size: int = 256,
        limits: EngineLimits | None = None,
        incident_attempts: int = incidents.INCIDENT_ATTEMPTS,
    ) -> None:
        self.store = store
        self.incident_attempts = incident_attempts  # failures in a row before an incident (`engine.incidents`)
        self.limits = limits or EngineLimits()
        self.roles = roles
        self.on_timers_changed = on_timers_changed
        self._cache: OrderedDict[int, Definition] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._runtimes = WorkflowCache(runtime_cache_size)
        self.message_keep = postbox.DEFAULT_KEEP  # how long a message nobody waits for is kept

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
        spec, subprocess_specs = build_spec(files, version.key, version.dmn_language or LEGACY_LANGUAGE)
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
        beneficiary_id: int | None = None,
        bases: Mapping[str, Mapping[str, Any]] | None = None,
        started_by: Callable[[CaseRuntime, Rows], None] | None = None,
    ) -> int:
        """Start a case of pathway `key` (latest version unless `version`); returns the case id.

        `bases` (agency code -> `basis`, `consent_id`, `statute`) records why each agency takes part;
        the engine writes what it is given, `pathways.privacy.sharing` decides what is allowed.
        `started_by` lets the message or signal that starts the case reach its start event
        (`pathways.engine.delivery.start`) before the case is written.
        """
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
            runtime = CaseRuntime.start(self.definition(uow.session, version_id), data, self.limits)
            now = clock.now()
            case_id: int | None = conn.scalar(insert(Case).values(
                pathway_version_id=version_id, pathway_key=key, beneficiary=beneficiary, status="active",
                beneficiary_id=beneficiary_id, created_at=now, updated_at=now, version=1).returning(Case.id))
            assert case_id is not None
            if codes:
                conn.execute(insert(CaseAgency), [
                    {"case_id": case_id, "agency_id": found[c][0], "basis": None, "consent_id": None, "statute": None,
                     **(bases or {}).get(c, {}), "added_at": now, "added_by": actor.name} for c in codes])
            rows = Rows(CaseRow(case_id, 1, "active", None, version_id, ""), {}, {}, new_case=True,
                        agencies=[found[c] for c in codes])
            rows.event(actor, "CaseStarted", after={"data": data, "agencies": codes})
            if started_by is not None:
                started_by(runtime, rows)
            self._save(uow, rows, runtime, actor, within)
            return case_id

    def complete_task(self, actor: Actor, task_id: str, data: dict[str, Any], within: Within | None = None) -> int:
        """Complete an open human task with (already validated) data; returns the case id."""
        data = jsonable(data)
        with self._command() as uow:
            conn = uow.session.connection()
            found = conn.execute(Sql.load_task, {"task": task_id}).first()
            if found is None:
                raise NotFound(f"task {task_id} does not exist")
            status, name, element_id, task_roles = found[:4]
            if status != "open":
                raise TaskNotOpen(f"task {task_id} ({name}) is already {status}", status=status)
            case = self._active(CaseRow(*found[4:]))
            rows = load_rows(conn, case)
            rows.open_tasks.pop(task_id, None)  # its row becomes completed, not cancelled
            runtime = self._restore(uow.session, case)
            before, after = runtime.complete(task_id, data)
            rows.completed = {"task": task_id, "now": clock.now(), "user": actor.user_id}
            rows.event(actor, "TaskCompleted", element_id=element_id, task_id=task_id, before=before, after=after)
            spec = runtime.task(task_id).task_spec
            mirror.record_task_measures(conn, rows, self.roles, task_id, task_roles, spec, data, actor)
            self._save(uow, rows, runtime, actor, within)
            return case.id

    def send_message(self, actor: Actor, case_id: int, name: str, payload: dict[str, Any],
                     within: Within | None = None) -> None:
        payload = jsonable(payload)
        with self._command() as uow:
            conn = uow.session.connection()
            case = self._active(load_case(conn, case_id))
            rows, runtime = load_rows(conn, case), self._restore(uow.session, case)
            runtime.receive_message(name, payload)
            rows.event(actor, "MessageReceived", element_id=name, after=payload)
            self._save(uow, rows, runtime, actor, within)

    def cancel_case(self, actor: Actor, case_id: int, reason: str = "", close: bool = False,
                    within: Within | None = None) -> None:
        """Stop an active case: its open tasks are cancelled, its timers removed, its incidents closed.

        The reason is staff's free text about the person: sealed in the event, as notes are."""
        with self._command() as uow:
            conn = uow.session.connection()
            case = load_case(conn, case_id)
            incidents.close_for_case(conn, case_id, actor.name)
            if case.status == "closed":
                raise CaseNotActive(f"case {case_id} is already closed")
            if case.status != "active":
                rows = Rows(case, {}, {})
                rows.event(actor, "CaseClosed", after={"reason": Sealed(reason)})
                case.status = "closed"
                finish(uow, rows, None, within)
                return
            rows, runtime = load_rows(conn, case), self._restore(uow.session, case)
            runtime.cancel()
            case.status = "cancelled"
            rows.close_stage(clock.now())  # the last stay ends with the case
            rows.event(actor, "CaseCancelled", after={"reason": Sealed(reason)})
            if close:  # closing an active case cancels it first, in the same transaction
                self._sync(rows, runtime, actor)
                case.status = "closed"
                rows.event(actor, "CaseClosed", after={"reason": Sealed(reason)})
                finish(uow, rows, runtime.dump(), within)
                return
            self._save(uow, rows, runtime, actor, within)

    def close_case(self, actor: Actor, case_id: int, reason: str = "") -> None:
        """Close a case for good (cancelling it first if it is still active)."""
        self.cancel_case(actor, case_id, reason, close=True)

    def correct_value(self, actor: Actor, case_id: int, field: str, value: Any, reason: str, *,
                      sensitive: bool = False, version: int | None = None, expected: Any = None,
                      check_expected: bool = False, within: Within | None = None) -> int:
        """Correct one stored value of the case's data (`pathways.engine.corrections`); the new version.

        With `check_expected`, the stored value must still be `expected` (else `Conflict`)."""
        from pathways.engine.corrections import ANY, correct_value

        return correct_value(self, actor, case_id, field, value, reason, sensitive=sensitive, version=version,
                             expected=expected if check_expected else ANY, within=within)

    def fire_due_timers(self, limit: int = 1000) -> int:
        """Fire timers due by now; returns how many cases advanced.

        Claims due timers in batches and advances each claimed case in its own transaction; a case
        that fails is logged, postponed with back-off and recorded as `TimerFailed`, and the others
        fire (`pathways.engine.firing`).
        """
        return firing.fire_due(self.store, self._advance_on_timers, limit, self.incident_attempts)

    def next_due(self) -> datetime | None:
        """The earliest due time of a timer nobody holds (claimed timers are being fired)."""
        return firing.next_due(self.store)

    def _advance_on_timers(self, case_id: int, within: Within | None = None) -> None:
        """The timer-firing command: let the case's due timers fire and write what follows
        (`within`: an incident's retry resolves it in this transaction)."""
        with self._command() as uow:
            conn = uow.session.connection()
            case = self._active(load_case(conn, case_id))
            rows, runtime = load_rows(conn, case), self._restore(uow.session, case)
            for element in runtime.fire_due_timers():
                rows.event(Actor(), "TimerFired", element_id=element)
            self._save(uow, rows, runtime, Actor(), within, release_due=True)

    # -- loading ---------------------------------------------------------------------------
    @staticmethod
    def _active(case: CaseRow) -> CaseRow:
        if case.status == "suspended":  # `engine.lifecycle`
            raise CaseSuspended(f"case {case.id} is suspended: its tasks and timers wait until it is resumed")
        if case.status != "active":
            raise CaseNotActive(f"case {case.id} is {case.status}")
        return case

    def _restore(self, s: Session, case: CaseRow) -> CaseRuntime:
        """The case's workflow: this process's own copy when it is current, else from the snapshot."""
        kept = self._runtimes.take(case)
        if kept is not None:
            return kept
        return CaseRuntime.restore(self.definition(s, case.pathway_version_id), case.state, self.limits)

    # -- writing ---------------------------------------------------------------------------
    def _command(self) -> AbstractContextManager[UnitOfWork]:
        """A write transaction whose lost races surface as `Conflict` (with nothing written)."""
        return command(self.store)

    def _save(self, uow: UnitOfWork, rows: Rows, runtime: CaseRuntime, actor: Actor,
              within: Within | None = None, release_due: bool = False) -> None:
        """Mirror the runtime into rows (stages, tasks, timers, status, snapshot) and commit."""
        earliest_new_timer = self._sync(rows, runtime, actor, release_due)
        mirror.offer(rows, self.roles)
        preassign.apply(uow.session.connection(), rows, runtime, clock.now())
        candidate_users.apply(uow.session.connection(), rows, runtime, clock.now())
        sent = postbox.record(uow.session.connection(), rows, runtime, actor, self.message_keep)
        if earliest_new_timer is not None:  # other processes' schedulers wake at the commit (`engine.wake`)
            wake.announce(uow.session.connection(), earliest_new_timer)
        finish(uow, rows, runtime.dump(), within)
        self._runtimes.put(rows.case, runtime)
        messages.after_commit(self, sent)  # what the case sent, each receiver in its own command
        if earliest_new_timer is not None and self.on_timers_changed is not None:
            self.on_timers_changed(earliest_new_timer)

    def _sync(self, rows: Rows, runtime: CaseRuntime, actor: Actor, release_due: bool = False) -> datetime | None:
        now = clock.now()
        rows.sealed = runtime.definition.sealed_fields
        mirror.sync_stages(rows, runtime, actor, now)
        mirror.record_outcomes(rows, runtime, self.roles)
        mirror.record_decisions(rows, runtime, actor)
        mirror.sync_tasks(rows, runtime, actor, now)
        earliest_new_timer = mirror.sync_timers(rows, runtime, now if release_due else None)
        if runtime.failure is not None and rows.case.status == "active":
            rows.case.status = "failed"
            rows.close_stage(now)
            rows.event(actor, "CaseFailed", element_id=runtime.failure.element, after=runtime.failure.record())
        elif runtime.completed and rows.case.status == "active":
            rows.case.status = "completed"
            rows.close_stage(now)
            rows.event(actor, "CaseCompleted", after={"data": jsonable(runtime.data())})
        return earliest_new_timer
