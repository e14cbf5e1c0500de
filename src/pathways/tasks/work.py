"""Working a task: read it with its form, claim, unclaim, assign, complete, and comment on it.

Rules (docs/inbox.md):
- A user who cannot see the task's case gets `NotFound`, whatever the task (no existence leak);
  one who sees the case but may not do the thing asked gets `NotAllowed`.
- A task is *offered* to a user holding one of its roles, of their agency's kind (tasks/offers.py).
  An offered user may claim it, complete it while it is unclaimed (which claims it for them) and
  assign it to another offered user. The claimer may unclaim, assign on or complete it. A
  supervisor (`supervision.supervisor`, agency in the case) may assign and unclaim any open task.
- A claim is decided by the database: `UPDATE ... WHERE claimed_by IS NULL AND status = 'open'`;
  whoever's update matches no row lost the race and gets `Conflict`, with nothing written.
- Completion re-checks the claim inside the engine's own transaction (the command's `within`),
  so a task claimed by someone else a moment earlier cannot be completed under their feet; the
  audit entry is written in that same transaction.
- Every read and write is audited; claim, unclaim and assign also log a case event, so the
  timeline shows who took the task.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, lazyload

from pathways.base import clock
from pathways.base.values import jsonable, text_problem
from pathways.engine.built import Definition
from pathways.engine.cases import Actor, Engine
from pathways.engine.errors import CaseSuspended, Conflict, InvalidData, NotAllowed, NotFound, TaskNotOpen
from pathways.engine.runtime import CaseRuntime
from pathways.store.models import Agency, Case, CaseAgency, CaseEvent, CaseState, HumanTask, TaskComment, User
from pathways.tasks import access, audit, candidates, forms, inbox, offers, substitutes
from pathways.tasks.bounds import MAX_CODE, check_json, check_text

TASK_ID = 36  # characters of a task id (SpiffWorkflow's UUIDs)

SUPERVISOR = "supervision.supervisor"
MAX_COMMENT = 4000


# -- loading and permissions ---------------------------------------------------------------------
def _load(s: Session, user: User, task_id: str) -> tuple[HumanTask, Case]:
    """The task and its case in one statement (their candidate and agency rows are not needed here)."""
    if len(task_id) > TASK_ID or text_problem(task_id):  # no such id can exist: never sent to the database
        raise NotFound("no such task")
    found = s.execute(select(HumanTask, Case).join(Case, Case.id == HumanTask.case_id).where(
        HumanTask.id == task_id, access.case_visible_to(user))
        .options(lazyload(HumanTask.candidate_rows), lazyload(Case.agency_rows))).first()
    if found is None:
        raise NotFound(f"task {task_id} does not exist")
    return found[0], found[1]


def _offered(s: Session, engine: Engine, user: User, task: HumanTask) -> bool:
    named = candidates.offered_user_ids(s, task.id)  # camunda:candidateUsers: only those users
    if named:
        return user.id in named and bool(set(task.roles) & access.held_roles(user, engine.roles,
                                                                               inbox.agency_kind(s, user)))
    return bool(set(task.roles) & access.held_roles(user, engine.roles, inbox.agency_kind(s, user)))


def _require_open(task: HumanTask) -> None:
    if task.status != "open":
        raise TaskNotOpen(f"task {task.id} ({task.name}) is already {task.status}", status=task.status)


def _require_running(case: Case) -> None:
    """A suspended case's tasks wait: neither claimed, assigned nor completed (`engine.lifecycle`)."""
    if case.status == "suspended":
        raise CaseSuspended(f"case {case.id} is suspended: its tasks wait until it is resumed")


def _standing(user: User, standing_in: bool, task: HumanTask) -> tuple[int, ...]:
    return (task.claimed_by,) if standing_in and task.claimed_by is not None else ()


def _behalf(absent: str | None) -> dict[str, str]:
    """The audit and event detail of work done standing in for `absent` (none otherwise)."""
    return {"on_behalf_of": absent} if absent is not None else {}


def _username(s: Session, user_id: int | None) -> str | None:
    return s.scalar(select(User.username).where(User.id == user_id)) if user_id is not None else None


