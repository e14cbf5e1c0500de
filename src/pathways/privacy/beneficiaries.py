"""Beneficiaries: registering a person, finding them, who may see whom.

Who may see a person: their pseudonym and cases, the registering agency, any agency taking part
in one of their cases and any agency the person gave a consent to (not withdrawn); their
identity, the registering agency and agencies the person consented to share it with (a consent
with `identity_shared`, not withdrawn). Everyone else: "not found", as for cases.

Who may act: every service here is for case workers (`tasks.access.is_case_worker`); supervisors,
administrators, designers and auditors work no cases and are refused (403, audited). The person's
full record for the data protection officer is the subject-access export (`privacy.export`).

Duplicates: registering a PESEL already known to a person whose identity the user's agency may
see answers `DuplicatePerson` with that person's pseudonym. A PESEL known only to other agencies
is not revealed and a new record is made: telling the user "another agency knows this person"
would disclose that the person is served there (for a trafficking survivor or a victim of
violence, that alone is special-category data); linking the two records needs the person's
consent (a `Consent` with `identity_shared` for the other agency), not a lookup.

Every read and write leaves an audit entry naming the person (`AuditEntry.beneficiary_id`), never
an identity value: `person.register`, `person.search`, `person.read`, `person.identity.read`,
`person.identity.update`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathways.base import clock, sealing
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.privacy.errors import DuplicatePerson
from pathways.privacy.identity import (
    IDENTITY_FIELDS,
    check_identity,
    open_identity,
    pesel_indexes,
    pesel_problem,
    reseal,
    seal_identity,
)
from pathways.privacy.pseudonyms import is_pseudonym, new_pseudonym, normalise
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary, Case, CaseAgency, Consent, Identity, PathwayVersion, User
from pathways.tasks import audit
from pathways.tasks.access import case_visible_to, is_case_worker
from pathways.tasks.bounds import check_text

#: a search answers at most this many people (narrow it: a PESEL finds one)
MAX_RESULTS = 50
#: a name search needs at least this many letters (one letter matches half the register)
MIN_NAME = 2
MAX_NAME_QUERY = 150
MAX_REASON = 500
#: a new pseudonym is drawn again this many times when it is taken (1 in ~729 million per person)
PSEUDONYM_ATTEMPTS = 5


def beneficiary_visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause on `Beneficiary`: the user's agency registered the person, takes part in a case
    of theirs, or holds a consent of theirs not withdrawn (so an agency the identity is shared with
    finds the person, and one asked to join a case can be named on it)."""
    takes_part = exists().where(Case.beneficiary_id == Beneficiary.id, CaseAgency.case_id == Case.id,
                                CaseAgency.agency_id == user.agency_id)
    consented = exists().where(Consent.beneficiary_id == Beneficiary.id, Consent.agency_id == user.agency_id,
                               Consent.withdrawn_at.is_(None))
    return or_(Beneficiary.agency_id == user.agency_id, takes_part, consented)


def within_reach(user: User | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on `Beneficiary`: the people an auditor answers for, those their agency registered
    or takes part in a case of (each controller's data protection officer answers for its own
    processing); the operator on the server (`user=None`) answers for everyone."""
    return [] if user is None else [beneficiary_visible_to(user)]


def identity_visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause on `Beneficiary`: the user's agency may see the person's identity."""
    shared = exists().where(Consent.beneficiary_id == Beneficiary.id, Consent.agency_id == user.agency_id,
                            Consent.identity_shared, Consent.withdrawn_at.is_(None))
    return or_(Beneficiary.agency_id == user.agency_id, shared)


def visible_beneficiary(s: Session, user: User, pseudonym: str) -> Beneficiary:
    """The person with this pseudonym if the user may see them; NotFound otherwise (also when malformed)."""
    written = normalise(pseudonym)
    if not is_pseudonym(written):
        raise NotFound("no such person: a pseudonym looks like B-7K3Q-9M (what was typed is not one)")
    found = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == written,
                                                beneficiary_visible_to(user))).first()
    if found is None:
        raise NotFound(f"no person {written}")
    return found


