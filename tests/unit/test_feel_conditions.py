"""BPMN conditions in FEEL (`engine.feel_conditions`): chosen by the file, evaluated without the sandbox's pool."""

from __future__ import annotations

import pytest

from pathways.engine.definitions import SourceFile
from pathways.engine.feel_conditions import FeelCondition, condition, evaluate, source_of
from pathways.engine.lint import lint
from pathways.engine.roles import RoleVocabulary
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, WORKFLOWS, load_definition, open_by_element

FILE = FIXTURES / "feel_conditions.bpmn"


@pytest.fixture
def routing():
    return load_definition("feel_routing", FILE)


@pytest.mark.parametrize(("data", "opened"), [
    ({"risk_level": "very high", "intake_date": "2026-03-01", "instruments": []}, "crisis"),
    ({"risk_level": "high", "intake_date": "2025-12-31", "instruments": ["course", "none", "medical"]}, "workshop"),
    ({"risk_level": "low", "intake_date": "2026-03-01", "instruments": ["course", "none"]}, "counselling"),
])
def test_feel_conditions_route_the_case(routing, frozen_clock, data, opened):
    runtime = CaseRuntime.start(routing, data)
    assert list(open_by_element(runtime)) == [opened]


def test_a_condition_that_fails_is_not_taken(routing, frozen_clock):
    # `instruments` missing: count(null[...]) is null, so the workshop flow is not taken
    runtime = CaseRuntime.start(routing, {"risk_level": 7})
    assert list(open_by_element(runtime)) == ["counselling"]


def test_the_condition_language_comes_from_the_element_or_the_definitions():
    from lxml import etree

    bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    root = etree.fromstring(f'<definitions xmlns="{bpmn}"><sequenceFlow><conditionExpression language="feel">'
                            f'x &gt; 1</conditionExpression></sequenceFlow><sequenceFlow><conditionExpression>'
                            f'x &gt; 1</conditionExpression></sequenceFlow></definitions>')
    own, plain = root.iter(f"{{{bpmn}}}conditionExpression")
    assert isinstance(condition(own), FeelCondition)
    assert not isinstance(condition(plain), FeelCondition)  # Python, the sandbox's
    assert source_of("= a = 1") == "a = 1"
    assert evaluate(FeelCondition("a = 1"), {"a": 1}) is True
    assert evaluate(FeelCondition("a + 1"), {"a": 1}) is False  # a number is not true


def test_lint_locates_a_feel_condition_that_does_not_parse():
    text = FILE.read_text().replace('count(instruments[item != "none"]) &gt;= 2', "count(instruments[ &gt;= 2")
    problems = lint([SourceFile("routing.bpmn", text.encode())], RoleVocabulary.load(WORKFLOWS / "roles.toml"))
    [problem] = [p for p in problems if p.element == "f_workshop"]
    assert problem.message.startswith("FEEL condition:") and problem.line is not None
    assert "Python" not in problem.hint