def _claimer(s: Session, task_id: str) -> int | None:
    """The claimer as committed now (a new statement sees other transactions' commits)."""
    return s.scalar(select(HumanTask.claimed_by).where(HumanTask.id == task_id, HumanTask.status == "open"))


def _set_claim(s: Session, engine: Engine, task_id: str, expected: int | None, new: int | None) -> bool:
    """Compare-and-set of the claimer of an open task; False when someone changed it first.

    The task leaves its roles' inboxes when claimed and returns to them when given back.
    """
    claimed: ColumnElement[bool] = HumanTask.claimed_by.is_(None) if expected is None \
        else HumanTask.claimed_by == expected
    result = s.execute(
        update(HumanTask).where(HumanTask.id == task_id, HumanTask.status == "open", claimed)
        .values(claimed_by=new, claimed_at=clock.now() if new is not None else None)
        .execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        return False
    if expected is None and new is not None:
        offers.withdraw(s, task_id)
    elif expected is not None and new is None:
        offers.put_back(s, task_id, engine.roles)
    return True


def _log(s: Session, user: User, task: HumanTask, kind: str, action: str, **after: Any) -> None:
    """The case event (timeline) and the audit entry of a claim change, in the caller's transaction."""
    s.add(CaseEvent(case_id=task.case_id, at=clock.now(), actor=user.username, kind=kind,
                    element_id=task.element_id, task_id=task.id, after=after or None))
    audit.record(s, user, action, case_id=task.case_id, task_id=task.id, detail=after or None)


def _brief(task: HumanTask, claimed_by: str | None) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "case_id": task.case_id, "status": task.status,
            "claimed_by": claimed_by}


# -- claim, unclaim, assign ----------------------------------------------------------------------
@audit.refusals("task.claim")
def claim(engine: Engine, user: User, task_id: str) -> dict[str, Any]:
    """Take an open, unclaimed task offered to the user. Claiming one's own claim is a no-op."""
    with engine.store.unit_of_work() as uow:
        s = uow.session
        task, case = _load(s, user, task_id)
        if task.claimed_by == user.id and task.status == "open":
            return _brief(task, user.username)
        if not _offered(s, engine, user, task):
            raise NotAllowed("this task is not offered to you: you do not hold its role")
        _require_open(task)
        _require_running(case)
        if task.claimed_by is not None or not _set_claim(s, engine, task_id, None, user.id):
            if _claimer(s, task_id) == user.id:  # the user's own request, a moment earlier
                return _brief(task, user.username)
            raise Conflict("someone else has claimed this task")
        _log(s, user, task, "TaskClaimed", "task.claim", claimed_by=user.username)
        uow.commit()
        return _brief(task, user.username)


@audit.refusals("task.unclaim")
def unclaim(engine: Engine, user: User, task_id: str) -> dict[str, Any]:
    """Give a claimed task back to its roles: the claimer, or a supervisor, may."""
    with engine.store.unit_of_work() as uow:
        s = uow.session
        task, _ = _load(s, user, task_id)
        _require_open(task)
        if task.claimed_by is None:
            return _brief(task, None)
        absent = substitutes.acting_for(s, user, task.claimed_by)
        if task.claimed_by != user.id and SUPERVISOR not in user.roles and absent is None:
            raise NotAllowed("only the user who claimed this task, or a supervisor, can unclaim it")
        previous = _username(s, task.claimed_by)
        if not _set_claim(s, engine, task_id, task.claimed_by, None):
            raise Conflict("the task changed hands meanwhile; reload it")
        _log(s, user, task, "TaskUnclaimed", "task.unclaim", previous=previous, **_behalf(absent))
        uow.commit()
        return _brief(task, None)


