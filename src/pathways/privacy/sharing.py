"""Sharing a case between agencies: the legal basis each one takes part on.

Every agency of a case records why it may see it (GDPR art. 6 and 9): the agency that starts the
case takes part on its own mandate (`own`); any other needs the person's consent to share with it
(a `Consent` for that agency, not withdrawn, given for this case or for any case of the person)
or a statutory basis from the list an admin keeps (`LegalBasis`). `check_basis` is that rule, for a
case being started and for an agency added later alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.engine.cases import Actor, Engine
from pathways.engine.errors import InvalidData, NotFound
from pathways.privacy.beneficiaries import visible_beneficiary
from pathways.privacy.pseudonyms import normalise
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary, Consent, LegalBasis, User
from pathways.tasks import audit, cases
from pathways.tasks.bounds import MAX_CODE, check_text

BASIS_KINDS = ("own", "consent", "statute")


@dataclass(frozen=True)
class Basis:
    """Why an agency takes part in a case: `own`, `consent` (with its id) or `statute` (with its code)."""

    kind: str
    consent_id: int | None = None
    statute: str | None = None

    def columns(self) -> dict[str, Any]:
        """The `case_agencies` columns that record it."""
        return {"basis": self.kind, "consent_id": self.consent_id, "statute": self.statute}

    @classmethod
    def parse(cls, value: object, where: str) -> Basis:
        """A basis as the API and the pages give it: `{"basis": "consent", "consent": 12}` or
        `{"basis": "statute", "statute": "social_assistance_act"}`; InvalidData at `where` otherwise."""
        if not isinstance(value, Mapping):
            raise InvalidData("a legal basis must be an object", fields={where: "must be an object"})
        kind = value.get("basis")
        if kind == "consent":
            consent = value.get("consent")
            if not isinstance(consent, int) or isinstance(consent, bool) or not 0 < consent < 2**31:
                raise InvalidData("a consent basis names the consent's id",
                                  fields={f"{where}.consent": "the id of a recorded consent"})
            return cls("consent", consent_id=consent)
        if kind == "statute":
            statute = value.get("statute")
            if not isinstance(statute, str) or not statute:
                raise InvalidData("a statutory basis names its code",
                                  fields={f"{where}.statute": "the code of a legal basis"})
            check_text(f"{where}.statute", statute, MAX_CODE)
            return cls("statute", statute=statute)
        raise InvalidData("a legal basis is a consent or a statute",
                          fields={f"{where}.basis": "one of: consent, statute"})


def check_basis(s: Session, agency: Agency, basis: Basis, beneficiary: Beneficiary | None,
                case_id: int | None, where: str) -> None:
    """InvalidData at `where` unless `basis` lets `agency` take part in the case of `beneficiary`.

    A consent must be the person's, for this agency, not withdrawn, and given for this case or for
    any case of theirs; a statute must be on the admin's list and not retired.
    """
    if basis.kind == "statute":
        found = s.get(LegalBasis, basis.statute)
        if found is None or not found.active:
            raise InvalidData("no such legal basis", fields={f"{where}.statute": "not on the list of legal bases"})
        return
    if basis.kind != "consent":
        raise InvalidData("only the starting agency takes part on its own mandate",
                          fields={f"{where}.basis": "one of: consent, statute"})
    consent = s.get(Consent, basis.consent_id)
    if beneficiary is None:
        raise InvalidData("a consent basis needs the case's person",
                          fields={f"{where}.consent": "the case has no registered person"})
    if consent is None or consent.beneficiary_id != beneficiary.id:
        raise InvalidData("no such consent of this person", fields={f"{where}.consent": "not a consent of this person"})
    if consent.agency_id != agency.id:
        raise InvalidData("the consent is for another agency", fields={f"{where}.consent": "given for another agency"})
    if consent.withdrawn_at is not None:
        raise InvalidData("the consent was withdrawn", fields={f"{where}.consent": "withdrawn"})
    if consent.case_id is not None and consent.case_id != case_id:
        raise InvalidData("the consent was given for another case", fields={f"{where}.consent": "for another case"})


@audit.refusals("case.start")
def start_case(store: Store, engine: Engine, user: User, key: str, data: dict[str, Any],
               agencies: Sequence[str] | None = None, beneficiary: str = "",
               bases: Mapping[str, object] | None = None) -> dict[str, Any]:
    """Start a case for a registered person (or none), each agency on a recorded legal basis.

    `beneficiary` is the person's pseudonym (never a name: an unknown one is refused); the start
    data's `beneficiary_pseudonym`, if given, must be the same. `bases` maps each agency code other
    than the user's own to its basis (`Basis.parse`); the user's agency takes part on its own mandate.
    """
    codes = cases.starting_agencies(user, agencies)
    given = dict(bases or {})
    typed = data.get("beneficiary_pseudonym") if isinstance(data, Mapping) else None
    pseudonym = beneficiary or (typed if isinstance(typed, str) else "")
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = _person(s, user, pseudonym, "beneficiary" if beneficiary else "data.beneficiary_pseudonym") \
            if pseudonym else None
        found = {a.code: a for a in s.scalars(select(Agency).where(Agency.code.in_(codes)))}
        recorded: dict[str, dict[str, Any]] = {}
        problems: dict[str, str] = {}
        for code in codes:
            where = f"bases.{code}"
            if code == user.agency.code:
                recorded[code] = Basis("own").columns()
                continue
            if code not in found:
                continue  # the engine names unknown agencies
            if code not in given:
                problems[where] = "a legal basis is required for an agency other than yours"
                continue
            basis = Basis.parse(given[code], where)
            check_basis(s, found[code], basis, person, None, where)
            recorded[code] = basis.columns()
        extra = sorted(set(given) - set(codes))
        if extra:
            problems.update({f"bases.{c}": "not one of the case's agencies" for c in extra})
        if problems:
            raise InvalidData("each agency needs a legal basis to take part", fields=problems)
    return cases.start_case(store, engine, user, key, data, codes, person.pseudonym if person else "",
                            beneficiary_id=person.id if person else None, bases=recorded)


def _person(s: Session, user: User, pseudonym: str, where: str) -> Beneficiary:
    try:
        return _startable(visible_beneficiary(s, user, pseudonym), where)
    except NotFound:
        raise InvalidData("the beneficiary must be a registered person: register them first",
                          fields={where: "not a registered person's pseudonym"}) from None


def _startable(person: Beneficiary, where: str) -> Beneficiary:
    """The person, unless erased: an erased person's data is gone, and no new case may collect it again."""
    if person.status == "erased":
        raise InvalidData("the person was erased: register them anew if they come back, with their consent",
                          fields={where: "an erased person"})
    return person


