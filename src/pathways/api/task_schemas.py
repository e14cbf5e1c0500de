"""Request and response schemas of the task API (the inbox, a task with its form, task commands)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from pathways.api.schemas import StrictSchema
from pathways.tasks import work
from pathways.tasks.inbox import MAX_ID, MAX_PER_PAGE, SORTS, VIEWS

SORT_CHOICES = [f"{sign}{key}" for key in SORTS for sign in ("", "-")]


class _InboxFilters(StrictSchema):
    pathway = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "a pathway key"})
    stage = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "the task's stage"})
    case_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    priority_min = ma.fields.Integer(validate=ma.validate.Range(min=0, max=1_000_000))
    q = ma.fields.String(validate=ma.validate.Length(max=200),
                         metadata={"description": "text in the task name or the beneficiary pseudonym"})
    role = ma.fields.String(validate=ma.validate.Length(max=64), metadata={"description": "offered for this role key"})
    agency = ma.fields.String(validate=ma.validate.Length(max=64),
                              metadata={"description": "the case has this agency (its code) among its agencies"})
    due_by = ma.fields.Date(metadata={"description": "due on or before this day (Europe/Warsaw)"})


class InboxQuerySchema(_InboxFilters):
    view = ma.fields.String(load_default="all", validate=ma.validate.OneOf(VIEWS), metadata={
        "description": "all: claimed by you + unclaimed for your roles; mine; unclaimed; overdue; "
                       "due_today (Europe/Warsaw calendar day)"})
    sort = ma.fields.String(load_default="due", validate=ma.validate.OneOf(SORT_CHOICES), metadata={
        "description": "due (no due date last), priority, created or name; a leading '-' sorts descending"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))

    @ma.post_load
    def _split_sort(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        sort = data.pop("sort")
        data["sort"], data["order"] = (sort[1:], "desc") if sort.startswith("-") else (sort, "asc")
        return data


class CountQuerySchema(_InboxFilters):
    pass


class InboxTaskSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    element = ma.fields.String(metadata={"description": "the BPMN element id"})
    case_id = ma.fields.Integer()
    beneficiary = ma.fields.String(metadata={"description": "the beneficiary's pseudonym"})
    pathway = ma.fields.String()
    pathway_name = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    case_status = ma.fields.String(metadata={
        "description": "the case's status; suspended: the task can be neither claimed nor completed until it resumes"})
    priority = ma.fields.Integer()
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    claimed_by = ma.fields.String(allow_none=True, metadata={"description": "username of the claimer"})
    claimed_at = ma.fields.DateTime(allow_none=True)


class InboxPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InboxTaskSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class InboxCountsSchema(ma.Schema):
    all = ma.fields.Integer()
    mine = ma.fields.Integer()
    unclaimed = ma.fields.Integer()
    overdue = ma.fields.Integer()
    due_today = ma.fields.Integer()


class TaskFormOptionSchema(ma.Schema):
    id = ma.fields.String()
    label = ma.fields.String()


class TaskFormFieldSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": "string, long, decimal, boolean, date or enum"})
    label = ma.fields.String()
    required = ma.fields.Boolean()
    readonly = ma.fields.Boolean()
    options = ma.fields.List(ma.fields.Nested(TaskFormOptionSchema), metadata={"description": "enum values"})
    min = ma.fields.Raw(allow_none=True, metadata={"description": "a number, or a YYYY-MM-DD date"})
    max = ma.fields.Raw(allow_none=True, metadata={"description": "a number, or a YYYY-MM-DD date"})
    minlength = ma.fields.Integer(allow_none=True)
    maxlength = ma.fields.Integer(allow_none=True)
    sensitive = ma.fields.Boolean()
    help = ma.fields.String(allow_none=True)
    redacted = ma.fields.Boolean(metadata={"description": "true: a sensitive value you may not see (left out)"})
    default = ma.fields.Raw(allow_none=True)
    value = ma.fields.Raw(allow_none=True, metadata={"description": "the current (or, once completed, the "
                                                                    "submitted) value"})


class TaskFormSchema(ma.Schema):
    form_fields = ma.fields.List(ma.fields.Nested(TaskFormFieldSchema), attribute="fields", data_key="fields")


class TaskCaseSchema(ma.Schema):
    id = ma.fields.Integer()
    pathway = ma.fields.String()
    pathway_name = ma.fields.String()
    version = ma.fields.Integer()
    beneficiary = ma.fields.String()
    status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    agencies = ma.fields.List(ma.fields.String())
    data = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": "without fields hidden from you"})


class CommentSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    text = ma.fields.String()
    user = ma.fields.String()
    full_name = ma.fields.String()
    agency = ma.fields.String()


class AbilitiesSchema(ma.Schema):
    claim = ma.fields.Boolean()
    unclaim = ma.fields.Boolean()
    assign = ma.fields.Boolean()
    complete = ma.fields.Boolean()


class TaskDetailSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    element = ma.fields.String()
    case_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "open, completed or cancelled"})
    stage = ma.fields.String(allow_none=True)
    lane = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    priority = ma.fields.Integer()
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    claimed_by = ma.fields.String(allow_none=True)
    claimed_at = ma.fields.DateTime(allow_none=True)
    on_behalf_of = ma.fields.String(allow_none=True, metadata={
        "description": "the absent claimer you stand in for now (substitution), whose task you may work"})
    completed_at = ma.fields.DateTime(allow_none=True)
    completed_by = ma.fields.String(allow_none=True)
    case = ma.fields.Nested(TaskCaseSchema)
    form = ma.fields.Nested(TaskFormSchema)
    comments = ma.fields.List(ma.fields.Nested(CommentSchema))
    can = ma.fields.Nested(AbilitiesSchema, metadata={"description": "what you may do with the task now"})


class TaskBriefSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    case_id = ma.fields.Integer()
    status = ma.fields.String()
    claimed_by = ma.fields.String(allow_none=True)


class AssignSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class CompleteSchema(StrictSchema):
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict, metadata={
        "description": "the form's values by field id; checked against the task's form"})


class CompletedSchema(ma.Schema):
    id = ma.fields.String()
    status = ma.fields.String()
    case_id = ma.fields.Integer()
    case_status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)


class CommentInSchema(StrictSchema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=work.MAX_COMMENT), metadata={
        "description": f"1 to {work.MAX_COMMENT} characters, not only blank space (it is stripped)"})
