"""Beneficiaries: registering a person, finding them, who may see whom.

Who may see a person: their pseudonym and cases, the registering agency and any agency taking
part in one of their cases; their identity, the registering agency and agencies the person
consented to share it with (a consent with `identity_shared`, not withdrawn). Everyone else: "not
found", as for cases.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from pathways.engine.errors import NotFound
from pathways.privacy.pseudonyms import is_pseudonym, normalise
from pathways.store.models import Beneficiary, Case, CaseAgency, Consent, User


def beneficiary_visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause on `Beneficiary`: the user's agency registered the person or takes part in a case of theirs."""
    takes_part = exists().where(Case.beneficiary_id == Beneficiary.id, CaseAgency.case_id == Case.id,
                                CaseAgency.agency_id == user.agency_id)
    return or_(Beneficiary.agency_id == user.agency_id, takes_part)


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
        raise NotFound(f"no person {written[:16]!r}: a pseudonym looks like B-7K3Q-9M")
    found = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == written,
                                                beneficiary_visible_to(user))).first()
    if found is None:
        raise NotFound(f"no person {written}")
    return found


def may_see_identity(s: Session, user: User, beneficiary: Beneficiary) -> bool:
    return s.scalar(select(exists().where(Beneficiary.id == beneficiary.id, identity_visible_to(user)))) or False
