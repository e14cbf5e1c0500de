"""How long a request's address may be, the same whichever server runs the app.

A request target (path and query, as sent) longer than `MAX_REQUEST_TARGET` bytes answers 414
from the app itself: JSON in the API's error shape under /api/v1, an error page elsewhere, and
documented on every operation of the OpenAPI document. The servers in front are set to let such
a request through to the app: gunicorn's `limit_request_line` is raised to its ceiling,
`GUNICORN_REQUEST_LINE` (its default, 4,094 bytes, answered a longer line with its own HTML
414 before the app saw it); waitress reads request lines up to its header limit (256 KiB).
What remains: a request line over 8,190 bytes under gunicorn still gets gunicorn's plain 414.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, request
from werkzeug.exceptions import RequestURITooLarge

#: bytes of path + "?" + query, as the client sent them
MAX_REQUEST_TARGET = 4096
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


def init_app(app: Flask) -> None:
    app.before_request(refuse_long_targets)