@audit.refusals("task.assign")
def assign(engine: Engine, user: User, task_id: str, username: str) -> dict[str, Any]:
    """Hand a task to a user it is offered to (by an offered user, the claimer or a supervisor)."""
    check_text("username", username, MAX_CODE)
    with engine.store.unit_of_work() as uow:
        s = uow.session
        task, case = _load(s, user, task_id)
        absent = substitutes.acting_for(s, user, task.claimed_by)
        supervisor = SUPERVISOR in user.roles
        if not (supervisor or task.claimed_by == user.id or absent or _offered(s, engine, user, task)):
            raise NotAllowed("only a holder of this task's role, or a supervisor, can assign it")
        _require_open(task)
        _require_running(case)
        if username not in offers.offered_usernames(s, task_id, engine.roles):
            raise InvalidData(f"{username!r} cannot be assigned this task",
                              fields={"username": "is not offered this task (role, agency or account)"})
        target = s.scalars(select(User).where(User.username == username)).one()
        if task.claimed_by == target.id:
            return _brief(task, username)
        if task.claimed_by not in (None, user.id) and not supervisor and absent is None:
            raise Conflict("someone else has claimed this task; only they or a supervisor can hand it on")
        if not _set_claim(s, engine, task_id, task.claimed_by, target.id):
            raise Conflict("the task changed hands meanwhile; reload it")
        _log(s, user, task, "TaskAssigned", "task.assign", claimed_by=username,
             previous=_username(s, task.claimed_by), **_behalf(absent))
        uow.commit()
        return _brief(task, username)


# -- completion ----------------------------------------------------------------------------------
@audit.refusals("task.complete")
def complete(engine: Engine, user: User, task_id: str, data: Any) -> dict[str, Any]:
    """Validate `data` with the task's form and complete the task as the user.

    Allowed for the claimer, or for an offered user while the task is unclaimed (it becomes
    theirs). The claim is re-checked in the completing transaction, which also holds the audit entry.
    """
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        task, case = _load(s, user, task_id)
        absent = substitutes.acting_for(s, user, task.claimed_by)  # the user stands in for the claimer
        if task.claimed_by != user.id and absent is None and not _offered(s, engine, user, task):
            raise NotAllowed("this task is not offered to you: you do not hold its role")
        _require_open(task)
        _require_running(case)
        if task.claimed_by not in (None, user.id) and absent is None:
            raise Conflict("someone else has claimed this task")
        form = _form(engine.definition(s, case.pathway_version_id), task)
    check_json("data", data)
    clean = form.validate(data)

    audit_entry = audit.recorder(user, "task.complete", task_id=task_id,
                                 detail={"fields": sorted(clean), **_behalf(absent)})
    claimer = task.claimed_by if absent is not None else user.id  # on behalf: the claim stays the absent's

    def keep_claim_and_audit(s: Session, case_id: int) -> None:
        free_or_mine = HumanTask.claimed_by == claimer if absent is not None \
            else or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.id)
        result = s.execute(
            update(HumanTask).where(HumanTask.id == task_id, free_or_mine)
            .values(claimed_by=claimer, claimed_at=task.claimed_at or clock.now())
            .execution_options(synchronize_session=False))
        if getattr(result, "rowcount", 0) != 1:
            raise Conflict("someone else claimed this task while you completed it; nothing was saved")
        audit_entry(s, case_id)
        if absent is not None:
            substitutes.log_on_behalf(s, user, absent, task, "TaskCompleted")
        after = s.get(Case, case_id)  # the engine's own row (no query): status and stage as committed
        assert after is not None
        outcome.update(case_status=after.status, stage=after.stage)

    outcome: dict[str, Any] = {}
    case_id = engine.complete_task(Actor(user.username, user.id), task_id, clean, within=keep_claim_and_audit)
    # the name and pseudonym, read above, let a page say what was done without reading the task again
    return {"id": task_id, "status": "completed", "case_id": case_id, **outcome, "name": task.name,
            "beneficiary": case.beneficiary}


@audit.refusals("task.read")
def form_fields(engine: Engine, user: User, task_id: str) -> list[dict[str, Any]]:
    """The task's form fields without values: what a posted form is read with (ids, types, which are
    read-only or hidden from the user) before `complete` checks it.

    Reads no case data, so it writes no audit entry: a page posting a form does not log a read
    before a completion that may be refused (the refused page reads the task again, audited).
    """
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        task, case = _load(s, user, task_id)
        definition = engine.definition(s, case.pathway_version_id)
        hidden = access.hidden_fields(access.sensitive_fields(definition), user.roles)
        return _form(definition, task).describe({}, hidden)


