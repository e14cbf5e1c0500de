"""Incidents for the people who fix them: list, retry one or all of an element, cancel the case.

Who may (docs/security.md, "Incidents"):

- **See** the incidents: the `admin` and the partnership's `supervision.supervisor` (`READERS`),
  of the cases their agency takes part in, as for any case data (`tasks.access`). A user of an
  agency outside the case sees neither the incident nor that it exists: the list leaves it out
  and its id answers 404, as an id that does not exist. Anybody who may see a case sees its open
  incidents on the case page and in the case API (`of_case`): they hold no value.
- **Retry or cancel**: the `admin` only (`MANAGERS`); a supervisor may look, not act.
- **The operator** on the server (`pathways incident ...`, `user=None` with `actor`) reaches every
  incident, as `pathways case show` reaches every case.

Each retry and cancellation is audited (`incident.retry` with the outcome, `incident.cancel_case`)
in the transaction of what it did; every list read is audited as `incident.list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import incidents
from pathways.engine.cases import Engine
from pathways.engine.errors import Conflict, InvalidData, NotFound
from pathways.store.db import Store
from pathways.store.models import Case, Incident, User
from pathways.tasks import audit
from pathways.tasks.access import MAX_ID, case_visible_to

READERS = frozenset({"admin", "supervision.supervisor"})
MANAGERS = frozenset({"admin"})
STATUSES = (incidents.OPEN, incidents.RESOLVED, incidents.CANCELLED)
#: the most incidents one list answers (newest first) and one element-wide retry runs
LIMIT = 500


@dataclass(frozen=True)
class IncidentQuery:
    status: str | None = incidents.OPEN
    element: str | None = None
    pathway: str | None = None
    case: int | None = None

    def check(self) -> None:
        problems = {}
        if self.status is not None and self.status not in STATUSES:
            problems["status"] = f"one of {', '.join(STATUSES)}"
        if self.case is not None and not 0 < self.case <= MAX_ID:
            problems["case"] = "not a case id"
        if problems:
            raise InvalidData("invalid incident query", fields=problems)


def as_dict(incident: Incident, pathway: str) -> dict[str, Any]:
    return {"id": incident.id, "case_id": incident.case_id, "pathway": pathway, "source": incident.source,
            "element": incident.element_id, "error_kind": incident.error_kind, "error_class": incident.error_class,
            "reference": incident.reference, "attempts": incident.attempts,
            "first_seen": clock.aware(incident.first_seen), "last_seen": clock.aware(incident.last_seen),
            "status": incident.status, "closed_at": clock.aware(incident.closed_at), "closed_by": incident.closed_by}


def of_case(s: Session, case_id: int) -> list[dict[str, Any]]:
    """The open incidents of a case the caller may already see (the case page, the case API)."""
    found = s.execute(select(Incident, Case.pathway_key).join(Case, Case.id == Incident.case_id).where(
        Incident.case_id == case_id, Incident.status == incidents.OPEN).order_by(Incident.id)).all()
    return [as_dict(incident, key) for incident, key in found]


def element_names(store: Store, engine: Engine, found: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(pathway, element) -> the element's name in the version its cases run, for the page."""
    wanted = {item["case_id"]: item["element"] for item in found}
    names: dict[tuple[str, str], str] = {}
    with store.unit_of_work(write=False) as uow:
        versions = uow.session.execute(select(Case.id, Case.pathway_key, Case.pathway_version_id).where(
            Case.id.in_(wanted))).all() if wanted else []
        for case_id, key, version_id in versions:
            element = wanted[case_id]
            if (key, element) in names:
                continue
            definition = engine.definition(uow.session, version_id)
            specs = (spec for process in (definition.spec, *definition.subprocess_specs.values())
                     for spec in process.task_specs.values() if getattr(spec, "bpmn_id", None) == element)
            names[(key, element)] = next((spec.bpmn_name for spec in specs if spec.bpmn_name), element)
    return names


def _visible(user: User | None) -> list[ColumnElement[bool]]:
    return [] if user is None else [case_visible_to(user)]


