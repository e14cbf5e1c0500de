"""The runner's verdicts and the report, with a stand-in for `evaluate` (no TCK, no DMN model needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from . import runner
from .report import Doubt, camunda_results, render
from .runner import CaseOutcome, ModelOutcome, run_case
from .tck import ResultNode, TestCase


@dataclass
class FakeEvaluation:
    value: Any
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class FakeDecisions:
    """`evaluate` answering from a table by ref; records the calls."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers, self.calls = answers, []

    def evaluate(self, model: Any, ref: str, inputs: Any) -> Any:
        self.calls.append(ref)
        answer = self.answers[ref]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDecisions:
    stand_in = FakeDecisions({})
    monkeypatch.setattr(runner, "decisions", stand_in)
    return stand_in


def test_a_decision_case_passes_on_the_expected_value(fake: FakeDecisions) -> None:
    fake.answers = {"a": FakeEvaluation(Decimal("2.0")), "b": FakeEvaluation("x")}
    case = TestCase("001", results=[ResultNode("a", Decimal(2)), ResultNode("b", "y")])
    outcome = run_case(None, case, [], "here")
    assert not outcome.passed and outcome.problems == ["b: expected 'y', got 'x'"]


def test_an_error_result_passes_on_an_error_or_a_null(fake: FakeDecisions) -> None:
    fake.answers = {"a": FakeEvaluation(None, error="UNIQUE: rules 1 and 2"), "b": FakeEvaluation(None),
                    "c": FakeEvaluation(Decimal(1))}
    nodes = [ResultNode(name, None, error_result=True) for name in "abc"]
    outcome = run_case(None, TestCase("001", results=nodes), [], "here")
    assert outcome.problems == ["c: expected an error, got Decimal('1')"]


def test_a_decision_service_is_evaluated_once_for_all_its_outputs(fake: FakeDecisions) -> None:
    fake.answers = {"svc": FakeEvaluation({"d1": Decimal(1), "d2": "two"}, results={"d1": Decimal(1)})}
    case = TestCase("001", type="decisionService", invocable_name="svc",
                    results=[ResultNode("d1", Decimal(1)), ResultNode("d2", "two")])
    assert run_case(None, case, [], "here").passed and fake.calls == ["svc"]


def test_an_exception_fails_the_case_and_is_recorded(fake: FakeDecisions) -> None:
    fake.answers = {"a": KeyError("boom")}
    raised: list[str] = []
    outcome = run_case(None, TestCase("007", results=[ResultNode("a", None)]), raised, "level 3 m")
    assert not outcome.passed and "raised KeyError" in outcome.problems[0]
    assert raised and raised[0].startswith("level 3 m case 007, a: KeyError")


def test_camunda_results_by_model(tmp_path: Path) -> None:
    path = tmp_path / "tck_results.csv"
    path.write_text('"compliance-level-2/0001-x","0001-x-test-01","001","SUCCESS",""\n'
                    '"compliance-level-2/0001-x","0001-x-test-01","002","IGNORED",""\n'
                    '"compliance-level-3/0002-y","0002-y-test-01","001","SUCCESS",""\n', encoding="utf-8")
    assert camunda_results(path) == {(2, "0001-x"): (1, 2), (3, "0002-y"): (1, 1)}


def test_the_report_has_totals_models_and_doubts() -> None:
    level2 = [ModelOutcome(2, "0001-x", [CaseOutcome("001", True), CaseOutcome("002", False)]),
              ModelOutcome(2, "0002-y", [CaseOutcome("001", True)])]
    text = render([level2], {(2, "0001-x"): (2, 2)}, [Doubt(2, "0001-x", "002", "the spec says otherwise")])
    assert "| level 2 | 1 of 2 | 2 of 3 | 1 of 1 | 2 of 2 |" in text
    assert "| 0001-x | 1 | 2 | 2 / 2 | 002 |" in text and "| 0002-y | 1 | 1 | not run |  |" in text
    assert "| 2 | 0001-x | 002 | the spec says otherwise |" in text
