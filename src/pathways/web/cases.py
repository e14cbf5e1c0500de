"""The case pages: the list of visible cases (filters, sorting, paging, "start a case") and one case.

The views call the same services as `/api/v1/cases` (`pathways.tasks.cases`), so a page shows
exactly what the API would answer the same user: cases of other agencies are "not found" and
sensitive values are already removed when they reach the template. What is only presentation
(dates in Europe/Warsaw, durations, labels, the diagram overlays) is done here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime, format_timedelta
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response

from pathways.base import clock
from pathways.core import services
from pathways.engine.errors import InvalidData
from pathways.privacy import sharing
from pathways.privacy.pseudonyms import is_pseudonym, normalise
from pathways.privacy.rectify import correctable_fields
from pathways.reports.filters import CaseFilter
from pathways.tasks import cases
from pathways.tasks.access import MAX_ID, is_case_worker
from pathways.web import lifecycle as web_lifecycle
from pathways.web import sharing as web_sharing
from pathways.web.diagrams import draw
from pathways.web.i18n import current_locale, role_names
from pathways.web.session import bp, login_required

WARSAW = clock.WARSAW
PER_PAGE = 25
#: the list's sortable columns: query key -> header label
SORTABLE = {"beneficiary": _l("Beneficiary"), "pathway": _l("Pathway"), "stage": _l("Stage"),
            "updated": _l("Last change")}
STATUS_NAMES = {"active": _l("Active"), "completed": _l("Completed"), "failed": _l("Failed"),
                "cancelled": _l("Cancelled"), "closed": _l("Closed"), "suspended": _l("Suspended")}
#: what the start form's fields are called when a service names them in an error
START_ERRORS = {"agencies": _l("Your own agency must take part in the case."),
                "pathway": _l("Choose a deployed pathway."),
                "beneficiary": _l("No registered person has this pseudonym: register the person first.")}
#: the start form's pseudonym error when what was typed is not one (a name, an old code, a typo)
NOT_A_PSEUDONYM = _l("Enter a registered person's pseudonym, such as B-7K3Q-9M (never a name): "
                     "register the person first if they have none.")
MAX_PSEUDONYM = 200


# -- presentation helpers (also used by the templates) -------------------------------------------

def when(value: datetime | str | None, style: str = "short") -> str:
    """A stored (UTC) time in Europe/Warsaw, in the page's language."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return str(format_datetime(clock.aware(value), style, tzinfo=WARSAW, locale=current_locale()))


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return clock.aware(value).astimezone(WARSAW).isoformat(timespec="minutes")


def duration(start: datetime | None, end: datetime | None) -> str:
    """How long from start to end (or until now), e.g. "3 dni", "2 godziny"."""
    if start is None:
        return ""
    elapsed = clock.aware(end or clock.now()) - clock.aware(start)
    return str(format_timedelta(elapsed, threshold=1.5, locale=current_locale()))


def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


def show_value(value: Any, field: dict[str, Any] | None = None) -> str:
    """A form value as people read it: option labels, yes/no, empty as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    options = (field or {}).get("options") or {}
    if isinstance(value, str) and value in options:
        return str(options[value])
    if isinstance(value, list):
        return ", ".join(show_value(v, field) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    return str(value)


HELPERS = {"when": when, "iso": iso, "duration": duration, "status_name": status_name, "show_value": show_value}


# -- the list -------------------------------------------------------------------------------------

def _int_arg(name: str, default: int) -> int:
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else default


def _list_query() -> cases.CaseQuery:
    sort = request.args.get("sort", "-updated")
    if sort.lstrip("-") not in SORTABLE:
        sort = "-updated"
    status = request.args.get("status") or None
    return cases.CaseQuery(
        pathway=request.args.get("pathway") or None, stage=request.args.get("stage") or None,
        status=status if status in cases.STATUSES else None, q=(request.args.get("q") or "").strip() or None,
        sort=sort, page=_int_arg("page", 1), per_page=PER_PAGE)


def _report_filter() -> CaseFilter:
    """The filters a supervisor's figure links with (reports/filters.py); bad ones are ignored."""
    try:
        return CaseFilter.from_params(request.args)
    except InvalidData:
        return CaseFilter()


