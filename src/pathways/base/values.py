"""Values as JSON can hold them: what is stored in snapshots and events and sent in responses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def jsonable(value: Any, exact: bool = True) -> Any:
    """A copy of `value` made of JSON types: dates become ISO text, tuples lists, keys text.

    Decimals (money) stay exact as text unless `exact` is false (figures for charts: numbers).
    Anything else that JSON has no type for becomes its `str`, as `json.dumps(default=str)` would.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value) if exact else float(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, exact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, exact) for v in value]
    return str(value)
