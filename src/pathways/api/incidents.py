"""Incidents: a case's background work that kept failing, waiting for an administrator.

    GET  /api/v1/incidents                      ?status=open|resolved|cancelled&element&pathway&case
                                                admin or supervisor: incidents of the cases their agency takes part in
    POST /api/v1/incidents/{id}/retry           admin: run the failed work again now
    POST /api/v1/incidents/retry                admin: {element, key}: every open incident of one element of a pathway
    POST /api/v1/incidents/{id}/cancel-case     admin: {reason}: cancel the incident's case

An incident of a case the user's agency does not take part in answers 404, as one that does not
exist. Who may what: `pathways.tasks.incidents`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.incident_schemas import (
    CancelCaseSchema,
    IncidentQuerySchema,
    IncidentSchema,
    RetriedElementSchema,
    RetriedSchema,
    RetryElementSchema,
)
from pathways.core import services
from pathways.tasks import incidents
from pathways.tasks.access import MAX_ID

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                description="Background work that kept failing (a timer's, a message delivery's): "
                            "list, retry, cancel the case (admin).")


@blp.route("", methods=["GET"])
@auth_required
@blp.arguments(IncidentQuerySchema, location="query")
@blp.response(200, IncidentSchema(many=True))
@blp.alt_response(403, description="You are neither an administrator nor a supervisor")
def list_incidents(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Incidents of the cases your agency takes part in, newest first (default: the open ones)."""
    return incidents.list_incidents(services(current_app).store, current_user(), incidents.IncidentQuery(**args))


@blp.route("/retry", methods=["POST"])
@auth_required
@blp.arguments(RetryElementSchema)
@blp.response(200, RetriedElementSchema)
@blp.alt_response(403, description="You are not an administrator")
def retry_element(args: dict[str, Any]) -> dict[str, Any]:
    """Retry every open incident of one element of a pathway (e.g. after deploying a fix or correcting data)."""
    pathways = services(current_app)
    return incidents.retry_element(pathways.store, pathways.engine, current_user(), args["element"], args["key"])


@blp.route(f"/<int(max={MAX_ID}):incident_id>/retry", methods=["POST"])
@auth_required
@blp.response(200, RetriedSchema)
@blp.alt_response(403, description="You are not an administrator")
@blp.alt_response(409, description="The incident is not open, or the case changed meanwhile")
def retry_incident(incident_id: int) -> dict[str, Any]:
    """Run the failed work again now: it resolves the incident, or counts one attempt more."""
    pathways = services(current_app)
    return incidents.retry_incident(pathways.store, pathways.engine, current_user(), incident_id)


@blp.route(f"/<int(max={MAX_ID}):incident_id>/cancel-case", methods=["POST"])
@auth_required
@blp.arguments(CancelCaseSchema)
@blp.response(200, IncidentSchema)
@blp.alt_response(403, description="You are not an administrator")
@blp.alt_response(409, description="The incident is not open, or the case changed meanwhile")
def cancel_case(args: dict[str, Any], incident_id: int) -> dict[str, Any]:
    """Cancel the incident's case with a reason; its open incidents close as cancelled."""
    pathways = services(current_app)
    return incidents.cancel_case(pathways.store, pathways.engine, current_user(), incident_id, args["reason"])
