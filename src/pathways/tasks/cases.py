"""Cases as a case worker sees them: start one, list the visible ones, read one, send it a message.

Visibility is `tasks/access.py`'s rule (the user's agency participates), so a case of other
agencies is "not found". Sensitive fields are removed from the current data and from every
event's before/after unless the user's roles may see them. Every call is audited: reads in their
own short transaction, writes inside the engine command's transaction (`audit.recorder` as `within`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, lazyload

from pathways.base import clock
from pathways.base.values import jsonable
from pathways.engine import calls, data_objects
from pathways.engine.built import Definition
from pathways.engine.cases import Actor, Engine
from pathways.engine.errors import InvalidData, NotAllowed
from pathways.engine.lifecycle import suspended_since
from pathways.engine.runtime import CaseRuntime
from pathways.engine.views import case_summary
from pathways.store.db import Store
from pathways.store.models import (
    Agency,
    Case,
    CaseAgency,
    CaseEvent,
    CaseState,
    Consent,
    DefinitionBlob,
    HumanTask,
    LegalBasis,
    Measure,
    PathwayVersion,
    StageVisit,
    TaskOffer,
    User,
)
from pathways.tasks import audit, incidents, stuck, timers
from pathways.tasks.access import (
    case_visible_to,
    hidden_from,
    is_case_worker,
    redact,
    redact_event,
    visible_case,
)
from pathways.tasks.bounds import MAX_CODE, MAX_KEY, MAX_PSEUDONYM, check_json, check_text, check_texts
from pathways.tasks.forms import SYSTEM_START_FIELDS, read_fields, start_form

STATUSES = ("active", "suspended", "completed", "failed", "cancelled", "closed")
SORTS: dict[str, Any] = {"id": Case.id, "created": Case.created_at, "updated": Case.updated_at, "stage": Case.stage,
         "pathway": Case.pathway_key, "beneficiary": Case.beneficiary}
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class CaseQuery:
    pathway: str | None = None
    stage: str | None = None
    status: str | None = None
    agency: str | None = None
    q: str | None = None
    sort: str = "-updated"  # a key of SORTS, `-` first for descending
    page: int = 1
    per_page: int = 25

    def check(self) -> None:
        check_texts({"pathway": self.pathway, "stage": self.stage, "status": self.status, "agency": self.agency,
                     "q": self.q, "sort": self.sort})
        problems = {}
        if self.sort.lstrip("-") not in SORTS:
            problems["sort"] = f"one of {', '.join(SORTS)}, optionally with a leading '-'"
        if self.status is not None and self.status not in STATUSES:
            problems["status"] = f"one of {', '.join(STATUSES)}"
        if self.page < 1:
            problems["page"] = "must be at least 1"
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"between 1 and {MAX_PER_PAGE}"
        if problems:
            raise InvalidData("invalid case query", fields=problems)


@audit.refusals("case.start")
def start_case(store: Store, engine: Engine, user: User, key: str, data: dict[str, Any],
               agencies: list[str] | None = None, beneficiary: str = "", *, beneficiary_id: int | None = None,
               bases: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Start a case of pathway `key` with the given participating agencies (the user's by default).

    The API, the pages and the CLI start cases through `pathways.privacy.sharing.start_case`, which
    resolves the registered person and checks each agency's legal basis (`bases`) first.
    """
    codes = starting_agencies(user, agencies)
    version, data = checked_start(store, engine, key, data, beneficiary)
    case_id = engine.start_case(Actor(user.username, user.id), key, data, codes, beneficiary, version=version,
                                within=audit.recorder(user, "case.start", detail={"pathway": key, "agencies": codes},
                                                      beneficiary_id=beneficiary_id),
                                beneficiary_id=beneficiary_id, bases=bases)
    return case_detail(store, engine, user, case_id, audit_action=None)


def starting_agencies(user: User, agencies: Sequence[str] | None) -> list[str]:
    """The agency codes a case starts with, checked: the user works cases and their agency is one of them."""
    if not is_case_worker(user):
        raise NotAllowed("starting a case needs a case-work role")
    codes = list(dict.fromkeys(agencies or [user.agency.code]))
    for code in codes:
        check_text("agencies", code, MAX_CODE)
    if user.agency.code not in codes:
        raise InvalidData("your own agency must take part in the case",
                          fields={"agencies": f"must include {user.agency.code}"})
    return codes


