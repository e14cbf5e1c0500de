"""Error pages: every page's failure answered with a page in the user's language and the right status.

The status of a domain error comes from the table the API uses (`pathways.tasks.statuses`), so a
page and the API call behind it answer alike: NotAllowed 403, NotFound 404, Conflict 409, invalid
input 400. werkzeug's HTTP errors keep their status. Any other exception is a bug: it is logged
with its traceback and the user gets a generic 500 page that shows none of it.

`handle` answers for the pages; the app routes errors of API paths to `pathways.api.errors`
(`pathways.app`), so API clients keep the JSON shape.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from pathways.base import sealing
from pathways.engine.errors import PathwaysError, ScriptError
from pathways.tasks.statuses import domain_status

#: status -> (title, what to do), in the page's language
ERRORS = {
    400: (_l("The request was not valid"), _l("Reload the page and try again.")),
    403: (_l("Not allowed"), _l("You can see this, but your roles do not allow this action.")),
    404: (_l("Not found"), _l("There is no such page, or it belongs to a case your agency does not take part in.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    409: (_l("Someone else was first"),
          _l("Someone else changed this first: nothing you sent was saved. Go back and reload the page "
             "to see it as it is now.")),
    413: (_l("Too large"), _l("The request is larger than the server accepts.")),
    414: (_l("The address is too long"), _l("Choose fewer filters or a shorter search, and try again.")),
    500: (_l("Something went wrong"), _l("The error was logged. Try again, or go back to your inbox.")),
}


#: a script, condition or expression of the pathway failed: the designer's to fix, not the user's
PATHWAY_FAILED = (_l("The pathway failed at this step"),
                  _l("Nothing you entered was saved. Tell the pathway's designer what is written below: it "
                     "names the step and a reference to the details in the server log."))


#: a stored value would not open (or could not be sealed) with the configured data keys
SEALING_FAILED = (_l("Stored data could not be opened"),
                  _l("A value stored in the database could not be opened with the server's data keys "
                     "(a key is missing from the key file, or the value was altered). Nothing was shown "
                     "or changed. Tell the administrator the reference below."))


def error_page(status: int, detail: str | None = None, texts: tuple[str, str] | None = None) -> tuple[str, int]:
    """The error page of a status (a 4xx without its own text reads as 400, a 5xx as 500).

    `detail` is shown as it is: only for messages made to be shown (a `ScriptError` names the
    element, the kind of error and a log reference, never a case value).
    """
    shown = status if status in ERRORS else (500 if status >= 500 else 400)
    title, text = texts or ERRORS[shown]
    return render_template("error.html", status=status, title=title, text=text, detail=detail,
                           back=_back()), status


def is_local_path(target: str | None) -> bool:
    """True only for a path on this site: never another host, never a broken header.

    Refused: an absolute URL, `//host`, any backslash (browsers read `/\\host` as `//host`), and
    any control character (CR and LF would split a `Location` header; browsers drop tabs, so
    `/<tab>/host` is `//host` too). The login's `next` and the error pages' "back" link use it.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    return target.isprintable() and not urlsplit(target).netloc


def _back() -> str | None:
    """The page the user came from on this site (its path only), for a "go back" link."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    return path if is_local_path(path) and path != request.path else None


def domain_error(error: PathwaysError) -> Response | tuple[str, int]:
    status = domain_status(error)
    if status == 401:  # the session's user is gone: sign in again, then come back
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    if isinstance(error, ScriptError):
        return error_page(status, error.message, PATHWAY_FAILED)
    return error_page(status)


def http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status >= 500:
        return unexpected(error)
    return error_page(status)


def unexpected(error: BaseException) -> tuple[str, int]:
    sealing_error = sealing.cause_of(error)
    if sealing_error is not None:  # a forged token, a key missing from the ring: the admin's to mend
        reference = secrets.token_hex(4)
        current_app.logger.error("a sealed value could not be opened or made (reference %s): %s", reference,
                                 sealing_error)
        return error_page(500, _("Reference %(reference)s in the server log.", reference=reference),
                          SEALING_FAILED)
    current_app.logger.error("unhandled error while serving a page", exc_info=error)
    return error_page(500)


def handle(error: BaseException) -> Response | tuple[str, int]:
    """Any error raised while serving a page, as a page."""
    if isinstance(error, PathwaysError):
        return domain_error(error)
    if isinstance(error, HTTPException):
        return http_error(error)
    return unexpected(error)
