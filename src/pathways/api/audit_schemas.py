"""Request and response schemas of the audit log (`GET /api/v1/audit`)."""

from __future__ import annotations

import marshmallow as ma

from pathways.tasks.audit import MAX_PER_PAGE


class AuditQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    user = ma.fields.String(validate=ma.validate.Length(max=64), metadata={"description": "a username (exact)"})
    case = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1), metadata={"description": "a case id"})
    action = ma.fields.String(validate=ma.validate.Length(max=40), metadata={
        "description": "an action (`case.read`), or a prefix ending in a dot (`auth.`, `access.`)"})
    date_from = ma.fields.String(data_key="from", validate=ma.validate.Length(max=40), metadata={
        "description": "from this time: `YYYY-MM-DD` (a Warsaw day) or ISO 8601 (no zone: Warsaw's)"})
    date_to = ma.fields.String(data_key="to", validate=ma.validate.Length(max=40), metadata={
        "description": "before this time; a day `YYYY-MM-DD` includes that whole day"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=2**31 - 1))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")), metadata={
        "description": "`csv`: every matching entry (newest first, at most 100,000) as a file, not one page"})


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.String(metadata={"description": "the user, `cli:<os user>` or `anonymous`"})
    action = ma.fields.String(metadata={"description": "e.g. case.read, task.complete, auth.failed, access.denied"})
    case_id = ma.fields.Integer(allow_none=True)
    task_id = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(metadata={"description": "ids and names of what was done; never case values"})


class AuditPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEntrySchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
