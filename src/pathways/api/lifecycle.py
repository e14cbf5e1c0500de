"""A case's lifecycle: cancel, close early, suspend, resume; and the stuck cases.

    GET  /api/v1/cases/{id}/lifecycle   anyone who sees the case: status, suspension, what you may do
    POST /api/v1/cases/{id}/cancel      {reason, note}     coordinator (supervisor) or admin
    POST /api/v1/cases/{id}/close       {outcome, note}    coordinator (supervisor) or admin
    POST /api/v1/cases/{id}/suspend     {note}             coordinator (supervisor) or admin
    POST /api/v1/cases/{id}/resume      {timers?}          coordinator (supervisor) or admin
    GET  /api/v1/cases/stuck            supervisor or admin: cases with a task no agency can take

A case the user's agency does not take part in answers 404, as if it did not exist; a case that
is not running answers 409. Who may what: `pathways.tasks.lifecycle`, `pathways.tasks.stuck`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.lifecycle_schemas import (
    CancelSchema,
    CloseSchema,
    LifecycleSchema,
    ResumeSchema,
    StuckCaseSchema,
    SuspendSchema,
)
from pathways.core import services
from pathways.tasks import lifecycle, stuck
from pathways.tasks.access import MAX_ID

blp = Blueprint("lifecycle", __name__, url_prefix="/api/v1/cases",
                description="A case's lifecycle (cancel, close early, suspend, resume) and the stuck cases.")

_CASE = f"/<int(max={MAX_ID}):case_id>"


@blp.route(f"{_CASE}/lifecycle", methods=["GET"])
@auth_required
@blp.response(200, LifecycleSchema)
def get_lifecycle(case_id: int) -> dict[str, Any]:
    """The case's status and suspension, what you may do with it, the reasons and outcomes to choose from."""
    pathways = services(current_app)
    return lifecycle.lifecycle_of(pathways.store, pathways.engine, current_user(), case_id)


@blp.route(f"{_CASE}/cancel", methods=["POST"])
@auth_required
@blp.arguments(CancelSchema)
@blp.response(200, LifecycleSchema)
@blp.alt_response(403, description="You are neither the partnership's coordinator nor an administrator")
@blp.alt_response(409, description="The case is not running (completed, cancelled, closed or failed)")
def cancel_case(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Cancel a running case: its open tasks leave every inbox, its timers are removed; it stays readable."""
    pathways = services(current_app)
    return lifecycle.cancel_case(pathways.store, pathways.engine, current_user(), case_id, args["reason"],
                                 args["note"])


@blp.route(f"{_CASE}/close", methods=["POST"])
@auth_required
@blp.arguments(CloseSchema)
@blp.response(200, LifecycleSchema)
@blp.alt_response(403, description="You are neither the partnership's coordinator nor an administrator")
@blp.alt_response(409, description="The case is not running")
def close_case(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Close a running case early with an outcome its pathway allows; the reports count the outcome."""
    pathways = services(current_app)
    return lifecycle.close_case(pathways.store, pathways.engine, current_user(), case_id, args["outcome"],
                                args["note"])


@blp.route(f"{_CASE}/suspend", methods=["POST"])
@auth_required
@blp.arguments(SuspendSchema)
@blp.response(200, LifecycleSchema)
@blp.alt_response(403, description="You are neither the partnership's coordinator nor an administrator")
@blp.alt_response(409, description="The case is not active")
def suspend_case(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Suspend an active case: its tasks cannot be claimed or completed, its timers wait."""
    pathways = services(current_app)
    return lifecycle.suspend_case(pathways.store, pathways.engine, current_user(), case_id, args["note"])


@blp.route(f"{_CASE}/resume", methods=["POST"])
@auth_required
@blp.arguments(ResumeSchema)
@blp.response(200, LifecycleSchema)
@blp.alt_response(403, description="You are neither the partnership's coordinator nor an administrator")
@blp.alt_response(409, description="The case is not suspended")
def resume_case(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Resume a suspended case; its timers shift by the suspension's length or the overdue ones fire."""
    pathways = services(current_app)
    mode = args.get("timers") or pathways.config.resume_timers
    return lifecycle.resume_case(pathways.store, pathways.engine, current_user(), case_id, mode)


@blp.route("/stuck", methods=["GET"])
@auth_required
@blp.response(200, StuckCaseSchema(many=True))
@blp.alt_response(403, description="You are neither a supervisor nor an administrator")
def list_stuck() -> list[dict[str, Any]]:
    """Cases your agency takes part in with an open task no agency of the case can take, and why."""
    pathways = services(current_app)
    return stuck.list_stuck(pathways.store, current_user(), pathways.engine.roles)
