"""Request and response schemas of the person's rights (`pathways.api.privacy`)."""

from __future__ import annotations

import marshmallow as ma

from pathways.privacy.rectify import MAX_REASON
from pathways.privacy.retention import MAX_REASON as MAX_ERASE_REASON


class ExportQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "html")), metadata={
        "description": "`html`: the readable, printable document in Polish (a file)"})


class RegisterQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "md")))


class CorrectionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    field = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                             metadata={"description": "the form field's id"})
    value = ma.fields.Raw(required=True, allow_none=True,
                          metadata={"description": "the corrected value, checked by the field's form type"})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_REASON))
    expected = ma.fields.Raw(allow_none=True, metadata={
        "description": "the value being corrected, as you saw it: if the stored value is no longer this one "
                       "(someone changed it since), 409 and nothing is changed"})


class CorrectionResultSchema(ma.Schema):
    case_id = ma.fields.Integer()
    field = ma.fields.String()
    version = ma.fields.Integer()


class ErasureSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_ERASE_REASON),
                              metadata={"description": "the request it answers (no personal data: only its "
                                                       "length is recorded)"})


class ErasureResultSchema(ma.Schema):
    pseudonym = ma.fields.String()
    status = ma.fields.String()
    cases = ma.fields.List(ma.fields.Integer())
