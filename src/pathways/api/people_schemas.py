"""Request and response schemas of the people resource (`/api/v1/people`)."""

from __future__ import annotations

import marshmallow as ma

from pathways.api.schemas import StrictSchema
from pathways.privacy.beneficiaries import MAX_NAME_QUERY, MAX_REASON
from pathways.privacy.identity import IDENTITY_FIELDS

_DESCRIPTIONS = {"first_name": "first name", "last_name": "last name (surname)",
                 "pesel": "PESEL: 11 digits, its check digit and date of birth are checked",
                 "birth_date": "YYYY-MM-DD; must agree with the PESEL", "phone": "phone number",
                 "email": "e-mail address", "address": "postal address"}


class IdentitySchema(StrictSchema):
    """A person's identity: every field optional; unknown fields are refused."""

    first_name = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["first_name"]))
    last_name = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["last_name"]))
    pesel = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["pesel"]))
    birth_date = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["birth_date"]))
    phone = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["phone"]))
    email = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["email"]))
    address = ma.fields.String(validate=ma.validate.Length(max=IDENTITY_FIELDS["address"]))

    @ma.post_dump
    def _drop_missing(self, data: dict[str, object], **_: object) -> dict[str, object]:
        return {k: v for k, v in data.items() if v is not None}


for _name, _field in IdentitySchema._declared_fields.items():
    _field.metadata = {**_field.metadata, "description": _DESCRIPTIONS[_name]}


class RegisterPersonSchema(StrictSchema):
    identity = ma.fields.Nested(IdentitySchema, allow_none=True, load_default=None, metadata={
        "description": "who the person is; omit (or null) for a person who does not give it: the pseudonym only"})


class SearchPeopleSchema(StrictSchema):
    pesel = ma.fields.String(validate=ma.validate.Length(min=1, max=11), metadata={"description": "an exact PESEL"})
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_NAME_QUERY), metadata={
        "description": "part of the first or last name, any case, accents optional; every word must match"})


class UpdateIdentitySchema(StrictSchema):
    identity = ma.fields.Nested(IdentitySchema, required=True,
                                metadata={"description": "the whole corrected identity (a field left out is removed)"})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_REASON),
                              metadata={"description": "why it is corrected (kept sealed with the audit entry)"})


class PersonSchema(ma.Schema):
    pseudonym = ma.fields.String(metadata={"description": "B-XXXX-XX: read it aloud, never a name"})
    registered_at = ma.fields.DateTime()
    agency = ma.fields.String(metadata={"description": "the registering agency's code"})
    status = ma.fields.String(metadata={"description": "`active`, or `erased` (identity gone)"})
    identity_visible = ma.fields.Boolean(metadata={"description": "whether your agency may see the identity"})
    has_identity = ma.fields.Boolean(allow_none=True, metadata={
        "description": "whether an identity is recorded (null when you may not see it)"})


class PersonCaseSchema(ma.Schema):
    id = ma.fields.Integer()
    pathway = ma.fields.String()
    pathway_name = ma.fields.String()
    status = ma.fields.String()
    stage = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class PersonDetailSchema(PersonSchema):
    identity = ma.fields.Nested(IdentitySchema, allow_none=True,
                                metadata={"description": "only when your agency may see it (reading it is audited)"})
    cases = ma.fields.List(ma.fields.Nested(PersonCaseSchema), metadata={"description": "the cases you may see"})
    may_rectify = ma.fields.Boolean(metadata={"description": "whether you may correct the identity"})


class FoundPersonSchema(ma.Schema):
    pseudonym = ma.fields.String()
    registered_at = ma.fields.DateTime()
    agency = ma.fields.String()
    status = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    birth_date = ma.fields.String(allow_none=True)


class SearchResultSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FoundPersonSchema))
    total = ma.fields.Integer()
    truncated = ma.fields.Boolean(metadata={"description": "more people matched than the 50 shown: narrow the search"})


class IdentityUpdatedSchema(ma.Schema):
    pseudonym = ma.fields.String()
    changed = ma.fields.List(ma.fields.String(), metadata={"description": "the names of the fields that changed"})
