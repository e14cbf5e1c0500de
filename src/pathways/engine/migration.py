"""Instance migration: move a pathway's running cases from version N to version M.

`plan` is the dry run: for each active case of version N, what `pathways.engine.migration_plan`
would do to it (tasks kept, renamed, mapped, created, removed; timers rescheduled; form fields
added or removed on open tasks) or why it cannot move. `migrate_case` moves one case in its own
transaction, following the case write path (`pathways.engine.writes`): the case's version check
first (a concurrent command wins, this case answers `conflict` and may be run again), then the
rows, the snapshot and `CaseMigrated` (from/to version and the mapping), `within` last (the audit
entry). It recomputes the plan inside that transaction, from the same snapshot the dry run read
unless the case changed since, and returns it: equal to the dry run's entry case by case.

`apply` moves every case still on version N in batches, reporting each one to `progress`. It is
resumable: a case already on M is not selected again, so a second run after an interruption
continues where the first one stopped. A case that cannot move is left as it is and reported.

The rows a move touches: an open task that still exists keeps its row (id, claim, comments) with
its new element, name and roles (its inbox offers follow the roles while it is unclaimed); a task
the new version no longer waits for is cancelled, a new one opened (`mirror.sync_tasks`); timer
rows take the new element and due time (`mirror.sync_timers`). Nothing of the workflow runs: the
case waits where it waited, on the new version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import mirror
from pathways.engine.actors import Actor
from pathways.engine.built import Definition
from pathways.engine.cases import Engine, Within
from pathways.engine.errors import Conflict, InvalidData, NotFound
from pathways.engine.migration_plan import CasePlan, migrate, resolve
from pathways.engine.runtime import CaseRuntime
from pathways.engine.writes import CaseRow, Rows, finish, load_case, load_rows
from pathways.store.models import Case, CaseState, HumanTask, PathwayVersion, TaskCandidate, TaskOffer, Timer

MIGRATED = "CaseMigrated"
#: cases read (dry run) or moved (apply) per batch
BATCH = 50
MIGRATED_OK, SKIPPED, REFUSED, CONFLICT = "migrated", "skipped", "refused", "conflict"


@dataclass(frozen=True)
class Request:
    """Which cases move where: pathway `key`, version numbers, and OLD=NEW element ids."""

    key: str
    from_version: int
    to_version: int
    mapping: Mapping[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"key": self.key, "from_version": self.from_version, "to_version": self.to_version,
                "map": dict(sorted(self.mapping.items()))}


@dataclass(frozen=True)
class Versions:
    old: Definition
    new: Definition
    old_number: int
    new_number: int


def parse_mapping(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`OLD=NEW` texts as a mapping; a malformed or repeated one is refused, naming it."""
    found: dict[str, str] = {}
    for pair in pairs:
        old, eq, new = pair.partition("=")
        if not eq or not old.strip() or not new.strip():
            raise InvalidData("a mapping is OLD_ID=NEW_ID", fields={"map": f"{pair[:80]!r} is not OLD_ID=NEW_ID"})
        if old.strip() in found:
            raise InvalidData("an element is mapped twice", fields={"map": f"{old.strip()[:80]} is mapped twice"})
        found[old.strip()] = new.strip()
    return found


def _version_id(s: Session, key: str, number: int) -> int:
    found = s.scalar(select(PathwayVersion.id).where(PathwayVersion.key == key, PathwayVersion.version == number))
    if found is None:
        raise NotFound(f"pathway {key!r} has no version {number}")
    return found


def _element_ids(definition: Definition) -> set[str]:
    return {bpmn_id for process in (definition.spec, *definition.subprocess_specs.values())
            for spec in process.task_specs.values() if (bpmn_id := getattr(spec, "bpmn_id", None))}


def versions(engine: Engine, s: Session, request: Request) -> Versions:
    """Both versions, built; the request checked against them (bad input changes nothing)."""
    if request.from_version == request.to_version:
        raise InvalidData("the versions are the same", fields={"to_version": "give another version than from"})
    old = engine.definition(s, _version_id(s, request.key, request.from_version))
    new = engine.definition(s, _version_id(s, request.key, request.to_version))
    old_ids, new_ids = _element_ids(old), _element_ids(new)
    problems = [f"{o} is no element of version {request.from_version}" for o in request.mapping if o not in old_ids]
    problems += [f"{n} is no element of version {request.to_version}" for n in request.mapping.values()
                 if n not in new_ids]
    if problems:
        raise InvalidData("the mapping names unknown elements", fields={"map": "; ".join(problems)})
    return Versions(old, new, request.from_version, request.to_version)