def _link(query: cases.CaseQuery, **changes: Any) -> str:
    """The list's URL with the current filters (report filters included) and some of them changed."""
    params: dict[str, Any] = {**_report_filter().params(), "pathway": query.pathway, "stage": query.stage,
                              "status": query.status, "q": query.q, "sort": query.sort, "page": query.page}
    params.update(changes)
    kept = {k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)
            and not (k == "sort" and v == "-updated")}
    return url_for("web.cases") + ("?" + urlencode(kept) if kept else "")


def _render_list(form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> tuple[str, int]:
    pathways = services(current_app)
    query = _list_query()
    extra = _report_filter().conditions(clock.now())
    page = cases.list_cases(pathways.store, g.user, query, extra)
    choices = cases.case_choices(pathways.store, g.user)
    if page["items"] == [] and query.page > 1 and page["total"]:
        query = cases.CaseQuery(**{**query.__dict__, "page": 1})
        page = cases.list_cases(pathways.store, g.user, query, extra)
    pages = max(1, -(-page["total"] // PER_PAGE))
    agencies = {a["code"]: a for a in choices["agencies"]}
    own = g.user.agency.code  # the user's own agency first in the start form
    choices["agencies"].sort(key=lambda a: (a["code"] != own, a["name"]))
    typed = normalise(request.args.get("beneficiary", "")[:32])  # back from registering a person
    form = form or {"agencies": [g.user.agency.code], "beneficiary": typed if is_pseudonym(typed) else ""}
    html = render_template(
        "cases.html", page=page, pages=pages, query=query, choices=choices, agencies=agencies,
        link=lambda **kw: _link(query, **kw), sortable=SORTABLE, statuses=STATUS_NAMES,
        can_start=is_case_worker(g.user), form=form, errors=errors or {}, statutes=web_sharing.start_statutes(),
        **HELPERS)
    return html, status


@bp.get("/cases", endpoint="cases")
@login_required
def cases_list() -> tuple[str, int]:
    return _render_list()


@bp.post("/cases", endpoint="start_case")
@login_required
def start_case() -> Response | tuple[str, int]:
    form: dict[str, Any] = {"pathway": request.form.get("pathway", ""),
                            "beneficiary": normalise(request.form.get("beneficiary", "")[:MAX_PSEUDONYM + 1]),
                            "agencies": request.form.getlist("agencies")}
    errors: dict[str, str] = {}
    if len(form["beneficiary"]) > MAX_PSEUDONYM:
        errors["beneficiary"] = _("At most %(count)d characters.", count=MAX_PSEUDONYM)
        form["beneficiary"] = form["beneficiary"][:MAX_PSEUDONYM]
    elif not is_pseudonym(form["beneficiary"]):
        errors["beneficiary"] = str(NOT_A_PSEUDONYM)
    if not form["pathway"]:
        errors["pathway"] = str(START_ERRORS["pathway"])
    if g.user.agency.code not in form["agencies"]:
        errors["agencies"] = str(START_ERRORS["agencies"])
    if not errors:
        pathways = services(current_app)
        try:
            bases = web_sharing.start_bases(g.user.agency.code, form["agencies"])
            started = sharing.start_case(pathways.store, pathways.engine, g.user, form["pathway"],
                                         {"beneficiary_pseudonym": form["beneficiary"]}, form["agencies"],
                                         form["beneficiary"], bases)
        except InvalidData as error:
            fields = error.details.get("fields")
            named = list(fields) if isinstance(fields, dict) else []
            errors = {web_sharing.start_error_key(k): str(START_ERRORS.get(k, web_sharing.start_error(k)))
                      for k in named} or {
                "pathway": _("The case could not be started with these values.")}
        else:
            flash(_("Case %(id)d started for %(beneficiary)s.", id=started["id"], beneficiary=started["beneficiary"]))
            return redirect(url_for("web.case", case_id=started["id"]))
    return _render_list(form, errors, 400)


# -- one case -------------------------------------------------------------------------------------

def _diagram(view: dict[str, Any]) -> tuple[Markup | None, str | None]:
    """The case's diagram with its position highlighted; (None, message) when it cannot be drawn."""
    from pathways.diagram import Badge

    open_elements = Counter(t["element"] for t in view["open_tasks"])
    waiting = {t["element"]: t for t in view["timers"]}
    badges: dict[str, list[Any]] = {}
    titles: dict[str, str] = {}
    for element, count in view["completed"].items():
        badges.setdefault(element, []).append(Badge(f"✓ {count}", "ok"))
    for element, count in open_elements.items():
        badges.setdefault(element, []).append(Badge(_("%(count)d open", count=count), "info"))
        titles[element] = _("%(name)s: %(count)d open", name=view["elements"].get(element, {}).get("name", element),
                            count=count)
    for element, timer in waiting.items():
        titles[element] = _("Timer waiting until %(when)s", when=when(timer["due_at"]))
    return draw(view["diagram"] or None, view["pathway"], highlight=[*open_elements, *waiting], badges=badges,
                titles=titles)


def _task_groups(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Open tasks grouped by agency kind, then by the roles they are offered to."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for task in view["open_tasks"]:
        kind = ", ".join(task["agency_kinds"]) or "—"
        roles = ", ".join(role_names(task["roles"])) or task["lane"] or "—"
        groups.setdefault((kind, roles), []).append(task)
    return [{"kind": kind, "roles": roles, "tasks": tasks} for (kind, roles), tasks in sorted(groups.items())]


def _measures(view: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Hours by role, money by benefit kind, outcomes: summed per key."""
    sums: dict[str, dict[str, float]] = {"hours": {}, "benefit": {}, "outcome": {}}
    for m in view["measures"]:
        bucket = sums.setdefault(m["kind"], {})
        bucket[m["key"]] = bucket.get(m["key"], 0.0) + m["value"]
    hours = sorted((role_names([k])[0], v) for k, v in sums["hours"].items())
    return {"hours": hours, "benefit": sorted(sums["benefit"].items()), "outcome": sorted(sums["outcome"].items())}


def _timer_moved(event: dict[str, Any]) -> list[tuple[str, str]]:
    """A timer fired by hand or moved: the due time it had, the new one and the reason (if shown to the user)."""
    before, after = event["before"] or {}, event["after"] or {}
    values = [(_("Was due"), when(before["due_at"]))] if before.get("due_at") else []
    if after.get("due_at"):
        values.append((_("Now due"), when(after["due_at"])))
    if "reason" in after:
        values.append((_("Reason"), show_value(after["reason"])))
    return values


def _events(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline, newest first, without the engine's echo of a task it had just completed."""
    completed = {e["task_id"] for e in view["timeline"] if e["kind"] == "TaskCompleted"}
    redacted = set(view["redacted_events"])
    events = []
    for event in view["timeline"]:
        if event["kind"] == "TaskCancelled" and event["task_id"] in completed:
            continue
        element = view["elements"].get(event["element"] or "", {})
        values: list[tuple[str, str]] = []
        if event["kind"] == "TaskCompleted":
            fields = element.get("fields", {})
            for key, value in (event["after"] or {}).items():
                field = fields.get(key)
                values.append((field["label"] if field else key, show_value(value, field)))
        elif event["kind"] == "ValueCorrected":  # GDPR art. 16: the field, before -> after, the reason
            values = _correction(event, view)
        elif event["kind"] == "DecisionMade":
            values = _decision(event["after"] or {})
        elif event["kind"] in web_lifecycle.EVENTS:  # cancelled, closed, suspended, resumed: in words
            values = web_lifecycle.event_values(event["after"])
        elif event["kind"] in ("TimerRescheduled", "TimerFiredByHand"):
            values = _timer_moved(event)
        elif event["kind"] in ("MessageReceived", "MessageSent", "SignalReceived", "SignalSent"):
            values = _message(event["after"] or {})
        elif event["kind"] in ("CaseCancelled", "CaseClosed", "TimerFailed"):
            values = [(k, show_value(v)) for k, v in (event["after"] or {}).items()]
        events.append({**event, "name": element.get("name") or event["element"], "shown": values,
                       "redacted": event["id"] in redacted})
    return events[::-1]


def _message(record: dict[str, Any]) -> list[tuple[str, str]]:
    """A message's payload field by field (hidden ones are already gone), and the case it came from."""
    data = record.get("data")
    if not isinstance(data, dict):  # a message delivered to a case by id before messages between cases
        return [(k, show_value(v)) for k, v in record.items()]
    values = [(_("From case"), f"#{record['from_case']}")] if record.get("from_case") else []
    return values + [(k, show_value(v)) for k, v in data.items()]


def _decision(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Which decision, of which DMN file version, and the rules that decided (numbers, per table)."""
    rules: dict[str, list[int]] = record.get("rules") or {}

    def numbers(found: list[int]) -> str:
        return ", ".join(str(n) for n in found) or _("none")
    matched = (numbers(next(iter(rules.values()), [])) if len(rules) <= 1
               else "; ".join(f"{table}: {numbers(found)}" for table, found in rules.items()))
    return [(_("Decision"), str(record.get("decision") or "")),
            (_("DMN file"), f"{record.get('file') or ''} · {record.get('version') or ''}"),
            (_("Rules that decided"), matched)]


def _correction(event: dict[str, Any], view: dict[str, Any]) -> list[tuple[str, str]]:
    after, before = event["after"] or {}, event["before"] or {}
    correction = after.get("correction") or {}
    field_id = correction.get("field")
    field = next((e["fields"][field_id] for e in view["elements"].values() if field_id in e["fields"]), None)
    values = []
    if field_id in after:
        values.append((field["label"] if field else str(field_id),
                       f"{show_value(before.get(field_id), field)} → {show_value(after[field_id], field)}"))
    if correction.get("reason"):
        values.append((_("Reason"), str(correction["reason"])))
    return values


def _data(view: dict[str, Any]) -> list[tuple[str, str]]:
    """The case data with the form labels (the first form that asks for a field names it)."""
    labels: dict[str, dict[str, Any]] = {"beneficiary_pseudonym": {"label": _("Beneficiary pseudonym")}}
    for element in view["elements"].values():
        for field_id, field in element["fields"].items():
            labels.setdefault(field_id, field)
    return [(labels[k]["label"] if k in labels else k, show_value(v, labels.get(k)))
            for k, v in (view["data"] or {}).items()]


@bp.get(f"/cases/<int(max={MAX_ID}):case_id>")
@login_required
def case(case_id: int) -> str:
    pathways = services(current_app)
    view = cases.case_view(pathways.store, pathways.engine, g.user, case_id)
    svg, no_diagram = _diagram(view)
    agency_names = {a["code"]: a["name"] for a in view["agencies"]}
    return render_template(
        "case.html", case=view, svg=svg, no_diagram=no_diagram, groups=_task_groups(view),
        measures=_measures(view), events=_events(view), data=_data(view), agency_names=agency_names,
        correctable=correctable_fields(pathways.store, pathways.engine, g.user, case_id) if is_case_worker(g.user)
        else [], sharing=web_sharing.agency_panel(case_id), lifecycle=web_lifecycle.panel(case_id),
        **HELPERS, **web_lifecycle.HELPERS)
