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
import re
from typing import Any
from urllib.parse import quote

from flask import Flask, Request, request
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


def _refuse_long_target(environ: dict[str, object]) -> None:
    if request_target_length(environ) > MAX_REQUEST_TARGET:
        raise RequestURITooLarge(f"the address (path and query) is longer than {MAX_REQUEST_TARGET:,} bytes")


def check_request() -> None:
    """Refuse a request whose address is too long (414) or whose input breaks the bounds (400).

    On every request, so it is kept cheap: one lookup of the request object (each access through
    Flask's proxy costs microseconds), text checks that are one C-level scan for ASCII, and the
    JSON body parsed once (the API's parser reuses it, `PARSED_JSON`).
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    _refuse_long_target(req.environ)
    problems = _text_problems(req)
    if req.is_json:
        problems.update(_json_problems(req))
    if problems:
        raise InvalidData("the request is not valid", fields=problems)


def _text_problems(req: Request) -> dict[str, str]:
    """{parameter: message} for the path, the query and the form fields (names, values, file names)."""
    problems: dict[str, str] = {}
    bad = text_problem(req.path)
    if bad:
        problems["path"] = bad
    sources = [("query", req.args)] if _may_hold_nul(req.environ.get("QUERY_STRING", "")) else []
    form = req.mimetype in FORM_TYPES
    if form and (req.mimetype == "multipart/form-data" or _may_hold_nul(req.get_data(cache=True))):
        sources.append(("form", req.form))
    for where, values in sources:
        for key, value in values.items(multi=True):
            if not isinstance(key, str) or not isinstance(value, str):  # a multipart part without a name
                continue
            bad = text_problem(key)
            if bad:
                problems[where] = f"a parameter name {bad}"
                continue
            bad = text_problem(value)
            if bad:
                problems[_name(key)] = bad
    if req.mimetype == "multipart/form-data" and req.files:
        for key, upload in req.files.items(multi=True):
            bad = text_problem(upload.filename or "")
            if bad:
                problems[_name(key) if isinstance(key, str) else "form"] = f"the file name {bad}"
    return problems


def _may_hold_nul(encoded: str | bytes) -> bool:
    """Whether URL-encoded text (a query, a form body) can decode to a NUL: only `%00` or a raw NUL.

    (werkzeug decodes it as UTF-8 replacing what is not, so it never yields a surrogate.) Most
    requests hold neither, and their parameters are then not looked at one by one.
    """
    if isinstance(encoded, bytes):
        return b"%00" in encoded or b"\x00" in encoded
    return "%00" in encoded or "\x00" in encoded


def _json_problems(req: Request) -> dict[str, str]:
    """{field: message} of a JSON body beyond the bounds; a body that is not JSON is left to the view."""
    body = req.get_data(cache=True)
    if not body:
        return {}
    try:
        value: Any = json.loads(body.decode("utf-8"))  # strict: UTF-8 bytes of a surrogate are refused
    except RecursionError:
        return {"body": f"nested deeper than {BOUNDS.depth} levels"}
    except ValueError:  # malformed JSON or not UTF-8: the view's parser answers it
        return {}
    found = None if _plainly_within(body) else BOUNDS.problem(value)
    if found is None:
        req.environ[PARSED_JSON] = value
        return {}
    where, message = found
    return {"body" if where == "value" else where: message}


#: the only ways a JSON text can spell a NUL or a surrogate: as an escape (raw control characters
#: are not JSON, and raw surrogates are not UTF-8)
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _plainly_within(body: bytes) -> bool:
    """True when the raw body cannot break a bound, so the parsed value need not be walked.

    Over-cautious, and C-speed: the nesting is at most the number of `{` and `[`, the keys and
    items at most those plus the commas, the characters at most the bytes; no NUL or surrogate
    without its escape. A body that fails this (or has a bracket or comma in its texts) is walked.
    """
    containers = body.count(b"{") + body.count(b"[")
    return (containers <= BOUNDS.depth and len(body) <= BOUNDS.chars
            and containers + body.count(b",") <= BOUNDS.members and _UNSTORABLE_ESCAPE.search(body) is None)


def _name(key: str) -> str:
    return key if len(key) <= 64 and key.isprintable() else "…"


def init_app(app: Flask) -> None:
    app.before_request(check_request)
