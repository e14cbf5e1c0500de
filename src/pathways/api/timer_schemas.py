"""Request and response schemas of the timers (`/api/v1/timers`) and of a case's waiting timers."""

from __future__ import annotations

import marshmallow as ma

_ID = ma.validate.Range(min=1, max=2**31 - 1)


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class TimerSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "the timer's id (its workflow task's UUID)"})
    case_id = ma.fields.Integer()
    pathway = ma.fields.String(metadata={"description": "the case's pathway key"})
    element = ma.fields.String(metadata={"description": "the timer event's element id"})
    due_at = ma.fields.DateTime(metadata={"description": "when it fires (UTC)"})
    overdue = ma.fields.Boolean(metadata={"description": "its due time has passed and it has not fired yet"})
    being_fired = ma.fields.Boolean(metadata={"description": "a worker holds it right now"})


class TimerQuerySchema(_Strict):
    pathway = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={"description": "a pathway key"})
    element = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    overdue = ma.fields.Boolean(metadata={"description": "true: only overdue timers; false: only upcoming ones"})
    case = ma.fields.Integer(validate=_ID)


class RescheduleSchema(_Strict):
    at = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64), metadata={
        "description": "the new due time, ISO 8601 and in the future, e.g. 2026-12-24T09:00:00+01:00 (no zone: UTC)"})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000),
                              metadata={"description": "why (free text about the person: sealed in the case's event)"})


class FiredSchema(ma.Schema):
    fired = ma.fields.Nested(TimerSchema, metadata={"description": "the timer as it was before it fired"})
    case_id = ma.fields.Integer()
    case_status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    timers = ma.fields.List(ma.fields.Nested(TimerSchema), metadata={"description": "the case's timers after"})
