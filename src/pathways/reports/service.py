"""The reports service: who may read figures, checking the scope, building figures, the audit entry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.engine.errors import InvalidData, NotFound
from pathways.reports import cases, esf, measures, work
from pathways.reports.context import Context, visible_to
from pathways.reports.figure import Figure, Scope
from pathways.reports.filters import CaseFilter
from pathways.reports.labels import TITLES
from pathways.store.db import Store
from pathways.store.models import Agency, Case, CaseAgency, PathwayVersion, User
from pathways.tasks import audit

FIGURES: dict[str, Callable[[Context], Figure]] = {
    "stages": cases.stages,
    "funnel": cases.funnel,
    "stage-times": cases.stage_times,
    "activities": work.activities,
    "open-tasks": work.open_tasks,
    "workload": work.workload,
    "hours": measures.hours,
    "hours-by-role": measures.hours_by_role,
    "benefits": measures.benefits,
    "outcomes": measures.outcomes,
    "esf": esf.participants,
}
#: who may read reports: the partnership's supervisors and administrators
REPORT_ROLES = ("supervision.supervisor", "admin")


def titles() -> dict[str, str]:
    """Figure name -> English title (the message id), without running any query."""
    return {name: TITLES[name] for name in FIGURES}


def may_read_reports(user: User | None) -> bool:
    """The command line (no user) may; a user needs a supervisor's or an administrator's role."""
    return user is None or bool(user.roles & set(REPORT_ROLES))


def build(store: Store, engine: Engine, user: User | None, names: Sequence[str], scope: Scope,
          lang: str = "en", export: str = "json", actor: str | None = None) -> dict[str, Figure]:
    """The named figures for the scope, as `user` may see them; one `report.read` audit entry.

    `user=None` is the command line: every case, audited as `actor` (`cli:<os user>`). NotFound
    for an unknown figure, NotAllowed (audited `access.denied`) for
    a user who is not a supervisor or administrator, InvalidData for a bad scope.
    """
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise NotFound(f"no report {', '.join(unknown)}; reports: {', '.join(FIGURES)}")
    if user is not None and not may_read_reports(user):
        audit.require_role(store, user, REPORT_ROLES, "report.read",
                           f"reports need one of the roles: {', '.join(REPORT_ROLES)}")
    with store.unit_of_work(write=False) as uow:
        _check(uow.session, scope)
        ctx = Context(uow.session, engine, user, scope, clock.now(), lang)
        figures = {name: FIGURES[name](ctx) for name in names}
        detail: dict[str, Any] = {"figures": list(names), **scope.as_dict(), "format": export}
        audit.record_read(uow, user, "report.read", detail=detail if user is not None else {**detail, "via": "cli"},
                          actor=actor or "cli")
    return figures


def filter_options(store: Store, user: User | None) -> dict[str, list[dict[str, str]]]:
    """What the filters offer: deployed pathways, and the agencies taking part in the user's cases."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        names = dict(s.execute(select(PathwayVersion.key, PathwayVersion.name).order_by(PathwayVersion.version)).all())
        visible = visible_to(user)
        agencies = s.execute(select(Agency.code, Agency.name, Agency.kind).where(
            Agency.id.in_(select(CaseAgency.agency_id).join(Case, Case.id == CaseAgency.case_id).where(*visible)))
            .order_by(Agency.kind, Agency.code)).all()
    return {"pathways": [{"key": k, "name": names[k]} for k in sorted(names)],
            "agencies": [{"code": c, "name": n, "kind": k} for c, n, k in agencies]}


def matching_cases(store: Store, user: User | None, case_filter: CaseFilter) -> list[int]:
    """Ids of the visible cases a figure's link selects (the cases behind a number)."""
    with store.unit_of_work(write=False) as uow:
        query = select(Case.id).where(*visible_to(user), *case_filter.conditions(clock.now())).order_by(Case.id)
        return list(uow.session.scalars(query))


def user_named(store: Store, username: str) -> User:
    """An active user by username, agency and roles loaded (the command line's `--user`)."""
    with store.unit_of_work(write=False) as uow:
        user = uow.session.scalars(select(User).options(joinedload(User.agency))
                                   .where(User.username == username, User.active.is_(True))).first()
    if user is None:
        raise NotFound(f"no active user {username!r}")
    return user


def _check(s: Any, scope: Scope) -> None:
    problems = {}
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        problems["to"] = "must not be before from"
    if scope.agency and s.scalar(select(Agency.id).where(Agency.code == scope.agency)) is None:
        problems["agency"] = f"no agency {scope.agency!r}"
    deployed = select(PathwayVersion.id).where(PathwayVersion.key == scope.pathway).limit(1)
    if scope.pathway and s.scalar(deployed) is None:
        problems["pathway"] = f"no deployed pathway {scope.pathway!r}"
    if problems:
        raise InvalidData("invalid report filter", fields=problems)