def changes(v: Versions) -> dict[str, Any]:
    """What differs between the versions, by element id: added, removed, renamed."""
    def named(d: Definition) -> dict[str, str]:
        return {spec.bpmn_id: spec.bpmn_name or "" for process in (d.spec, *d.subprocess_specs.values())
                for spec in process.task_specs.values() if getattr(spec, "bpmn_id", None)}
    old, new = named(v.old), named(v.new)
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)),
            "renamed": [{"element": e, "old_name": old[e], "name": new[e]} for e in sorted(set(old) & set(new))
                        if old[e] != new[e]]}


def plan(engine: Engine, request: Request) -> dict[str, Any]:
    """The dry run: every active case of version N with what moving it would do, or why it cannot."""
    cases: list[dict[str, Any]] = []
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        v = versions(engine, s, request)
        last = 0
        while True:
            found = s.execute(select(Case.id, CaseState.state).join(CaseState, CaseState.case_id == Case.id).where(
                Case.pathway_version_id == v.old.version_id, Case.status == "active", Case.id > last)
                .order_by(Case.id).limit(BATCH)).all()
            if not found:
                break
            for case_id, text in found:
                cases.append(migrate(v.old, v.new, case_id, text, request.mapping, engine.limits).plan.as_dict())
            last = found[-1][0]
    return {**request.record(), "changes": changes(v), "cases": cases,
            "movable": sum(1 for c in cases if c["movable"]), "refused": sum(1 for c in cases if not c["movable"])}


def pending(engine: Engine, request: Request, after: int = 0, limit: int = BATCH) -> list[int]:
    """Ids of the active cases still on version N (above `after`), in order: what `apply` has left."""
    with engine.store.unit_of_work(write=False) as uow:
        old_id = _version_id(uow.session, request.key, request.from_version)
        return list(uow.session.scalars(select(Case.id).where(
            Case.pathway_version_id == old_id, Case.status == "active", Case.id > after)
            .order_by(Case.id).limit(limit)))


def migrate_case(engine: Engine, actor: Actor, case_id: int, request: Request,
                 within: Callable[[str, dict[str, Any]], Within] | None = None) -> dict[str, Any]:
    """Move one case in its own transaction; its plan with `outcome` (migrated, skipped, refused, conflict).

    `within(outcome, plan)` gives the work to add to the transaction (the audit entry); a refused or
    skipped case writes only that."""
    try:
        with engine._command() as uow:  # noqa: SLF001 - a case command of the engine's own kind
            s = uow.session
            v = versions(engine, s, request)
            case = load_case(s.connection(), case_id)
            if case.pathway_version_id != v.old.version_id or case.status != "active":
                result = {**CasePlan(case_id, movable=False).as_dict(), "outcome": SKIPPED,
                          "reasons": [_skip_reason(case, v)]}
                return _record_only(uow, case_id, result, within)
            moved = migrate(v.old, v.new, case_id, case.state, request.mapping, engine.limits)
            result = {**moved.plan.as_dict(), "outcome": MIGRATED_OK if moved.runtime is not None else REFUSED}
            if moved.runtime is None:
                return _record_only(uow, case_id, result, within)
            _write(engine, uow, case, moved.runtime, v, request, actor, result,
                   within(MIGRATED_OK, result) if within is not None else None)
            return result
    except Conflict:
        return {**CasePlan(case_id, movable=False).as_dict(), "outcome": CONFLICT,
                "reasons": ["the case changed while it moved; run the migration again"]}


def _skip_reason(case: CaseRow, v: Versions) -> str:
    if case.pathway_version_id == v.new.version_id:
        return f"already on version {v.new_number}"
    if case.status != "active":
        return f"the case is {case.status}"
    return f"not on version {v.old_number}"


def _record_only(uow: Any, case_id: int, result: dict[str, Any],
                 within: Callable[[str, dict[str, Any]], Within] | None) -> dict[str, Any]:
    if within is not None:
        within(result["outcome"], result)(uow.session, case_id)
        uow.commit()
    return result


