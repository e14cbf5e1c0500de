"""The REST API: flask-smorest blueprints under /api/v1, one OpenAPI document, one error shape.

`init_app(app)` sets up the `Api` (the document is served at /api/v1/openapi.json, a browsable
reference at /api/v1/docs (`pathways.api.docs`) with Swagger UI assets served from the app, never
from a CDN, and no inline script) and every blueprint; errors of paths under `PREFIX` are answered
by `pathways.api.errors.handle` (the app routes them there). Blueprints subclass `Blueprint` below so a
request that fails validation answers 400 (webargs' default is 422) and documents it that way.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Flask, send_from_directory
from webargs.flaskparser import FlaskParser, is_json_request

from pathways import __version__
from pathways.api.errors import ErrorSchema
from pathways.limits import MAX_REQUEST_TARGET, PARSED_JSON

PREFIX = "/api/v1"
DOCS_ASSETS = f"{PREFIX}/docs/assets/"
BEARER = "bearerAuth"


class Parser(FlaskParser):
    """webargs' parser with 400 (not 422) for invalid input, as the error contract says."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: Any) -> Any:
        """The body `pathways.limits.check_request` already parsed and bounded, else webargs' own parse."""
        if PARSED_JSON in req.environ and is_json_request(req):
            return req.environ[PARSED_JSON]
        return super()._raw_load_json(req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """The app's handlers come from pathways.api.errors (installed by init_app)."""


def init_app(app: Flask) -> Api:
    from pathways.api import (
        audit,
        auth,
        cases,
        decisions,
        definitions,
        docs,
        health,
        incidents,
        lifecycle,
        messages,
        migrations,
        people,
        privacy,
        reports,
        sharing,
        staffing,
        tasks,
        timers,
    )

    app.config.update(
        API_TITLE="pathways API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        PATHWAYS_SWAGGER_UI_CONFIG={"persistAuthorization": True},
        API_SPEC_OPTIONS={
            "info": {"description": "Cases, tasks and pathway definitions of pathways. "
                                    "Authenticate with POST /api/v1/auth/token, then send "
                                    "`Authorization: Bearer <token>`."},
            "components": {"securitySchemes": {BEARER: {"type": "http", "scheme": "bearer"}}},
        },
    )
    api = Api(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp, url_prefix=PREFIX)
    for blp in (auth.blp, definitions.blp, decisions.blp, cases.blp, tasks.blp, reports.blp, audit.blp, people.blp,
                privacy.blp, sharing.blp, incidents.blp, messages.blp, migrations.blp, lifecycle.blp,
                staffing.blp, timers.blp):
        api.register_blueprint(blp)
    _validation_is_400(api)
    _document_long_addresses(api)
    app.add_url_rule(f"{DOCS_ASSETS}<path:filename>", "swagger_ui_asset", _swagger_asset)
    app.extensions["pathways_api"] = api
    return api


def _validation_is_400(api: Api) -> None:
    """A blueprint built on flask_smorest.Blueprint documents 422; the errors handler answers 400."""
    for operations in api.spec._paths.values():
        for operation in operations.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if "422" in responses:
                responses.setdefault("400", responses.pop("422"))
                if responses["400"] == "UNPROCESSABLE_ENTITY":
                    responses["400"] = "BAD_REQUEST"


def _document_long_addresses(api: Api) -> None:
    """Every operation may answer 414 and 400 (pathways.limits, before any view): say so, with the error shape."""
    api.spec.components.response("URI_TOO_LONG", {
        "description": f"The address (path and query) is longer than {MAX_REQUEST_TARGET:,} bytes",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    })
    api.spec.components.response("INPUT_OUT_OF_BOUNDS", {
        "description": "The request is not valid (`invalid_data`); also a NUL character or an unpaired surrogate "
                       "anywhere in it, or a JSON body nested deeper than 32 levels or holding more than 10,000 "
                       "keys and items (docs/security.md, Input bounds)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    })
    for operations in api.spec._paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("414", {"$ref": "#/components/responses/URI_TOO_LONG"})
                operation["responses"].setdefault("400", {"$ref": "#/components/responses/INPUT_OUT_OF_BOUNDS"})


def _swagger_asset(filename: str) -> Any:
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
