"""Case figures: cases per stage now, the stage funnel, time spent in each stage.

All three count the cohort: the visible cases of the chosen pathway and agency that started
within the period (`Scope.cohort`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select

from pathways.reports.context import Context
from pathways.reports.figure import Column, Figure, Row
from pathways.reports.labels import NO_STAGE, STATUSES, TITLES, _l, translate
from pathways.reports.stats import days, seconds_between, spreads
from pathways.store.models import Case, StageVisit

PATHWAY = (Column("pathway", _l("Pathway key")), Column("pathway_name", _l("Pathway")))
STATUS_ORDER = {status: i for i, status in enumerate(STATUSES)}


def _by_stage(ctx: Context) -> list[tuple[str, str | None, str, int]]:
    """(pathway, current stage, status, cases) of the cohort: one GROUP BY query."""
    query = (select(Case.pathway_key, Case.stage, Case.status, func.count())
             .where(*ctx.where(ctx.scope.cohort())).group_by(Case.pathway_key, Case.stage, Case.status))
    return [(p, stage, status, int(n)) for p, stage, status, n in ctx.session.execute(query)]


def _stage_name(stage: str | None, lang: str) -> str:
    return stage if stage is not None else translate(NO_STAGE, lang)


def stages(ctx: Context) -> Figure:
    """How many cases are in each stage now, by status."""
    rows = []
    for pathway, stage, status, count in sorted(
            _by_stage(ctx), key=lambda r: (r[0], ctx.pathway(r[0]).position(r[1]), r[1] or "", STATUS_ORDER[r[2]])):
        link = ctx.scope.cohort().narrow(pathway=pathway, stage=stage, status=status)
        rows.append(Row({"pathway": pathway, "pathway_name": ctx.pathway(pathway).name,
                         "stage": _stage_name(stage, ctx.lang), "status": status,
                         "status_name": translate(STATUSES[status], ctx.lang), "cases": count},
                        {"cases": link}))
    return Figure("stages", TITLES["stages"], (
        *PATHWAY, Column("stage", _l("Stage")), Column("status", _l("Status key")),
        Column("status_name", _l("Status")), Column("cases", _l("Cases"), "int", counts_cases=True),
    ), rows, ctx.scope, ctx.lang, {"cases": sum(r["cases"] for r in rows),
                                   "active": sum(r["cases"] for r in rows if r["status"] == "active")})


def funnel(ctx: Context) -> Figure:
    """Per pathway and stage in flow order: how many cases reached it, are in it now, dropped out in it.

    A case dropped out in the stage where it ended (its last stage) unless it completed the
    pathway in its final stage: cancelled or closed cases, and cases that completed without
    reaching the next stage (e.g. found not eligible).
    """
    cohort = ctx.scope.cohort()
    reached_query = (select(Case.pathway_key, StageVisit.stage, func.count(func.distinct(Case.id)))
                     .join(StageVisit, StageVisit.case_id == Case.id).where(*ctx.where(cohort))
                     .group_by(Case.pathway_key, StageVisit.stage))
    reached = {(p, stage): int(n) for p, stage, n in ctx.session.execute(reached_query)}
    now: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pathway, stage, status, count in _by_stage(ctx):
        now[(pathway, stage)][status] += count
    keys = sorted({p for p, _ in reached} | {p for p, _ in now})
    rows = []
    for pathway in keys:
        info = ctx.pathway(pathway)
        seen = [s for p, s in [*reached, *now] if p == pathway and s is not None]
        order = [*info.stages, *sorted(set(seen) - set(info.stages))]
        for position, stage in enumerate(order, start=1):
            final = stage == info.final_stage
            statuses = now.get((pathway, stage), {})
            stopped = statuses.get("failed", 0) + statuses.get("cancelled", 0) + statuses.get("closed", 0)
            base = cohort.narrow(pathway=pathway)
            links = {"reached": base.narrow(reached=stage), "active": base.narrow(stage=stage, status="active"),
                     "dropped_out": base.narrow(stage=stage, ended="stopped" if final else "any")}
            if final:
                links["finished"] = base.narrow(stage=stage, status="completed")
            rows.append(Row(
                {"pathway": pathway, "pathway_name": info.name, "position": position, "stage": stage,
                 "reached": reached.get((pathway, stage), 0), "active": statuses.get("active", 0),
                 "dropped_out": stopped + (0 if final else statuses.get("completed", 0)),
                 "finished": statuses.get("completed", 0) if final else 0}, links))
    return Figure("funnel", TITLES["funnel"], (
        *PATHWAY, Column("position", _l("Step"), "int"), Column("stage", _l("Stage")),
        Column("reached", _l("Reached"), "int", counts_cases=True),
        Column("active", _l("In the stage now"), "int", counts_cases=True),
        Column("dropped_out", _l("Dropped out here"), "int", counts_cases=True),
        Column("finished", _l("Finished the pathway"), "int", counts_cases=True),
    ), rows, ctx.scope, ctx.lang)


def stage_times(ctx: Context) -> Figure:
    """Median and 90th percentile of the time cases spent in each stage (finished visits)."""
    duration = seconds_between(ctx.dialect, StageVisit.entered_at, StageVisit.left_at)

    def query(*columns: Any) -> Select[Any]:
        return (select(*columns).select_from(StageVisit).join(Case, Case.id == StageVisit.case_id)
                .where(StageVisit.left_at.is_not(None), *ctx.where(ctx.scope.cohort())))

    found = spreads(ctx.session, query, [Case.pathway_key, StageVisit.stage], duration)
    rows = []
    def order(item: tuple[tuple[Any, ...], Any]) -> tuple[str, int]:
        return item[0][0], ctx.pathway(item[0][0]).position(item[0][1])

    for (pathway, stage), spread in sorted(found.items(), key=order):
        rows.append(Row({"pathway": pathway, "pathway_name": ctx.pathway(pathway).name, "stage": stage,
                         "visits": spread.cases, "median_days": days(spread.median), "p90_days": days(spread.p90)},
                        {"visits": ctx.scope.cohort().narrow(pathway=pathway, reached=stage)}))
    return Figure("stage-times", TITLES["stage-times"], (
        *PATHWAY, Column("stage", _l("Stage")), Column("visits", _l("Finished stays"), "int"),
        Column("median_days", _l("Median (days)"), "decimal"),
        Column("p90_days", _l("90th percentile (days)"), "decimal"),
    ), rows, ctx.scope, ctx.lang)
