"""One JSON error shape for every failure, and the one place domain errors become HTTP statuses.

    {"status": 400, "code": "invalid_data", "message": "...", "fields": {"field": "message"}}

`fields` appears for invalid input (per field), `problems` for a definition that fails lint.
`handle` answers every error of an API path (`pathways.app` routes them here, the pages' to
`pathways.web.errors`): domain errors (`PathwaysError` and subclasses) with the status of the
shared table (`pathways.tasks.statuses`), werkzeug's HTTP errors (unknown route, 405, 413, 414,
415, webargs validation) with theirs and, last, any other exception, which is logged and
answered with a generic 500 (never a traceback).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from pathways.base import sealing
from pathways.engine.errors import PathwaysError
from pathways.tasks.accounts import TooManyAttempts
from pathways.tasks.statuses import STATUS, STATUS_BY_CODE, domain_status

__all__ = ["STATUS", "STATUS_BY_CODE", "domain_status", "error_response", "handle"]

HTTP_CODES = {
    400: "invalid_data",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "too_many_attempts",
}


class ProblemSchema(ma.Schema):
    file = ma.fields.String()
    line = ma.fields.Integer(allow_none=True)
    element = ma.fields.String(allow_none=True)
    message = ma.fields.String()
    hint = ma.fields.String(allow_none=True)
    severity = ma.fields.String()


class ErrorSchema(ma.Schema):
    status = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    field_errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), data_key="fields")
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None,
                   **extra: Any) -> Response:
    body = {"status": status, "code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_domain_error(error: PathwaysError) -> Response:
    status = domain_status(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, TooManyAttempts):
        headers = {"Retry-After": str(error.retry_after)}
    fields = error.details.get("fields")
    problems = error.details.get("problems")
    return error_response(status, error.code, error.message, headers,
                          fields=_flatten(fields) if isinstance(fields, Mapping) else None,
                          problems=problems if isinstance(problems, list) else None)


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return handle_unexpected(error)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, Mapping) else None
    if messages is not None:  # webargs/flask-smorest validation (422 or 400): per-field messages
        fields = _flatten(_strip_locations(messages))
        return error_response(400, "invalid_data", "the request is not valid", headers, fields=fields)
    code = HTTP_CODES.get(status, (error.name or "error").lower().replace(" ", "_"))
    message = error.description or error.name or "error"
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = f"the request body is larger than the limit of {limit / 1024 / 1024:g} MiB"
    return error_response(status, code, message, headers)


def handle_unexpected(error: BaseException) -> Response:
    sealing_error = sealing.cause_of(error)
    if sealing_error is not None:  # a forged token, a key missing from the ring: the admin's to mend
        reference = secrets.token_hex(4)
        current_app.logger.error("a sealed value could not be opened or made (reference %s): %s", reference,
                                 sealing_error)
        return error_response(500, "sealing_failed", "a stored value could not be opened or sealed with the "
                              f"configured data keys; reference {reference} in the server log",
                              reference=reference)
    current_app.logger.error("unhandled error while serving a request", exc_info=error)
    return error_response(500, "internal_error", "something went wrong on the server; it was logged")


def handle(error: BaseException) -> Response:
    """Any error raised while serving an API path, in the JSON shape (the app routes them here)."""
    if isinstance(error, PathwaysError):
        return handle_domain_error(error)
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    return handle_unexpected(error)


def _strip_locations(messages: Mapping[str, Any]) -> Mapping[str, Any]:
    """webargs keys messages by location (json, query, form, files): merge the locations."""
    locations = {"json", "query", "querystring", "form", "files", "headers", "cookies", "view_args", "path"}
    if messages and set(messages) <= locations:
        merged: dict[str, Any] = {}
        for part in messages.values():
            if isinstance(part, Mapping):
                merged.update(part)
            else:
                merged["_schema"] = part
        return merged
    return messages


def _flatten(messages: Mapping[Any, Any], prefix: str = "") -> dict[str, str]:
    """Nested marshmallow messages -> {"a.b": "first message"}."""
    flat: dict[str, str] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = "; ".join(str(v) for v in value)
        else:
            flat[name] = str(value)
    return flat
