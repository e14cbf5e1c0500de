"""A person's consent to share their case data with one agency: recorded, listed, withdrawn.

Who may:
- **record** a consent: a case worker of an agency that may see the person (it registered them or
  takes part in a case of theirs: `visible_beneficiary`); they are recorded as the one who took it.
- **list** a person's consents: anyone who may see the person.
- **withdraw** one: a case worker of the agency that registered the person, or of the agency the
  consent was given to (the person may tell either).

Withdrawing ends the sharing going forward: the agency is removed, at once, from every case of the
person that it takes part in on that consent (`pathways.engine.participation.remove_agency`: its
users lose access, its claims go back to the remaining agencies or wait, the timeline records
`AgencyRemoved`), and the identity stops being shared with it (`identity_visible_to` reads
only consents not withdrawn). Nothing already recorded is deleted. The consent is marked withdrawn
first (so it cannot be used again), then each case is updated in its own engine command; if one of
those fails, withdrawing again finishes the removals. Audited: `consent.record`, `consent.list`,
`consent.withdraw` (with the person's id), `case.agency.remove` per case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.actors import Actor
from pathways.engine.cases import Engine
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.engine.participation import remove_agency
from pathways.privacy.beneficiaries import visible_beneficiary
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary, Case, CaseAgency, Consent, User
from pathways.tasks import audit
from pathways.tasks.access import MAX_ID, is_case_worker
from pathways.tasks.bounds import MAX_CODE, check_text

MAX_PURPOSE = 500
MAX_NOTE = 500
WITHDRAWN = "consent withdrawn"
_RETRIES = 3


def as_dict(consent: Consent, agency: Agency, taken_by: str | None, withdrawn_by: str | None) -> dict[str, Any]:
    return {"id": consent.id, "agency": agency.code, "agency_name": agency.name, "case_id": consent.case_id,
            "purpose": consent.purpose, "identity_shared": consent.identity_shared,
            "given_on": clock.aware(consent.given_on).date(), "taken_by": taken_by,
            "recorded_at": clock.aware(consent.recorded_at), "withdrawn_at": clock.aware(consent.withdrawn_at),
            "withdrawn_by": withdrawn_by, "withdrawal_note": consent.withdrawal_note,
            "active": consent.withdrawn_at is None}


@audit.refusals("consent.record")
def record_consent(store: Store, user: User, pseudonym: str, agency_code: str, purpose: str,
                   identity_shared: bool, given_on: date, case_id: int | None = None) -> dict[str, Any]:
    """Record the consent the person gave on `given_on` to share with `agency_code` for `purpose`
    (for one case of theirs, or for any when `case_id` is None)."""
    _check_input(agency_code, purpose, given_on, case_id)
    with store.unit_of_work() as uow:
        s = uow.session
        person = visible_beneficiary(s, user, pseudonym)
        if not is_case_worker(user):
            raise NotAllowed("recording a consent needs a case-work role")
        agency = s.scalars(select(Agency).where(Agency.code == agency_code)).first()
        if agency is None:
            raise InvalidData("unknown agency", fields={"agency": "no agency with this code"})
        if case_id is not None and s.scalar(select(Case.id).where(
                Case.id == case_id, Case.beneficiary_id == person.id)) is None:
            raise InvalidData("the case is not one of this person's", fields={"case_id": "not a case of this person"})
        consent = Consent(beneficiary_id=person.id, agency_id=agency.id, case_id=case_id, purpose=purpose.strip(),
                          identity_shared=bool(identity_shared),
                          given_on=datetime.combine(given_on, time(), tzinfo=UTC),
                          taken_by=user.id, recorded_at=clock.now())
        s.add(consent)
        s.flush()
        audit.record(s, user, "consent.record", beneficiary_id=person.id, case_id=case_id,
                     detail={"consent": consent.id, "agency": agency.code, "identity_shared": consent.identity_shared})
        answer = as_dict(consent, agency, user.username, None)
        uow.commit()
    return answer


@audit.refusals("consent.list")
def list_consents(store: Store, user: User, pseudonym: str) -> list[dict[str, Any]]:
    """The person's consents, newest first, each with `may_withdraw` for this user."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = visible_beneficiary(s, user, pseudonym)
        found = [{**c, "may_withdraw": c["active"] and _may_withdraw(user, person, c["agency_id"])}
                 for c in _consents(s, person.id)]
        audit.record_read(uow, user, "consent.list", beneficiary_id=person.id)
    for consent in found:
        consent.pop("agency_id")
    return found


def person_consents(s: Session, beneficiary_id: int) -> list[dict[str, Any]]:
    """The consents of a person already shown to the caller (a page's select of bases)."""
    return [{k: v for k, v in c.items() if k != "agency_id"} for c in _consents(s, beneficiary_id)]


