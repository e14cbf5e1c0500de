"""Task figures: per activity (open, overdue, completed, how long), per agency and role, per user.

Open and overdue are counted now (a task is overdue when it is open past its due time); what was
completed, and how long it took from opening to completion, counts tasks completed within the
period. The cases are the visible cases of the pathway and agency, whenever they started.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, case, func, or_, select, true

from pathways.reports.cases import PATHWAY
from pathways.reports.context import Context
from pathways.reports.figure import Column, Figure, Row
from pathways.reports.filters import within
from pathways.reports.labels import TITLES, _l
from pathways.reports.stats import days, seconds_between, spreads
from pathways.store.models import Agency, Case, CaseAgency, HumanTask, TaskCandidate, User


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def _overdue(ctx: Context) -> ColumnElement[bool]:
    return and_(HumanTask.status == "open", HumanTask.due_at.is_not(None), HumanTask.due_at < ctx.now)


def _completed_in_period(ctx: Context) -> ColumnElement[bool]:
    return and_(HumanTask.status == "completed",
                true(), *within(HumanTask.completed_at, ctx.scope.date_from, ctx.scope.date_to))


def activities(ctx: Context) -> Figure:
    """Per BPMN element: open, overdue, completed in the period, median and 90th percentile duration."""
    cases = ctx.scope.cases()
    counts_query = (select(Case.pathway_key, HumanTask.element_id, func.max(HumanTask.name), func.max(HumanTask.stage),
                           _count(HumanTask.status == "open"), _count(_overdue(ctx)), _count(_completed_in_period(ctx)))
                    .join(Case, Case.id == HumanTask.case_id).where(*ctx.where(cases))
                    .group_by(Case.pathway_key, HumanTask.element_id))
    counts = {(p, e): (name, stage, int(o), int(od), int(c))
              for p, e, name, stage, o, od, c in ctx.session.execute(counts_query)}

    def query(*columns: Any) -> Select[Any]:
        return (select(*columns).select_from(HumanTask).join(Case, Case.id == HumanTask.case_id)
                .where(_completed_in_period(ctx), HumanTask.completed_at.is_not(None), *ctx.where(cases)))

    duration = seconds_between(ctx.dialect, HumanTask.created_at, HumanTask.completed_at)
    found = spreads(ctx.session, query, [Case.pathway_key, HumanTask.element_id], duration)
    rows = []
    for (pathway, element), (name, stage, open_, overdue, completed) in sorted(
            counts.items(), key=lambda i: (i[0][0], ctx.pathway(i[0][0]).position(i[1][1]), i[1][0])):
        spread = found.get((pathway, element))
        base = cases.narrow(pathway=pathway, task=element)
        rows.append(Row(
            {"pathway": pathway, "pathway_name": ctx.pathway(pathway).name, "element": element, "name": name,
             "stage": stage, "open": open_, "overdue": overdue, "completed": completed,
             "median_days": days(spread.median) if spread else None, "p90_days": days(spread.p90) if spread else None},
            {"open": base.narrow(task_status="open"), "overdue": base.narrow(task_status="overdue"),
             "completed": base.narrow(task_status="completed", completed_from=ctx.scope.date_from,
                                      completed_to=ctx.scope.date_to)}))
    return Figure("activities", TITLES["activities"], (
        *PATHWAY, Column("element", _l("Element id")), Column("name", _l("Activity")), Column("stage", _l("Stage")),
        Column("open", _l("Open"), "int"), Column("overdue", _l("Overdue"), "int"),
        Column("completed", _l("Completed in the period"), "int"),
        Column("median_days", _l("Median (days)"), "decimal"),
        Column("p90_days", _l("90th percentile (days)"), "decimal"),
    ), rows, ctx.scope, ctx.lang, {"open": sum(r["open"] for r in rows), "overdue": sum(r["overdue"] for r in rows),
                                   "completed": sum(r["completed"] for r in rows)})


def open_tasks(ctx: Context) -> Figure:
    """Open and overdue tasks per agency and role.

    A task offered to a role counts for the agencies of that role's kind taking part in its case
    (the agencies whose staff may work it); a task offered to two roles counts once for each.
    """
    kinds = {key: role.agency for key, role in ctx.engine.roles.roles.items()}
    role_kind = case(kinds, value=TaskCandidate.role, else_=None)
    query = (select(Agency.code, Agency.name, Agency.kind, TaskCandidate.role,
                    func.count(func.distinct(HumanTask.id)),
                    func.count(func.distinct(case((_overdue(ctx), HumanTask.id)))))
             .select_from(HumanTask).join(Case, Case.id == HumanTask.case_id)
             .join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
             .join(CaseAgency, CaseAgency.case_id == Case.id)
             .join(Agency, and_(Agency.id == CaseAgency.agency_id, Agency.kind == role_kind))
             .where(HumanTask.status == "open", *ctx.where(ctx.scope.cases()))
             .group_by(Agency.code, Agency.name, Agency.kind, TaskCandidate.role)
             .order_by(Agency.code, TaskCandidate.role))
    rows = []
    for code, name, kind, role, open_, overdue in ctx.session.execute(query):
        base = ctx.scope.cases().narrow(role=role, task_agency=code)
        rows.append(Row({"agency": code, "agency_name": name, "agency_kind": kind, "role": role,
                         "role_name": ctx.role_name(role), "open": int(open_), "overdue": int(overdue)},
                        {"open": base.narrow(task_status="open"), "overdue": base.narrow(task_status="overdue")}))
    return Figure("open-tasks", TITLES["open-tasks"], (
        Column("agency", _l("Agency code")), Column("agency_name", _l("Agency")),
        Column("agency_kind", _l("Agency kind")),
        Column("role", _l("Role key")), Column("role_name", _l("Role")),
        Column("open", _l("Open"), "int"), Column("overdue", _l("Overdue"), "int"),
    ), rows, ctx.scope, ctx.lang)


def workload(ctx: Context) -> Figure:
    """Per user: open tasks they claimed (and how many are overdue), tasks they completed in the period."""
    mine = or_(and_(HumanTask.status == "open", HumanTask.claimed_by == User.id),
               and_(HumanTask.status == "completed", HumanTask.completed_by == User.id))
    query = (select(User.username, User.full_name, Agency.code, _count(HumanTask.status == "open"),
                    _count(_overdue(ctx)), _count(_completed_in_period(ctx)))
             .select_from(HumanTask).join(Case, Case.id == HumanTask.case_id).join(User, mine)
             .join(Agency, Agency.id == User.agency_id).where(*ctx.where(ctx.scope.cases()))
             .group_by(User.username, User.full_name, Agency.code).order_by(Agency.code, User.username))
    rows = []
    for username, full_name, agency, claimed, overdue, completed in ctx.session.execute(query):
        if not (claimed or completed):
            continue
        base = ctx.scope.cases().narrow(assignee=username)
        rows.append(Row({"user": username, "full_name": full_name, "agency": agency, "claimed_open": int(claimed),
                         "overdue": int(overdue), "completed": int(completed)},
                        {"claimed_open": base.narrow(task_status="open"), "overdue": base.narrow(task_status="overdue"),
                         "completed": base.narrow(task_status="completed", completed_from=ctx.scope.date_from,
                                                  completed_to=ctx.scope.date_to)}))
    return Figure("workload", TITLES["workload"], (
        Column("user", _l("Username")), Column("full_name", _l("Name")), Column("agency", _l("Agency code")),
        Column("claimed_open", _l("Claimed, open"), "int"), Column("overdue", _l("Overdue"), "int"),
        Column("completed", _l("Completed in the period"), "int"),
    ), rows, ctx.scope, ctx.lang)
