"""The person's rights on the pages: the auditor's export (GDPR art. 15), corrections (art. 16).

A form asks for the pseudonym; the page then shows the export inline (the same document the
command line writes, `pathways.privacy.export_html`) and offers it as a JSON or HTML file. The
same service as `GET /api/v1/privacy/people/<pseudonym>/export`: only the `auditor` role (everyone
else 403, audited), and every export shown or downloaded is one `privacy.export` entry.

A case worker corrects a value from the case page's form (`correctable_fields` lists what they
may correct); the rules are `pathways.privacy.rectify`'s, as for the API.
"""

from __future__ import annotations

import json

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from pathways.base.values import jsonable
from pathways.core import services
from pathways.engine.errors import Conflict, InvalidData, NotFound
from pathways.privacy import export_html
from pathways.privacy.export import EXPORTERS, export_person, may_export
from pathways.privacy.rectify import correctable_fields, rectify
from pathways.tasks import audit
from pathways.tasks.access import MAX_ID
from pathways.web.session import bp, login_required


def _require_exporter() -> None:
    if not may_export(g.user):
        audit.require_role(services(current_app).store, g.user, EXPORTERS, request.endpoint or "web",
                           "the export of a person's data is for the auditor (data protection officer)")


@bp.get("/privacy/export", endpoint="privacy_export")
@login_required
def export_page() -> tuple[str, int]:
    _require_exporter()
    pseudonym = (request.args.get("pseudonym") or "").strip()[:32]
    body, error, status = None, None, 200
    if pseudonym:
        pathways = services(current_app)
        try:
            found = export_person(pathways.store, pathways.engine, g.user, pseudonym, fmt="page")
            pseudonym = found["person"]["pseudonym"]
            body = Markup(export_html.render_body(found))  # noqa: S704 - autoescaped by its own environment
        except InvalidData:
            error, status = "malformed", 400
        except NotFound:
            error, status = "unknown", 404
    return render_template("privacy_export.html", pseudonym=pseudonym, body=body, error=error), status


@bp.get("/privacy/export/<string(maxlength=32):pseudonym>.<any(json, html):fmt>", endpoint="privacy_export_file")
@login_required
def export_file(pseudonym: str, fmt: str) -> Response:
    _require_exporter()
    pathways = services(current_app)
    found = export_person(pathways.store, pathways.engine, g.user, pseudonym, fmt=fmt)
    name = f"osoba-{found['person']['pseudonym']}.{fmt}"
    if fmt == "html":
        data, kind = export_html.render(found), "text/html; charset=utf-8"
    else:
        data, kind = json.dumps(jsonable(found), ensure_ascii=False, indent=2), "application/json"
    return Response(data, content_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- rectification (GDPR art. 16) from the case page ----------------------------------------------
@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/corrections", endpoint="correct_value")
@login_required
def correct_value(case_id: int) -> WerkzeugResponse:
    """The case page's correction form: the same service as `POST /api/v1/cases/<id>/corrections`."""
    pathways = services(current_app)
    choice = request.form.get("field") or ""
    # the form names fields by their place in the list (field ids are never shown on the pages)
    fields = correctable_fields(pathways.store, pathways.engine, g.user, case_id) if choice.isdigit() else []
    picked = fields[int(choice)] if choice.isdigit() and int(choice) < len(fields) else None
    value = request.form.get("value", "")
    if picked is not None:  # a choice may be typed as its label, as the form shows it
        value = next((o["id"] for o in picked["options"] if o["label"].casefold() == value.strip().casefold()),
                     value)
    try:
        rectify(pathways.store, pathways.engine, g.user, case_id, picked["id"] if picked else f"#{choice[:8]}",
                value, request.form.get("reason", ""))
    except InvalidData as invalid:
        problems = invalid.details.get("fields")
        wrong: set[str] = set(problems) if isinstance(problems, dict) else set()
        flash(_("Give the reason for the correction.") if "reason" in wrong else
              _("The new value is not valid for this field.") if "value" in wrong else
              _("This value cannot be corrected here."), "error")
    except Conflict:
        flash(_("The case changed meanwhile: nothing was corrected; try again."), "error")
    else:
        flash(_("The value was corrected; the timeline records it with your reason."))
    return redirect(url_for("web.case", case_id=case_id) + "#correct")
