"""Access (GDPR art. 15): everything held about one person, for the data protection officer.

One person, by pseudonym: who they are (the identity, opened), their consents, every case of
theirs with its current data (in full: the person is entitled to all of it, whoever collected it),
stage history, tasks, comments, measures, timeline events and the legal basis of each agency on
it, and the access log: every audit entry of their cases or about them (which user of which
agency read or changed what, and when).

Who may: the `auditor` role (the data protection officer, who answers the person's request),
or an operator on the server (`pathways privacy export`, audited as `cli:<os user>`). Everyone
else: 403, audited as `access.denied`. Every export is itself an audit entry, `privacy.export`,
with the person and the format, never the values. The HTML rendering is `export_html.render`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.base.values import jsonable
from pathways.engine.cases import Engine
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.engine.runtime import CaseRuntime
from pathways.privacy.beneficiaries import within_reach
from pathways.privacy.fields import catalogue
from pathways.privacy.identity import open_identity
from pathways.privacy.pseudonyms import is_pseudonym, normalise
from pathways.privacy.retention import case_retentions
from pathways.store.db import Store
from pathways.store.models import (
    Agency,
    AuditEntry,
    Beneficiary,
    Case,
    CaseAgency,
    CaseEvent,
    CaseState,
    Consent,
    HumanTask,
    Identity,
    LegalBasis,
    Measure,
    StageVisit,
    TaskComment,
    User,
)
from pathways.tasks import audit

#: who may export a person's data
EXPORTERS = frozenset({"auditor"})
FORMATS = ("json", "html")


def may_export(user: User) -> bool:
    return bool(user.roles & EXPORTERS)


def check_pseudonym(pseudonym: Any) -> str:
    """The pseudonym in its written form; InvalidData (never echoing more than a few characters) otherwise."""
    written = normalise(pseudonym) if isinstance(pseudonym, str) else ""
    if not is_pseudonym(written):
        raise InvalidData("not a pseudonym: a pseudonym looks like B-7K3Q-9M", fields={"pseudonym": "malformed"})
    return written


@audit.refusals("privacy.export")
def export_person(store: Store, engine: Engine, user: User | None, pseudonym: str, *, fmt: str = "json",
                  actor: str | None = None) -> dict[str, Any]:
    """Everything held about the person; `user=None` is the command line, named by `actor`."""
    if user is not None and not may_export(user):
        raise NotAllowed("the export of a person's data is for the auditor (data protection officer)")
    written = check_pseudonym(pseudonym)
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == written, *within_reach(user))).first()
        if person is None:
            raise NotFound(f"no person {written}")
        users = {u.id: u for u in s.scalars(select(User))}
        agencies = {a.id: a for a in s.scalars(select(Agency))}
        cases = list(s.scalars(select(Case).where(Case.beneficiary_id == person.id).order_by(Case.id)))
        retention = {r.case_id: r for r in case_retentions(s, Case.beneficiary_id == person.id)}
        result = {
            "generated_at": clock.now(),
            "generated_by": user.username if user else actor,
            "person": _person(s, person, agencies, users),
            "consents": _consents(s, person, agencies, users),
            "cases": [_case(s, engine, case, agencies, users, retention.get(case.id)) for case in cases],
            "access_log": _access_log(s, person, [c.id for c in cases], agencies, users),
        }
        uow.commit_appending(lambda s: s.add(AuditEntry(
            at=clock.now(), user_id=user.id if user else None,
            username=user.username if user else (actor or "cli")[:64], action="privacy.export",
            beneficiary_id=person.id, detail={"format": fmt, "cases": len(cases)})))
    return result


def _name(users: dict[int, User], user_id: int | None) -> str | None:
    found = users.get(user_id) if user_id is not None else None
    return found.username if found else None


def _agency(agencies: dict[int, Agency], agency_id: int | None) -> dict[str, str] | None:
    found = agencies.get(agency_id) if agency_id is not None else None
    return {"code": found.code, "kind": found.kind, "name": found.name} if found else None


def _person(s: Session, person: Beneficiary, agencies: dict[int, Agency], users: dict[int, User]) -> dict[str, Any]:
    identity = s.get(Identity, person.id)
    return {"pseudonym": person.pseudonym, "status": person.status,
            "registered_at": clock.aware(person.registered_at), "registered_by": _name(users, person.registered_by),
            "agency": _agency(agencies, person.agency_id), "erased_at": clock.aware(person.erased_at),
            "identity": open_identity(identity, person.pseudonym) if identity is not None else None}


def _consents(s: Session, person: Beneficiary, agencies: dict[int, Agency],
              users: dict[int, User]) -> list[dict[str, Any]]:
    rows = s.scalars(select(Consent).where(Consent.beneficiary_id == person.id).order_by(Consent.id))
    return [{"id": c.id, "agency": _agency(agencies, c.agency_id), "case_id": c.case_id, "purpose": c.purpose,
             "identity_shared": c.identity_shared, "given_on": clock.aware(c.given_on),
             "taken_by": _name(users, c.taken_by), "recorded_at": clock.aware(c.recorded_at),
             "withdrawn_at": clock.aware(c.withdrawn_at), "withdrawn_by": _name(users, c.withdrawn_by),
             "withdrawal_note": c.withdrawal_note} for c in rows]


def _case(s: Session, engine: Engine, case: Case, agencies: dict[int, Agency], users: dict[int, User],
          retention: Any) -> dict[str, Any]:
    definition = engine.definition(s, case.pathway_version_id)
    snapshot = s.get(CaseState, case.id)
    data = jsonable(CaseRuntime.restore(definition, snapshot.state).data()) if snapshot and snapshot.state else {}
    labels = {f.id: f.label for f in catalogue(definition).values()}
    bases = {b.code: b for b in s.scalars(select(LegalBasis))}
    tasks = s.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.created_at,
                                                                                       HumanTask.id))
    return {
        "id": case.id, "pathway": case.pathway_key, "pathway_name": case.pathway_version.name,
        "version": case.pathway_version.version, "status": case.status, "stage": case.stage,
        "created_at": clock.aware(case.created_at), "updated_at": clock.aware(case.updated_at),
        "anonymised_at": clock.aware(case.anonymised_at),
        "kept_until": retention.kept_until.isoformat() if retention and retention.kept_until else None,
        "retention_obligation": retention.obligation if retention else None,
        "agencies": [{**(_agency(agencies, a.agency_id) or {}), "basis": a.basis, "consent_id": a.consent_id,
                      "statute": a.statute,
                      "statute_title": bases[a.statute].title if a.statute in bases else None,
                      "statute_reference": bases[a.statute].reference if a.statute in bases else None,
                      "added_at": clock.aware(a.added_at), "added_by": a.added_by}
                     for a in s.scalars(select(CaseAgency).where(CaseAgency.case_id == case.id)
                                        .order_by(CaseAgency.agency_id))],
        "data": [{"field": k, "label": labels.get(k, k), "value": v} for k, v in data.items()],
        "stages": [{"stage": v.stage, "entered_at": clock.aware(v.entered_at), "left_at": clock.aware(v.left_at)}
                   for v in s.scalars(select(StageVisit).where(StageVisit.case_id == case.id).order_by(StageVisit.id))],
        "tasks": [{"id": t.id, "element": t.element_id, "name": t.name, "status": t.status, "roles": list(t.roles),
                   "created_at": clock.aware(t.created_at), "completed_at": clock.aware(t.completed_at),
                   "completed_by": _name(users, t.completed_by), "claimed_by": _name(users, t.claimed_by)}
                  for t in tasks],
        "comments": [{"task_id": c.task_id, "at": clock.aware(c.at), "by": _name(users, c.user_id), "text": c.text}
                     for c in s.scalars(select(TaskComment).where(TaskComment.case_id == case.id)
                                        .order_by(TaskComment.id))],
        "measures": [{"kind": m.kind, "key": m.key, "value": str(m.value), "agency_kind": m.agency_kind,
                      "element": m.element_id, "at": clock.aware(m.at)}
                     for m in s.scalars(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id))],
        "timeline": [{"at": clock.aware(e.at), "actor": e.actor, "kind": e.kind, "element": e.element_id,
                      "before": jsonable(e.before), "after": jsonable(e.after)}
                     for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))],
    }


def _access_log(s: Session, person: Beneficiary, case_ids: list[int], agencies: dict[int, Agency],
                users: dict[int, User]) -> list[dict[str, Any]]:
    about = or_(AuditEntry.beneficiary_id == person.id, AuditEntry.case_id.in_(case_ids)) if case_ids else (
        AuditEntry.beneficiary_id == person.id)
    rows = s.scalars(select(AuditEntry).where(about).order_by(AuditEntry.at, AuditEntry.id))
    out = []
    for e in rows:
        user = users.get(e.user_id) if e.user_id is not None else None
        out.append({"at": clock.aware(e.at), "username": e.username,
                    "agency": _agency(agencies, user.agency_id) if user else None, "action": e.action,
                    "case_id": e.case_id, "task_id": e.task_id, "detail": e.detail or {}})
    return out