def list_incidents(store: Store, user: User | None, query: IncidentQuery, *, actor: str | None = None
                   ) -> list[dict[str, Any]]:
    """Incidents of the cases the user may see, newest first (the operator: every case)."""
    if user is not None:
        audit.require_role(store, user, READERS, "incident.list")
    query.check()
    where = _visible(user)
    if query.status:
        where.append(Incident.status == query.status)
    if query.element:
        where.append(Incident.element_id == query.element)
    if query.pathway:
        where.append(Case.pathway_key == query.pathway)
    if query.case:
        where.append(Incident.case_id == query.case)
    with store.unit_of_work(write=False) as uow:
        found = uow.session.execute(select(Incident, Case.pathway_key).join(Case, Case.id == Incident.case_id)
                                    .where(*where).order_by(Incident.id.desc()).limit(LIMIT)).all()
        answer = [as_dict(incident, key) for incident, key in found]
        audit.record_read(uow, user, "incident.list", detail=audit.filters(query), actor=actor)
    return answer


def _find(store: Store, user: User | None, incident_id: int) -> Incident:
    """The incident if its case is visible to `user`; NotFound otherwise (no existence leak)."""
    if not 0 < incident_id <= MAX_ID:
        raise NotFound(f"incident {incident_id} does not exist")
    with store.unit_of_work(write=False) as uow:
        found = uow.session.scalars(select(Incident).join(Case, Case.id == Incident.case_id).where(
            Incident.id == incident_id, *_visible(user))).first()
        if found is None:
            raise NotFound(f"incident {incident_id} does not exist")
        uow.session.expunge(found)
        return found




@audit.refusals("incident.retry")
def retry_incident(store: Store, engine: Engine, user: User | None, incident_id: int, *,
                   actor: str | None = None) -> dict[str, Any]:
    """Run an incident's failed work again now; answers the incident as it is after."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "incident.retry")
    found = _find(store, user, incident_id)
    status = incidents.retry(engine, found.id, audit.acting(user, actor), lambda outcome: audit.within(
        user, actor, "incident.retry", {"incident": found.id, "outcome": outcome}))
    return {**_reread(store, found.id), "outcome": status}


def retry_element(store: Store, engine: Engine, user: User | None, element: str, pathway: str, *,
                  actor: str | None = None) -> dict[str, Any]:
    """Retry every open incident (the user may see) of one element of a pathway, oldest first."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "incident.retry")
    with store.unit_of_work(write=False) as uow:
        ids = list(uow.session.scalars(select(Incident.id).join(Case, Case.id == Incident.case_id).where(
            Incident.status == incidents.OPEN, Incident.element_id == element, Case.pathway_key == pathway,
            *_visible(user)).order_by(Incident.id).limit(LIMIT)))
    outcomes = {incidents.RESOLVED: 0, incidents.OPEN: 0, incidents.CANCELLED: 0}
    results = []
    for incident_id in ids:
        try:
            result = retry_incident(store, engine, user, incident_id, actor=actor)
        except (NotFound, Conflict):  # resolved or changed by a concurrent retry meanwhile
            continue
        outcomes[result["outcome"]] += 1
        results.append(result)
    return {"element": element, "pathway": pathway, "retried": len(results), "resolved": outcomes[incidents.RESOLVED],
            "still_open": outcomes[incidents.OPEN], "cancelled": outcomes[incidents.CANCELLED], "incidents": results}


@audit.refusals("incident.cancel_case")
def cancel_case(store: Store, engine: Engine, user: User | None, incident_id: int, reason: str, *,
                actor: str | None = None) -> dict[str, Any]:
    """Cancel the case of an open incident with a reason (sealed in the case's event, never audited)."""
    if user is not None:
        audit.require_role(store, user, MANAGERS, "incident.cancel_case")
    if not reason.strip():
        raise InvalidData("say why the case is cancelled", fields={"reason": "required"})
    found = _find(store, user, incident_id)
    if found.status != incidents.OPEN:
        raise Conflict(f"incident {incident_id} is already {found.status}", status=found.status)
    engine.cancel_case(audit.acting(user, actor), found.case_id, reason,
                       within=audit.within(user, actor, "incident.cancel_case", {"incident": found.id}))
    return _reread(store, found.id)


def _reread(store: Store, incident_id: int) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        incident, key = uow.session.execute(select(Incident, Case.pathway_key).join(
            Case, Case.id == Incident.case_id).where(Incident.id == incident_id)).one()
        return as_dict(incident, key)
