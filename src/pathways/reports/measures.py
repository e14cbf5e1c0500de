"""Measure figures: service hours by agency and by specialist kind, benefits paid, outcomes reached.

They add up `measures` rows (engine/measures.py) recorded within the period, of the visible
cases of the pathway and agency, with one GROUP BY query each: nothing replays case data.
Situations six months after exit come from the follow-up forms' `situation_6m` values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select

from pathways.reports.context import Context
from pathways.reports.figure import Column, Figure, Row
from pathways.reports.filters import NO_AGENCY, CaseFilter, within
from pathways.reports.labels import BENEFITS, CORE_OUTCOMES, OUTCOMES, SITUATIONS, TITLES, _l, name_of
from pathways.store.models import Agency, Case, CaseEvent, Measure

CENT = Decimal("0.01")
GROUPS = {"outcome": _l("Outcome reached"), "situation_6m": _l("Situation 6 months after exit")}


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _measured(ctx: Context, kind: str) -> list[ColumnElement[bool]]:
    return [Measure.kind == kind, *within(Measure.at, ctx.scope.date_from, ctx.scope.date_to),
            *ctx.where(ctx.scope.cases())]


def _link(ctx: Context, **changes: Any) -> CaseFilter:
    return ctx.scope.cases().narrow(measured_from=ctx.scope.date_from, measured_to=ctx.scope.date_to, **changes)


def hours(ctx: Context) -> Figure:
    """Service hours per agency (with its kind): the agency of the staff member who recorded them."""
    query = (select(Measure.agency_kind, Agency.code, Agency.name, func.sum(Measure.value),
                    func.count(func.distinct(Measure.case_id)))
             .select_from(Measure).join(Case, Case.id == Measure.case_id)
             .outerjoin(Agency, Agency.id == Measure.agency_id).where(*_measured(ctx, "hours"))
             .group_by(Measure.agency_kind, Agency.code, Agency.name).order_by(Measure.agency_kind, Agency.code))
    rows = []
    for kind, code, name, total, cases in ctx.session.execute(query):
        link = _link(ctx, measure="hours", measure_agency=code or NO_AGENCY, measure_agency_kind=kind)
        rows.append(Row({"agency_kind": kind, "agency": code, "agency_name": name, "hours": _money(total),
                         "cases": int(cases)}, {"hours": link, "cases": link}))
    by_kind: dict[str, Decimal] = {}
    for row in rows:
        by_kind[row["agency_kind"] or ""] = by_kind.get(row["agency_kind"] or "", Decimal(0)) + row["hours"]
    return Figure("hours", TITLES["hours"], (
        Column("agency_kind", _l("Agency kind")), Column("agency", _l("Agency code")),
        Column("agency_name", _l("Agency")), Column("hours", _l("Hours"), "decimal"),
        Column("cases", _l("Cases"), "int", counts_cases=True),
    ), rows, ctx.scope, ctx.lang, {"hours": sum((r["hours"] for r in rows), Decimal(0)), "by_kind": by_kind})


def hours_by_role(ctx: Context) -> Figure:
    """Service hours per specialist kind: the role the task was worked in."""
    query = (select(Measure.agency_kind, Measure.key, func.sum(Measure.value),
                    func.count(func.distinct(Measure.case_id)))
             .select_from(Measure).join(Case, Case.id == Measure.case_id).where(*_measured(ctx, "hours"))
             .group_by(Measure.agency_kind, Measure.key).order_by(Measure.agency_kind, Measure.key))
    rows = []
    for kind, role, total, cases in ctx.session.execute(query):
        link = _link(ctx, measure="hours", key=role, measure_agency_kind=kind)
        rows.append(Row({"agency_kind": kind, "role": role, "role_name": ctx.role_name(role), "hours": _money(total),
                         "cases": int(cases)}, {"hours": link, "cases": link}))
    return Figure("hours-by-role", TITLES["hours-by-role"], (
        Column("agency_kind", _l("Agency kind")), Column("role", _l("Role key")), Column("role_name", _l("Specialist")),
        Column("hours", _l("Hours"), "decimal"), Column("cases", _l("Cases"), "int", counts_cases=True),
    ), rows, ctx.scope, ctx.lang, {"hours": sum((r["hours"] for r in rows), Decimal(0))})


def benefits(ctx: Context) -> Figure:
    """Benefits paid per kind, in PLN, with the number of payments and of cases."""
    query = (select(Measure.key, func.sum(Measure.value), func.count(), func.count(func.distinct(Measure.case_id)))
             .select_from(Measure).join(Case, Case.id == Measure.case_id).where(*_measured(ctx, "benefit"))
             .group_by(Measure.key).order_by(Measure.key))
    rows = []
    for key, total, payments, cases in ctx.session.execute(query):
        link = _link(ctx, measure="benefit", key=key)
        rows.append(Row({"benefit": key, "benefit_name": name_of(BENEFITS, key, ctx.lang), "amount": _money(total),
                         "payments": int(payments), "cases": int(cases)}, {"amount": link, "cases": link}))
    return Figure("benefits", TITLES["benefits"], (
        Column("benefit", _l("Benefit key")), Column("benefit_name", _l("Benefit")),
        Column("amount", _l("Amount (PLN)"), "decimal"), Column("payments", _l("Payments"), "int"),
        Column("cases", _l("Cases"), "int", counts_cases=True),
    ), rows, ctx.scope, ctx.lang, {"amount": sum((r["amount"] for r in rows), Decimal(0))})


def outcomes(ctx: Context) -> Figure:
    """Participants per outcome reached in the period, and per situation six months after exit."""
    query = (select(Measure.key, func.count(func.distinct(Measure.case_id)), func.sum(Measure.value))
             .select_from(Measure).join(Case, Case.id == Measure.case_id).where(*_measured(ctx, "outcome"))
             .group_by(Measure.key))
    reached = {key: (int(cases), int(total)) for key, cases, total in ctx.session.execute(query)}
    situation = CaseEvent.after["situation_6m"].as_string()
    follow_up = (select(situation, func.count(func.distinct(CaseEvent.case_id)))
                 .select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
                 .where(CaseEvent.kind == "TaskCompleted", situation.is_not(None),
                        *within(CaseEvent.at, ctx.scope.date_from, ctx.scope.date_to), *ctx.where(ctx.scope.cases()))
                 .group_by(situation))
    situations = {value: int(cases) for value, cases in ctx.session.execute(follow_up) if value}
    rows = []
    ordered = [*CORE_OUTCOMES, *sorted(k for k in reached if k not in CORE_OUTCOMES)]
    for key in ordered:
        cases, total = reached.get(key, (0, 0))
        link = _link(ctx, measure="outcome", key=key)
        rows.append(Row({"group": "outcome", "outcome": key, "outcome_name": name_of(OUTCOMES, key, ctx.lang),
                         "participants": cases, "count": total}, {"participants": link}))
    for value in [*(s for s in SITUATIONS if s in situations), *sorted(set(situations) - set(SITUATIONS))]:
        link = _link(ctx, situation_6m=value)
        rows.append(Row({"group": "situation_6m", "outcome": value,
                         "outcome_name": name_of(SITUATIONS, value, ctx.lang), "participants": situations[value],
                         "count": situations[value]}, {"participants": link}))
    return Figure("outcomes", TITLES["outcomes"], (
        Column("group", _l("Group"), names=GROUPS), Column("outcome", _l("Outcome key")),
        Column("outcome_name", _l("Outcome")), Column("participants", _l("Participants"), "int", counts_cases=True),
        Column("count", _l("Times recorded"), "int"),
    ), rows, ctx.scope, ctx.lang)
