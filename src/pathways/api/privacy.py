"""The person's rights: access (export), rectification, erasure, and the records of processing.

    GET  /api/v1/privacy/people/<pseudonym>/export  ?format=json|html   auditor
    POST /api/v1/privacy/people/<pseudonym>/erase   {reason}            auditor
    GET  /api/v1/privacy/register                   ?format=json|md     auditor
    POST /api/v1/cases/<id>/corrections  {field, value, reason, expected?}  a collecting role

Everyone else gets 403 (404 for a case of other agencies), each refusal an `access.denied` entry;
the services (`pathways.privacy.*`) hold the rules and the audit entries.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user, role_required
from pathways.api.errors import ErrorSchema
from pathways.api.privacy_schemas import (
    CorrectionResultSchema,
    CorrectionSchema,
    ErasureResultSchema,
    ErasureSchema,
    ExportQuerySchema,
    RegisterQuerySchema,
)
from pathways.base.values import jsonable
from pathways.core import services
from pathways.privacy import export_html
from pathways.privacy.export import EXPORTERS, export_person
from pathways.privacy.rectify import rectify
from pathways.privacy.register import build_register, register_markdown
from pathways.privacy.retention import ERASERS, erase_person
from pathways.tasks.access import MAX_ID

blp = Blueprint("privacy", __name__, url_prefix="/api/v1",
                description="The person's rights (GDPR art. 15-17) and the records of processing (art. 30).")
#: a pseudonym in the path: bounded, so a hostile one is refused by the service, never echoed whole
PERSON = "/privacy/people/<string(maxlength=32):pseudonym>"


@blp.route(f"{PERSON}/export", methods=["GET"])
@role_required(*sorted(EXPORTERS))
@blp.arguments(ExportQuerySchema, location="query")
@blp.doc(responses={"200": {"description": "Everything held about the person: JSON, or with `format=html` "
                                           "the printable document in Polish",
                            "content": {"application/json": {"schema": {"type": "object"}},
                                        "text/html": {"schema": {"type": "string"}}}}})
@blp.alt_response(400, schema=ErrorSchema, description="Not a pseudonym")
@blp.alt_response(404, schema=ErrorSchema, description="No such person")
def export(args: dict[str, Any], pseudonym: str) -> Response:
    """Everything held about one person (GDPR art. 15), for the auditor; the export is audited."""
    pathways = services(current_app)
    found = export_person(pathways.store, pathways.engine, current_user(), pseudonym, fmt=args["format"])
    name = f"osoba-{found['person']['pseudonym']}"
    if args["format"] == "html":
        return Response(export_html.render(found), content_type="text/html; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.html"'})
    return Response(json.dumps(jsonable(found), ensure_ascii=False, indent=2), content_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@blp.route(f"{PERSON}/erase", methods=["POST"])
@role_required(*sorted(ERASERS))
@blp.arguments(ErasureSchema)
@blp.response(200, ErasureResultSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such person")
@blp.alt_response(409, schema=ErrorSchema, description="Refused (`erasure_refused`): a case is active or kept "
                                                       "under its retention obligation; the message says until when")
def erase(args: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    """Erase a person on request (GDPR art. 17): every case anonymised, the identity deleted; irreversible."""
    pathways = services(current_app)
    return erase_person(pathways.store, pathways.engine, current_user(), pseudonym, args["reason"])


@blp.route("/privacy/register", methods=["GET"])
@role_required(*sorted(EXPORTERS))
@blp.arguments(RegisterQuerySchema, location="query")
@blp.doc(responses={"200": {"description": "The annex of the records of processing, JSON or Markdown",
                            "content": {"application/json": {"schema": {"type": "object"}},
                                        "text/markdown": {"schema": {"type": "string"}}}}})
def register(args: dict[str, Any]) -> Response:
    """What each deployed pathway collects, for which stage, who sees it, how long (GDPR art. 30)."""
    pathways = services(current_app)
    found = build_register(pathways.store, pathways.engine)
    if args["format"] == "md":
        return Response(register_markdown(found), content_type="text/markdown; charset=utf-8")
    return Response(json.dumps(jsonable(found), ensure_ascii=False, indent=2), content_type="application/json")


@blp.route(f"/cases/<int(max={MAX_ID}):case_id>/corrections", methods=["POST"])
@auth_required
@blp.arguments(CorrectionSchema)
@blp.response(200, CorrectionResultSchema)
@blp.alt_response(403, schema=ErrorSchema, description="You hold none of the roles that collect the field")
@blp.alt_response(404, schema=ErrorSchema, description="No such case, or your agency takes no part in it")
@blp.alt_response(409, schema=ErrorSchema, description="The stored value is no longer `expected`, or the case is "
                                                       "being changed at the same moment")
def correct(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Correct one stored value of a case (GDPR art. 16), with a reason; recorded as `ValueCorrected`."""
    pathways = services(current_app)
    return rectify(pathways.store, pathways.engine, current_user(), case_id, args["field"], args["value"],
                   args["reason"], expected=args.get("expected"), check_expected="expected" in args)