def _form(definition: Definition, task: HumanTask) -> forms.Form:
    spec = forms.task_spec(definition, task.element_id)
    return forms.form_for(definition.version_id, spec) if spec is not None else forms.Form((), forms.FormSchema(()))


# -- reading a task ------------------------------------------------------------------------------
@audit.refusals("task.read")
def get_task(engine: Engine, user: User, task_id: str) -> dict[str, Any]:
    """The task, its case (data without the fields hidden from the user), its form and comments."""
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        task, case = _load(s, user, task_id)
        definition = engine.definition(s, case.pathway_version_id)
        hidden = access.hidden_from(definition, user)
        values, case_data = _values(s, definition, task)
        offered = _offered(s, engine, user, task)
        absent = substitutes.acting_for(s, user, task.claimed_by) if task.status == "open" else None
        result = {
            **_task_fields(s, task),
            "case": _case_fields(s, case, access.redact(case_data, hidden) or {}),
            "form": {"fields": _form(definition, task).describe(values, hidden)},
            "comments": comment_rows(s, task_id),
            "can": _abilities(user, task, offered, absent is not None, waits=case.status == "suspended"),
            "on_behalf_of": absent,
        }
        audit.record_read(uow, user, "task.read", case_id=case.id, task_id=task_id)
    return result


def _task_fields(s: Session, task: HumanTask) -> dict[str, Any]:
    return {
        "id": task.id, "name": task.name, "element": task.element_id, "case_id": task.case_id,
        "status": task.status, "stage": task.stage, "lane": task.lane, "roles": list(task.roles),
        "priority": task.priority, "due_at": clock.aware(task.due_at),
        "overdue": task.status == "open" and _before_now(task.due_at),
        "created_at": clock.aware(task.created_at), "claimed_by": _username(s, task.claimed_by),
        "claimed_at": clock.aware(task.claimed_at), "completed_at": clock.aware(task.completed_at),
        "completed_by": _username(s, task.completed_by),
    }


def _before_now(value: Any) -> bool:
    due = clock.aware(value)
    return due is not None and due < clock.now()


def _case_fields(s: Session, case: Case, data: dict[str, Any]) -> dict[str, Any]:
    agencies = s.scalars(select(Agency.code).join(CaseAgency, CaseAgency.agency_id == Agency.id)
                         .where(CaseAgency.case_id == case.id).order_by(Agency.code))
    return {"id": case.id, "pathway": case.pathway_key, "pathway_name": case.pathway_version.name,
            "version": case.pathway_version.version, "beneficiary": case.beneficiary, "status": case.status,
            "stage": case.stage, "agencies": list(agencies), "data": data}


def _abilities(user: User, task: HumanTask, offered: bool, standing_in: bool = False,
               waits: bool = False) -> dict[str, bool]:
    """What the user may do with the task now; `standing_in`: they substitute for the claimer now
    (tasks/substitutes.py); `waits`: its case is suspended, only unclaiming is left."""
    is_open, free = task.status == "open", task.claimed_by is None
    mine = task.claimed_by in (user.id, *_standing(user, standing_in, task))
    workable = is_open and not waits
    supervisor = SUPERVISOR in user.roles
    return {
        "claim": workable and offered and free,
        "unclaim": is_open and not free and (mine or supervisor),
        "assign": workable and (offered or mine or supervisor),
        "complete": workable and (mine or (offered and free)),
    }


def _values(s: Session, definition: Definition, task: HumanTask) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the task's form values, the case data the task sees): live for an open task, else as completed."""
    snapshot = s.get(CaseState, task.case_id)
    runtime = CaseRuntime.restore(definition, snapshot.state) if snapshot is not None and snapshot.state else None
    if task.status == "open" and runtime is not None:
        try:
            data = dict(runtime.task(task.id).data)
        except NotFound:
            data = {}
        return jsonable(data), jsonable(data)
    completed = s.scalars(select(CaseEvent.after).where(
        CaseEvent.task_id == task.id, CaseEvent.kind == "TaskCompleted").order_by(CaseEvent.id.desc()).limit(1)).first()
    return jsonable(completed or {}), jsonable(runtime.data() if runtime is not None else {})



