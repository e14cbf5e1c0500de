"""Which HTTP status each domain error answers: one table for the API (JSON) and the pages (HTML).

The services raise domain errors and know nothing of HTTP; the edges turn them into a status
here, so an API call and the page doing the same thing answer the same status. Plain numbers,
no Flask: `pathways.api.errors` and `pathways.web.errors` both read it.
"""

from __future__ import annotations

from pathways.engine.errors import (
    Conflict,
    InvalidData,
    InvalidDefinition,
    MessageNotExpected,
    NotAllowed,
    NotFound,
    PathwaysError,
)
from pathways.tasks.accounts import NotAuthenticated, TooManyAttempts
from pathways.tasks.uploads import UnreadableUpload

#: domain error class -> HTTP status (the most specific class in an error's MRO wins)
STATUS: dict[type[PathwaysError], int] = {
    NotAuthenticated: 401,
    TooManyAttempts: 429,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    MessageNotExpected: 409,
    InvalidData: 400,
    InvalidDefinition: 400,
    UnreadableUpload: 415,
}
#: error code -> HTTP status, for errors of packages imported only when used (pathways.diagram's
#: NoDiagram: importing it would load the whole renderer)
STATUS_BY_CODE = {"no_diagram": 404}
#: any other domain error: the request asked for something the rules refuse
DEFAULT = 400


def domain_status(error: PathwaysError) -> int:
    """The HTTP status of a domain error."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return STATUS_BY_CODE.get(error.code, DEFAULT)
