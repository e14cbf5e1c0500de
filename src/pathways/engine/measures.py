"""What a pathway counts: service hours, benefits paid and outcomes reached.

The conventions are the designer's (docs/bpmn-conventions.md, "Recording services, money and
outcomes"): a form field `hours`; a decimal field with the property `benefit` = kind (PLN); the
element property `outcome` = name, recorded when the element completes. This module reads them
from specs and submitted data; `pathways.engine.cases` writes the facts as `measures` rows in the
command's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

HOURS_FIELD = "hours"


@dataclass(frozen=True)
class Fact:
    kind: str  # hours, benefit, outcome
    key: str  # the role (hours), the benefit kind (benefit), the outcome name (outcome)
    value: Decimal
    element_id: str


def amount(value: Any) -> Decimal | None:
    """A positive amount from submitted data (number or numeric text); None when empty, zero or not a number."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


def task_facts(spec: Any, data: dict[str, Any], role: str | None) -> list[Fact]:
    """Hours and benefits a completed human task recorded in its form data."""
    facts = []
    for field in getattr(getattr(spec, "form", None), "fields", None) or ():
        value = amount(data.get(field.id))
        if value is None:
            continue
        benefit = field.get_property("benefit")
        if benefit:
            facts.append(Fact("benefit", str(benefit).strip(), value, spec.bpmn_id))
        elif field.id == HOURS_FIELD and role:
            facts.append(Fact("hours", role, value, spec.bpmn_id))
    return facts


def outcome_of(spec: Any) -> str | None:
    """The outcome an element records when it completes (its `outcome` property), if any."""
    found = getattr(spec, "extensions", {}).get("outcome")
    return str(found).strip() or None if found else None