def may_see_identity(s: Session, user: User, beneficiary: Beneficiary) -> bool:
    return s.scalar(select(exists().where(Beneficiary.id == beneficiary.id, identity_visible_to(user)))) or False


def _require_case_worker(user: User, doing: str) -> None:
    if not is_case_worker(user):
        raise NotAllowed(f"{doing} needs a case-work role")


def _checked(identity: Mapping[str, Any] | None) -> dict[str, str]:
    """The identity's fields checked (`check_identity`); an unknown field's name is cut short in the error."""
    if identity is None:
        return {}
    if not isinstance(identity, Mapping):
        raise InvalidData("the identity must be an object", fields={"identity": "must be an object"})
    unknown = [str(k) for k in identity if k not in IDENTITY_FIELDS]
    if unknown:
        raise InvalidData("the identity has an unknown field", fields={
            f"identity.{unknown[0][:40]}": "not an identity field (" + ", ".join(IDENTITY_FIELDS) + ")"})
    for key, value in identity.items():
        if isinstance(value, str):
            check_text(f"identity.{key}", value)  # what PostgreSQL and the sealing cannot take (a lone surrogate)
    return check_identity(identity)


def _duplicate(s: Session, user: User, pesel: str | None, besides: int | None = None) -> Beneficiary | None:
    """A person with this PESEL whose identity the user's agency may see (other than `besides`)."""
    if not pesel:
        return None
    query = (select(Beneficiary).join(Identity, Identity.beneficiary_id == Beneficiary.id)
             .where(Identity.pesel_index.in_(pesel_indexes(pesel)), Beneficiary.status == "active",
                    identity_visible_to(user)).order_by(Beneficiary.id))
    if besides is not None:
        query = query.where(Beneficiary.id != besides)
    return s.scalars(query).first()


def summary(person: Beneficiary, agency: Agency | None = None) -> dict[str, Any]:
    return {"pseudonym": person.pseudonym, "registered_at": clock.aware(person.registered_at),
            "agency": agency.code if agency else None, "status": person.status}


@audit.refusals("person.register")
def register_person(store: Store, user: User, identity: Mapping[str, Any] | None) -> dict[str, Any]:
    """Register a person: a new pseudonym, the user's agency as registering agency, the identity sealed.

    `identity` None (or empty) registers a person who does not give it: the pseudonym only, and
    `update_identity` may add it later. DuplicatePerson when the PESEL is one the user's agency
    already knows (see the module's docstring for why other agencies' people are not revealed).
    """
    _require_case_worker(user, "registering a person")
    fields = _checked(identity)
    for attempt in range(PSEUDONYM_ATTEMPTS):
        try:
            with store.unit_of_work() as uow:
                s = uow.session
                existing = _duplicate(s, user, fields.get("pesel"))
                if existing is not None:
                    raise DuplicatePerson(existing.pseudonym)
                pseudonym = new_pseudonym()
                if s.scalar(select(exists().where(Beneficiary.pseudonym == pseudonym))):
                    continue  # taken: draw again
                person = Beneficiary(pseudonym=pseudonym, agency_id=user.agency_id, registered_at=clock.now(),
                                     registered_by=user.id, status="active")
                s.add(person)
                s.flush()
                if fields:
                    s.add(seal_identity(person, fields))
                audit.record(s, user, "person.register", beneficiary_id=person.id,
                             detail={"identity": bool(fields), "fields": sorted(fields)})
                agency = s.get(Agency, user.agency_id)
                result = summary(person, agency)
                uow.commit()
                return {**result, "identity_visible": True, "has_identity": bool(fields)}
        except IntegrityError:  # the same pseudonym drawn by a concurrent registration
            if attempt == PSEUDONYM_ATTEMPTS - 1:
                raise
    raise Conflict("no free pseudonym was drawn: try again")


# -- finding ----------------------------------------------------------------------------------------

