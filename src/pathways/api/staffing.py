"""People operations: hand on a user's tasks, substitutions, disabled users' claims, saved inbox filters.

    POST   /api/v1/users/{username}/reassign   {to | to_queue, apply}  a supervisor/admin of their agency
    GET    /api/v1/users/disabled-claims                              supervisor/admin: claims waiting for release
    GET    /api/v1/substitutions                                      yours (and, for a manager, your agency's)
    POST   /api/v1/substitutions               {absent?, substitute, starts_at, ends_at}
    POST   /api/v1/substitutions/{id}/end                             call it off now
    GET    /api/v1/saved-filters                                      yours and your agency's shared, with counts
    POST   /api/v1/saved-filters               {name, filter, shared}  save (a name of yours: replace)
    DELETE /api/v1/saved-filters/{id}                                 the owner only
    GET    /api/v1/saved-filters/{id}/tasks    ?page&per_page         your inbox through the filter
    POST   /api/v1/saved-filters/{id}/bulk     {action, username?}    claim/assign each task, results per task

Rules: `pathways.tasks.reassign`, `.substitutes`, `.saved_filters`, `.released` (docs/operations-people.md).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.staffing_schemas import (
    BulkResultSchema,
    BulkSchema,
    FilterPageQuerySchema,
    PendingReleaseSchema,
    ReassignResultSchema,
    ReassignSchema,
    SavedFilterSchema,
    SaveFilterSchema,
    SubstitutionInSchema,
    SubstitutionSchema,
)
from pathways.api.task_schemas import InboxPageSchema
from pathways.core import services
from pathways.tasks import audit, released, saved_filters, staff, substitutes
from pathways.tasks.access import MAX_ID
from pathways.tasks.inbox import InboxPage
from pathways.tasks.reassign import reassign

blp = Blueprint("staffing", __name__, url_prefix="/api/v1",
                description="People at work: hand on a user's tasks, substitutes, saved inbox filters.")

NOT_FOUND = "No such user, substitution or filter that you may see"


@blp.route("/users/<username>/reassign", methods=["POST"])
@auth_required
@blp.arguments(ReassignSchema)
@blp.response(200, ReassignResultSchema)
@blp.alt_response(403, description="You are neither a supervisor nor an administrator")
@blp.alt_response(404, description=NOT_FOUND)
def reassign_tasks(args: dict[str, Any], username: str) -> dict[str, Any]:
    """Hand every open task claimed by `username` to `to` (each one it may claim) or back to the queue."""
    target = None if args["to_queue"] else args["to"]
    return reassign(services(current_app).engine, current_user(), username, target, apply=args["apply"])


@blp.route("/users/disabled-claims", methods=["GET"])
@auth_required
@blp.response(200, PendingReleaseSchema(many=True))
@blp.alt_response(403, description="You are neither a supervisor nor an administrator")
def disabled_claims() -> list[dict[str, Any]]:
    """Disabled users still holding open tasks in cases your agency takes part in, and when they are released."""
    pathways = services(current_app)
    user = current_user()
    audit.require_role(pathways.store, user, {staff.SUPERVISOR, staff.ADMIN}, "tasks.disabled_claims")
    return released.pending(pathways.store, user, pathways.config.release_grace)


@blp.route("/substitutions", methods=["GET"])
@auth_required
@blp.response(200, SubstitutionSchema(many=True))
def list_substitutions() -> list[dict[str, Any]]:
    """Substitutions naming you, and your agency's if you are a supervisor or administrator."""
    return substitutes.list_substitutions(services(current_app).store, current_user())


@blp.route("/substitutions", methods=["POST"])
@auth_required
@blp.arguments(SubstitutionInSchema)
@blp.response(201, SubstitutionSchema)
@blp.alt_response(403, description="Neither the absent user nor their supervisor or administrator")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The absent user has a substitute in that period already")
def name_substitute(args: dict[str, Any]) -> dict[str, Any]:
    """Name a colleague of the same agency to work the absent user's claimed tasks during the period."""
    user = current_user()
    return substitutes.name_substitute(services(current_app).store, user, args.get("absent") or user.username,
                                       args["substitute"], args["starts_at"], args["ends_at"])


@blp.route(f"/substitutions/<int(max={MAX_ID}):substitution_id>/end", methods=["POST"])
@auth_required
@blp.response(200, SubstitutionSchema)
@blp.alt_response(404, description=NOT_FOUND)
def end_substitution(substitution_id: int) -> dict[str, Any]:
    """End a substitution now (the absent user, the substitute, or the absent's manager)."""
    return substitutes.end_substitution(services(current_app).store, current_user(), substitution_id)


@blp.route("/saved-filters", methods=["GET"])
@auth_required
@blp.response(200, SavedFilterSchema(many=True))
def list_filters() -> list[dict[str, Any]]:
    """Your saved filters and those your agency's colleagues share, each with the tasks it shows you."""
    pathways = services(current_app)
    return saved_filters.list_filters(pathways.store, current_user(), pathways.roles)


@blp.route("/saved-filters", methods=["POST"])
@auth_required
@blp.arguments(SaveFilterSchema)
@blp.response(201, SavedFilterSchema)
@blp.alt_response(409, description="You have the most saved filters already")
def save_filter(args: dict[str, Any]) -> dict[str, Any]:
    """Save a filter under a name (yours by that name is replaced); `shared` offers it to your agency."""
    return saved_filters.save_filter(services(current_app).store, current_user(), args["name"], args["filter"],
                                     args["shared"])


@blp.route(f"/saved-filters/<int(max={MAX_ID}):filter_id>", methods=["DELETE"])
@auth_required
@blp.response(204)
@blp.alt_response(403, description="Not your filter")
@blp.alt_response(404, description=NOT_FOUND)
def delete_filter(filter_id: int) -> None:
    """Delete one of your filters."""
    saved_filters.delete_filter(services(current_app).store, current_user(), filter_id)


@blp.route(f"/saved-filters/<int(max={MAX_ID}):filter_id>/tasks", methods=["GET"])
@auth_required
@blp.arguments(FilterPageQuerySchema, location="query")
@blp.response(200, InboxPageSchema)
@blp.alt_response(404, description=NOT_FOUND)
def filter_tasks(args: dict[str, Any], filter_id: int) -> InboxPage:
    """Your inbox through the filter: only tasks your own inbox holds."""
    pathways = services(current_app)
    return saved_filters.run_filter(pathways.store, current_user(), pathways.roles, filter_id, **args)[1]


@blp.route(f"/saved-filters/<int(max={MAX_ID}):filter_id>/bulk", methods=["POST"])
@auth_required
@blp.arguments(BulkSchema)
@blp.response(200, BulkResultSchema)
@blp.alt_response(404, description=NOT_FOUND)
def bulk(args: dict[str, Any], filter_id: int) -> dict[str, Any]:
    """Claim, or assign to `username`, each task the filter shows you (first 100), checked one by one."""
    return saved_filters.bulk(services(current_app).engine, current_user(), filter_id, args["action"],
                              args.get("username"))
