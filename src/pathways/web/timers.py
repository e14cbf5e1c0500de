"""The timers page: the waiting timers of cases, for administrators; fire one now or reschedule it.

The same services as `/api/v1/timers` (`pathways.tasks.timers`): administrators see the timers
of the cases their agency takes part in (everyone else: 403), filtered by pathway, element and
whether they are overdue; each row fires now or moves to a new date and time (Europe/Warsaw, as
the page shows times) with a reason. Each action answers with a message and back to the list; a
timer that no longer waits, or one of another agency's case, answers 404 (the same page for
both, so it tells nothing about other agencies' cases).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import CaseNotActive, Conflict, InvalidData
from pathways.tasks import incidents, timers
from pathways.web.cases import WARSAW, iso, when
from pathways.web.session import bp, login_required

_TIMER = "<string(length=36):timer_id>"


def _query() -> tuple[timers.TimerQuery, dict[str, str]]:
    args = {key: (request.args.get(key) or "").strip()[:200] for key in ("pathway", "element", "overdue")}
    overdue = {"yes": True, "no": False}.get(args["overdue"])
    return timers.TimerQuery(args["pathway"] or None, args["element"] or None, overdue), args


def _names(found: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    pathways = services(current_app)
    return incidents.element_names(pathways.store, pathways.engine, found)


@bp.get("/timers", endpoint="timers")
@login_required
def timers_page() -> str:
    query, args = _query()
    found = timers.list_timers(services(current_app).store, g.user, query)
    names = _names(found)
    for item in found:
        item["name"] = names.get((item["pathway"], item["element"]), item["element"])
    return render_template("timers.html", timers=found, args=args, when=when, iso=iso,
                           overdue=sum(item["overdue"] for item in found),
                           pathways=sorted({item["pathway"] for item in found} | ({args["pathway"]} - {""})))


def _back() -> Response:
    keep = {key: value for key in ("pathway", "element", "overdue") if (value := request.form.get(f"_{key}"))}
    return redirect(url_for("web.timers", **keep))  # type: ignore[arg-type]


@bp.post(f"/timers/{_TIMER}/fire", endpoint="fire_timer")
@login_required
def fire_timer(timer_id: str) -> Response:
    pathways = services(current_app)
    try:
        done = timers.fire_timer(pathways.store, pathways.engine, g.user, timer_id)
    except CaseNotActive:
        flash(_("The case of this timer is no longer active: the timer does not fire. Nothing was done."), "error")
    except Conflict:
        flash(_("The case changed meanwhile: nothing was done. Look at the list again."), "error")
    else:
        flash(_("Timer fired: case %(case)s went on.", case=done["case_id"]))
    return _back()


def local_time(text: str) -> datetime:
    """A `datetime-local` field's value, meant in Europe/Warsaw; `InvalidData` if malformed."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=WARSAW)
    except ValueError:
        raise InvalidData("the new due time is not a date and time", fields={"at": "malformed"}) from None


@bp.post(f"/timers/{_TIMER}/reschedule", endpoint="reschedule_timer")
@login_required
def reschedule_timer(timer_id: str) -> Response:
    pathways = services(current_app)
    try:
        at = local_time((request.form.get("at") or "")[:40])
        done = timers.reschedule_timer(pathways.store, pathways.engine, g.user, timer_id, at,
                                       (request.form.get("reason") or "")[:2000])
    except InvalidData as error:
        fields = error.details.get("fields")
        if isinstance(fields, dict) and "reason" in fields:
            flash(_("Give the reason for moving the timer."), "error")
        else:
            flash(_("Choose a date and time in the future."), "error")
    except CaseNotActive:
        flash(_("The case of this timer is no longer active: the timer does not move. Nothing was done."), "error")
    except Conflict:
        flash(_("The case changed meanwhile: nothing was done. Look at the list again."), "error")
    else:
        flash(_("Timer of case %(case)s moved to %(when)s.", case=done["case_id"], when=when(done["due_at"])))
    return _back()