def operator_start_case(store: Store, engine: Engine, actor: str, key: str, data: dict[str, Any],
                        agencies: Sequence[str], beneficiary: str = "",
                        bases: Mapping[str, Basis] | None = None) -> int:
    """`pathways case start` on the server: the first agency starts the case on its own mandate,
    every other needs a basis `check_basis` accepts, as on the pages and the API (no side door).

    The operator finds any registered person by pseudonym (no agency rule: they run the server);
    audited `case.start` as `actor` (`cli:<os user>`).
    """
    codes = list(dict.fromkeys(agencies))
    for code in codes:
        check_text("agencies", code, MAX_CODE)
    given = dict(bases or {})
    typed = data.get("beneficiary_pseudonym") if isinstance(data, Mapping) else None
    beneficiary = beneficiary or (typed if isinstance(typed, str) else "")
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = None
        if beneficiary:
            person = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == normalise(beneficiary))).first()
            if person is None:
                raise InvalidData("the beneficiary must be a registered person: register them first",
                                  fields={"beneficiary": "not a registered person's pseudonym"})
            _startable(person, "beneficiary")
        found = {a.code: a for a in s.scalars(select(Agency).where(Agency.code.in_(codes)))}
        missing = [c for c in codes if c not in found]
        if missing:
            raise InvalidData("unknown agencies", fields={"agencies": f"unknown: {', '.join(missing)}"})
        recorded: dict[str, dict[str, Any]] = {codes[0]: Basis("own").columns()} if codes else {}
        problems = {f"bases.{c}": "a legal basis is required for an agency other than the first"
                    for c in codes[1:] if c not in given}
        problems.update({f"bases.{c}": "not one of the case's agencies" for c in sorted(set(given) - set(codes))})
        if codes and codes[0] in given:
            problems[f"bases.{codes[0]}"] = "the first agency starts the case on its own mandate"
        if problems:
            raise InvalidData("each agency needs a legal basis to take part", fields=problems)
        for code in codes[1:]:
            check_basis(s, found[code], given[code], person, None, f"bases.{code}")
            recorded[code] = given[code].columns()
    pseudonym = person.pseudonym if person else ""
    version, checked = cases.checked_start(store, engine, key, data, pseudonym)
    if not codes:
        raise InvalidData("name the agencies of the case (--agency), the starting one first",
                          fields={"agencies": "at least one agency"})
    person_id = person.id if person else None

    def record(s: Session, case_id: int) -> None:
        audit.record(s, None, "case.start", case_id=case_id, actor=actor, beneficiary_id=person_id,
                     detail={"pathway": key, "agencies": codes, "via": "cli"})

    return engine.start_case(Actor(actor), key, checked, codes, pseudonym, version=version, within=record,
                             beneficiary_id=person_id, bases=recorded)