def folded(text: str) -> str:
    """Text for matching names: case-folded, accents removed (`Łukasz Żółć` ~ `lukasz zolc`)."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _search_terms(pesel: str | None, name: str | None) -> tuple[str, str]:
    """(by, value) of a search: exactly one of a valid PESEL and a name of MIN_NAME letters or more."""
    pesel = (pesel or "").strip() or None
    name = " ".join((name or "").split()) or None
    if (pesel is None) == (name is None):
        raise InvalidData("search by a PESEL or by a name", fields={"pesel": "give a PESEL or a name, not both"})
    if pesel is not None:
        check_text("pesel", pesel, 11)
        problem = pesel_problem(pesel)
        if problem:
            raise InvalidData("the PESEL is not valid", fields={"pesel": problem})
        return "pesel", pesel
    assert name is not None
    check_text("name", name, MAX_NAME_QUERY)
    if any(ord(c) < 32 for c in name):
        raise InvalidData("the name is not valid", fields={"name": "no control characters"})
    if len(name) < MIN_NAME:
        raise InvalidData("the name is too short", fields={"name": f"at least {MIN_NAME} letters"})
    return "name", name


def _matches(fields: Mapping[str, str], words: list[str]) -> bool:
    """Every word of the query is part of the first or the last name (folded)."""
    names = folded(f"{fields.get('first_name', '')} {fields.get('last_name', '')}")
    return all(word in names for word in words)


@audit.refusals("person.search")
def find_people(store: Store, user: User, pesel: str | None = None, name: str | None = None) -> dict[str, Any]:
    """People whose identity the user's agency may see, found by an exact PESEL or by name.

    A PESEL is found through its blind index (one indexed lookup). A name cannot be: the names are
    sealed, so every identity the agency may see is opened and matched in memory (case- and
    accent-insensitive substring of the first or last name, every word of the query). That costs
    one AES-GCM open per visible person per search (measured: about 16 µs each with the match,
    some 0.8 s for 50,000 people, plus reading the rows); the answer is capped at MAX_RESULTS.
    Audited `person.search` with how it searched and how many it found, never what was typed: one
    entry per person found (their access log), or one without a person when nobody was.
    """
    _require_case_worker(user, "finding a person")
    by, value = _search_terms(pesel, name)
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        query = (select(Beneficiary, Identity, Agency.code)
                 .join(Identity, Identity.beneficiary_id == Beneficiary.id)
                 .join(Agency, Agency.id == Beneficiary.agency_id)
                 .where(Beneficiary.status == "active", identity_visible_to(user)).order_by(Beneficiary.id))
        if by == "pesel":
            query = query.where(Identity.pesel_index.in_(pesel_indexes(value)))  # under every key of the ring
        words = folded(value).split() if by == "name" else []
        found: list[dict[str, Any]] = []
        ids: list[int] = []
        truncated = False
        for person, row, code in s.execute(query):
            fields = open_identity(row, person.pseudonym)
            if words and not _matches(fields, words):
                continue
            if len(found) == MAX_RESULTS:
                truncated = True
                break
            ids.append(person.id)
            found.append({**summary(person), "agency": code, "first_name": fields.get("first_name", ""),
                          "last_name": fields.get("last_name", ""), "birth_date": fields.get("birth_date")})
        detail = {"by": by, "results": len(found), **({"truncated": True} if truncated else {})}

        def entries(s: Session) -> None:
            named: list[int | None] = list(ids) or [None]
            for person_id in named:
                audit.record(s, user, "person.search", detail=detail, beneficiary_id=person_id)

        uow.commit_appending(entries)
    return {"items": found, "total": len(found), "truncated": truncated}


# -- one person --------------------------------------------------------------------------------------

def _cases(s: Session, user: User, person: Beneficiary) -> list[dict[str, Any]]:
    rows = s.execute(select(Case.id, PathwayVersion.name, Case.pathway_key, Case.status, Case.stage,
                            Case.created_at)
                     .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
                     .where(Case.beneficiary_id == person.id, case_visible_to(user)).order_by(Case.id))
    return [{"id": i, "pathway": key, "pathway_name": name, "status": status, "stage": stage,
             "created_at": clock.aware(created)} for i, name, key, status, stage, created in rows]


@audit.refusals("person.read")
def person_detail(store: Store, user: User, pseudonym: str, *, with_identity: bool = True) -> dict[str, Any]:
    """A person as the user may see them: pseudonym, registration, status, the cases the user may
    see, and the identity where the user's agency may see it (audited `person.identity.read`;
    otherwise `person.read`). A person the user may not see is NotFound."""
    _require_case_worker(user, "reading a person")
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = visible_beneficiary(s, user, pseudonym)
        visible = may_see_identity(s, user, person)
        row = s.get(Identity, person.id) if visible and with_identity else None
        identity = open_identity(row, person.pseudonym) if row is not None else None
        cases = _cases(s, user, person)
        result = {**summary(person, s.get(Agency, person.agency_id)), "identity_visible": visible,
                  "has_identity": row is not None if visible else None, "identity": identity, "cases": cases,
                  "may_rectify": person.agency_id == user.agency_id and person.status == "active"}
        action = "person.identity.read" if identity is not None else "person.read"
        person_id = person.id
        audit.record_read(uow, user, action, beneficiary_id=person_id, detail={"cases": len(cases)})
    return result


@audit.refusals("person.identity.update")
def update_identity(store: Store, user: User, pseudonym: str, identity: Mapping[str, Any] | None,
                    reason: str) -> dict[str, Any]:
    """Rectify a person's identity (GDPR art. 16): the registering agency's case workers only.

    `identity` replaces the whole identity (a field left out is removed). The reason is required;
    the audit entry (`person.identity.update`) names the changed fields only, never a value, and
    keeps the reason sealed, bound to the person (their access export opens it).
    """
    _require_case_worker(user, "rectifying an identity")
    fields = _checked(identity)
    if not fields:
        raise InvalidData("give the identity's fields", fields={"identity": "at least one field"})
    reason = (reason or "").strip()
    check_text("reason", reason, MAX_REASON)
    if not reason:
        raise InvalidData("say why the identity is corrected", fields={"reason": "required"})
    with store.unit_of_work() as uow:
        s = uow.session
        person = visible_beneficiary(s, user, pseudonym)
        if person.agency_id != user.agency_id:
            raise NotAllowed("only the registering agency may correct a person's identity")
        if person.status != "active":
            raise Conflict("this person's identity was erased")
        existing = _duplicate(s, user, fields.get("pesel"), besides=person.id)
        if existing is not None:
            raise DuplicatePerson(existing.pseudonym)
        row = s.get(Identity, person.id)
        before = open_identity(row, person.pseudonym) if row is not None else {}
        changed = sorted(k for k in set(before) | set(fields) if before.get(k) != fields.get(k))
        if row is None:
            s.add(seal_identity(person, fields))
        elif changed:
            reseal(row, person.pseudonym, fields)
            row.updated_at = clock.now()
        audit.record(s, user, "person.identity.update", beneficiary_id=person.id,
                     detail={"changed": changed, "reason": sealing.seal(reason, f"identity-reason:{person.pseudonym}")})
        uow.commit()
        return {"pseudonym": person.pseudonym, "changed": changed}


def operator_person(store: Store, pseudonym: str, *, actor: str, with_identity: bool = False) -> dict[str, Any]:
    """Any person as an operator on the server reads them (`pathways person show`): no agency rule,
    every case; the identity only when asked for. Audited as `actor` (`cli:<os user>`):
    `person.identity.read` with the identity, `person.read` without."""
    written = normalise(pseudonym)
    if not is_pseudonym(written):
        raise NotFound("no such person: a pseudonym looks like B-7K3Q-9M (what was typed is not one)")
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == written)).first()
        if person is None:
            raise NotFound(f"no person {written}")
        row = s.get(Identity, person.id)
        identity = open_identity(row, person.pseudonym) if row is not None and with_identity else None
        rows = s.execute(select(Case.id, PathwayVersion.name, Case.pathway_key, Case.status, Case.stage)
                         .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
                         .where(Case.beneficiary_id == person.id).order_by(Case.id))
        cases = [{"id": i, "pathway": key, "pathway_name": name, "status": status, "stage": stage}
                 for i, name, key, status, stage in rows]
        result = {**summary(person, s.get(Agency, person.agency_id)), "has_identity": row is not None,
                  "identity": identity, "cases": cases}
        person_id = person.id
        audit.record_read(uow, None, "person.identity.read" if identity is not None else "person.read",
                          actor=actor, beneficiary_id=person_id, detail={"via": "cli", "cases": len(cases)})
    return result
