"""The inbox page: the tasks a case worker may work, in tabs with counts, filtered, sorted, paged.

`GET /inbox` reads the same service as `GET /api/v1/tasks` (`tasks.inbox.inbox` and `counts`), so
it lists exactly what the API would. `POST /tasks/<id>/claim` (web/task.py) claims from a row and
comes back here. Times are shown in Europe/Warsaw in the page's language (`when`, `due_in`
template filters, usable by every page).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime, format_timedelta
from flask import current_app, g, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from pathways.base import clock
from pathways.core import services
from pathways.engine.errors import InvalidData, NotFound
from pathways.tasks import definitions, inbox
from pathways.web import staffing
from pathways.web.i18n import current_locale
from pathways.web.session import bp, login_required


def _(text: str, **values: Any) -> str:
    """gettext, typed: a page string in the page's language."""
    return str(gettext(text, **values))

PER_PAGE = 25
#: the tabs: (view, label)
TABS = [
    ("all", _l("All my tasks")),
    ("mine", _l("Claimed by me")),
    ("unclaimed", _l("To claim (my roles)")),
    ("overdue", _l("Overdue")),
    ("due_today", _l("Due today")),
]
SORTS = [("due", _l("Due date")), ("priority", _l("Priority")), ("created", _l("Created")), ("name", _l("Task name"))]
FILTERS = ("pathway", "stage", "q")


# -- filters usable by every page ----------------------------------------------------------------
@bp.app_template_filter("when")
def when(value: datetime | None, with_time: bool = True) -> str:
    """A UTC time as the case workers read it: Europe/Warsaw, in the page's language."""
    if value is None:
        return "—"
    if with_time:  # the style of the other pages: 23.11.2026, 11:06
        return str(format_datetime(value, "short", tzinfo=inbox.TIMEZONE, locale=current_locale()))
    return str(format_date(value.astimezone(inbox.TIMEZONE), "short", locale=current_locale()))


@bp.app_template_filter("due_in")
def due_in(value: datetime | None) -> str:
    """How far a time is from now, in words: "in 2 days", "3 hours ago"."""
    if value is None:
        return ""
    return format_timedelta(value - clock.now(), add_direction=True, threshold=1.1, locale=current_locale())


def priority_label(priority: int) -> str:
    """BPMN priorities (0-100, default 50) in words."""
    if priority >= 70:
        return _("High")
    if priority < 40:
        return _("Low")
    return _("Normal")


# -- the page ------------------------------------------------------------------------------------
def _query() -> inbox.InboxQuery:
    args = request.args
    sort = args.get("sort", "due")
    order = args.get("order") or None
    return inbox.InboxQuery(
        view=args.get("view", "all"),
        pathway=args.get("pathway") or None,
        stage=args.get("stage") or None,
        q=(args.get("q") or "").strip() or None,
        role=args.get("role") or None, agency=args.get("agency") or None, due_by=_day(args.get("due_by")),
        sort=sort if sort in inbox.SORTS else "due",
        order=order if order in ("asc", "desc") else None,
        page=_int(args.get("page"), 1),
        per_page=min(max(_int(args.get("per_page"), PER_PAGE), 1), inbox.MAX_PER_PAGE),
    )


def _day(text: str | None) -> date | None:
    """A saved filter's due day (`web/staffing.py` links with it); a malformed one is ignored."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


#: (database, pathway key, version) -> (name, stages): a deployed version never changes
_stage_cache: dict[tuple[str, str, int], tuple[str, list[str]]] = {}


def _stages(pathways: Any, known: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(pathway name, its stages) of the given pathways (latest versions), for the stage filter."""
    found = []
    for definition in known:
        key = (pathways.config.database_url, definition["key"], definition["latest_version"])
        if key not in _stage_cache:
            try:
                detail = definitions.definition_detail(pathways.store, pathways.engine, *key[1:])
            except NotFound:
                continue
            _stage_cache[key] = (detail["name"], list(detail["stages"]))
        name, stages = _stage_cache[key]
        if stages:
            found.append((name, stages))
    return found


@bp.get("/inbox", endpoint="inbox")
@login_required
def inbox_page() -> tuple[str, int] | str:
    pathways = services(current_app)
    query = _query()
    try:
        page = inbox.inbox(pathways.store, g.user, pathways.roles, query)
    except InvalidData:  # a view or page out of range: the first page of the default view
        query = inbox.InboxQuery()
        page = inbox.inbox(pathways.store, g.user, pathways.roles, query)
    counts = inbox.counts(pathways.store, g.user, pathways.roles, query)
    known = definitions.list_definitions(pathways.store)
    chosen = [d for d in known if d["key"] == query.pathway] if query.pathway else known
    filters = {k: v for k, v in (("pathway", query.pathway), ("stage", query.stage), ("q", query.q),
                                 ("role", query.role), ("agency", query.agency),
                                 ("due_by", query.due_by.isoformat() if query.due_by else None)) if v}
    state = {"view": query.view, **filters, "sort": query.sort, "order": query.order or ""}
    return render_template(
        "inbox.html", page=page, query=query, counts=counts, tabs=TABS, sorts=SORTS, pathways=known,
        stages=_stages(pathways, chosen), filters=filters, pages=_pages(page),
        link=lambda **changes: _link(state, changes), sort_link=lambda key: _sort_link(state, query, key),
        aria_sort=lambda key: _aria_sort(query, key), priority_label=priority_label,
        today=clock.now().astimezone(inbox.TIMEZONE).date(), timezone=inbox.TIMEZONE,
        completed=session.pop("completed_task", None), has_cases="web.cases" in current_app.view_functions,
        saved=staffing.saved_for_inbox(), saved_id=_int(request.args.get("saved"), 0),
    )


def _link(state: dict[str, Any], changes: dict[str, Any]) -> str:
    merged = {**state, "page": 1, **changes}
    params = {k: v for k, v in merged.items() if v not in (None, "") and not (k == "page" and v == 1)}
    if params.get("view") == "all":
        params.pop("view")
    if params.get("sort") == "due" and not params.get("order"):
        params.pop("sort")
    return url_for("web.inbox") + ("?" + urlencode(params) if params else "")


def _default_order(sort: str) -> str:
    return "desc" if sort == "priority" else "asc"


def _current_order(query: inbox.InboxQuery) -> str:
    return query.order or _default_order(query.sort)


def _sort_link(state: dict[str, Any], query: inbox.InboxQuery, key: str) -> str:
    """Sort by `key`; the column already sorted flips its direction."""
    flipped = "asc" if _current_order(query) == "desc" else "desc"
    order = flipped if query.sort == key else _default_order(key)
    return _link(state, {"sort": key, "order": "" if order == _default_order(key) else order})


def _aria_sort(query: inbox.InboxQuery, key: str) -> str | None:
    if query.sort != key:
        return None
    return "descending" if _current_order(query) == "desc" else "ascending"


def _pages(page: inbox.InboxPage) -> dict[str, int]:
    last = max(1, -(-page.total // page.per_page))
    first_shown = (page.page - 1) * page.per_page + 1 if page.total else 0
    return {"last": last, "first_shown": first_shown,
            "last_shown": min(page.total, page.page * page.per_page)}
