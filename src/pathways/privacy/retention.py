"""Retention (GDPR art. 5(1)(e)) and erasure (art. 17): how long a closed case is kept, and wiping it.

Each pathway declares on its process (Camunda Modeler: the process's Properties)
`retention` = an ISO 8601 duration (`P5Y`, `P10Y6M`, `P30D`) and optionally
`retention_obligation` = the legal obligation it serves. Without them: `P5Y` and "ESF+
documentation (Regulation (EU) 2021/1060, art. 82)": the ESF rule of keeping a project's
documents for five years from 31 December of the year of the last payment, counted here from the
end of the calendar year in which the case ended (the day it was completed, cancelled or closed).
A case ending on 3 March 2026 with `P5Y` is kept until 31 December 2031 and anonymised from
1 January 2032.

Anonymising (`anonymise.py`) is irreversible; once no case of the person is left un-anonymised
their identity row is deleted and the person marked `erased`. `pathways privacy retention`
anonymises the cases past retention; `erase_person` does it for one person on request, refused
(with the reason and the date) while a case of theirs is active or still under its retention
obligation. Both are audited: `privacy.anonymise` per case, `privacy.erase` per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.engine.lifecycle import process_properties
from pathways.engine.lint import RETENTION
from pathways.privacy.anonymise import anonymise_case
from pathways.privacy.beneficiaries import within_reach
from pathways.privacy.pseudonyms import is_pseudonym, normalise
from pathways.store.db import Store
from pathways.store.models import (
    AuditEntry,
    Beneficiary,
    Case,
    CaseEvent,
    Consent,
    DefinitionBlob,
    Identity,
    PathwayVersion,
    User,
)
from pathways.tasks import audit
from pathways.tasks.bounds import check_text

DEFAULT_RETENTION = "P5Y"
DEFAULT_OBLIGATION = "ESF+ documentation (Regulation (EU) 2021/1060, art. 82)"
#: who may erase a person on request: the data protection officer, as for the export
ERASERS = frozenset({"auditor"})
ENDED = ("CaseCompleted", "CaseCancelled", "CaseClosed")
MAX_REASON = 500
_DURATION = RETENTION  # the rule deploy's lint applies, so a deployed pathway's retention always reads


class ErasureRefused(Conflict):
    """The person cannot be erased yet: a case is active or under its retention obligation."""

    code = "erasure_refused"


@dataclass(frozen=True)
class Retention:
    duration: str = DEFAULT_RETENTION
    obligation: str = DEFAULT_OBLIGATION
    declared: bool = False

    def until(self, ended: date) -> date:
        """The last day a case that ended on `ended` is kept: the year's 31 December plus the duration."""
        return add_duration(date(ended.year, 12, 31), self.duration)


def add_duration(day: date, duration: str) -> date:
    """`day` plus an ISO 8601 date duration (years, months, weeks, days; months clamp to the month's end)."""
    import calendar
    from datetime import timedelta

    found = _DURATION.match(duration.strip().upper())
    if not found or duration.strip().upper() == "P":
        raise InvalidData(f"retention {duration!r} is not an ISO 8601 duration like P5Y",
                          fields={"retention": "an ISO 8601 duration of years, months, weeks or days (P5Y)"})
    years, months, weeks, days = (int(g) if g else 0 for g in found.groups())
    month = day.month - 1 + months
    year, month = day.year + years + month // 12, month % 12 + 1
    moved = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return moved + timedelta(weeks=weeks, days=days)


def retention_of(content: str, key: str) -> Retention:
    """The retention a BPMN file declares on process `key` (the defaults where it declares none)."""
    props = process_properties(content, key)
    duration = props.get("retention") or DEFAULT_RETENTION
    add_duration(date(2000, 12, 31), duration)  # refuses a malformed one
    return Retention(duration.upper(), props.get("retention_obligation") or DEFAULT_OBLIGATION,
                     "retention" in props)


def version_retention(s: Session, version: PathwayVersion) -> Retention:
    blob = s.get(DefinitionBlob, version.files[0]) if version.files else None
    return retention_of(blob.content, version.key) if blob is not None else Retention()


@dataclass(frozen=True)
class CaseRetention:
    case_id: int
    pathway: str
    beneficiary: str
    status: str
    ended_at: datetime | None
    kept_until: date | None
    obligation: str

    def due(self, today: date) -> bool:
        return self.kept_until is not None and today > self.kept_until

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "pathway": self.pathway, "beneficiary": self.beneficiary,
                "status": self.status, "ended_at": self.ended_at,
                "kept_until": self.kept_until.isoformat() if self.kept_until else None, "obligation": self.obligation}


def case_retentions(s: Session, where: Any = None) -> list[CaseRetention]:
    """The retention of every case not yet anonymised (those matching `where`), oldest first."""
    ended = (select(CaseEvent.case_id, func.min(CaseEvent.at).label("at"))
             .where(CaseEvent.kind.in_(ENDED)).group_by(CaseEvent.case_id).subquery())
    query = (select(Case, ended.c.at).outerjoin(ended, ended.c.case_id == Case.id)
             .where(Case.anonymised_at.is_(None)).order_by(Case.id))
    if where is not None:
        query = query.where(where)
    cache: dict[int, Retention] = {}
    found = []
    for case, ended_at in s.execute(query):
        if case.pathway_version_id not in cache:
            cache[case.pathway_version_id] = version_retention(s, case.pathway_version)
        rule = cache[case.pathway_version_id]
        end = clock.aware(ended_at) if ended_at is not None else (
            clock.aware(case.updated_at) if case.status != "active" else None)
        until = rule.until(end.astimezone(clock.WARSAW).date()) if end is not None else None
        found.append(CaseRetention(case.id, case.pathway_key, case.beneficiary, case.status, end, until,
                                   rule.obligation))
    return found


