"""Agencies joining and leaving a running case: one command each, in ONE transaction.

Adding an agency writes its `case_agencies` row (with the basis columns it is given) and offers
it, at once, the case's open unclaimed tasks whose roles fit its kind (`RoleVocabulary.offers`,
the rule of `pathways.tasks.offers`): a task that was waiting for such an agency lands in its
inbox. Removing one deletes its row and its inbox offers; the open tasks its users had claimed
are given back (unclaimed) and offered to the remaining agencies of the right kind, and a task no
remaining agency can take stays open with no offer, visibly waiting (`waiting` in the event, and
`waiting_for_agency` on the case detail). Both bump the case's version like every case command
(`pathways.engine.writes`): a concurrent command on the case loses cleanly with `Conflict`, and
the caller's `within` (an audit entry) lands in the same transaction.

The engine writes what it is given; who may add or remove whom, and on which legal basis, is
`pathways.privacy.sharing`'s rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Executable, delete, insert, select, update
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine import candidate_users
from pathways.engine.actors import Actor
from pathways.engine.conflicts import command
from pathways.engine.errors import CaseNotActive, InvalidData, NotFound
from pathways.engine.roles import RoleVocabulary
from pathways.engine.writes import Rows, Within, finish, load_case
from pathways.store.db import Store
from pathways.store.models import Agency, CaseAgency, HumanTask, TaskOffer, User


@dataclass
class Change:
    """What adding or removing an agency did to the case's open tasks (task ids)."""

    agency: str
    basis: str | None
    offered: list[str] = field(default_factory=list)  # added: tasks now in its inbox
    returned: list[str] = field(default_factory=list)  # removed: claims given back, offered to others
    waiting: list[str] = field(default_factory=list)  # removed: open tasks no remaining agency can take


def add_agency(store: Store, roles: RoleVocabulary, actor: Actor, case_id: int, agency_code: str,
               basis: Mapping[str, Any], reason: str = "", within: Within | None = None) -> Change:
    """Let an agency take part in an active case on `basis` (`basis`, `consent_id`, `statute`)."""
    with command(store) as uow:
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        if case.status not in ("active", "suspended"):  # a suspended case's tasks wait for its new agency too
            raise CaseNotActive(f"case {case_id} is {case.status}: agencies join active or suspended cases only")
        agency = _agency(conn, agency_code)
        if conn.scalar(select(CaseAgency.agency_id).where(CaseAgency.case_id == case_id,
                                                          CaseAgency.agency_id == agency.id)) is not None:
            raise InvalidData("the agency already takes part in the case",
                              fields={"agency": "already takes part in the case"})
        row = {"basis": None, "consent_id": None, "statute": None, **basis, "case_id": case_id,
               "agency_id": agency.id, "added_at": clock.now(), "added_by": actor.name}
        rows = Rows(case, {}, {})
        change = Change(agency_code, basis.get("basis"))
        for task in _open_tasks(conn, case_id):
            if task.claimed_by is not None:
                continue
            fits = roles.offers(task.roles, [(agency.id, agency.kind)])
            rows.offers.extend({"task_id": task.id, "agency_id": agency_id, "role": role, "due_at": task.due_at,
                                "priority": task.priority, "created_at": task.created_at}
                               for agency_id, role in fits)
            if fits:
                change.offered.append(task.id)
        rows.event(actor, "AgencyAdded", after={"agency": agency_code, "basis": _basis(basis), "reason": reason,
                                                "offered": change.offered})
        finish(uow, rows, None, _then([insert(CaseAgency).values(row)], within))
        return change


