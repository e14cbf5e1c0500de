"""What every request may carry, checked once before any view runs, whichever blueprint answers.

**Input bounds** (`check_request`, docs/security.md): text PostgreSQL cannot store (NUL
characters, unpaired surrogates) in the path, any query parameter, any form field or uploaded
file name, or anywhere in a JSON body, and a JSON body beyond `pathways.base.values.BOUNDS`
(nesting depth, keys and items, characters), are refused with `InvalidData` (400), naming the
parameter or field but never echoing its value: the API's JSON error shape under /api/v1, the
error page elsewhere (`pathways.app` routes the error). So no view, service or database ever sees
them, on SQLite and PostgreSQL alike. The services check the same bounds again
(`pathways.tasks.bounds`), so the CLI is protected too.

**Long addresses.** How long a request's address may be, the same whichever server runs the app.

A request target (path and query, as sent) longer than `MAX_REQUEST_TARGET` bytes answers 414
from the app itself: JSON in the API's error shape under /api/v1, an error page elsewhere, and
documented on every operation of the OpenAPI document. The servers in front are set to let such
a request through to the app: gunicorn's `limit_request_line` is raised to its ceiling,
`GUNICORN_REQUEST_LINE` (its default, 4,094 bytes, answered a longer line with its own HTML
414 before the app saw it); waitress reads request lines up to its header limit (256 KiB).
What remains: a request line over 8,190 bytes under gunicorn still gets gunicorn's plain 414.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Flask, request
from werkzeug.exceptions import RequestURITooLarge

from pathways.base.values import BOUNDS, text_problem
from pathways.engine.errors import InvalidData

#: bytes of path + "?" + query, as the client sent them
MAX_REQUEST_TARGET = 4096
#: where `check_request` leaves the parsed JSON body, so the API's parser need not read it again
PARSED_JSON = "pathways.json"
#: the form encodings whose fields `check_request` reads (the pages' posts, uploads)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: gunicorn's largest `limit_request_line` (request method + target + protocol); 0 would mean unlimited
GUNICORN_REQUEST_LINE = 8190


def request_target_length(environ: dict[str, object]) -> int:
    """The length of the target as sent: the server's raw URI when it gives one, else rebuilt."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        return len(raw.encode("latin-1", "replace"))
    path = quote(str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")), safe="/%:@!$&'()*+,;=")
    query = str(environ.get("QUERY_STRING", ""))
    return len(path) + (len(query) + 1 if query else 0)


def refuse_long_targets() -> None:
    if request_target_length(request.environ) > MAX_REQUEST_TARGET:
        raise RequestURITooLarge(f"the address (path and query) is longer than {MAX_REQUEST_TARGET:,} bytes")


def check_request() -> None:
    """Refuse a request whose address is too long (414) or whose input breaks the bounds (400)."""
    refuse_long_targets()
    problems = _text_problems()
    if request.is_json:
        problems.update(_json_problems())
    if problems:
        raise InvalidData("the request is not valid", fields=problems)


def _text_problems() -> dict[str, str]:
    """{parameter: message} for the path, the query and the form fields (names, values, file names)."""
    problems: dict[str, str] = {}
    bad = text_problem(request.path)
    if bad:
        problems["path"] = bad
    sources = [("query", request.args)]
    if request.mimetype in FORM_TYPES:
        sources.append(("form", request.form))
    for where, values in sources:
        for key, value in values.items(multi=True):
            bad = text_problem(key)
            if bad:
                problems[where] = f"a parameter name {bad}"
                continue
            bad = text_problem(value)
            if bad:
                problems[_name(key)] = bad
    if request.mimetype == "multipart/form-data":
        for key, upload in request.files.items(multi=True):
            bad = text_problem(upload.filename or "")
            if bad:
                problems[_name(key)] = f"the file name {bad}"
    return problems


def _json_problems() -> dict[str, str]:
    """{field: message} of a JSON body beyond the bounds; a body that is not JSON is left to the view."""
    body = request.get_data(cache=True)
    if not body:
        return {}
    try:
        value: Any = json.loads(body)
    except RecursionError:
        return {"body": f"nested deeper than {BOUNDS.depth} levels"}
    except ValueError:  # malformed JSON or not UTF-8: the view's parser answers it
        return {}
    found = BOUNDS.problem(value)
    if found is None:
        request.environ[PARSED_JSON] = value
        return {}
    where, message = found
    return {"body" if where == "value" else where: message}


def _name(key: str) -> str:
    return key if len(key) <= 64 and key.isprintable() else "…"


def init_app(app: Flask) -> None:
    app.before_request(check_request)
