"""Reading the measure conventions from specs and submitted data (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pathways.engine.measures import Fact, amount, outcome_of, task_facts
from tests.helpers import FIXTURES, load_definition


@pytest.mark.parametrize(("value", "expected"), [
    (2, Decimal(2)), (1.5, Decimal("1.5")), ("3,25", Decimal("3.25")), (" 4 ", Decimal(4)),
    (0, None), (-1, None), ("", None), (None, None), ("abc", None), (True, None), ("NaN", None),
])
def test_amount(value, expected):
    assert amount(value) == expected


def test_task_facts_read_hours_and_benefit_fields():
    definition = load_definition("measures", FIXTURES / "measures.bpmn")
    spec = definition.spec.task_specs["consultation"]
    facts = task_facts(spec, {"hours": 2.5, "stipend": 10}, "ngo.psychologist")
    assert facts == [Fact("hours", "ngo.psychologist", Decimal("2.5"), "consultation"),
                     Fact("benefit", "travel_refund", Decimal(10), "consultation")]
    assert task_facts(spec, {"hours": 2.5}, None) == []  # hours need a role to be credited


def test_outcome_property():
    definition = load_definition("measures", FIXTURES / "measures.bpmn")
    assert outcome_of(definition.spec.task_specs["employed"]) == "employed"
    assert outcome_of(definition.spec.task_specs["placement"]) is None
