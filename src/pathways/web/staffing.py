"""The team page (substitutes, handing on a user's tasks) and the inbox's saved filters.

The same services as the API (`pathways.tasks.substitutes`, `.reassign`, `.saved_filters`), with
the signed-in user: a page shows and does exactly what `/api/v1/substitutions`, `/users/{u}/reassign`
and `/saved-filters` would. Reassigning is a dry run first: the plan is shown with an "Apply"
button that posts the same form with `apply=1`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from pathways.base import clock
from pathways.core import services
from pathways.engine.errors import Conflict, InvalidData
from pathways.tasks import inbox, released, saved_filters, staff, substitutes
from pathways.tasks.access import MAX_ID
from pathways.tasks.reassign import reassign
from pathways.web.session import bp, login_required

REASONS = {"agency_not_in_case": _l("their agency does not take part in the case"),
           "no_role": _l("they hold none of the task's roles"), "changed": _l("someone changed the task meanwhile")}


def _manager() -> bool:
    return bool(g.user.roles & {staff.SUPERVISOR, staff.ADMIN})


def _field(name: str, limit: int = 64) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def _problem(error: InvalidData) -> str:
    fields = error.details.get("fields")
    return "; ".join(f"{k}: {v}" for k, v in fields.items()) if isinstance(fields, dict) else error.message


@bp.get("/team", endpoint="team")
@login_required
def team_page() -> str:
    return _render()


def _render(plan: dict[str, Any] | None = None, form: dict[str, Any] | None = None) -> str:
    store = services(current_app).store
    now = clock.now().astimezone(inbox.TIMEZONE)
    return render_template("team.html", substitutions=substitutes.list_substitutions(store, g.user),
                           manager=_manager(), plan=plan, form=form or {}, reasons=REASONS,
                           start=now.strftime("%Y-%m-%dT%H:%M"),
                           end=(now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))


def _local(text: str) -> datetime:
    """A `datetime-local` field (no zone): the case workers' time zone."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=inbox.TIMEZONE)
    except ValueError:
        raise InvalidData("not a time", fields={"time": "must be a date and time"}) from None


@bp.post("/team/substitutes", endpoint="team_substitute")
@login_required
def name_substitute() -> Response:
    store = services(current_app).store
    try:
        made = substitutes.name_substitute(store, g.user, _field("absent") or g.user.username, _field("substitute"),
                                           _local(_field("starts_at")), _local(_field("ends_at")))
        flash(_("%(substitute)s stands in for %(absent)s.", substitute=made["substitute"], absent=made["absent"]))
    except InvalidData as error:
        flash(_("Not saved: %(problem)s", problem=_problem(error)), "error")
    except Conflict:
        flash(_("Not saved: there is a substitute in that period already."), "error")
    return redirect(url_for("web.team"))


@bp.post(f"/team/substitutes/<int(max={MAX_ID}):substitution_id>/end", endpoint="team_substitute_end")
@login_required
def end_substitute(substitution_id: int) -> Response:
    substitutes.end_substitution(services(current_app).store, g.user, substitution_id)
    flash(_("The substitution has ended."))
    return redirect(url_for("web.team"))


@bp.post("/team/reassign", endpoint="team_reassign")
@login_required
def reassign_tasks() -> str | Response:
    form: dict[str, Any] = {"source": _field("source"), "target": _field("target"),
                            "to_queue": request.form.get("to_queue") == "1"}
    if not form["source"] or bool(form["target"]) == form["to_queue"]:
        flash(_("Give the user, and either a colleague or the queue."), "error")
        return redirect(url_for("web.team"))
    try:
        plan = reassign(services(current_app).engine, g.user, form["source"],
                        None if form["to_queue"] else form["target"], apply=request.form.get("apply") == "1")
    except InvalidData as error:
        flash(_("Not done: %(problem)s", problem=_problem(error)), "error")
        return redirect(url_for("web.team"))
    return _render(plan=plan, form=form)


# -- saved inbox filters ---------------------------------------------------------------------------
def filter_link(fields: dict[str, Any], filter_id: int) -> str:
    """The inbox address showing a saved filter (its due window as the day it ends today)."""
    params = {k: v for k, v in fields.items() if k != "due_within_days"}
    if "due_within_days" in fields:
        day = clock.now().astimezone(inbox.TIMEZONE).date() + timedelta(days=int(fields["due_within_days"]))
        params["due_by"] = day.isoformat()
    params["saved"] = filter_id
    return url_for("web.inbox") + "?" + urlencode(params)


def saved_for_inbox() -> list[dict[str, Any]]:
    pathways = services(current_app)
    found = saved_filters.list_filters(pathways.store, g.user, pathways.roles)
    return [{**f, "link": filter_link(f["filter"], f["id"])} for f in found]


@bp.post("/inbox/filters", endpoint="inbox_filter_save")
@login_required
def save_filter() -> Response:
    fields: dict[str, Any] = {k: _field(k, 200) for k in saved_filters.FIELDS if k != "due_within_days" and _field(k)}
    if _field("due_within_days"):
        try:
            fields["due_within_days"] = int(_field("due_within_days"))
        except ValueError:
            fields["due_within_days"] = -1  # refused below, with the field named
    try:
        saved = saved_filters.save_filter(services(current_app).store, g.user, _field("name", 200), fields,
                                          request.form.get("shared") == "1")
    except InvalidData as error:
        flash(_("Filter not saved: %(problem)s", problem=_problem(error)), "error")
        return redirect(url_for("web.inbox"))
    except Conflict:
        flash(_("Filter not saved: you have the most saved filters already."), "error")
        return redirect(url_for("web.inbox"))
    flash(_("Filter %(name)s saved.", name=saved["name"]))
    return redirect(filter_link(saved["filter"], saved["id"]))


@bp.post(f"/inbox/filters/<int(max={MAX_ID}):filter_id>/delete", endpoint="inbox_filter_delete")
@login_required
def delete_filter(filter_id: int) -> Response:
    saved_filters.delete_filter(services(current_app).store, g.user, filter_id)
    flash(_("Filter deleted."))
    return redirect(url_for("web.inbox"))


@bp.post(f"/inbox/filters/<int(max={MAX_ID}):filter_id>/claim", endpoint="inbox_filter_claim")
@login_required
def claim_all(filter_id: int) -> Response:
    done = saved_filters.bulk(services(current_app).engine, g.user, filter_id, "claim")
    flash(_("%(done)s tasks claimed, %(refused)s refused.", done=done["done"], refused=done["refused"]),
          "error" if done["refused"] else "message")
    return redirect(url_for("web.inbox", view="mine"))


def pending_releases() -> list[dict[str, Any]]:
    """For the supervisor dashboard: disabled users' claims still waiting (counts only)."""
    pathways = services(current_app)
    return released.pending(pathways.store, g.user, pathways.config.release_grace)
