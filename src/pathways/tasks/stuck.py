"""Stuck cases: a case with an open task that no agency taking part in it can take.

A task is offered to the case's agencies of its roles' kind (`tasks.offers`). When none of the
case's agencies is of that kind (the case was started without a PUP its lane needs, or the only
NGO left it: `engine.participation.remove_agency`), the task waits, unclaimed, in nobody's
inbox. Such a case is *stuck*: shown with the reason on the case page and in the case API
(`of_case`), and on the supervisor's dashboard (`stuck_cases`), until an agency of the kind is
added (`privacy.participation.add_agency`), which offers it the task at once.

A claimed task is not stuck (someone holds it); a task whose roles have no agency kind at all
(a role outside roles.toml) is stuck with `needs` empty: no agency could ever take it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Agency, Case, CaseAgency, HumanTask, TaskOffer, User
from pathways.tasks import audit
from pathways.tasks.access import case_visible_to

#: the most stuck cases the dashboard lists (oldest stuck task first)
LIMIT = 200


def needed_kinds(roles: RoleVocabulary, task_roles: Iterable[str]) -> list[str]:
    """The agency kinds that could take a task of these roles."""
    return sorted({kind for role in task_roles if (kind := roles.agency_kind(role))})


def reason(name: str, needs: list[str]) -> str:
    """Why the task waits, in words (English; the pages word it themselves from `needs`)."""
    if not needs:
        return f"task {name} needs a role that no agency kind holds; no agency can take it"
    kinds = " or ".join(needs)
    return f"task {name} needs a {kinds}; no {kinds} takes part"


def _stuck(roles: RoleVocabulary, tasks: Iterable[Any], kinds: set[str]) -> list[dict[str, Any]]:
    found = []
    for task in tasks:
        needs = needed_kinds(roles, task.roles)
        if set(needs) & kinds:
            continue
        found.append({"task_id": task.id, "element": task.element_id, "name": task.name, "needs": needs,
                      "reason": reason(task.name, needs)})
    return found


def _waiting(s: Session, case_ids: list[int]) -> list[Any]:
    """Open, unclaimed tasks of these cases that wait in no inbox (the candidates to check)."""
    no_offer = ~exists().where(TaskOffer.task_id == HumanTask.id)
    return list(s.execute(select(HumanTask.id, HumanTask.case_id, HumanTask.element_id, HumanTask.name,
                                 HumanTask.roles, HumanTask.created_at)
                          .where(HumanTask.case_id.in_(case_ids), HumanTask.status == "open",
                                 HumanTask.claimed_by.is_(None), no_offer)
                          .order_by(HumanTask.created_at, HumanTask.id)))


def _kinds(s: Session, case_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {case_id: set() for case_id in case_ids}
    query = (select(CaseAgency.case_id, Agency.kind).join(Agency, Agency.id == CaseAgency.agency_id)
             .where(CaseAgency.case_id.in_(case_ids)))
    for case_id, kind in s.execute(query):
        found[case_id].add(kind)
    return found


def of_case(s: Session, roles: RoleVocabulary, case_id: int) -> list[dict[str, Any]]:
    """The case's stuck tasks with the reason (empty: nothing waits for a missing agency)."""
    tasks = _waiting(s, [case_id])
    return _stuck(roles, tasks, _kinds(s, [case_id])[case_id]) if tasks else []


def stuck_cases(s: Session, user: User | None, roles: RoleVocabulary, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The cases `user` may see (None: the operator, every case) that are stuck (active or
    suspended), oldest stuck task first."""
    no_offer = ~exists().where(TaskOffer.task_id == HumanTask.id)
    candidates = list(dict.fromkeys(s.scalars(
        select(HumanTask.case_id).join(Case, Case.id == HumanTask.case_id)
        .where(*([case_visible_to(user)] if user is not None else []), Case.status.in_(("active", "suspended")),
               HumanTask.status == "open", HumanTask.claimed_by.is_(None), no_offer)
        .order_by(HumanTask.created_at, HumanTask.id).limit(limit * 4))))
    if not candidates:
        return []
    kinds = _kinds(s, candidates)
    by_case: dict[int, list[Any]] = {}
    for task in _waiting(s, candidates):
        by_case.setdefault(task.case_id, []).append(task)
    cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(candidates)))}
    found = []
    for case_id in candidates:
        tasks = _stuck(roles, by_case.get(case_id, []), kinds[case_id])
        if not tasks:
            continue
        case = cases[case_id]
        since = min(t.created_at for t in by_case[case_id] if t.id in {x["task_id"] for x in tasks})
        found.append({"case_id": case_id, "pathway": case.pathway_key, "beneficiary": case.beneficiary,
                      "status": case.status, "stage": case.stage, "since": clock.aware(since),
                      "agencies": sorted(kinds[case_id]), "tasks": tasks})
        if len(found) >= limit:
            break
    return found


#: who sees the list of stuck cases (the dashboard's readers); anyone who sees a case sees its own
READERS = frozenset({"admin", "supervision.supervisor"})


def list_stuck(store: Store, user: User, roles: RoleVocabulary) -> list[dict[str, Any]]:
    """The stuck cases of the agencies `user` works for (supervisors and admins; 403 otherwise),
    audited as `case.stuck.list`."""
    audit.require_role(store, user, READERS, "case.stuck.list")
    return _listed(store, user, roles, None)


def operator_stuck(store: Store, roles: RoleVocabulary, *, actor: str) -> list[dict[str, Any]]:
    """Every stuck case, for the operator on the server (`pathways case stuck`), audited as `actor`."""
    return _listed(store, None, roles, actor)


def _listed(store: Store, user: User | None, roles: RoleVocabulary, actor: str | None) -> list[dict[str, Any]]:
    with store.unit_of_work(write=False) as uow:
        found = stuck_cases(uow.session, user, roles)
        audit.record_read(uow, user, "case.stuck.list", detail={"cases": len(found)}, actor=actor)
    return found