def checked_start(store: Store, engine: Engine, key: str, data: Mapping[str, Any],
                  beneficiary: str = "") -> tuple[int, dict[str, Any]]:
    """The latest version of pathway `key` and the start data it accepts (`start_data`).

    Start the case on that version: it is the one whose start form checked the data, even if a
    newer one is deployed meanwhile. The key, the pseudonym and the data are bounded first
    (`tasks.bounds`), for the API, the pages and the command line alike.
    """
    check_text("pathway", key, MAX_KEY)
    check_text("beneficiary", beneficiary, MAX_PSEUDONYM)
    check_json("data", data)
    with store.unit_of_work(write=False) as uow:
        latest = uow.session.execute(select(PathwayVersion.id, PathwayVersion.version).where(
            PathwayVersion.key == key).order_by(PathwayVersion.version.desc()).limit(1)).first()
        if latest is None:
            raise InvalidData(f"no deployed pathway {key!r}", fields={"pathway": "no such pathway"})
        return latest.version, start_data(engine.definition(uow.session, latest.id), data, beneficiary)


def start_data(definition: Definition, data: Mapping[str, Any], beneficiary: str = "") -> dict[str, Any]:
    """The data a case of `definition` may start with: its start form's fields, checked, and the pseudonym.

    Any other key is refused, naming it: a case worker must not pre-fill the fields another role's
    task collects (they would show as that role's answers). The pseudonym is the `beneficiary`
    the case is started for; a `beneficiary_pseudonym` in `data` must agree with it.
    """
    if not isinstance(data, Mapping):
        raise InvalidData("the start data must be a JSON object", fields={"data": "must be an object"})
    system = {k: v for k, v in data.items() if k in SYSTEM_START_FIELDS}
    form = start_form(definition)
    unknown = sorted(set(data) - set(form.ids) - SYSTEM_START_FIELDS)
    if unknown:
        raise InvalidData("the pathway does not take these fields as start data: " + ", ".join(unknown),
                          fields={f"data.{k}": "not a start field of this pathway" for k in unknown})
    pseudonym = system.get("beneficiary_pseudonym", beneficiary)
    if not isinstance(pseudonym, str):
        raise InvalidData("beneficiary_pseudonym must be text",
                          fields={"data.beneficiary_pseudonym": "must be text"})
    check_text("data.beneficiary_pseudonym", pseudonym, MAX_PSEUDONYM)
    if beneficiary and pseudonym != beneficiary:
        raise InvalidData("beneficiary_pseudonym must be the case's beneficiary",
                          fields={"data.beneficiary_pseudonym": "must equal beneficiary"})
    started = form.validate({k: v for k, v in data.items() if k not in SYSTEM_START_FIELDS}) if form.ids else {}
    return {**started, **({"beneficiary_pseudonym": pseudonym} if pseudonym else {})}


@audit.refusals("case.message")
def send_message(store: Store, engine: Engine, user: User, case_id: int, name: str,
                 payload: dict[str, Any]) -> dict[str, Any]:
    """Deliver a BPMN message to a visible case (a case worker's action)."""
    check_text("name", name, MAX_KEY)
    check_json("payload", payload)
    with store.unit_of_work(write=False) as uow:
        visible_case(uow.session, user, case_id)
    if not is_case_worker(user):
        raise NotAllowed("sending a message to a case needs a case-work role")
    engine.send_message(Actor(user.username, user.id), case_id, name, payload,
                        within=audit.recorder(user, "case.message", detail={"message": name}))
    return case_detail(store, engine, user, case_id, audit_action=None)


def list_cases(store: Store, user: User, query: CaseQuery,
               extra: Sequence[ColumnElement[bool]] = ()) -> dict[str, Any]:
    """One page of the cases the user may see, with the total count.

    `extra` narrows the list further (the report filters behind a supervisor's figure)."""
    query.check()
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        where = [case_visible_to(user), *_filters(s, query), *extra]
        column = SORTS[query.sort.lstrip("-")]
        order = [column.desc() if query.sort.startswith("-") else column.asc(), Case.id.desc()]
        # the total comes with the page (one pass over the matching cases, not two)
        page = (
            select(Case, PathwayVersion.name, func.count().over().label("total"))
            .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
            .options(contains_eager(Case.pathway_version), lazyload(Case.agency_rows))
            .where(*where).order_by(*order).offset((query.page - 1) * query.per_page).limit(query.per_page))
        rows: list[Any] = list(s.execute(page).all())
        if rows:
            total = rows[0].total
        else:  # an empty page: past the end (count them), or nothing matches
            total = s.scalar(select(func.count()).select_from(Case).where(*where)) or 0 if query.page > 1 else 0
        ids = [case.id for case, _, _ in rows]
        agencies = _agency_codes(s, ids)
        open_counts = dict(s.execute(select(HumanTask.case_id, func.count()).where(
            HumanTask.case_id.in_(ids), HumanTask.status == "open").group_by(HumanTask.case_id)).all())
        audit.record_read(uow, user, "case.list", detail=audit.filters(query))
    items = [{**_summary(case, name), "agencies": agencies.get(case.id, []), "open_tasks": open_counts.get(case.id, 0)}
             for case, name, _ in rows]
    return {"items": items, "total": total, "page": query.page, "per_page": query.per_page}


