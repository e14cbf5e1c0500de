"""The audit log, for auditors (data protection officers) and administrators.

    GET /api/v1/audit      ?user&case&action&from&to&page&per_page&format=json|csv

Everyone else gets 403 (and an `access.denied` entry). Each read is itself audited: one
`audit.read` entry with the filters, not one per entry shown.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from pathways.api import Blueprint
from pathways.api.audit_schemas import AuditPageSchema, AuditQuerySchema
from pathways.api.auth import current_user, role_required
from pathways.api.errors import ErrorSchema
from pathways.core import services
from pathways.reports.audit_log import audit_csv
from pathways.reports.export import CONTENT_TYPES
from pathways.tasks import audit

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="The audit log: who read or changed what, sign-ins, refusals (auditor or admin).")


def query_of(args: dict[str, Any]) -> audit.AuditQuery:
    return audit.AuditQuery(
        user=args.get("user") or None, case=args.get("case"), action=args.get("action") or None,
        since=audit.parse_time(args.get("date_from"), field="from"),
        until=audit.parse_time(args.get("date_to"), field="to", end=True),
        page=args.get("page", 1), per_page=args.get("per_page", 50))


@blp.route("", methods=["GET"])
@role_required(*sorted(audit.READERS))
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
@blp.doc(responses={"200": {
    "description": "One page of entries, newest first; with `format=csv` every matching entry as a file",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditPage"}},
                CONTENT_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}}}}})
@blp.alt_response(400, schema=ErrorSchema, description="A filter is not valid (`fields` says which)")
def read_audit(args: dict[str, Any]) -> Any:
    """The audit log, newest first, filtered by user, case, action and period (auditor or admin)."""
    store = services(current_app).store
    query = query_of(args)
    if args["format"] == "csv":
        entries = audit.export_log(store, current_user(), query, fmt="csv")
        return Response(audit_csv(entries), content_type=CONTENT_TYPES["csv"],
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    return audit.read_log(store, current_user(), query)
