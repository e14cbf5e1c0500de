"""Cases: start, list (filtered, paged), read one, send a message.

    POST /api/v1/cases                  any case-work role
    GET  /api/v1/cases                  ?pathway&stage&status&agency&q&sort&page&per_page
    GET  /api/v1/cases/{id}
    POST /api/v1/cases/{id}/messages    {name, payload}

A case the user's agency does not take part in answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.schemas import CaseDetailSchema, CaseListQuerySchema, CasePageSchema, MessageSchema, StartCaseSchema
from pathways.core import services
from pathways.privacy import sharing
from pathways.tasks import cases
from pathways.tasks.access import MAX_ID

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                description="Cases of the agencies you work for: start, list, read, send messages.")


@blp.route("", methods=["POST"])
@auth_required
@blp.arguments(StartCaseSchema)
@blp.response(201, CaseDetailSchema)
@blp.alt_response(403, description="You hold no case-work role")
def start_case(args: dict[str, Any]) -> dict[str, Any]:
    """Start a case of a pathway's latest version; your agency must be one of its agencies."""
    pathways = services(current_app)
    return sharing.start_case(pathways.store, pathways.engine, current_user(), args["pathway"], args["data"],
                              args.get("agencies"), args["beneficiary"], args.get("bases"))


@blp.route("", methods=["GET"])
@auth_required
@blp.arguments(CaseListQuerySchema, location="query")
@blp.response(200, CasePageSchema)
def list_cases(args: dict[str, Any]) -> dict[str, Any]:
    """The cases your agency takes part in, filtered, sorted and paged, with the total count."""
    return cases.list_cases(services(current_app).store, current_user(), cases.CaseQuery(**args))


@blp.route(f"/<int(max={MAX_ID}):case_id>", methods=["GET"])
@auth_required
@blp.response(200, CaseDetailSchema)
def get_case(case_id: int) -> dict[str, Any]:
    """A case: stage and history, agencies, open tasks, data and timeline (redacted for you), measures."""
    pathways = services(current_app)
    return cases.case_detail(pathways.store, pathways.engine, current_user(), case_id)


@blp.route(f"/<int(max={MAX_ID}):case_id>/messages", methods=["POST"])
@auth_required
@blp.arguments(MessageSchema)
@blp.response(200, CaseDetailSchema)
@blp.alt_response(409, description="The case is not active or not waiting for this message")
def send_message(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Deliver a BPMN message (e.g. a document arrived) to a case waiting for it."""
    pathways = services(current_app)
    return cases.send_message(pathways.store, pathways.engine, current_user(), case_id, args["name"],
                              args["payload"])