@audit.refusals("case.read")
def case_detail(store: Store, engine: Engine, user: User, case_id: int,
                audit_action: str | None = "case.read") -> dict[str, Any]:
    """A visible case: stage and history, agencies, open tasks, redacted data and timeline, measures."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = visible_case(s, user, case_id)
        definition = engine.definition(s, case.pathway_version_id)
        hidden = hidden_from(definition, user)
        snapshot = s.get(CaseState, case.id)
        runtime = CaseRuntime.restore(definition, snapshot.state) if snapshot and snapshot.state else None
        data = jsonable(runtime.data()) if runtime is not None else {}
        detail = {
            **_summary(case, case.pathway_version.name),
            "agencies": _agencies(s, case.id),
            "stages": [{"stage": v.stage, "entered_at": clock.aware(v.entered_at), "left_at": clock.aware(v.left_at)}
                       for v in s.scalars(select(StageVisit).where(StageVisit.case_id == case.id)
                                          .order_by(StageVisit.id))],
            "open_tasks": _open_tasks(s, case.id),
            "data": redact(data, hidden),
            "hidden_fields": sorted(hidden & set(data)),
            "timeline": [{"id": e.id, "at": clock.aware(e.at), "actor": e.actor, "kind": e.kind,
                          "element": e.element_id,
                          "task_id": e.task_id, "before": redact_event(e.before, hidden),
                          "after": redact_event(e.after, hidden)}
                         for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                            .order_by(CaseEvent.id))],
            "measures": [{"kind": m.kind, "key": m.key, "value": float(m.value), "agency_kind": m.agency_kind,
                          "element": m.element_id, "task_id": m.task_id, "at": clock.aware(m.at)}
                         for m in s.scalars(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id))],
        }
        detail["failure"] = _failure(detail["timeline"]) if case.status in ("failed", "closed") else None
        detail["incidents"] = incidents.of_case(s, case.id)  # open ones: work that waits for an admin
        detail["calls"] = called(s, case, runtime, detail["open_tasks"])
        objects = jsonable(data_objects.values(runtime.workflow)) if runtime is not None else {}
        detail["data_objects"] = redact(objects, hidden)  # (hidden like the case data: by field name)
        detail["stuck"] = stuck.of_case(s, engine.roles, case.id)  # tasks no agency of the case can take
        suspension = suspended_since(s, case.id) if case.status == "suspended" else None
        detail["suspended"] = {"since": suspension[0], "by": suspension[1]} if suspension else None
        detail["timers"] = timers.of_case(s, case.id)  # waiting ones, with their due times (`tasks.timers`)
        if audit_action:
            audit.record_read(uow, user, audit_action, case_id=case_id)
    return detail


def operator_case(store: Store, case_id: int, *, actor: str) -> dict[str, Any]:
    """Any case as an operator on the server reads it (`pathways case show`): no agency rule, the
    raw summary; audited `case.read` as `actor` (`cli:<os user>`) in the read's transaction."""
    with store.unit_of_work(write=False) as uow:
        summary = case_summary(uow.session, case_id)
        audit.record_read(uow, None, "case.read", case_id=case_id, actor=actor, detail={"via": "cli"})
    return summary


