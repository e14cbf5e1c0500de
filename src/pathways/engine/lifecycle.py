"""A running case's lifecycle: cancel it, close it early with an outcome, suspend and resume it.

Each is one engine command in ONE transaction with the case's version check (`engine.writes`):
a concurrent command on the case loses cleanly with `Conflict`, and the caller's `within` (an
audit entry) lands in the same transaction. Who may do what is `pathways.tasks.lifecycle`'s rule.

- **Cancel** (`cancel`): an active or suspended case stops for a reason of `CANCEL_REASONS`, with
  a free-text note sealed in the `CaseCancelled` event: its open tasks are cancelled (and leave
  every inbox), its timers removed, its open stage visit ends, its incidents close. The case
  stays readable, status `cancelled`.
- **Close early** (`close_early`): the same stop, status `closed`, with an outcome the pathway
  allows (`close_outcomes`: the process-level `camunda:properties` property `close_outcomes`,
  comma-separated outcome keys). The outcome is recorded as an `outcome` measure, as an element's
  `outcome` property is when it completes, so the reports count it (`reports.measures.outcomes`).
- **Suspend** (`suspend`): an active case becomes `suspended`; its timer rows are taken out of
  the timer table (the workflow keeps them: no worker claims them meanwhile), its open tasks stay
  in the inboxes, marked, but cannot be claimed or completed (`CaseSuspended`). A
  `case_suspensions` row records since when.
- **Resume** (`resume`): the case is `active` again and its timer rows come back. `RESUME_SHIFT`
  moves every waiting timer's due time by the suspension's length (a reminder due two days after
  the suspension is due two days after the resume); `RESUME_FIRE` keeps the due times, so the
  timers that fell due meanwhile fire at once (the scheduler is woken). The choice is the
  server's (`PATHWAYS_RESUME_TIMERS`, `pathways.config`), or the caller's for one resume.
  Human tasks' due dates (`camunda:dueDate`) do not move: they are deadlines people keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.base.sealing import Sealed
from pathways.base.xml import parse_xml
from pathways.engine import incidents, timer_control
from pathways.engine.actors import Actor
from pathways.engine.errors import CaseNotActive, InvalidData
from pathways.engine.writes import CaseRow, Within, finish, load_case, load_rows
from pathways.store.models import Agency, CaseSuspension, DefinitionBlob, PathwayVersion, User

if TYPE_CHECKING:
    from pathways.engine.cases import Engine

#: why a case is cancelled (the free-text note says more, sealed)
CANCEL_REASONS = ("left_programme", "moved_away", "died", "duplicate", "entered_by_mistake", "other")
RESUME_SHIFT, RESUME_FIRE = "shift", "fire"
RESUME_MODES = (RESUME_SHIFT, RESUME_FIRE)
#: the process-level property listing the outcomes a case of the pathway may be closed early with
CLOSE_OUTCOMES = "close_outcomes"
#: a case in these may be cancelled, closed early (and, active only, suspended)
RUNNING = ("active", "suspended")
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


@dataclass
class Resumed:
    """What a resume did: how long the case was suspended and what became of its timers."""

    mode: str
    suspended_seconds: int
    timers: list[dict[str, Any]] = field(default_factory=list)  # element, due_at (after the resume)


def process_properties(content: str, key: str) -> dict[str, str]:
    """The `camunda:properties` of process `key` itself in a BPMN file (name -> stripped value)."""
    root = parse_xml(content.encode("utf-8"))
    props: dict[str, str] = {}
    for process in root.iter(f"{_BPMN}process"):
        if process.get("id") != key:
            continue
        for prop in process.findall(f"./{_BPMN}extensionElements/{_CAMUNDA}properties/{_CAMUNDA}property"):
            name = prop.get("name") or prop.get("id")
            if name:
                props[name] = (prop.get("value") or "").strip()
    return props


def close_outcomes(s: Session, version_id: int) -> tuple[str, ...]:
    """The outcomes a case of this pathway version may be closed early with (none: closing early is refused)."""
    version = s.get(PathwayVersion, version_id)
    blob = s.get(DefinitionBlob, version.files[0]) if version is not None and version.files else None
    if version is None or blob is None:
        return ()
    listed = process_properties(blob.content, version.key).get(CLOSE_OUTCOMES, "")
    return tuple(dict.fromkeys(o.strip() for o in listed.split(",") if o.strip()))


def cancel(engine: Engine, actor: Actor, case_id: int, reason: str, note: str = "",
           within: Within | None = None) -> None:
    """Cancel an active or suspended case for `reason` (one of `CANCEL_REASONS`)."""
    if reason not in CANCEL_REASONS:
        raise InvalidData("choose why the case is cancelled", fields={"reason": f"one of {', '.join(CANCEL_REASONS)}"})
    _stop(engine, actor, case_id, "cancel", within, lambda case, outcomes: (
        "cancelled", "CaseCancelled", {"reason_code": reason, "reason": Sealed(note)}, None))


def close_early(engine: Engine, actor: Actor, case_id: int, outcome: str, note: str = "",
                within: Within | None = None) -> None:
    """Close an active or suspended case with an outcome its pathway allows (`close_outcomes`)."""

    def closing(case: CaseRow, allowed: tuple[str, ...]) -> tuple[str, str, dict[str, Any], str]:
        if not allowed:
            raise InvalidData("this pathway does not let a case be closed early (its process declares no "
                              f"{CLOSE_OUTCOMES} property)", fields={"outcome": "no early close in this pathway"})
        if outcome not in allowed:
            raise InvalidData("this pathway does not allow closing a case early with this outcome",
                              fields={"outcome": f"one of {', '.join(allowed)}"})
        return "closed", "CaseClosed", {"outcome": outcome, "early": True, "reason": Sealed(note)}, outcome

    _stop(engine, actor, case_id, "close", within, closing)


def _stop(engine: Engine, actor: Actor, case_id: int, verb: str, within: Within | None, decide: Any) -> None:
    """Cancel the workflow and write the end: tasks cancelled, timers gone, stage left, incidents closed."""
    with engine._command() as uow:  # noqa: SLF001 - a command of the engine, kept in its own module
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status not in RUNNING:
            raise CaseNotActive(f"case {case_id} is {case.status}: only an active or suspended case can be "
                                f"{'cancelled' if verb == 'cancel' else 'closed early'}", status=case.status)
        status, kind, after, outcome = decide(case, close_outcomes(uow.session, case.pathway_version_id))
        rows, runtime = load_rows(conn, case), engine._restore(uow.session, case)  # noqa: SLF001
        incidents.close_for_case(conn, case_id, actor.name)
        _end_suspension(conn, case_id, actor)
        runtime.cancel()
        case.status = status
        rows.close_stage(clock.now())
        rows.event(actor, kind, after=after)
        if outcome is not None:
            agency_id, kind_of = _agency_of(conn, actor)
            rows.measure("outcome", outcome, 1, "", kind_of, agency_id=agency_id, user_id=actor.user_id)
        engine._save(uow, rows, runtime, actor, within)  # noqa: SLF001


def suspend(engine: Engine, actor: Actor, case_id: int, note: str = "", within: Within | None = None) -> None:
    """Suspend an active case: its tasks wait (unclaimable), its timers leave the timer table."""
    with engine._command() as uow:  # noqa: SLF001
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status != "active":
            raise CaseNotActive(f"case {case_id} is {case.status}: only an active case can be suspended",
                                status=case.status)
        rows = load_rows(conn, case)
        rows.gone_timers = list(rows.timers)
        case.status = "suspended"
        rows.event(actor, "CaseSuspended", after={"reason": Sealed(note), "timers": len(rows.timers)})
        conn.execute(insert(CaseSuspension).values(case_id=case_id, suspended_at=clock.now(),
                                                   suspended_by=actor.name[:64]))
        finish(uow, rows, None, within)


def resume(engine: Engine, actor: Actor, case_id: int, mode: str = RESUME_SHIFT,
           within: Within | None = None) -> Resumed:
    """Resume a suspended case; its timers shift by the suspension's length or keep their due times."""
    if mode not in RESUME_MODES:
        raise InvalidData("timers at resume either shift or fire", fields={"timers": "shift or fire"})
    with engine._command() as uow:  # noqa: SLF001
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status != "suspended":
            raise CaseNotActive(f"case {case_id} is {case.status}: only a suspended case can be resumed",
                                status=case.status)
        since = conn.scalar(select(CaseSuspension.suspended_at).where(
            CaseSuspension.case_id == case_id, CaseSuspension.resumed_at.is_(None))
            .order_by(CaseSuspension.id.desc()).limit(1))
        length = max(clock.now() - clock.aware(since), timedelta(0)) if since is not None else timedelta(0)
        rows, runtime = load_rows(conn, case), engine._restore(uow.session, case)  # noqa: SLF001
        if mode == RESUME_SHIFT:
            timer_control.shift_runtime(runtime, length)  # (the rows follow the snapshot at the save)
        _end_suspension(conn, case_id, actor)
        case.status = "active"
        waiting = [{"element": t.element_id, "due_at": t.due_at} for t in runtime.waiting_timers()]
        rows.event(actor, "CaseResumed", after={"timers_mode": mode, "suspended_seconds": int(length.total_seconds()),
                                                "timers": len(waiting)})
        engine._save(uow, rows, runtime, actor, within)  # noqa: SLF001
        return Resumed(mode, int(length.total_seconds()), waiting)


def _end_suspension(conn: Connection, case_id: int, actor: Actor) -> None:
    conn.execute(update(CaseSuspension).where(CaseSuspension.case_id == case_id, CaseSuspension.resumed_at.is_(None))
                 .values(resumed_at=clock.now(), resumed_by=actor.name[:64]))


def _agency_of(conn: Connection, actor: Actor) -> tuple[int | None, str | None]:
    """The acting user's agency (id, kind): an early outcome is credited to it (the operator: none)."""
    if actor.user_id is None:
        return None, None
    found = conn.execute(select(Agency.id, Agency.kind).join(User, User.agency_id == Agency.id)
                         .where(User.id == actor.user_id)).first()
    return (found[0], found[1]) if found is not None else (None, None)


def suspended_since(s: Session, case_id: int) -> tuple[datetime, str] | None:
    """When the case's current suspension began and who suspended it (None: not suspended)."""
    found = s.execute(select(CaseSuspension.suspended_at, CaseSuspension.suspended_by).where(
        CaseSuspension.case_id == case_id, CaseSuspension.resumed_at.is_(None))
        .order_by(CaseSuspension.id.desc()).limit(1)).first()
    return (clock.aware(found[0]), found[1]) if found is not None else None
