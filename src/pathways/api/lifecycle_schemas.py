"""Request and response schemas of a case's lifecycle (cancel, close early, suspend, resume) and
of stuck cases (`pathways.api.lifecycle`)."""

from __future__ import annotations

import marshmallow as ma

from pathways.engine.lifecycle import CANCEL_REASONS, RESUME_MODES
from pathways.tasks.lifecycle import MAX_NOTE


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


_NOTE = {"load_default": "", "validate": ma.validate.Length(max=MAX_NOTE),
         "metadata": {"description": "free text about why (sealed in the case's event, never audited)"}}


class CancelSchema(_Strict):
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(CANCEL_REASONS),
                              metadata={"description": "why: " + ", ".join(CANCEL_REASONS)})
    note = ma.fields.String(**_NOTE)  # type: ignore[arg-type]


class CloseSchema(_Strict):
    outcome = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100), metadata={
        "description": "an outcome the pathway allows (its process property `close_outcomes`)"})
    note = ma.fields.String(**_NOTE)  # type: ignore[arg-type]


class SuspendSchema(_Strict):
    note = ma.fields.String(**_NOTE)  # type: ignore[arg-type]


class ResumeSchema(_Strict):
    timers = ma.fields.String(validate=ma.validate.OneOf(RESUME_MODES), metadata={
        "description": "shift: due times move by the suspension's length; fire: overdue timers fire at once "
                       "(default: the server's PATHWAYS_RESUME_TIMERS)"})


class WaitingTimerSchema(ma.Schema):
    element = ma.fields.String()
    due_at = ma.fields.DateTime()


class SuspensionSchema(ma.Schema):
    since = ma.fields.DateTime()
    by = ma.fields.String()


class SuspendedSchema(SuspensionSchema):
    timers = ma.fields.List(ma.fields.Nested(WaitingTimerSchema), metadata={
        "description": "the timers that wait in the suspension, with their due times as they stand"})


class ResumedSchema(ma.Schema):
    timers_mode = ma.fields.String()
    suspended_seconds = ma.fields.Integer()
    timers = ma.fields.List(ma.fields.Nested(WaitingTimerSchema), metadata={"description": "due times after"})


class LifecycleSchema(ma.Schema):
    case_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "active, suspended, completed, failed, cancelled, closed"})
    suspended = ma.fields.Nested(SuspendedSchema, allow_none=True)
    can_cancel = ma.fields.Boolean()
    can_close = ma.fields.Boolean()
    can_suspend = ma.fields.Boolean()
    can_resume = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String(), metadata={"description": "the reasons a case may be cancelled for"})
    close_outcomes = ma.fields.List(ma.fields.String(), metadata={
        "description": "the outcomes the pathway allows closing early with (empty: it does not)"})
    resumed = ma.fields.Nested(ResumedSchema)


class StuckTaskSchema(ma.Schema):
    task_id = ma.fields.String()
    element = ma.fields.String()
    name = ma.fields.String()
    needs = ma.fields.List(ma.fields.String(), metadata={"description": "agency kinds that could take it"})
    reason = ma.fields.String(metadata={"description": "e.g. task X needs a PUP; no PUP takes part"})


class StuckCaseSchema(ma.Schema):
    case_id = ma.fields.Integer()
    pathway = ma.fields.String()
    beneficiary = ma.fields.String()
    status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    since = ma.fields.DateTime(metadata={"description": "when its oldest stuck task opened"})
    agencies = ma.fields.List(ma.fields.String(), metadata={"description": "the kinds of agency taking part"})
    tasks = ma.fields.List(ma.fields.Nested(StuckTaskSchema))
