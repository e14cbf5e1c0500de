"""Request and response schemas of the platform resources: accounts and tokens."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from pathways.api.errors import ProblemSchema
from pathways.api.incident_schemas import IncidentSchema
from pathways.api.lifecycle_schemas import StuckTaskSchema, SuspensionSchema
from pathways.api.timer_schemas import TimerSchema


class StrictSchema(ma.Schema):
    """Unknown keys in a request body are an error (a typo should not be ignored silently)."""

    class Meta:
        unknown = ma.RAISE


class LoginSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024),
                                load_only=True)


class AgencySchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String()
    name = ma.fields.String()
    city = ma.fields.String()


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    full_name = ma.fields.String()
    agency = ma.fields.Nested(AgencySchema)
    roles = ma.fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})

    def _roles(self, user: Any) -> list[str]:
        return sorted(user.roles)


class TokenSchema(ma.Schema):
    token = ma.fields.String(metadata={"description": "send as `Authorization: Bearer <token>`"})
    expires_at = ma.fields.DateTime()
    user = ma.fields.Nested(UserSchema)


# -- definitions -------------------------------------------------------------------------------------

class DefinitionSummarySchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    latest_version = ma.fields.Integer()
    versions = ma.fields.Integer(metadata={"description": "how many versions are deployed"})
    deployed_at = ma.fields.DateTime(metadata={"description": "when the latest version was deployed"})
    deployed_by = ma.fields.String(allow_none=True, metadata={
        "description": "who deployed the latest version: a username, or `cli:<os user>` for `pathways deploy`"})


class VersionQuerySchema(StrictSchema):
    version = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "a version number (default: the latest)"})


class VersionSchema(ma.Schema):
    version = ma.fields.Integer()
    name = ma.fields.String()
    deployed_at = ma.fields.DateTime()
    deployed_by = ma.fields.String(allow_none=True, metadata={"description": "a username, or `cli:<os user>`"})


class LaneSchema(ma.Schema):
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    agency_kinds = ma.fields.List(ma.fields.String())


class FormOptionSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()


class FormFieldSchema(ma.Schema):
    id = ma.fields.String()
    label = ma.fields.String()
    type = ma.fields.String()
    default = ma.fields.Raw(allow_none=True)
    constraints = ma.fields.Dict(keys=ma.fields.String())
    properties = ma.fields.Dict(keys=ma.fields.String())
    options = ma.fields.List(ma.fields.Nested(FormOptionSchema))


class UserTaskDefinitionSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    agency_kinds = ma.fields.List(ma.fields.String())
    stage = ma.fields.String(allow_none=True)
    due_date = ma.fields.String(allow_none=True)
    priority = ma.fields.Integer()
    form = ma.fields.List(ma.fields.Nested(FormFieldSchema))


class DefinitionDetailSchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "the version the structure below describes"})
    deployed_at = ma.fields.DateTime()
    deployed_by = ma.fields.String(allow_none=True, metadata={"description": "a username, or `cli:<os user>`"})
    files = ma.fields.List(ma.fields.String())
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))
    stages = ma.fields.List(ma.fields.String())
    lanes = ma.fields.List(ma.fields.Nested(LaneSchema))
    user_tasks = ma.fields.List(ma.fields.Nested(UserTaskDefinitionSchema))


class DeployedSchema(ma.Schema):
    key = ma.fields.String()
    version = ma.fields.Integer()


class UploadResultSchema(ma.Schema):
    created = ma.fields.List(ma.fields.Nested(DeployedSchema))
    unchanged = ma.fields.List(ma.fields.Nested(DeployedSchema))
    warnings = ma.fields.List(ma.fields.Nested(ProblemSchema))


# -- cases -------------------------------------------------------------------------------------------

class StartCaseSchema(StrictSchema):
    pathway = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                               metadata={"description": "the pathway key; its latest version is started"})
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict,
                          metadata={"description": "initial case data"})
    agencies = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
                              validate=ma.validate.Length(max=50),
                              metadata={"description": "codes of the participating agencies; "
                                                       "must include yours (default: yours only)"})
    beneficiary = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                                   metadata={"description": "the registered person's pseudonym (B-XXXX-XX), "
                                                            "never a name; empty: a case without a person"})
    bases = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(min=1, max=64)), values=ma.fields.Dict(),
                           validate=ma.validate.Length(max=50),
                           metadata={"description": "agency code -> the legal basis it takes part on, for every "
                                                    "agency but yours: {\"basis\": \"consent\", \"consent\": ID} "
                                                    "or {\"basis\": \"statute\", \"statute\": CODE}"})


class CaseListQuerySchema(StrictSchema):
    pathway = ma.fields.String(validate=ma.validate.Length(max=200))
    stage = ma.fields.String(validate=ma.validate.Length(max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(["active", "completed", "failed", "cancelled", "closed"]))
    agency = ma.fields.String(validate=ma.validate.Length(max=64), metadata={"description": "an agency code"})
    q = ma.fields.String(validate=ma.validate.Length(max=200),
                         metadata={"description": "text in the beneficiary pseudonym or the pathway key/name"})
    sort = ma.fields.String(load_default="-updated", validate=ma.validate.OneOf(
        [f"{sign}{key}" for key in ("id", "created", "updated", "stage", "pathway", "beneficiary")
         for sign in ("", "-")]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=100))



class CaseSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    pathway = ma.fields.String()
    pathway_name = ma.fields.String()
    version = ma.fields.Integer()
    beneficiary = ma.fields.String()
    status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class CaseListItemSchema(CaseSummarySchema):
    agencies = ma.fields.List(ma.fields.String())
    open_tasks = ma.fields.Integer()


class CasePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseListItemSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class StageVisitSchema(ma.Schema):
    stage = ma.fields.String()
    entered_at = ma.fields.DateTime()
    left_at = ma.fields.DateTime(allow_none=True)


class CaseTaskSchema(ma.Schema):
    id = ma.fields.String()
    element = ma.fields.String()
    name = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    stage = ma.fields.String(allow_none=True)
    priority = ma.fields.Integer()
    due_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    claimed_by = ma.fields.String(allow_none=True)
    waiting_for_agency = ma.fields.Boolean(metadata={
        "description": "unclaimed and offered to no agency of the case: the agency of its role's kind left"})


class CaseEventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    actor = ma.fields.String()
    kind = ma.fields.String()
    element = ma.fields.String(allow_none=True)
    task_id = ma.fields.String(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)


class MeasureSchema(ma.Schema):
    kind = ma.fields.String()
    key = ma.fields.String()
    value = ma.fields.Float()
    agency_kind = ma.fields.String(allow_none=True)
    element = ma.fields.String()
    task_id = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime()


class CaseAgencySchema(AgencySchema):
    basis = ma.fields.Dict(allow_none=True, metadata={
        "description": "why it takes part: {kind: own} | {kind: consent, consent: {id, purpose, given_on, "
                       "identity_shared, withdrawn}} | {kind: statute, statute: {code, title, reference, active}}"})
    added_at = ma.fields.DateTime(allow_none=True)
    added_by = ma.fields.String(allow_none=True)


class CaseFailureSchema(ma.Schema):
    element = ma.fields.String(allow_none=True, metadata={"description": "the end event that threw"})
    kind = ma.fields.String(metadata={"description": "error or escalation"})
    code = ma.fields.String(allow_none=True, metadata={"description": "the errorCode or escalationCode"})
    at = ma.fields.DateTime()


class CalledProcessSchema(ma.Schema):
    element = ma.fields.String(metadata={"description": "the call activity's element id"})
    element_name = ma.fields.String()
    key = ma.fields.String(metadata={"description": "the called pathway (process id)"})
    name = ma.fields.String()
    version = ma.fields.Integer(allow_none=True, metadata={
        "description": "the called pathway's version with the files deployed with the caller; null if it was "
                       "never deployed as a pathway of its own with them"})
    state = ma.fields.String(metadata={"description": "active, completed or cancelled"})
    open_tasks = ma.fields.List(ma.fields.Nested(CaseTaskSchema))


class CaseDetailSchema(CaseSummarySchema):
    agencies = ma.fields.List(ma.fields.Nested(CaseAgencySchema))
    stages = ma.fields.List(ma.fields.Nested(StageVisitSchema))
    open_tasks = ma.fields.List(ma.fields.Nested(CaseTaskSchema))
    data = ma.fields.Dict(metadata={"description": "current case data, without the fields you may not see"})
    hidden_fields = ma.fields.List(ma.fields.String(),
                                   metadata={"description": "sensitive fields left out of `data` for you"})
    timeline = ma.fields.List(ma.fields.Nested(CaseEventSchema))
    measures = ma.fields.List(ma.fields.Nested(MeasureSchema))
    failure = ma.fields.Nested(CaseFailureSchema, allow_none=True, metadata={
        "description": "status failed: the uncaught error or escalation that ended the case; else null"})
    incidents = ma.fields.List(ma.fields.Nested(IncidentSchema), metadata={
        "description": "the case's open incidents: background work that failed and waits for an admin"})
    data_objects = ma.fields.Dict(metadata={
        "description": "the values of the process's data objects, without the fields you may not see"})
    calls = ma.fields.List(ma.fields.Nested(CalledProcessSchema), metadata={
        "description": "runs of called pathways (call activities) inside this case, as children"})
    stuck = ma.fields.List(ma.fields.Nested(StuckTaskSchema), metadata={
        "description": "open tasks no agency taking part can take (none of their kind), with the reason"})
    suspended = ma.fields.Nested(SuspensionSchema, allow_none=True, metadata={
        "description": "status suspended: since when and by whom; else null"})
    timers = ma.fields.List(ma.fields.Nested(TimerSchema), metadata={
        "description": "the case's waiting timers, earliest due first"})


class MessageSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                            metadata={"description": "the BPMN message name the case waits for"})
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
