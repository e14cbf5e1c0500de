"""Messages and signals from outside: correlate a message, broadcast a signal, list kept messages.

    POST /api/v1/messages   {name, correlation {field: value} | key, data, mode single|all, agencies}
    GET  /api/v1/messages   ?name&delivered&limit       kept messages (never their payload)
    POST /api/v1/signals    {name, data, agencies}

Who may send and what the answer tells: `pathways.tasks.messages` (integration and admin: any
case; a case worker: their agency's cases only, a foreign case answering as if it did not exist).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.message_schemas import (
    DeliverySchema,
    PendingPageSchema,
    PendingQuerySchema,
    SendMessageSchema,
    SendSignalSchema,
)
from pathways.core import services
from pathways.tasks import messages

blp = Blueprint("messages", __name__, url_prefix="/api/v1",
                description="Messages and signals from outside: to the cases waiting for them, or starting cases.")


@blp.route("/messages", methods=["POST"])
@auth_required
@blp.arguments(SendMessageSchema)
@blp.response(200, DeliverySchema)
@blp.alt_response(403, description="You hold neither a case-work role nor the integration role")
@blp.alt_response(404, description="`no_receiver`: mode single and no case (you may reach) waits for it")
@blp.alt_response(409, description="`message_ambiguous`: mode single and several cases wait for it")
def send_message(args: dict[str, Any]) -> dict[str, Any]:
    """Deliver a message to the case(s) waiting for it, start a case, or keep it for later."""
    pathways = services(current_app)
    return messages.send_message(pathways.store, pathways.engine, current_user(), args["name"], data=args["data"],
                                 correlation=args["correlation"], key=args["key"], mode=args["mode"],
                                 agencies=args["agencies"])


@blp.route("/messages", methods=["GET"])
@auth_required
@blp.arguments(PendingQuerySchema, location="query")
@blp.response(200, PendingPageSchema)
def list_messages(args: dict[str, Any]) -> dict[str, Any]:
    """Messages kept because no case waited for them yet: name, key name, times, attempts."""
    return messages.list_pending(services(current_app).store, current_user(), args.get("name"),
                                 args["delivered"], args["limit"])


@blp.route("/signals", methods=["POST"])
@auth_required
@blp.arguments(SendSignalSchema)
@blp.response(200, DeliverySchema)
@blp.alt_response(403, description="You hold neither a case-work role nor the integration role")
def send_signal(args: dict[str, Any]) -> dict[str, Any]:
    """Broadcast a signal to every waiting case you may reach; start the pathways it starts."""
    pathways = services(current_app)
    return messages.send_signal(pathways.store, pathways.engine, current_user(), args["name"], data=args["data"],
                                agencies=args["agencies"])
