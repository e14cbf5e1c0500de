"""Cancel, close early, suspend and resume a case: who may, checked before the engine runs it.

Who may (docs/operations-life.md):
- the partnership's coordinator (`supervision.supervisor`) and an `admin`, of an agency taking
  part in the case (`MANAGERS`); a case worker may not (a case ends on a coordinator's word);
- the server's operator from the command line (`pathways case cancel|close|suspend|resume`,
  `user=None`, audited as `cli:<os user>`), on any case.
Refusals: a case the user's agency does not take part in is "not found" (404, nothing learnt,
whatever the role); a user who sees it without the role gets 403; a case that is not running
(completed, cancelled, closed, failed) answers 409 (`CaseNotActive`); a reason not on the list,
an outcome the pathway does not allow, a note too long answer 400. Nothing is written then.

Each operation is audited (`case.cancel` with the reason code, `case.close` with the outcome,
`case.suspend`, `case.resume` with the timers' mode) in the engine command's transaction; the
free-text note is sealed in the case's event and never in the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import lifecycle
from pathways.engine.cases import Engine
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.engine.runtime import CaseRuntime
from pathways.store.db import Store
from pathways.store.models import Case, CaseState, User
from pathways.tasks import audit
from pathways.tasks.access import MAX_ID, visible_case
from pathways.tasks.bounds import check_text

MANAGERS = frozenset({"admin", "supervision.supervisor"})
MAX_NOTE = 2000


def _check(store: Store, user: User | None, case_id: int) -> None:
    """`user` may change the case: they see it (else 404, nothing learnt), then hold the role (else 403)."""
    with store.unit_of_work(write=False) as uow:
        if user is None:
            _any_case(uow.session, case_id)
            return
        visible_case(uow.session, user, case_id)
        if not user.roles & MANAGERS:
            raise NotAllowed(f"this needs one of the roles: {', '.join(sorted(MANAGERS))}")


def _note(note: object, required: bool = False) -> str:
    if not isinstance(note, str):
        raise InvalidData("the note must be text", fields={"note": "must be text"})
    check_text("note", note, MAX_NOTE)
    if required and not note.strip():
        raise InvalidData("say why", fields={"note": "required"})
    return note.strip()




@audit.refusals("case.cancel")
def cancel_case(store: Store, engine: Engine, user: User | None, case_id: int, reason: str, note: str = "", *,
                actor: str | None = None) -> dict[str, Any]:
    """Cancel a running case for `reason` (`lifecycle.CANCEL_REASONS`); a note is required for `other`."""
    _check(store, user, case_id)
    text = _note(note, required=reason == "other")
    lifecycle.cancel(engine, audit.acting(user, actor), case_id, reason, text,
                     within=audit.within(user, actor, "case.cancel", {"reason": reason}))
    return lifecycle_of(store, engine, user, case_id)


@audit.refusals("case.close")
def close_case(store: Store, engine: Engine, user: User | None, case_id: int, outcome: str, note: str = "", *,
               actor: str | None = None) -> dict[str, Any]:
    """Close a running case early with an outcome its pathway allows."""
    _check(store, user, case_id)
    if not isinstance(outcome, str) or not outcome:
        raise InvalidData("choose the outcome the case is closed with", fields={"outcome": "required"})
    check_text("outcome", outcome, 100)
    text = _note(note)
    lifecycle.close_early(engine, audit.acting(user, actor), case_id, outcome, text,
                          within=audit.within(user, actor, "case.close", {"outcome": outcome}))
    return lifecycle_of(store, engine, user, case_id)


@audit.refusals("case.suspend")
def suspend_case(store: Store, engine: Engine, user: User | None, case_id: int, note: str = "", *,
                 actor: str | None = None) -> dict[str, Any]:
    """Suspend an active case: its tasks and timers wait until it is resumed."""
    _check(store, user, case_id)
    lifecycle.suspend(engine, audit.acting(user, actor), case_id, _note(note),
                      within=audit.within(user, actor, "case.suspend", {}))
    return lifecycle_of(store, engine, user, case_id)


@audit.refusals("case.resume")
def resume_case(store: Store, engine: Engine, user: User | None, case_id: int, mode: str, *,
                actor: str | None = None) -> dict[str, Any]:
    """Resume a suspended case; `mode` (`shift` or `fire`, the server's `PATHWAYS_RESUME_TIMERS`
    unless the caller chose) says what becomes of its timers."""
    _check(store, user, case_id)
    done = lifecycle.resume(engine, audit.acting(user, actor), case_id, mode,
                            within=audit.within(user, actor, "case.resume", {"timers": mode}))
    return {**lifecycle_of(store, engine, user, case_id), "resumed": {
        "timers_mode": done.mode, "suspended_seconds": done.suspended_seconds, "timers": done.timers}}


def lifecycle_of(store: Store, engine: Engine, user: User | None, case_id: int) -> dict[str, Any]:
    """A case's lifecycle as `user` may see it (404 otherwise): its status, the current suspension
    (since, by, the timers that wait in it, from the snapshot), what the user may do and with
    which reasons or outcomes. Not audited apart: the case's own read is."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = visible_case(s, user, case_id) if user is not None else _any_case(s, case_id)
        suspended = lifecycle.suspended_since(s, case.id) if case.status == "suspended" else None
        waiting: list[dict[str, Any]] = []
        if suspended is not None:
            snapshot = s.get(CaseState, case.id)
            if snapshot is not None and snapshot.state:
                runtime = CaseRuntime.restore(engine.definition(s, case.pathway_version_id), snapshot.state)
                waiting = [{"element": t.element_id, "due_at": clock.aware(t.due_at)}
                           for t in sorted(runtime.waiting_timers(), key=lambda t: t.due_at)]
        manages = user is None or bool(user.roles & MANAGERS)
        running = case.status in lifecycle.RUNNING
        return {
            "case_id": case.id, "status": case.status,
            "suspended": {"since": suspended[0], "by": suspended[1], "timers": waiting} if suspended else None,
            "can_cancel": manages and running, "can_close": manages and running,
            "can_suspend": manages and case.status == "active", "can_resume": manages and case.status == "suspended",
            "reasons": list(lifecycle.CANCEL_REASONS),
            "close_outcomes": list(lifecycle.close_outcomes(s, case.pathway_version_id)),
        }


def _any_case(s: Session, case_id: int) -> Case:
    case = s.get(Case, case_id) if 0 < case_id <= MAX_ID else None
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case
