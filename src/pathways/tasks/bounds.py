"""The input bounds as the services enforce them: `InvalidData` before any transaction starts.

The HTTP edge (`pathways.limits.check_request`) refuses the same text and JSON before a view
runs; these checks are what the command line (and any other caller of the services) meets, and
they add what only a service knows: how long a value its column holds may be. A value is named
in the error (its field), never echoed. docs/security.md, "Input bounds", lists every limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pathways.base.values import BOUNDS, text_problem
from pathways.engine.errors import InvalidData

#: characters of the columns that hold what a client names (store/models.py)
MAX_KEY = 200  # a pathway key, a message name
MAX_PSEUDONYM = 200  # a case's beneficiary
MAX_CODE = 64  # an agency code, a username
MAX_NAME = 200  # an agency's name, a user's full name
MAX_CITY = 100
#: characters of a form's text value when the form sets no `maxlength`
MAX_FORM_TEXT = 10_000


def check_text(field: str, value: str | None, max_length: int | None = None) -> None:
    """InvalidData naming `field` if `value` holds what PostgreSQL cannot store or is too long."""
    if value is None:
        return
    bad = text_problem(value)
    if bad is None and max_length is not None and len(value) > max_length:
        bad = f"must be at most {max_length} characters"
    if bad:
        raise InvalidData(f"{field} is not valid", fields={field: bad})


def check_texts(values: Mapping[str, str | None]) -> None:
    """`check_text` of several {field: value}, all problems in one InvalidData."""
    problems = {field: bad for field, value in values.items() if value is not None
                for bad in [text_problem(value)] if bad}
    if problems:
        raise InvalidData("the request is not valid", fields=problems)


def check_json(field: str, value: Any) -> None:
    """InvalidData if `value` breaks the JSON bounds (depth, keys and items, characters, text)."""
    found = BOUNDS.problem(value, field)
    if found is not None:
        where, message = found
        raise InvalidData(f"{field} is not valid", fields={where: message})
