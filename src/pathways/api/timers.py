"""Timers: the waiting timers of cases, for the administrators.

    GET  /api/v1/timers                       ?pathway&element&overdue&case
                                              admin: the timers of the cases their agency takes part in
    POST /api/v1/timers/{id}/fire             admin: fire it now
    POST /api/v1/timers/{id}/reschedule       admin: {at, reason}: a new due time in the future

A timer of a case the user's agency does not take part in answers 404, as one that does not
exist. Who may what: `pathways.tasks.timers`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.timer_schemas import FiredSchema, RescheduleSchema, TimerQuerySchema, TimerSchema
from pathways.core import services
from pathways.tasks import timers

blp = Blueprint("timers", __name__, url_prefix="/api/v1/timers",
                description="Waiting timers of cases: list, fire now, reschedule (admin).")

_TIMER = "<string(length=36):timer_id>"


@blp.route("", methods=["GET"])
@auth_required
@blp.arguments(TimerQuerySchema, location="query")
@blp.response(200, TimerSchema(many=True))
@blp.alt_response(403, description="You are not an administrator")
def list_timers(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Waiting timers of the cases your agency takes part in, earliest due first."""
    return timers.list_timers(services(current_app).store, current_user(), timers.TimerQuery(**args))


@blp.route(f"/{_TIMER}/fire", methods=["POST"])
@auth_required
@blp.response(200, FiredSchema)
@blp.alt_response(403, description="You are not an administrator")
@blp.alt_response(404, description="No such waiting timer in a case of your agency")
@blp.alt_response(409, description="The case is not active, or it changed meanwhile")
def fire_timer(timer_id: str) -> dict[str, Any]:
    """Fire a waiting timer now: its case moves on as if the due time had come."""
    pathways = services(current_app)
    return timers.fire_timer(pathways.store, pathways.engine, current_user(), timer_id)


@blp.route(f"/{_TIMER}/reschedule", methods=["POST"])
@auth_required
@blp.arguments(RescheduleSchema)
@blp.response(200, TimerSchema)
@blp.alt_response(403, description="You are not an administrator")
@blp.alt_response(404, description="No such waiting timer in a case of your agency")
@blp.alt_response(409, description="The case is not active, or it changed meanwhile")
def reschedule_timer(args: dict[str, Any], timer_id: str) -> dict[str, Any]:
    """Move a waiting timer to a new due time in the future, with a reason (sealed in the case's timeline)."""
    pathways = services(current_app)
    return timers.reschedule_timer(pathways.store, pathways.engine, current_user(), timer_id, args["at"],
                                   args["reason"])