@audit.refusals("consent.withdraw")
def withdraw_consent(store: Store, engine: Engine, user: User, consent_id: int, note: str = "") -> dict[str, Any]:
    """Withdraw a consent and remove its agency from every case of the person taking part on it."""
    if not isinstance(note, str):
        raise InvalidData("the note must be text", fields={"note": "must be text"})
    check_text("note", note, MAX_NOTE)
    if not 0 < consent_id <= MAX_ID:
        raise NotFound("no such consent")
    with store.unit_of_work() as uow:
        s = uow.session
        consent = s.get(Consent, consent_id)
        person = s.get(Beneficiary, consent.beneficiary_id) if consent is not None else None
        if consent is None or person is None:
            raise NotFound("no such consent")
        visible_beneficiary(s, user, person.pseudonym)  # NotFound for whoever may not see the person
        if not is_case_worker(user) or not _may_withdraw(user, person, consent.agency_id):
            raise NotAllowed("a consent is withdrawn by a case worker of the agency that registered the person "
                             "or of the agency it was given to")
        cases = list(s.scalars(select(CaseAgency.case_id).where(CaseAgency.consent_id == consent.id)
                               .order_by(CaseAgency.case_id)))
        agency_code = s.scalar(select(Agency.code).where(Agency.id == consent.agency_id)) or ""
        if consent.withdrawn_at is None:
            consent.withdrawn_at, consent.withdrawn_by = clock.now(), user.id
            consent.withdrawal_note = note.strip() or None
            audit.record(s, user, "consent.withdraw", beneficiary_id=person.id,
                         detail={"consent": consent.id, "agency": agency_code, "cases": cases})
        person_id = person.id
        uow.commit()
    removed = [case_id for case_id in cases if _remove(engine, user, case_id, agency_code, person_id)]
    with store.unit_of_work(write=False) as uow:
        answer = next(c for c in _consents(uow.session, person_id) if c["id"] == consent_id)
    answer.pop("agency_id")
    return {**answer, "removed_from": removed}


def _remove(engine: Engine, user: User, case_id: int, agency_code: str, person_id: int) -> bool:
    """Remove the agency from one case (retrying a lost race); False when it was already gone."""
    within = audit.recorder(user, "case.agency.remove", beneficiary_id=person_id,
                            detail={"agency": agency_code, "reason": "consent.withdraw"})
    for attempt in range(_RETRIES):
        try:
            remove_agency(engine.store, engine.roles, Actor(user.username, user.id), case_id, agency_code,
                          WITHDRAWN, within=within, leave_none=True)
            return True
        except NotFound:
            return False
        except Conflict:
            if attempt == _RETRIES - 1:
                raise
    return False


def _may_withdraw(user: User, person: Beneficiary, agency_id: int) -> bool:
    return is_case_worker(user) and user.agency_id in (person.agency_id, agency_id)


def _consents(s: Session, beneficiary_id: int) -> list[dict[str, Any]]:
    takers = {u.id: u.username for u in s.scalars(select(User).join(Consent, (Consent.taken_by == User.id) | (
        Consent.withdrawn_by == User.id)).where(Consent.beneficiary_id == beneficiary_id))}
    rows = s.execute(select(Consent, Agency).join(Agency, Agency.id == Consent.agency_id)
                     .where(Consent.beneficiary_id == beneficiary_id)
                     .order_by(Consent.recorded_at.desc(), Consent.id.desc())).all()
    return [{**as_dict(c, a, takers.get(c.taken_by or 0), takers.get(c.withdrawn_by or 0)), "agency_id": a.id}
            for c, a in rows]


def _check_input(agency_code: str, purpose: str, given_on: date, case_id: int | None) -> None:
    problems: dict[str, str] = {}
    if not isinstance(agency_code, str) or not agency_code:
        problems["agency"] = "the code of an agency"
    if not isinstance(purpose, str) or not purpose.strip():
        problems["purpose"] = "say what the data is shared for"
    if not isinstance(given_on, date):
        problems["given_on"] = "a date (YYYY-MM-DD)"
    elif (given_on.date() if isinstance(given_on, datetime) else given_on) > clock.now().astimezone(
            clock.WARSAW).date():
        problems["given_on"] = "cannot be in the future"
    if case_id is not None and (not isinstance(case_id, int) or not 0 < case_id <= MAX_ID):
        problems["case_id"] = "a case id"
    if problems:
        raise InvalidData("the consent is not valid", fields=problems)
    check_text("agency", agency_code, MAX_CODE)
    check_text("purpose", purpose, MAX_PURPOSE)
