"""Request and response schemas of the people operations: reassigning, substitutions, saved filters."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from pathways.api.schemas import StrictSchema
from pathways.tasks import saved_filters

NAME = ma.validate.Length(min=1, max=64)


class ReassignSchema(StrictSchema):
    to = ma.fields.String(validate=NAME, metadata={"description": "the user to hand the tasks to"})
    to_queue = ma.fields.Boolean(load_default=False, metadata={"description": "give them back to their roles' queues"})
    apply = ma.fields.Boolean(load_default=False, metadata={"description": "false (default): a dry run only"})

    @ma.validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("to")) == bool(data.get("to_queue")):
            raise ma.ValidationError("give either `to` or `to_queue: true`", "to")


class ReassignedTaskSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    case_id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"description": "assigned, queued or refused"})
    reason = ma.fields.String(allow_none=True, metadata={
        "description": "why refused: agency_not_in_case, no_role, changed (someone changed the claim meanwhile)"})


class ReassignResultSchema(ma.Schema):
    from_ = ma.fields.String(data_key="from", attribute="from")
    to = ma.fields.String(allow_none=True)
    applied = ma.fields.Boolean()
    tasks = ma.fields.List(ma.fields.Nested(ReassignedTaskSchema))
    hidden = ma.fields.Integer(metadata={"description": "tasks in cases your agency is not in (left alone)"})
    moved = ma.fields.Integer()
    refused = ma.fields.Integer()


class PendingReleaseSchema(ma.Schema):
    user = ma.fields.String()
    full_name = ma.fields.String()
    tasks = ma.fields.Integer()
    disabled_at = ma.fields.DateTime(allow_none=True)
    release_at = ma.fields.DateTime(allow_none=True, metadata={"description": "null: not released by itself"})


class SubstitutionInSchema(StrictSchema):
    absent = ma.fields.String(validate=NAME, metadata={"description": "default: you"})
    substitute = ma.fields.String(required=True, validate=NAME)
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)


class SubstitutionSchema(ma.Schema):
    id = ma.fields.Integer()
    absent = ma.fields.String()
    substitute = ma.fields.String()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    ended_at = ma.fields.DateTime(allow_none=True)
    created_by = ma.fields.String()
    active = ma.fields.Boolean()


class FilterFieldsSchema(StrictSchema):
    view = ma.fields.String(validate=ma.validate.Length(max=20))
    pathway = ma.fields.String(validate=ma.validate.Length(max=200))
    stage = ma.fields.String(validate=ma.validate.Length(max=200))
    role = ma.fields.String(validate=ma.validate.Length(max=64))
    agency = ma.fields.String(validate=ma.validate.Length(max=64))
    q = ma.fields.String(validate=ma.validate.Length(max=200))
    due_within_days = ma.fields.Integer(validate=ma.validate.Range(min=0, max=saved_filters.MAX_DAYS))


class SaveFilterSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=saved_filters.MAX_NAME))
    filter = ma.fields.Nested(FilterFieldsSchema, required=True)
    shared = ma.fields.Boolean(load_default=False, metadata={"description": "offer it to your agency's users"})


class SavedFilterSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    filter = ma.fields.Dict()
    shared = ma.fields.Boolean()
    owner = ma.fields.String()
    mine = ma.fields.Boolean()
    count = ma.fields.Integer(allow_none=True, metadata={"description": "the tasks it shows you now"})


class FilterPageQuerySchema(StrictSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=100))


class BulkSchema(StrictSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(["claim", "assign"]))
    username = ma.fields.String(validate=NAME, metadata={"description": "with assign: to whom"})


class BulkResultItemSchema(ma.Schema):
    id = ma.fields.String()
    ok = ma.fields.Boolean()
    claimed_by = ma.fields.String(allow_none=True)
    error = ma.fields.String(allow_none=True, metadata={"description": "the error code of a refused task"})


class BulkResultSchema(ma.Schema):
    filter = ma.fields.Integer()
    action = ma.fields.String()
    results = ma.fields.List(ma.fields.Nested(BulkResultItemSchema))
    done = ma.fields.Integer()
    refused = ma.fields.Integer()
