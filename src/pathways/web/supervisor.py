"""The supervisor's pages: a dashboard, a pathway's funnel and activity diagram, tasks and
workload, the ESF participant table, and CSV/XLSX exports.

The views call `pathways.reports` (as the API and the CLI do) with the signed-in user, so the
pages count exactly the cases the user's agency takes part in; only supervisors and
administrators get them (403 otherwise). Every number links to the cases behind it: the cases
list with the figure's filter (`CaseFilter.params()`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from pathways import reports
from pathways.core import services
from pathways.engine.errors import InvalidData, NotFound
from pathways.reports import CaseFilter, Figure, Scope
from pathways.reports.export import CONTENT_TYPES, filename, render
from pathways.reports.labels import translate
from pathways.tasks import audit, stuck
from pathways.web import lifecycle as web_lifecycle
from pathways.web.charts import Bar, Step, bar_chart, funnel_chart
from pathways.web.diagrams import draw
from pathways.web.i18n import current_locale
from pathways.web.session import bp, login_required

DASHBOARD = ("stages", "open-tasks", "hours", "hours-by-role", "benefits", "outcomes")
PATHWAY_PAGE = ("funnel", "stage-times", "activities")
TASKS_PAGE = ("open-tasks", "workload")


# -- presentation helpers -------------------------------------------------------------------------

def number(value: Any, decimals: bool = False) -> str:
    """A count or an amount in the page's language (1 234,50 in Polish)."""
    if value is None:
        return "—"
    pattern = "#,##0.00" if decimals or isinstance(value, Decimal | float) else "#,##0"
    return str(format_decimal(value, format=pattern, locale=current_locale()))


def day(value: Any) -> str:
    if isinstance(value, date):
        return str(format_date(value, "medium", locale=current_locale()))
    return "—" if value in (None, "") else str(value)


def label(text: str) -> str:
    """A report's label (an English message id) in the page's language."""
    return translate(text, current_locale())


def cases_url(case_filter: CaseFilter | None) -> str | None:
    """The cases list filtered to the cases behind a number (None where there is no such page)."""
    if case_filter is None or "web.cases" not in current_app.view_functions:
        return None
    params = case_filter.params()
    return url_for("web.cases") + ("?" + urlencode(params) if params else "")


def case_url(case_id: int) -> str | None:
    return url_for("web.case", case_id=case_id) if "web.case" in current_app.view_functions else None


def link_of(row: reports.Row, key: str) -> str | None:
    return cases_url(row.links.get(key))


HELPERS: dict[str, Callable[..., Any]] = {"number": number, "day": day, "label": label, "link_of": link_of,
                                          "case_url": case_url}


# -- access and filters ---------------------------------------------------------------------------

def _require_supervisor() -> None:
    if not reports.may_read_reports(g.user):
        audit.require_role(services(current_app).store, g.user, reports.REPORT_ROLES, request.endpoint or "web",
                           "reports are for supervisors and administrators")


