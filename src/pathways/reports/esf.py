"""The ESF participant table: one row per case, with what is still missing for the funder.

The five fields have the same ids in every pathway (docs/bpmn-conventions.md, "ESF participant
data"); each value is the latest one a completed task submitted or a correction set (`TaskCompleted` and
`ValueCorrected` events' `after`).
One query reads the cohort's cases with those events in order; no query per participant.

What must be there: entry date and situation always; exit date and situation once the case is
no longer active; the situation six months after exit once six months have passed since the exit.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from pathways.reports.context import Context
from pathways.reports.figure import Column, Figure, Row
from pathways.reports.filters import WARSAW
from pathways.reports.labels import ESF_FIELDS, SITUATIONS, TITLES, _l
from pathways.store.models import Case, CaseEvent

FIELDS = tuple(ESF_FIELDS)
DATES = ("entry_date", "exit_date")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 August + 6 months = 28/29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _value(field: str, raw: Any) -> Any:
    if raw in (None, ""):
        return None
    if field in DATES:
        try:
            return date.fromisoformat(str(raw)[:10])
        except ValueError:
            return str(raw)
    return str(raw)


def missing(values: dict[str, Any], status: str, today: date) -> list[str]:
    """The ESF fields a participant should have by `today` and does not."""
    due = ["entry_date", "entry_situation"]
    if status != "active" or values.get("exit_date") or values.get("exit_situation"):
        due += ["exit_date", "exit_situation"]
    exit_date = values.get("exit_date")
    if isinstance(exit_date, date) and add_months(exit_date, 6) <= today:
        due.append("situation_6m")
    return [f for f in due if values.get(f) in (None, "")]


def participants(ctx: Context) -> Figure:
    extracted = {f: CaseEvent.after[f].as_string() for f in FIELDS}
    # a correction (GDPR art. 16, `ValueCorrected`) is a later value like a task's: it counts too
    events = and_(CaseEvent.case_id == Case.id, CaseEvent.kind.in_(("TaskCompleted", "ValueCorrected")),
                  or_(*(e.is_not(None) for e in extracted.values())))
    query = (select(Case.id, Case.beneficiary, Case.pathway_key, Case.status, *extracted.values())
             .select_from(Case).outerjoin(CaseEvent, events).where(*ctx.where(ctx.scope.cohort()))
             .order_by(Case.id, CaseEvent.id))
    found: dict[int, dict[str, Any]] = {}
    for case_id, beneficiary, pathway, status, *raw in ctx.session.execute(query):
        values = found.setdefault(case_id, {"case_id": case_id, "beneficiary": beneficiary, "pathway": pathway,
                                            "pathway_name": ctx.pathway(pathway).name, "status": status,
                                            **dict.fromkeys(FIELDS)})
        for field, value in zip(FIELDS, raw, strict=True):
            if value not in (None, ""):
                values[field] = _value(field, value)  # later events overwrite earlier ones
    today = ctx.now.astimezone(WARSAW).date()
    rows = []
    for values in found.values():
        lacking = missing(values, values["status"], today)
        rows.append(Row({**values, "missing": lacking, "complete": not lacking}))
    incomplete = sum(not r["complete"] for r in rows)
    return Figure("esf", TITLES["esf"], (
        Column("case_id", _l("Case"), "int"), Column("beneficiary", _l("Beneficiary")),
        Column("pathway", _l("Pathway key")), Column("pathway_name", _l("Pathway")), Column("status", _l("Status key")),
        Column("entry_date", ESF_FIELDS["entry_date"], "date"),
        Column("entry_situation", ESF_FIELDS["entry_situation"], names=SITUATIONS),
        Column("exit_date", ESF_FIELDS["exit_date"], "date"),
        Column("exit_situation", ESF_FIELDS["exit_situation"], names=SITUATIONS),
        Column("situation_6m", ESF_FIELDS["situation_6m"], names=SITUATIONS),
        Column("missing", _l("Missing"), "list", names=ESF_FIELDS), Column("complete", _l("Data complete"), "bool"),
    ), rows, ctx.scope, ctx.lang, {
        "participants": len(rows), "complete": len(rows) - incomplete, "incomplete": incomplete,
        "missing": {f: sum(f in r["missing"] for r in rows) for f in FIELDS}})
