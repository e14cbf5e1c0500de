"""Request and response schemas of sharing: legal bases, consents, agencies on a case."""

from __future__ import annotations

import marshmallow as ma

from pathways.api.schemas import CaseDetailSchema, StrictSchema
from pathways.privacy.consents import MAX_NOTE, MAX_PURPOSE
from pathways.privacy.legal_bases import MAX_GDPR, MAX_REFERENCE, MAX_TITLE
from pathways.privacy.participation import MAX_REASON


class LegalBasisSchema(ma.Schema):
    code = ma.fields.String()
    title = ma.fields.String()
    reference = ma.fields.String()
    gdpr = ma.fields.String(metadata={"description": "the GDPR provisions it rests on"})
    active = ma.fields.Boolean(metadata={"description": "false: retired, cannot be chosen for new sharing"})
    created_at = ma.fields.DateTime()


class NewLegalBasisSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=64),
                            metadata={"description": "lower-case letters, digits and _, starting with a letter"})
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_TITLE))
    reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_REFERENCE))
    gdpr = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_GDPR))


class LegalBasisChangeSchema(StrictSchema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_TITLE))
    reference = ma.fields.String(validate=ma.validate.Length(max=MAX_REFERENCE))
    gdpr = ma.fields.String(validate=ma.validate.Length(max=MAX_GDPR))
    active = ma.fields.Boolean(validate=ma.validate.Equal(False),
                               metadata={"description": "false retires the basis (it cannot be restored)"})


class LegalBasisQuerySchema(StrictSchema):
    retired = ma.fields.Boolean(load_default=True, metadata={"description": "include retired bases"})


class ConsentSchema(ma.Schema):
    id = ma.fields.Integer()
    agency = ma.fields.String()
    agency_name = ma.fields.String()
    case_id = ma.fields.Integer(allow_none=True, metadata={"description": "the case it is for; null: any case"})
    purpose = ma.fields.String()
    identity_shared = ma.fields.Boolean()
    given_on = ma.fields.Date()
    taken_by = ma.fields.String(allow_none=True)
    recorded_at = ma.fields.DateTime()
    withdrawn_at = ma.fields.DateTime(allow_none=True)
    withdrawn_by = ma.fields.String(allow_none=True)
    withdrawal_note = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    may_withdraw = ma.fields.Boolean()


class WithdrawnConsentSchema(ConsentSchema):
    removed_from = ma.fields.List(ma.fields.Integer(), metadata={"description": "cases the agency was removed from"})


class NewConsentSchema(StrictSchema):
    agency = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    purpose = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_PURPOSE))
    identity_shared = ma.fields.Boolean(load_default=False)
    given_on = ma.fields.Date(required=True, metadata={"description": "the day the person gave it (YYYY-MM-DD)"})
    case_id = ma.fields.Integer(load_default=None, allow_none=True,
                                validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "only for this case of the person (default: any case)"})


class WithdrawSchema(StrictSchema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_NOTE))


class NewCaseAgencySchema(StrictSchema):
    agency = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    basis = ma.fields.Dict(required=True, metadata={
        "description": "{\"basis\": \"consent\", \"consent\": ID} or {\"basis\": \"statute\", \"statute\": CODE}"})
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_REASON))


class RemoveCaseAgencySchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_REASON))


class ParticipationSchema(ma.Schema):
    case_id = ma.fields.Integer()
    agency = ma.fields.String()
    basis = ma.fields.String(allow_none=True)
    offered = ma.fields.List(ma.fields.String(), metadata={"description": "tasks now in the added agency's inbox"})
    returned = ma.fields.List(ma.fields.String(), metadata={
        "description": "tasks its users had claimed, given back and offered to the remaining agencies"})
    waiting = ma.fields.List(ma.fields.String(), metadata={
        "description": "open tasks no remaining agency can take: waiting for an agency of their kind"})
    case = ma.fields.Nested(CaseDetailSchema, allow_none=True, metadata={
        "description": "the case as you now see it; null when your agency left it"})