def _write(engine: Engine, uow: Any, case: CaseRow, runtime: CaseRuntime, v: Versions, request: Request,
           actor: Actor, result: dict[str, Any], within: Within | None) -> None:
    conn = uow.session.connection()
    rows = load_rows(conn, case)
    now = clock.now()
    kept = [t for t in result["tasks"] if t["change"] in ("kept", "renamed", "mapped")]
    rows.sealed = v.new.sealed_fields
    mirror.sync_tasks(rows, runtime, actor, now)
    mirror.sync_timers(rows, runtime, None)
    mirror.offer(rows, engine.roles)
    rows.event(actor, MIGRATED, before={"version": v.old_number},
               after={"version": v.new_number, "map": dict(sorted(request.mapping.items()))})
    case.pathway_version_id = v.new.version_id

    def then(s: Session, case_id: int) -> None:
        c = s.connection()
        c.execute(update(Case).where(Case.id == case_id).values(pathway_version_id=v.new.version_id))
        for task in kept:
            _update_task(c, rows, engine, runtime, task)
        for timer in result["timers"]:
            if timer["change"] == "mapped":
                c.execute(update(Timer).where(Timer.id == timer["timer_id"]).values(element_id=timer["element"]))
        if within is not None:
            within(s, case_id)

    finish(uow, rows, runtime.dump(), then)
    earliest = min((clock.aware(t.due_at) for t in runtime.waiting_timers()), default=None)
    if engine.on_timers_changed is not None and earliest is not None and any(
            t["change"] in ("rescheduled", "created") for t in result["timers"]):
        engine.on_timers_changed(earliest)


def _update_task(c: Connection, rows: Rows, engine: Engine, runtime: CaseRuntime, task: dict[str, Any]) -> None:
    """A task that stays open keeps its row: new element, name and (if changed) roles and offers."""
    opened = next(t for t in runtime.open_tasks(rows.case.stage) if t.id == task["task_id"])
    c.execute(update(HumanTask).where(HumanTask.id == opened.id).values(
        element_id=opened.element_id, name=opened.name, lane=opened.lane, roles=list(opened.roles)))
    if "roles" not in task:
        return
    c.execute(delete(TaskCandidate).where(TaskCandidate.task_id == opened.id))
    c.execute(insert(TaskCandidate), [{"task_id": opened.id, "role": r} for r in opened.roles])
    row = c.execute(select(HumanTask.claimed_by, HumanTask.due_at, HumanTask.priority, HumanTask.created_at)
                    .where(HumanTask.id == opened.id)).one()
    c.execute(delete(TaskOffer).where(TaskOffer.task_id == opened.id))
    if row.claimed_by is None:
        offers = engine.roles.offers(opened.roles, rows.agencies)
        if offers:
            c.execute(insert(TaskOffer), [{"task_id": opened.id, "agency_id": a, "role": r, "due_at": row.due_at,
                                           "priority": row.priority, "created_at": row.created_at} for a, r in offers])


def apply(engine: Engine, actor: Actor, request: Request, *, progress: Callable[[dict[str, Any]], None] | None = None,
          within: Callable[[str, dict[str, Any]], Within] | None = None, batch: int = BATCH,
          limit: int | None = None) -> dict[str, Any]:
    """Move every case still on version N, in batches, each in its own transaction; a summary.

    `limit` stops after that many cases (the rest stay for the next run)."""
    with engine.store.unit_of_work(write=False) as uow:
        versions(engine, uow.session, request)  # bad input: refused before any case moves
    counts = {MIGRATED_OK: 0, SKIPPED: 0, REFUSED: 0, CONFLICT: 0}
    results: list[dict[str, Any]] = []
    last = 0
    while limit is None or len(results) < limit:
        ids = pending(engine, request, last, batch)
        if not ids:
            break
        for case_id in ids[: None if limit is None else limit - len(results)]:
            result = migrate_case(engine, actor, case_id, request, within)
            counts[result["outcome"]] += 1
            results.append(result)
            if progress is not None:
                progress(result)
        last = ids[-1]
    return {**request.record(), "cases": results, **counts}


__all__ = ["BATCH", "CONFLICT", "MIGRATED", "MIGRATED_OK", "REFUSED", "SKIPPED", "Request", "apply", "changes",
           "migrate_case", "parse_mapping", "pending", "plan", "resolve", "versions"]