def remove_agency(store: Store, roles: RoleVocabulary, actor: Actor, case_id: int, agency_code: str,
                  reason: str, within: Within | None = None, leave_none: bool = False) -> Change:
    """End an agency's part in a case (any status): its row, its offers and its users' claims go.

    The last agency of a case stays unless `leave_none` (a withdrawn consent ends the access
    whatever is left: the case is then seen by no agency, only by the operator).
    """
    with command(store) as uow:
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        agency = _agency(conn, agency_code)
        taking_part = {row.agency_id: (row.kind, {"basis": row.basis, "consent_id": row.consent_id,
                                                  "statute": row.statute}) for row in conn.execute(
            select(CaseAgency.agency_id, Agency.kind, CaseAgency.basis, CaseAgency.consent_id, CaseAgency.statute)
            .join(Agency, Agency.id == CaseAgency.agency_id).where(CaseAgency.case_id == case_id))}
        if agency.id not in taking_part:
            raise NotFound(f"agency {agency_code} does not take part in case {case_id}")
        remaining = [(agency_id, kind) for agency_id, (kind, _) in taking_part.items() if agency_id != agency.id]
        if not remaining and not leave_none:
            raise InvalidData("the last agency of a case cannot leave it",
                              fields={"agency": "the only agency of the case"})
        changes: list[Executable] = [
            delete(CaseAgency).where(CaseAgency.case_id == case_id, CaseAgency.agency_id == agency.id)]
        tasks = _open_tasks(conn, case_id)
        ids = [t.id for t in tasks]
        if tasks:
            changes.append(delete(TaskOffer).where(TaskOffer.agency_id == agency.id, TaskOffer.task_id.in_(ids)))
        its_users = set(conn.scalars(select(User.id).where(User.agency_id == agency.id)))
        offered = set(conn.scalars(select(TaskOffer.task_id).where(TaskOffer.task_id.in_(ids),
                                                                   TaskOffer.agency_id != agency.id)))
        drop_named, still_named, unnamed = candidate_users.leaving(conn, ids, its_users)  # camunda:candidateUsers
        changes.append(drop_named)
        rows = Rows(case, {}, {})
        held = taking_part[agency.id][1]
        change = Change(agency_code, held["basis"])
        for task in tasks:
            if task.claimed_by is not None and task.claimed_by not in its_users:
                continue  # claimed by someone of an agency that stays
            if task.claimed_by is not None or task.id in unnamed:
                if task.claimed_by is not None:
                    changes.append(update(HumanTask).where(HumanTask.id == task.id).values(claimed_by=None,
                                                                                           claimed_at=None))
                if task.id in still_named:  # back to the named users who stay
                    change.returned.append(task.id)
                    continue
                fits = roles.offers(task.roles, remaining)
                rows.offers.extend({"task_id": task.id, "agency_id": agency_id, "role": role, "due_at": task.due_at,
                                    "priority": task.priority, "created_at": task.created_at}
                                   for agency_id, role in fits)
                (change.returned if fits else change.waiting).append(task.id)
            elif task.id not in offered and task.id not in still_named:
                change.waiting.append(task.id)
        rows.event(actor, "AgencyRemoved", after={"agency": agency_code, "basis": _basis(held), "reason": reason,
                                                  "returned": change.returned, "waiting": change.waiting})
        finish(uow, rows, None, _then(changes, within))
        return change


def _then(statements: list[Executable], within: Within | None) -> Within:
    """Run the command's own statements after the case's version bump, then the caller's `within`.

    After the bump, so a concurrent command on the case has already lost (`Conflict`) before a
    row of `case_agencies` is inserted twice or deleted under it.
    """

    def run(s: Session, case_id: int) -> None:
        conn = s.connection()
        for statement in statements:
            conn.execute(statement)
        if within is not None:
            within(s, case_id)

    return run


@dataclass(frozen=True)
class _Agency:
    id: int
    kind: str


def _agency(conn: Connection, code: str) -> _Agency:
    found = conn.execute(select(Agency.id, Agency.kind).where(Agency.code == code)).first()
    if found is None:
        raise InvalidData("unknown agency", fields={"agency": "no agency with this code"})
    return _Agency(found[0], found[1])


def _open_tasks(conn: Connection, case_id: int) -> list[Any]:
    return list(conn.execute(select(HumanTask.id, HumanTask.roles, HumanTask.claimed_by, HumanTask.due_at,
                                    HumanTask.priority, HumanTask.created_at)
                             .where(HumanTask.case_id == case_id, HumanTask.status == "open")
                             .order_by(HumanTask.created_at, HumanTask.id)))


def _basis(basis: Mapping[str, Any]) -> dict[str, Any]:
    """The basis for the timeline: its kind and the consent id or statute code (no personal data)."""
    return {k: v for k, v in (("kind", basis.get("basis")), ("consent", basis.get("consent_id")),
                              ("statute", basis.get("statute"))) if v is not None}
