"""Request and response schemas of the incidents (`/api/v1/incidents`) and of a case's open incidents."""

from __future__ import annotations

import marshmallow as ma

from pathways.tasks.incidents import STATUSES

_ID = ma.validate.Range(min=1, max=2**31 - 1)


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    pathway = ma.fields.String(metadata={"description": "the case's pathway key"})
    source = ma.fields.String(metadata={"description": "the background work that failed: `timer` (a timer fired)"})
    element = ma.fields.String(metadata={"description": "the element that failed (a script, a gateway)"})
    error_kind = ma.fields.String(metadata={"description": "`script_error`, `limit_exceeded`, `internal_error`, ..."})
    error_class = ma.fields.String(metadata={"description": "the error's class, e.g. `ZeroDivisionError`; never its "
                                                            "text, which may quote case data"})
    reference = ma.fields.String(metadata={"description": "the server log's reference of the last failure"})
    attempts = ma.fields.Integer(metadata={"description": "failed attempts so far, retries included"})
    first_seen = ma.fields.DateTime()
    last_seen = ma.fields.DateTime()
    status = ma.fields.String(metadata={"description": "open, resolved or cancelled"})
    closed_at = ma.fields.DateTime(allow_none=True)
    closed_by = ma.fields.String(allow_none=True)


class RetriedSchema(IncidentSchema):
    outcome = ma.fields.String(metadata={"description": "resolved (it ran), open (it failed again: one attempt more) "
                                                        "or cancelled (the case had ended)"})


class IncidentQuerySchema(_Strict):
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(STATUSES))
    element = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    pathway = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={"description": "a pathway key"})
    case = ma.fields.Integer(validate=_ID)


class RetryElementSchema(_Strict):
    element = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                           metadata={"description": "the pathway's key"})


class RetriedElementSchema(ma.Schema):
    element = ma.fields.String()
    pathway = ma.fields.String()
    retried = ma.fields.Integer()
    resolved = ma.fields.Integer()
    still_open = ma.fields.Integer()
    cancelled = ma.fields.Integer()
    incidents = ma.fields.List(ma.fields.Nested(RetriedSchema))


class CancelCaseSchema(_Strict):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000),
                              metadata={"description": "why (free text about the person: sealed in the case's event)"})
