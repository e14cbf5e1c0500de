"""Pathway definitions: list, one version's structure, upload (BPMN/DMN), the diagram as SVG.

    GET  /api/v1/definitions
    GET  /api/v1/definitions/{key}[?version=N]
    POST /api/v1/definitions                      multipart `file` parts; designer or admin, deployers.toml
    GET  /api/v1/definitions/{key}/diagram.svg[?version=N]
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.exceptions import UnsupportedMediaType

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user, role_required
from pathways.api.errors import ErrorSchema
from pathways.api.schemas import (
    DefinitionDetailSchema,
    DefinitionSummarySchema,
    UploadResultSchema,
    VersionQuerySchema,
)
from pathways.core import services
from pathways.tasks import definitions, uploads

blp = Blueprint("definitions", __name__, url_prefix="/api/v1/definitions",
                description="Deployed pathway definitions (BPMN/DMN): browse, upload, draw.")

UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                "description": "BPMN or DMN files (repeat the part)"}},
        "required": ["file"],
    }}},
}


@blp.route("", methods=["GET"])
@auth_required
@blp.response(200, DefinitionSummarySchema(many=True))
def list_definitions() -> list[dict[str, Any]]:
    """Every deployed pathway: its latest version, name and number of versions."""
    return definitions.list_definitions(services(current_app).store)


@blp.route("", methods=["POST"])
@role_required("designer", "admin")
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, UploadResultSchema)
@blp.alt_response(400, schema=ErrorSchema, description="Lint problems (`problems`), or no file: nothing deployed")
@blp.alt_response(403, schema=ErrorSchema, description="Needs the designer or admin role, and an agency that "
                  "`workflows/deployers.toml` allows to deploy each changed pathway (refusals are audited)")
@blp.alt_response(413, schema=ErrorSchema, description="The body is larger than the upload limit")
@blp.alt_response(415, schema=ErrorSchema,
                  description="Not multipart/form-data, or a part that is not an XML document in UTF-8")
def upload_definitions() -> dict[str, Any]:
    """Upload BPMN/DMN files: lint them with the deployed files they need, then deploy.

    Lint errors answer 400 with `problems` (nothing is deployed); 413 above the size limit;
    415 when the request is not multipart or a part is not XML.
    """
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the files as multipart/form-data parts named 'file'")
    files = uploads.read_uploads((part.filename, part.read()) for part in request.files.getlist("file"))
    pathways = services(current_app)
    return definitions.upload(pathways.store, pathways.roles, current_user(), files, pathways.deployers)


@blp.route("/<string:key>", methods=["GET"])
@auth_required
@blp.arguments(VersionQuerySchema, location="query")
@blp.response(200, DefinitionDetailSchema)
def get_definition(args: dict[str, Any], key: str) -> dict[str, Any]:
    """A pathway's versions, and the stages, lanes and user tasks (with forms) of one version."""
    pathways = services(current_app)
    return definitions.definition_detail(pathways.store, pathways.engine, key, args.get("version"))


@blp.route("/<string:key>/diagram.svg", methods=["GET"])
@auth_required
@blp.arguments(VersionQuerySchema, location="query")
@blp.response(200, content_type="image/svg+xml",
              example="<svg xmlns='http://www.w3.org/2000/svg'>...</svg>")
def get_diagram(args: dict[str, Any], key: str) -> Response:
    """The pathway's BPMN diagram drawn as SVG (404 when the file has no diagram)."""
    content = definitions.diagram_source(services(current_app).store, key, args.get("version"))
    try:
        from pathways.diagram import render_svg
    except ImportError:
        raise HttpNotFound("diagrams cannot be drawn by this installation") from None
    svg = render_svg(content, process_id=key)
    body = svg.encode("utf-8") if isinstance(svg, str) else svg
    return Response(body, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})
