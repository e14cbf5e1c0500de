"""The human-task API: the inbox, a task with its form, claim/unclaim/assign/complete, comments.

    GET  /api/v1/tasks                    the inbox: ?view&pathway&stage&case_id&priority_min&q&sort&page&per_page
    GET  /api/v1/tasks/count              tasks per view: {all, mine, unclaimed, overdue, due_today}
    GET  /api/v1/tasks/{id}               the task, its case (redacted for you), its form, comments, what you can do
    POST /api/v1/tasks/{id}/claim | unclaim | assign {username} | complete {data} | comments {text}
    GET  /api/v1/tasks/{id}/comments

A task of a case your agency does not take part in answers 404; one you see but may not act on, 403.
Each handler parses, calls one service of `pathways.tasks` (inbox, work) and dumps the result.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.task_schemas import (
    AssignSchema,
    CommentInSchema,
    CommentSchema,
    CompletedSchema,
    CompleteSchema,
    CountQuerySchema,
    InboxCountsSchema,
    InboxPageSchema,
    InboxQuerySchema,
    TaskBriefSchema,
    TaskDetailSchema,
)
from pathways.core import services
from pathways.tasks import inbox, work

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                description="Your inbox and the tasks you work: read, claim, assign, complete, comment.")

CONFLICT = "Already completed, or claimed by someone else (a lost race changes nothing)"
FORBIDDEN = "You see the case but may not do this (you do not hold the task's role)"
NOT_FOUND = "No such task in the cases your agency takes part in"


@blp.route("", methods=["GET"])
@auth_required
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, InboxPageSchema)
def list_tasks(args: dict[str, Any]) -> inbox.InboxPage:
    """Your inbox: open tasks claimed by you or offered to your roles and unclaimed, filtered, sorted, paged."""
    pathways = services(current_app)
    return inbox.inbox(pathways.store, current_user(), pathways.roles, inbox.InboxQuery(**args))


@blp.route("/count", methods=["GET"])
@auth_required
@blp.arguments(CountQuerySchema, location="query")
@blp.response(200, InboxCountsSchema)
def count_tasks(args: dict[str, Any]) -> dict[str, int]:
    """How many tasks each inbox view holds (the same filters apply)."""
    pathways = services(current_app)
    return inbox.counts(pathways.store, current_user(), pathways.roles, inbox.InboxQuery(**args))


@blp.route("/<task_id>", methods=["GET"])
@auth_required
@blp.response(200, TaskDetailSchema)
@blp.alt_response(404, description=NOT_FOUND)
def get_task(task_id: str) -> dict[str, Any]:
    """A task with its case summary, its form (fields, constraints, current values) and comments."""
    return work.get_task(services(current_app).engine, current_user(), task_id)


@blp.route("/<task_id>/claim", methods=["POST"])
@auth_required
@blp.response(200, TaskBriefSchema)
@blp.alt_response(403, description=FORBIDDEN)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=CONFLICT)
def claim(task_id: str) -> dict[str, Any]:
    """Claim a task offered to you; exactly one of several simultaneous claims wins."""
    return work.claim(services(current_app).engine, current_user(), task_id)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@auth_required
@blp.response(200, TaskBriefSchema)
@blp.alt_response(403, description="Only the claimer or a supervisor may unclaim")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=CONFLICT)
def unclaim(task_id: str) -> dict[str, Any]:
    """Give a task you claimed back to its roles (a supervisor may release anyone's)."""
    return work.unclaim(services(current_app).engine, current_user(), task_id)


@blp.route("/<task_id>/assign", methods=["POST"])
@auth_required
@blp.arguments(AssignSchema)
@blp.response(200, TaskBriefSchema)
@blp.alt_response(403, description=FORBIDDEN)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=CONFLICT)
def assign(args: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Hand a task to a user it is offered to (400 with `fields.username` otherwise)."""
    return work.assign(services(current_app).engine, current_user(), task_id, args["username"])


@blp.route("/<task_id>/complete", methods=["POST"])
@auth_required
@blp.arguments(CompleteSchema)
@blp.response(200, CompletedSchema)
@blp.alt_response(403, description=FORBIDDEN)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=CONFLICT)
def complete(args: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Complete a task with its form's values (400 with per-field messages when they are not valid)."""
    return work.complete(services(current_app).engine, current_user(), task_id, args["data"])


@blp.route("/<task_id>/comments", methods=["GET"])
@auth_required
@blp.response(200, CommentSchema(many=True))
@blp.alt_response(404, description=NOT_FOUND)
def list_comments(task_id: str) -> list[dict[str, Any]]:
    """The task's comments, oldest first."""
    return work.list_comments(services(current_app).engine, current_user(), task_id)


@blp.route("/<task_id>/comments", methods=["POST"])
@auth_required
@blp.arguments(CommentInSchema)
@blp.response(201, CommentSchema)
@blp.alt_response(404, description=NOT_FOUND)
def add_comment(args: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Comment on a task (anyone who sees its case may: agencies coordinate through comments)."""
    return work.add_comment(services(current_app).engine, current_user(), task_id, args["text"])
