"""Trying a deployed decision (designers and admins): what it gives for inputs, which rules decided.

    POST /api/v1/decisions/{key}/evaluate   {"decision": ID, "input": {...}, "version": N}
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import marshmallow as ma
from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import current_user, role_required
from pathways.api.errors import ErrorSchema
from pathways.api.schemas import StrictSchema
from pathways.core import services
from pathways.tasks import decisions
from pathways.tasks.bounds import MAX_KEY

blp = Blueprint("decisions", __name__, url_prefix="/api/v1/decisions",
                description="DMN decisions of deployed pathways: try one with inputs.")


class EvaluateSchema(StrictSchema):
    decision = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_KEY),
                                metadata={"description": "the decision's id (or name) in the pathway's DMN files"})
    input = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_KEY)),
                           load_default=dict, metadata={"description": "input data by name, as JSON values"})
    version = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "a version number (default: the latest)"})


class HitSchema(ma.Schema):
    decision = ma.fields.String(metadata={"description": "the id of a decision table that was evaluated"})
    name = ma.fields.String()
    rules = ma.fields.List(ma.fields.Integer(), metadata={"description": "its matched rules, numbered from 1"})
    rule_ids = ma.fields.List(ma.fields.String())


class TrialSchema(ma.Schema):
    key = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "the pathway version whose files decided"})
    decision = ma.fields.String()
    name = ma.fields.String()
    file = ma.fields.String()
    file_version = ma.fields.String(attribute="version_of_file",
                                    metadata={"description": "the first 12 hex digits of the DMN file's SHA-256"})
    value = ma.fields.Raw(allow_none=True, metadata={"description": "the decision's value, as JSON"})
    outputs = ma.fields.Dict(metadata={"description": "what a business rule task would write into the case data"})
    error = ma.fields.String(allow_none=True, metadata={"description": "why the decision gave no result"})
    hits = ma.fields.List(ma.fields.Nested(HitSchema))
    warnings = ma.fields.List(ma.fields.String(), metadata={"description": "FEEL errors that became null"})


@blp.route("/<string:key>/evaluate", methods=["POST"])
@role_required("designer", "admin")
@blp.arguments(EvaluateSchema)
@blp.response(200, TrialSchema)
@blp.alt_response(403, schema=ErrorSchema, description="Needs the designer or admin role (refusals are audited)")
@blp.alt_response(404, schema=ErrorSchema, description="No such pathway, version or decision")
def evaluate(args: dict[str, Any], key: str) -> dict[str, Any]:
    """Evaluate a decision of a deployed pathway version on the given inputs, as a business rule task
    would; the answer names the rules that matched. A decision without a result (a UNIQUE table
    with two matches, a value outside its allowed values) answers 200 with `error`."""
    number, trial = decisions.try_decision(services(current_app).store, current_user(), key, args["decision"],
                                           args["input"], args.get("version"))
    found = asdict(trial)
    return {**found, "key": key, "version": number, "version_of_file": trial.version}