def due_cases(store: Store) -> list[CaseRetention]:
    """Cases past their retention today (Warsaw), not yet anonymised."""
    today = clock.now().astimezone(clock.WARSAW).date()
    with store.unit_of_work(write=False) as uow:
        return [c for c in case_retentions(uow.session) if c.due(today)]


def anonymise(store: Store, engine: Engine, case_id: int, *, user: User | None = None, actor: str | None = None,
              reason: str = "retention") -> None:
    """Anonymise one case in one transaction with its `privacy.anonymise` entry; irreversible."""
    with store.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        if case is None:
            raise NotFound(f"case {case_id} does not exist")
        if case.anonymised_at is not None:
            return
        if case.status == "active":
            raise ErasureRefused(f"case {case_id} is active: an active case is not anonymised")
        anonymise_case(s, case, engine.definition(s, case.pathway_version_id))
        s.add(_entry(user, actor, "privacy.anonymise", case_id=case.id, beneficiary_id=case.beneficiary_id,
                     detail={"reason": reason}))
        if case.beneficiary_id is not None:
            s.flush()
            finish_person(s, case.beneficiary_id)
        uow.commit()


def finish_person(s: Session, beneficiary_id: int) -> bool:
    """Delete the person's identity once none of their cases is left un-anonymised; whether it went."""
    left = s.scalar(select(func.count()).select_from(Case).where(
        Case.beneficiary_id == beneficiary_id, Case.anonymised_at.is_(None)))
    person = s.get(Beneficiary, beneficiary_id)
    if left or person is None or person.status == "erased":
        return False
    s.execute(delete(Identity).where(Identity.beneficiary_id == beneficiary_id))
    # a withdrawal note is staff's free text about the person; the consents themselves stay, as the
    # record of the bases their data was shared on
    s.execute(update(Consent).where(Consent.beneficiary_id == beneficiary_id).values(withdrawal_note=None))
    person.status, person.erased_at = "erased", clock.now()
    return True


def apply_retention(store: Store, engine: Engine, case_ids: list[int], *, actor: str,
                    progress: Any = None) -> int:
    """Anonymise these cases (each in its own transaction); `progress(n)` after each. How many."""
    done = 0
    for case_id in case_ids:
        anonymise(store, engine, case_id, actor=actor, reason="retention")
        done += 1
        if progress is not None:
            progress(1)
    return done


@audit.refusals("privacy.erase")
def erase_person(store: Store, engine: Engine, user: User | None, pseudonym: str, reason: str, *,
                 actor: str | None = None) -> dict[str, Any]:
    """Erase a person on request: anonymise every case of theirs and delete their identity.

    Refused with `ErasureRefused` (the case, the reason and the date) while any case of theirs is
    active or kept under a retention obligation that has not expired; nothing is changed then.
    """
    if user is not None and not user.roles & ERASERS:
        raise NotAllowed("erasure on request is for the auditor (data protection officer)")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidData("an erasure needs a reason (the request it answers)", fields={"reason": "required"})
    check_text("reason", reason, MAX_REASON)
    written = normalise(pseudonym) if isinstance(pseudonym, str) else ""
    if not is_pseudonym(written):
        raise InvalidData("not a pseudonym: a pseudonym looks like B-7K3Q-9M", fields={"pseudonym": "malformed"})
    today = clock.now().astimezone(clock.WARSAW).date()
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        person = s.scalars(select(Beneficiary).where(Beneficiary.pseudonym == written, *within_reach(user))).first()
        if person is None:
            raise NotFound(f"no person {written}")
        person_id = person.id
        cases = case_retentions(s, Case.beneficiary_id == person_id)
    for case in cases:
        if case.status == "active":
            raise ErasureRefused(f"case {case.case_id} of {written} is active: it must end before erasure",
                                 case_id=case.case_id, reason="active")
        if not case.due(today):
            raise ErasureRefused(
                f"case {case.case_id} of {written} is kept until {case.kept_until} under {case.obligation}",
                case_id=case.case_id, reason="retention", until=str(case.kept_until))
    for case in cases:
        anonymise(store, engine, case.case_id, user=user, actor=actor, reason="request")
    with store.unit_of_work() as uow:
        s = uow.session
        finish_person(s, person_id)
        s.add(_entry(user, actor, "privacy.erase", beneficiary_id=person_id,
                     detail={"cases": [c.case_id for c in cases], "reason_length": len(reason.strip())}))
        uow.commit()
    return {"pseudonym": written, "status": "erased", "cases": [c.case_id for c in cases]}


def _entry(user: User | None, actor: str | None, action: str, *, case_id: int | None = None,
           beneficiary_id: int | None = None, detail: dict[str, Any] | None = None) -> AuditEntry:
    return AuditEntry(at=clock.now(), user_id=user.id if user else None,
                      username=user.username if user else (actor or "cli")[:64], action=action,
                      case_id=case_id, beneficiary_id=beneficiary_id, detail=detail)
