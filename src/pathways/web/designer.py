"""The designer's pages: deployed pathways and their versions, one version's structure and diagram,
and uploading BPMN/DMN files.

Designers and admins only (others get 403), as `POST /api/v1/definitions`. Uploads go through the
same service as the API (`pathways.tasks.definitions.upload`): lint with the deployed files they
touch, then deploy; a lint error deploys nothing and is shown as a table of located problems.
Bytes that are not XML, not UTF-8 or above the size limit get a message on the page, never a 500.
Lint messages come from the engine in English (they name BPMN elements and attributes); the page
around them is translated.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from pathways.core import services
from pathways.engine.definitions import SourceFile
from pathways.engine.errors import InvalidDefinition
from pathways.tasks import audit, decisions, definitions, uploads
from pathways.web.cases import HELPERS
from pathways.web.diagrams import draw
from pathways.web.session import bp, login_required

DESIGN_ROLES = frozenset({"designer", "admin"})


def _require_designer() -> None:
    if not DESIGN_ROLES & g.user.roles:
        audit.require_role(services(current_app).store, g.user, DESIGN_ROLES, request.endpoint or "web",
                           "the designer pages need the designer or admin role")


def _render_index(result: dict[str, Any] | None = None, problems: list[dict[str, Any]] | None = None,
                  error: str | None = None, status: int = 200) -> tuple[str, int]:
    pathways = definitions.list_versions(services(current_app).store)
    html = render_template("designer.html", pathways=pathways, result=result, problems=problems, error=error,
                           limit_mib=_limit_mib(), **HELPERS)
    return html, status


def _limit_mib() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / 1024 / 1024:g}"


@bp.get("/designer", endpoint="designer")
@login_required
def designer() -> tuple[str, int]:
    _require_designer()
    return _render_index()


def _read_parts() -> tuple[list[SourceFile], str | None]:
    """The uploaded files, or a message saying why they cannot be linted at all."""
    parts = [p for p in request.files.getlist("file") if p.filename]  # a form sent with no file chosen
    if not parts:
        return [], _("Choose one or more BPMN or DMN files to upload.")
    try:
        return uploads.read_uploads((part.filename, part.read()) for part in parts), None
    except uploads.UnreadableUpload as refused:
        name = refused.details["file"]
        if refused.details["reason"] == "not_utf8":
            return [], _("%(file)s is not UTF-8 text: save it again from the modeler.", file=name)
        return [], _("%(file)s is not an XML document: upload BPMN or DMN files as the modeler saves them.",
                     file=name)


@bp.post("/designer/upload", endpoint="designer_upload")
@login_required
def upload() -> tuple[str, int]:
    _require_designer()
    files, error = _read_parts()
    if error:
        return _render_index(error=error, status=400)
    pathways = services(current_app)
    try:
        result = definitions.upload(pathways.store, pathways.roles, g.user, files, pathways.deployers)
    except InvalidDefinition as failure:
        problems = failure.details.get("problems")
        if not isinstance(problems, list) or not problems:
            return _render_index(error=_("The files could not be deployed."), status=400)
        return _render_index(problems=problems, status=400)
    return _render_index(result={**result, "files": [f.filename for f in files]})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body above the limit: on the upload, the designer page with a message; elsewhere an error page."""
    message = _("The upload is larger than the limit of %(limit)s MiB; nothing was deployed.", limit=_limit_mib())
    if request.endpoint == "web.designer_upload" and g.get("user") is not None and DESIGN_ROLES & g.user.roles:
        return _render_index(error=message, status=413)
    return render_template("error.html", status=413, title=_("Too large"), text=message), 413


def version_arg() -> int | None:
    text = request.args.get("version", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


@bp.get("/designer/<string:key>", endpoint="designer_pathway")
@login_required
def pathway(key: str) -> str:
    _require_designer()
    pathways = services(current_app)
    detail = definitions.definition_detail(pathways.store, pathways.engine, key, version_arg())
    svg, no_diagram = draw(definitions.diagram_source(pathways.store, key, detail["version"]), key, no_layout=_(
        "This version cannot be drawn: its BPMN file has no diagram layout (save it from the modeler with its "
        "diagram)."))
    tried = decisions.decision_list(pathways.store, key, detail["version"])
    return render_template("designer_pathway.html", d=detail, svg=svg, no_diagram=no_diagram, decisions=tried,
                           **HELPERS)
