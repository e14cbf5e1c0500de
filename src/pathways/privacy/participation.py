"""Adding an agency to a running case, and removing one, on the rules of data protection.

Who may (docs/privacy.md, "Legal bases and consent"):
- **add**: a case worker of an agency taking part in the case, on a legal basis `check_basis`
  accepts for the agency, the case's person and this case (a consent of the person for that
  agency, not withdrawn, or a statute on the admin's list, not retired);
- **remove**: a case worker of the agency that started the case (basis `own`), or of the agency
  being removed (leaving the case), with a reason. The last agency of a case cannot leave it.
- Supervisors, admins, designers and auditors hold no case-work role: they may do neither (an
  admin keeps the list of bases, not the cases). The server's operator may do both from the
  command line (`pathways case agencies add|remove`), on the same basis check, audited as
  `cli:<os user>`.
Refusals: a case the user's agency does not take part in is "not found"; the rest 403.

The engine command (`pathways.engine.participation`) does the work in one transaction with the
case's version check; the basis is checked again inside that transaction (a consent withdrawn a
moment earlier cannot slip through), with the audit entry (`case.agency.add`, `case.agency.remove`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.engine.actors import Actor
from pathways.engine.cases import Engine, Within
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.engine.participation import add_agency as engine_add
from pathways.engine.participation import remove_agency as engine_remove
from pathways.privacy.sharing import Basis, check_basis
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary, Case, CaseAgency, LegalBasis, User
from pathways.tasks import audit, cases
from pathways.tasks.access import MAX_ID, is_case_worker, visible_case
from pathways.tasks.bounds import MAX_CODE, check_text

MAX_REASON = 500


@audit.refusals("case.agency.add")
def add_agency(store: Store, engine: Engine, user: User | None, case_id: int, agency_code: str,
               basis: object, reason: str = "", *, actor: str | None = None) -> dict[str, Any]:
    """Let `agency_code` take part in the case on `basis` (`Basis.parse`'s shape, or a `Basis`)."""
    given = basis if isinstance(basis, Basis) else Basis.parse(basis, "basis")
    _check_code(agency_code)
    _check_reason(reason, required=False)
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = _case(s, user, case_id)
        if user is not None and not is_case_worker(user):
            raise NotAllowed("adding an agency to a case needs a case-work role")
        agency = _agency(s, agency_code)
        check_basis(s, agency, given, _person(s, case), case_id, "basis")
        person_id = case.beneficiary_id

    def recheck(s: Session, case_id: int) -> None:  # in the command's transaction
        check_basis(s, _agency(s, agency_code), given, _person(s, s.get(Case, case_id)), case_id, "basis")
        audit.record(s, user, "case.agency.add", case_id=case_id, beneficiary_id=person_id, actor=actor,
                     detail={"agency": agency_code, **_basis_detail(given)})

    change = engine_add(store, engine.roles, _actor(user, actor), case_id, agency_code, given.columns(), reason,
                        within=recheck)
    return _answer(store, engine, user, case_id, asdict(change), still_sees=True)


@audit.refusals("case.agency.remove")
def remove_agency(store: Store, engine: Engine, user: User | None, case_id: int, agency_code: str,
                  reason: str, *, actor: str | None = None) -> dict[str, Any]:
    """End `agency_code`'s part in the case: by the starting agency, or the agency itself leaving."""
    _check_code(agency_code)
    _check_reason(reason, required=True)
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = _case(s, user, case_id)
        agency = _agency(s, agency_code)
        if user is not None:
            if not is_case_worker(user):
                raise NotAllowed("removing an agency from a case needs a case-work role")
            own = s.scalar(select(CaseAgency.basis).where(CaseAgency.case_id == case_id,
                                                          CaseAgency.agency_id == user.agency_id))
            if user.agency_id != agency.id and own != "own":
                raise NotAllowed("only the agency that started the case, or the agency itself, can remove it")
        person_id = case.beneficiary_id

    def record(s: Session, case_id: int) -> None:
        audit.record(s, user, "case.agency.remove", case_id=case_id, beneficiary_id=person_id, actor=actor,
                     detail={"agency": agency_code})

    within: Within = record
    change = engine_remove(store, engine.roles, _actor(user, actor), case_id, agency_code, reason.strip(),
                           within=within)
    return _answer(store, engine, user, case_id, asdict(change),
                   still_sees=user is not None and user.agency_id != agency.id)


def _answer(store: Store, engine: Engine, user: User | None, case_id: int, change: dict[str, Any],
            still_sees: bool) -> dict[str, Any]:
    """The change, and the case as the user now sees it (None when their agency left it)."""
    detail = cases.case_detail(store, engine, user, case_id, audit_action=None) \
        if user is not None and still_sees else None
    return {"case_id": case_id, **change, "case": detail}


def _case(s: Session, user: User | None, case_id: int) -> Case:
    if user is not None:
        return visible_case(s, user, case_id)
    case = s.get(Case, case_id) if 0 < case_id <= MAX_ID else None
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def _agency(s: Session, code: str) -> Agency:
    found = s.scalars(select(Agency).where(Agency.code == code)).first()
    if found is None:
        raise InvalidData("unknown agency", fields={"agency": "no agency with this code"})
    return found


def _person(s: Session, case: Case | None) -> Beneficiary | None:
    return s.get(Beneficiary, case.beneficiary_id) if case is not None and case.beneficiary_id else None


def _actor(user: User | None, actor: str | None) -> Actor:
    return Actor(user.username, user.id) if user is not None else Actor(actor or "cli")


def _basis_detail(basis: Basis) -> dict[str, Any]:
    return {k: v for k, v in (("basis", basis.kind), ("consent", basis.consent_id), ("statute", basis.statute))
            if v is not None}


def _check_code(code: object) -> None:
    if not isinstance(code, str) or not code:
        raise InvalidData("an agency code is required", fields={"agency": "the code of an agency"})
    check_text("agency", code, MAX_CODE)


def _check_reason(reason: object, required: bool) -> None:
    if not isinstance(reason, str):
        raise InvalidData("the reason must be text", fields={"reason": "must be text"})
    if required and not reason.strip():
        raise InvalidData("say why the agency leaves the case", fields={"reason": "required"})
    check_text("reason", reason, MAX_REASON)


def parse_basis_option(value: str, where: str = "basis") -> Basis:
    """A basis as the command line writes it: `statute:CODE` or `consent:ID`."""
    kind, _, rest = value.partition(":")
    if kind == "consent" and rest.isdigit():
        return Basis.parse({"basis": "consent", "consent": int(rest)}, where)
    if kind == "statute" and rest:
        return Basis.parse({"basis": "statute", "statute": rest}, where)
    raise InvalidData("a basis is statute:CODE or consent:ID", fields={where: "statute:CODE or consent:ID"})


def parse_bases_options(values: Mapping[str, str] | list[str]) -> dict[str, Basis]:
    """`AGENCY=statute:CODE|consent:ID` options (repeated) as agency code -> `Basis`."""
    found: dict[str, Basis] = {}
    for value in values:
        code, sep, basis = str(value).partition("=")
        if not sep or not code:
            raise InvalidData("a basis option is AGENCY=statute:CODE or AGENCY=consent:ID",
                              fields={"basis": "AGENCY=statute:CODE or AGENCY=consent:ID"})
        found[code] = parse_basis_option(basis, f"bases.{code}")
    return found


def sharing_choices(store: Store, user: User, case_id: int) -> dict[str, Any]:
    """What the case page offers to add and remove, for a user who sees the case (else NotFound).

    `agencies`: agencies not taking part (code, name, kind); `statutes`: bases not retired;
    `consents`: the person's consents not withdrawn (id, agency, purpose, given_on, for this case or
    any); `removable`: codes this user may remove (none for the last agency). Not audited apart:
    the case page's own read is.
    """
    from pathways.privacy.consents import person_consents
    from pathways.privacy.legal_bases import as_dict

    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = visible_case(s, user, case_id)
        taking_part = {code: basis for code, basis in s.execute(
            select(Agency.code, CaseAgency.basis).join(CaseAgency, CaseAgency.agency_id == Agency.id)
            .where(CaseAgency.case_id == case_id))}
        worker = is_case_worker(user)
        own = worker and taking_part.get(user.agency.code) == "own"
        removable = [code for code in sorted(taking_part)
                     if worker and len(taking_part) > 1 and (own or code == user.agency.code)]
        others = [{"code": a.code, "name": a.name, "kind": a.kind} for a in s.scalars(
            select(Agency).where(Agency.code.not_in(list(taking_part))).order_by(Agency.kind, Agency.name))]
        statutes = [as_dict(b) for b in s.scalars(select(LegalBasis).where(LegalBasis.active)
                                                  .order_by(LegalBasis.title))]
        consents = [c for c in person_consents(s, case.beneficiary_id) if c["active"]
                    and c["case_id"] in (None, case_id)] if case.beneficiary_id else []
        return {"can_add": worker and case.status in ("active", "suspended"), "agencies": others, "statutes": statutes,
                "consents": consents, "removable": removable}
