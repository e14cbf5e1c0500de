"""The incidents page: background work of a case that kept failing and waits for an administrator.

The same services as `/api/v1/incidents` (`pathways.tasks.incidents`): administrators and the
partnership's supervisors see the incidents of the cases their agency takes part in (everyone
else: 403); administrators retry one incident, every incident of one element of a pathway, or
cancel the case with a reason. Each action answers with a message and back to the list.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import Conflict, InvalidData
from pathways.tasks import incidents
from pathways.tasks.access import MAX_ID
from pathways.web.cases import iso, when
from pathways.web.session import bp, login_required


def _status() -> str:
    status = request.args.get("status", "open")
    return status if status in incidents.STATUSES else "open"


def kind_name(kind: str) -> str:
    """An error's kind (`PathwaysError.code`) as people read it."""
    names = {"script_error": _("script or expression"), "limit_exceeded": _("limit exceeded"),
             "internal_error": _("system error"), "case_not_active": _("case no longer active")}
    return str(names.get(kind, kind))


def _groups(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The incidents by pathway and element, the largest group first (one fix often resolves it all)."""
    def key(item: dict[str, Any]) -> tuple[str, str]:
        return item["pathway"], item["element"]

    pathways = services(current_app)
    names = incidents.element_names(pathways.store, pathways.engine, found)
    groups = [{"pathway": pathway, "element": element, "name": names.get((pathway, element), element),
               "items": list(items)} for (pathway, element), items in groupby(sorted(found, key=key), key=key)]
    return sorted(groups, key=lambda group: (-len(group["items"]), group["pathway"], group["element"]))


@bp.get("/incidents", endpoint="incidents")
@login_required
def incidents_page() -> str:
    status = _status()
    found = incidents.list_incidents(services(current_app).store, g.user, incidents.IncidentQuery(status=status))
    return render_template("incidents.html", groups=_groups(found), status=status, total=len(found),
                           manages=bool(g.user.roles & incidents.MANAGERS), when=when, iso=iso,
                           kind_name=kind_name)


def _outcome(result: dict[str, Any]) -> None:
    if result["outcome"] == "resolved":
        flash(_("Incident %(id)s resolved: case %(case)s went on.", id=result["id"], case=result["case_id"]))
    elif result["outcome"] == "cancelled":
        flash(_("Incident %(id)s closed: case %(case)s had ended.", id=result["id"], case=result["case_id"]))
    else:
        flash(_("Incident %(id)s failed again (attempt %(attempts)s); see reference %(reference)s in the server log.",
                id=result["id"], attempts=result["attempts"], reference=result["reference"]), "error")


@bp.post(f"/incidents/<int(max={MAX_ID}):incident_id>/retry", endpoint="retry_incident")
@login_required
def retry_incident(incident_id: int) -> Response:
    pathways = services(current_app)
    try:
        _outcome(incidents.retry_incident(pathways.store, pathways.engine, g.user, incident_id))
    except Conflict:
        flash(_("Incident %(id)s is no longer open, or its case changed meanwhile: nothing was done.",
                id=incident_id), "error")
    return redirect(url_for("web.incidents"))


@bp.post("/incidents/retry", endpoint="retry_element")
@login_required
def retry_element() -> Response:
    pathways = services(current_app)
    element, key = (request.form.get("element") or "")[:200], (request.form.get("key") or "")[:200]
    summary = incidents.retry_element(pathways.store, pathways.engine, g.user, element, key)
    flash(_("%(retried)s incidents retried: %(resolved)s resolved, %(open)s still open.",
            retried=summary["retried"], resolved=summary["resolved"], open=summary["still_open"]),
          "error" if summary["still_open"] else "message")
    return redirect(url_for("web.incidents"))


@bp.post(f"/incidents/<int(max={MAX_ID}):incident_id>/cancel-case", endpoint="cancel_incident_case")
@login_required
def cancel_case(incident_id: int) -> Response:
    pathways = services(current_app)
    try:
        done = incidents.cancel_case(pathways.store, pathways.engine, g.user, incident_id,
                                     (request.form.get("reason") or "")[:2000])
    except InvalidData:
        flash(_("Give the reason for cancelling the case."), "error")
    except Conflict:
        flash(_("Incident %(id)s is no longer open, or its case changed meanwhile: nothing was done.",
                id=incident_id), "error")
    else:
        flash(_("Case %(case)s cancelled; its incidents are closed.", case=done["case_id"]))
    return redirect(url_for("web.incidents"))
