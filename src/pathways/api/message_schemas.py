"""Request and response schemas of messages and signals from outside (`/api/v1/messages`, `/api/v1/signals`)."""

from __future__ import annotations

import marshmallow as ma

from pathways.api.schemas import StrictSchema


class SendSignalSchema(StrictSchema):
    name = ma.fields.String(required=True, metadata={
        "description": "the BPMN signal's name; letters, digits, `_ . : / -` and single spaces, at most 200"})
    data = ma.fields.Raw(load_default=None, metadata={
        "description": "a JSON object: the data of a case the signal starts (waiting cases take no data)"})
    agencies = ma.fields.List(ma.fields.String(), load_default=None, metadata={
        "description": "agency codes a case the send starts takes part in (default: your own agency; a case "
                       "worker may give only their own)"})


class SendMessageSchema(SendSignalSchema):
    data = ma.fields.Raw(load_default=None, metadata={
        "description": "a JSON object (at most 64 KiB): the payload, stored in the receiving case as "
                       "`<catch element id>_Response`, or the data of a case the message starts"})
    correlation = ma.fields.Raw(load_default=None, metadata={
        "description": 'one case field and its value, e.g. {"beneficiary_pseudonym": "B-0001-AB"}; '
                       '{"case_id": 42} names the case itself'})
    key = ma.fields.Raw(load_default=None, metadata={
        "description": "a bare correlation value, matched against whatever field each waiting catch declares"})
    mode = ma.fields.String(load_default="single", validate=ma.validate.OneOf(["single", "all"]), metadata={
        "description": "`single`: exactly one case must wait for it (404 none, 409 several; nothing kept); "
                       "`all`: every waiting case, else a case it starts, else it is kept for later"})


class KeptSchema(ma.Schema):
    id = ma.fields.Integer()
    expires_at = ma.fields.DateTime()


class DeliverySchema(ma.Schema):
    name = ma.fields.String()
    reached = ma.fields.List(ma.fields.Integer(), metadata={"description": "ids of the cases it reached"})
    started = ma.fields.List(ma.fields.Integer(), metadata={"description": "ids of the cases it started"})
    count = ma.fields.Integer(metadata={"description": "how many waiting cases it reached"})
    failed = ma.fields.Integer(metadata={"description": "receivers whose run failed (the message is kept)"})
    kept = ma.fields.Nested(KeptSchema, allow_none=True, metadata={
        "description": "the pending message keeping it, when no case took it"})


class PendingQuerySchema(StrictSchema):
    name = ma.fields.String()
    delivered = ma.fields.Boolean(load_default=False, metadata={"description": "include delivered and expired ones"})
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=500))


class PendingItemSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    key_name = ma.fields.String(allow_none=True, metadata={
        "description": "the correlation key's name, never its value"})
    keyed = ma.fields.Boolean()
    source_case_id = ma.fields.Integer(allow_none=True)
    sender = ma.fields.String()
    created_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    delivered_at = ma.fields.DateTime(allow_none=True)
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(allow_none=True)


class PendingPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PendingItemSchema))
    total = ma.fields.Integer()
