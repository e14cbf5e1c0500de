"""The auditor's page of the person's rights: everything held about one person (GDPR art. 15).

A form asks for the pseudonym; the page then shows the export inline (the same document the
command line writes, `pathways.privacy.export_html`) and offers it as a JSON or HTML file. The
same service as `GET /api/v1/privacy/people/<pseudonym>/export`: only the `auditor` role (everyone
else 403, audited), and every export shown or downloaded is one `privacy.export` entry.
"""

from __future__ import annotations

import json

from flask import Response, current_app, g, render_template, request
from markupsafe import Markup

from pathways.base.values import jsonable
from pathways.core import services
from pathways.engine.errors import InvalidData, NotFound
from pathways.privacy import export_html
from pathways.privacy.export import EXPORTERS, export_person, may_export
from pathways.tasks import audit
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