# -- comments ------------------------------------------------------------------------------------
def comment_rows(s: Session, task_id: str) -> list[dict[str, Any]]:
    rows = s.execute(select(TaskComment, User.username, User.full_name, Agency.code)
                     .join(User, User.id == TaskComment.user_id).join(Agency, Agency.id == User.agency_id)
                     .where(TaskComment.task_id == task_id).order_by(TaskComment.at, TaskComment.id))
    return [{"id": c.id, "at": clock.aware(c.at), "text": c.text, "user": username, "full_name": full_name,
             "agency": agency} for c, username, full_name, agency in rows]


@audit.refusals("task.comment")
def add_comment(engine: Engine, user: User, task_id: str, text: str) -> dict[str, Any]:
    """A comment on a task, by anyone who sees its case (agencies coordinate through them)."""
    text = (text or "").strip()
    check_text("text", text)
    if not text or len(text) > MAX_COMMENT:
        raise InvalidData("the comment is not valid", fields={"text": f"must be 1 to {MAX_COMMENT} characters"})
    with engine.store.unit_of_work() as uow:
        s = uow.session
        task, _ = _load(s, user, task_id)
        comment = TaskComment(task_id=task.id, case_id=task.case_id, user_id=user.id, at=clock.now(), text=text)
        s.add(comment)
        s.flush()
        audit.record(s, user, "task.comment", case_id=task.case_id, task_id=task.id, detail={"comment": comment.id})
        agency = s.scalar(select(Agency.code).where(Agency.id == user.agency_id))
        uow.commit()
        return {"id": comment.id, "at": clock.aware(comment.at), "text": text, "user": user.username,
                "full_name": user.full_name, "agency": agency}


@audit.refusals("task.comments")
def list_comments(engine: Engine, user: User, task_id: str) -> list[dict[str, Any]]:
    with engine.store.unit_of_work(write=False) as uow:
        task, _ = _load(uow.session, user, task_id)
        rows = comment_rows(uow.session, task_id)
        audit.record_read(uow, user, "task.comments", case_id=task.case_id, task_id=task_id)
    return rows


# -- for the pages: who a task can be handed to, what opened next, agency names ------------------
@audit.refusals("task.read")
def assignable_users(engine: Engine, user: User, task_id: str) -> list[dict[str, str]]:
    """The users a task may be assigned to (offered it), with their names, for a select list."""
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        _load(s, user, task_id)
        names = offers.offered_usernames(s, task_id, engine.roles)
        if not names:
            return []
        rows = s.execute(select(User.username, User.full_name).where(User.username.in_(names))
                         .order_by(User.full_name, User.username))
        return [{"username": username, "full_name": full_name} for username, full_name in rows]


@audit.refusals("task.read")
def opened_after(engine: Engine, user: User, task_id: str) -> list[dict[str, Any]]:
    """The case's open tasks that opened when (or since) the given task was completed.

    After completing a task the page says what comes next; every task of a case the user sees may
    be read, so all are listed, each with whether it is offered to or claimed by the user.
    """
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        task, _ = _load(s, user, task_id)
        if task.completed_at is None:
            return []
        rows = s.scalars(select(HumanTask).where(
            HumanTask.case_id == task.case_id, HumanTask.status == "open",
            HumanTask.created_at >= task.completed_at).order_by(HumanTask.created_at, HumanTask.name))
        return [{"id": t.id, "name": t.name, "stage": t.stage, "roles": list(t.roles),
                 "mine": t.claimed_by == user.id or (t.claimed_by is None and _offered(s, engine, user, t))}
                for t in rows]


def agency_names(engine: Engine, codes: list[str]) -> dict[str, str]:
    """Agency code -> name (the task's case lists codes; a page shows names)."""
    if not codes:
        return {}
    with engine.store.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes)))
        return {code: name for code, name in rows}