def case_choices(store: Store, user: User) -> dict[str, Any]:
    """What the case pages offer to choose from: the deployed pathways (latest version of each),
    the stages the user's visible cases are in, and every known agency (for a new case)."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        newest = (select(PathwayVersion.key, func.max(PathwayVersion.version).label("version"))
                  .group_by(PathwayVersion.key).subquery())
        pathways = s.execute(select(PathwayVersion.key, PathwayVersion.name, PathwayVersion.version).join(
            newest, (PathwayVersion.key == newest.c.key) & (PathwayVersion.version == newest.c.version))
            .order_by(PathwayVersion.name, PathwayVersion.key)).all()
        stages = s.scalars(select(Case.stage).where(case_visible_to(user), Case.stage.is_not(None))
                           .distinct().order_by(Case.stage)).all()
        agencies = s.scalars(select(Agency).order_by(Agency.kind, Agency.name)).all()
        return {
            "pathways": [{"key": k, "name": n, "version": v} for k, n, v in pathways],
            "stages": list(stages),
            "agencies": [{"code": a.code, "kind": a.kind, "name": a.name, "city": a.city} for a in agencies],
        }


@audit.refusals("case.read")
def case_view(store: Store, engine: Engine, user: User, case_id: int) -> dict[str, Any]:
    """`case_detail` plus what a page draws beside it (the API's answer stays as it is).

    Adds `elements` (element id -> name and form
    fields with their labels and option labels, so values read as the form asked for them),
    `completed` (element id -> how often it was completed or fired), `redacted_events` (ids of
    timeline events some of whose values were hidden from the user), each open task's
    `agency_kinds`, and `diagram` (the BPMN file of the case's version, for drawing).
    """
    detail = case_detail(store, engine, user, case_id)
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = visible_case(s, user, case_id)
        definition = engine.definition(s, case.pathway_version_id)
        hidden = hidden_from(definition, user)
        blob = s.get(DefinitionBlob, case.pathway_version.files[0]) if case.pathway_version.files else None
        diagram = blob.content.encode("utf-8") if blob is not None else b""
        redacted = [e.id for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                            .order_by(CaseEvent.id)) if _hides(e, hidden)]
    elements: dict[str, dict[str, Any]] = {}
    for process in (definition.spec, *definition.subprocess_specs.values()):
        for spec in process.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if not element or element in elements:
                continue
            fields = {f.id: {"label": f.label, "type": f.type, "options": {o.id: o.label for o in f.options}}
                      for f in read_fields(spec)}
            elements[element] = {"name": getattr(spec, "bpmn_name", None) or element, "fields": fields}
    completed: dict[str, int] = {}
    for event in detail["timeline"]:
        if event["kind"] in ("TaskCompleted", "TimerFired", "TimerFiredByHand") and event["element"]:
            completed[event["element"]] = completed.get(event["element"], 0) + 1
    for task in detail["open_tasks"]:
        task["agency_kinds"] = sorted({k for r in task["roles"] if (k := engine.roles.agency_kind(r))})
    return {**detail, "elements": elements, "completed": completed,
            "redacted_events": redacted, "diagram": diagram}


# -- internals ------------------------------------------------------------------------------------

def case_conditions(pathway: str | None, stage: str | None, status: str | None,
                    agency: str | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on `Case` for the cases list's filters (the report filters start from these too)."""
    where: list[ColumnElement[bool]] = []
    if pathway:
        where.append(Case.pathway_key == pathway)
    if stage:
        where.append(Case.stage == stage)
    if status:
        where.append(Case.status == status)
    if agency:
        where.append(takes_part(agency))
    return where


def takes_part(code: str) -> ColumnElement[bool]:
    """The agency with this code participates in the case (correlated to the outer `Case` only)."""
    return exists().where(CaseAgency.case_id == Case.id, CaseAgency.agency_id == Agency.id,
                          Agency.code == code).correlate(Case)


def _filters(s: Session, query: CaseQuery) -> list[ColumnElement[bool]]:
    where = case_conditions(query.pathway, query.stage, query.status, query.agency)
    if query.q:
        pattern = "%" + query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # The pathway key or name matching is looked up first among the few deployed versions (a
        # case's key is its version's key), so the cases are filtered by the beneficiary, which
        # PostgreSQL finds through a trigram index, or by version id: no scan of every case.
        versions = list(s.scalars(select(PathwayVersion.id).where(or_(
            func.lower(PathwayVersion.name).like(pattern, escape="\\"),
            func.lower(PathwayVersion.key).like(pattern, escape="\\")))))
        beneficiary = func.lower(Case.beneficiary).like(pattern, escape="\\")
        where.append(or_(beneficiary, Case.pathway_version_id.in_(versions)) if versions else beneficiary)
    return where


def _hides(event: CaseEvent, hidden: set[str]) -> bool:
    """Whether redaction removes a value from this event (also inside its `data`)."""
    for payload in (event.before, event.after):
        if isinstance(payload, dict):
            keys = set(payload) | (set(payload["data"]) if isinstance(payload.get("data"), dict) else set())
            if keys & hidden:
                return True
    return False


def _failure(timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Why a failed case failed: the `CaseFailed` event's element, kind and code (`engine.uncaught`)."""
    failed = [e for e in timeline if e["kind"] == "CaseFailed"]
    if not failed:
        return None
    after = failed[-1]["after"] or {}
    return {"element": failed[-1]["element"], "kind": after.get("kind"), "code": after.get("code"),
            "at": failed[-1]["at"]}


def _summary(case: Case, pathway_name: str) -> dict[str, Any]:
    return {"id": case.id, "pathway": case.pathway_key, "pathway_name": pathway_name,
            "version": case.pathway_version.version, "beneficiary": case.beneficiary, "status": case.status,
            "stage": case.stage, "created_at": clock.aware(case.created_at), "updated_at": clock.aware(case.updated_at)}


def _agency_codes(s: Session, case_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    query = (select(CaseAgency.case_id, Agency.code).join(Agency, Agency.id == CaseAgency.agency_id)
             .where(CaseAgency.case_id.in_(case_ids)).order_by(Agency.code))
    for case_id, code in s.execute(query):
        found.setdefault(case_id, []).append(code)
    return found


def _agencies(s: Session, case_id: int) -> list[dict[str, Any]]:
    """Each agency of the case with the legal basis it takes part on (docs/privacy.md)."""
    rows = s.execute(select(Agency, CaseAgency, Consent, LegalBasis).join(CaseAgency, CaseAgency.agency_id == Agency.id)
                     .outerjoin(Consent, Consent.id == CaseAgency.consent_id)
                     .outerjoin(LegalBasis, LegalBasis.code == CaseAgency.statute)
                     .where(CaseAgency.case_id == case_id).order_by(Agency.code))
    found = []
    for a, row, consent, statute in rows:
        basis: dict[str, Any] | None = {"kind": row.basis} if row.basis else None
        if basis is not None and consent is not None:
            basis["consent"] = {"id": consent.id, "purpose": consent.purpose,
                                "given_on": clock.aware(consent.given_on).date().isoformat(),
                                "identity_shared": consent.identity_shared,
                                "withdrawn": consent.withdrawn_at is not None}
        if basis is not None and statute is not None:
            basis["statute"] = {"code": statute.code, "title": statute.title, "reference": statute.reference,
                                "active": statute.active}
        found.append({"code": a.code, "kind": a.kind, "name": a.name, "city": a.city, "basis": basis,
                      "added_at": clock.aware(row.added_at), "added_by": row.added_by})
    return found


def called(s: Session, case: Case, runtime: CaseRuntime | None,
           open_tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The case's runs of called pathways (`engine.calls`): key, name, version, state and open tasks."""
    if runtime is None:
        return []
    by_id = {task["id"]: task for task in open_tasks}
    return [{"element": child.element, "element_name": child.element_name, "key": child.key, "name": child.name,
             "version": calls.called_version(s, case.pathway_version, child.key), "state": child.state,
             "open_tasks": [by_id[t] for t in child.open_tasks if t in by_id]}
            for child in calls.children(runtime.workflow)]


def _open_tasks(s: Session, case_id: int) -> list[dict[str, Any]]:
    """The open tasks; `waiting_for_agency`: unclaimed and offered to no agency of the case (its
    agency of the right kind left, `pathways.engine.participation`)."""
    rows = s.execute(select(HumanTask, User.username).outerjoin(User, User.id == HumanTask.claimed_by)
                     .where(HumanTask.case_id == case_id, HumanTask.status == "open")
                     .order_by(HumanTask.created_at, HumanTask.id))
    offered = set(s.scalars(select(TaskOffer.task_id).join(HumanTask, HumanTask.id == TaskOffer.task_id)
                            .where(HumanTask.case_id == case_id, HumanTask.status == "open")))
    return [{"id": t.id, "element": t.element_id, "name": t.name, "lane": t.lane, "roles": list(t.roles),
             "stage": t.stage, "priority": t.priority, "due_at": clock.aware(t.due_at),
             "created_at": clock.aware(t.created_at), "claimed_by": claimed_by,
             "waiting_for_agency": t.claimed_by is None and t.id not in offered} for t, claimed_by in rows]