def _scope(options: dict[str, list[dict[str, str]]], pathway: str | None = None) -> tuple[Scope, dict[str, str]]:
    """The filter form's choice (invalid values dropped, with a message each)."""
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = (request.args.get(name) or "").strip()
        dates[name] = None
        if text:
            try:
                dates[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = _("The end of the period must not be before its start.")
        dates["to"] = None
    chosen = pathway or request.args.get("pathway") or None
    if chosen and chosen not in {p["key"] for p in options["pathways"]}:
        errors["pathway"] = _("Choose a deployed pathway.")
        chosen = None
    agency = request.args.get("agency") or None
    if agency and agency not in {a["code"] for a in options["agencies"]}:
        errors["agency"] = _("Choose an agency taking part in your cases.")
        agency = None
    return Scope(chosen, agency, dates["from"], dates["to"]), errors


def _params(scope: Scope, **extra: Any) -> dict[str, str]:
    values = {**scope.as_dict(), **extra}
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _page(template: str, names: tuple[str, ...], pathway: str | None = None, **context: Any) -> str:
    """Build the figures of one page (one service call, one audit entry) and render it."""
    _require_supervisor()
    pathways = services(current_app)
    options = reports.filter_options(pathways.store, g.user)
    scope, errors = _scope(options, pathway)
    try:
        figures = reports.build(pathways.store, pathways.engine, g.user, names, scope, current_locale())
    except InvalidData as error:  # e.g. an agency removed meanwhile: the same page, without the filter
        fields = error.details.get("fields")
        errors.update({str(k): _("This value is not valid.") for k in (fields if isinstance(fields, dict) else {})})
        scope = Scope(pathway=pathway)
        figures = reports.build(pathways.store, pathways.engine, g.user, names, scope, current_locale())
    period = _params(Scope(None, scope.agency, scope.date_from, scope.date_to))
    return render_template(template, figures=figures, scope=scope, options=options, errors=errors,
                           params=_params(scope), period_params=period,
                           charts=_charts(figures), **context, **HELPERS)


# -- charts -------------------------------------------------------------------------------------------

def _stage_charts(figure: Figure) -> list[dict[str, Any]]:
    """Per pathway: a bar per stage with the active cases in it, linked to those cases."""
    found: dict[str, dict[str, Any]] = {}
    for row in figure.rows:
        entry = found.setdefault(row["pathway"], {"key": row["pathway"], "name": row["pathway_name"], "rows": {}})
        counts = entry["rows"].setdefault(row["stage"], {"stage": row["stage"], "active": 0, "ended": 0, "link": None})
        if row["status"] == "active":
            counts["active"] += row["cases"]
            counts["link"] = link_of(row, "cases")
        else:
            counts["ended"] += row["cases"]
    for entry in found.values():
        stages: dict[str, dict[str, Any]] = entry["rows"]
        bars = [Bar(s["stage"], s["active"], number(s["active"]), s["link"]) for s in stages.values()]
        entry["chart"] = bar_chart(bars, _("Active cases per stage: %(name)s", name=entry["name"]))
    return list(found.values())


def _agency_bars(figure: Figure, scope: Scope) -> Markup | None:
    per_agency: dict[str, list[Any]] = {}
    for row in figure.rows:
        entry = per_agency.setdefault(row["agency"], [row["agency_name"], 0, 0])
        entry[1] += row["open"]
        entry[2] += row["overdue"]
    if not any(overdue for _name, _open, overdue in per_agency.values()):
        return None
    bars = []
    for code, (name, _open, overdue) in per_agency.items():
        href = cases_url(scope.cases().narrow(task_agency=code, task_status="overdue"))
        bars.append(Bar(name, overdue, number(overdue), href if overdue else None, "danger"))
    return bar_chart(bars, _("Overdue tasks per agency"))


def _charts(figures: dict[str, Figure]) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    if "stages" in figures:
        charts["stages"] = _stage_charts(figures["stages"])
    if "open-tasks" in figures:
        charts["overdue"] = _agency_bars(figures["open-tasks"], figures["open-tasks"].scope)
    if "hours" in figures:
        charts["hours"] = bar_chart([Bar(r["agency_name"] or r["agency_kind"] or "—", float(r["hours"]),
                                         number(r["hours"]), link_of(r, "hours")) for r in figures["hours"].rows],
                                    _("Service hours by agency"))
    if "benefits" in figures:
        charts["benefits"] = bar_chart([Bar(r["benefit_name"], float(r["amount"]), number(r["amount"]) + " zł",
                                            link_of(r, "amount"), "ok") for r in figures["benefits"].rows],
                                       _("Benefits paid (PLN)"))
    if "outcomes" in figures:
        rows = [r for r in figures["outcomes"].rows if r["group"] == "outcome"]
        charts["outcomes"] = bar_chart([Bar(r["outcome_name"], r["participants"], number(r["participants"]),
                                            link_of(r, "participants"), "ok") for r in rows], _("Outcomes"))
    if "funnel" in figures:
        charts["funnel"] = _funnels(figures["funnel"])
    return charts


def _funnels(figure: Figure) -> dict[str, Markup]:
    steps: dict[str, list[Step]] = {}
    for row in figure.rows:
        note = _("dropped out: %(count)s", count=number(row["dropped_out"])) if row["dropped_out"] else ""
        steps.setdefault(row["pathway"], []).append(Step(
            row["stage"], row["reached"], number(row["reached"]), link_of(row, "reached") if row["reached"] else None,
            note, link_of(row, "dropped_out")))
    return {key: funnel_chart(found, _("Stage funnel")) for key, found in steps.items()}


# -- pages ------------------------------------------------------------------------------------------

@bp.get("/supervisor", endpoint="supervisor")
@login_required
def dashboard() -> str:
    from pathways.web.staffing import pending_releases

    return _page("supervisor.html", DASHBOARD, None, stuck_cases=_stuck_cases, disabled_claims=pending_releases,
                 **web_lifecycle.HELPERS)


def _stuck_cases() -> list[dict[str, Any]]:
    """The stuck cases (`tasks.stuck`), read when the page draws them (after the role check)."""
    pathways = services(current_app)
    return stuck.list_stuck(pathways.store, g.user, pathways.engine.roles)


@bp.get("/supervisor/pathways/<key>", endpoint="supervisor_pathway")
@login_required
def pathway(key: str) -> str:
    _require_supervisor()
    options = reports.filter_options(services(current_app).store, g.user)
    if key not in {p["key"] for p in options["pathways"]}:
        raise NotFound(f"no deployed pathway {key!r}")
    name = next(p["name"] for p in options["pathways"] if p["key"] == key)
    return _page("supervisor_pathway.html", PATHWAY_PAGE, pathway=key, key=key, name=name, diagram=_diagram)


@bp.get("/supervisor/tasks", endpoint="supervisor_tasks")
@login_required
def tasks() -> str:
    return _page("supervisor_tasks.html", TASKS_PAGE)


@bp.get("/supervisor/esf", endpoint="supervisor_esf")
@login_required
def esf() -> str:
    return _page("supervisor_esf.html", ("esf",), only_incomplete=request.args.get("incomplete") == "1")


@bp.get("/supervisor/export/<figure>.<fmt>", endpoint="supervisor_export")
@login_required
def export(figure: str, fmt: str) -> Response:
    _require_supervisor()
    if fmt not in CONTENT_TYPES:
        raise NotFound(f"no export format {fmt!r}")
    pathways = services(current_app)
    scope, _errors = _scope(reports.filter_options(pathways.store, g.user))
    found = reports.build(pathways.store, pathways.engine, g.user, [figure], scope, current_locale(),
                          export=fmt)[figure]
    return Response(render(found, fmt), content_type=CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename(found, fmt)}"'})


def _diagram(key: str, figure: Figure) -> tuple[Markup | None, str | None]:
    """The pathway's diagram with per-activity badges: open (blue), overdue (red), completed (green)."""
    from pathways.diagram import Badge
    from pathways.tasks.definitions import diagram_source

    badges: dict[str, list[Any]] = {}
    titles: dict[str, str] = {}
    for row in figure.rows:
        if row["pathway"] != key:
            continue
        found = []
        if row["open"]:
            found.append(Badge(_("%(count)s open", count=number(row["open"])), "info"))
        if row["overdue"]:
            found.append(Badge(_("%(count)s overdue", count=number(row["overdue"])), "danger"))
        if row["completed"]:
            found.append(Badge(f"✓ {number(row['completed'])}", "ok"))
        badges[row["element"]] = found
        titles[row["element"]] = _("%(name)s: open %(open)s, overdue %(overdue)s, completed %(completed)s",
                                   name=row["name"], open=number(row["open"]), overdue=number(row["overdue"]),
                                   completed=number(row["completed"]))
    return draw(diagram_source(services(current_app).store, key), key, badges=badges, titles=titles)
