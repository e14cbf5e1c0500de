"""The DMN TCK, levels 2 and 3, through `pathways.decisions.read_root` and `evaluate`.

Every model of both levels runs; the figures go to docs/dmn-conformance.md (beside Camunda 7.21's).
The test fails when an evaluation raises (evaluate must never raise) or when the figures drop below
FLOOR: raise the floor when a fix lifts them, so that nothing slides back unnoticed. Without the TCK
beside the checkout the tests skip, unless PATHWAYS_REQUIRE_CONFORMANCE=1 (then they fail).
"""

from __future__ import annotations

import pytest

from tests.conftest import CONFORMANCE, REQUIRE_CONFORMANCE, ROOT, require_corpus

from .report import Doubt, camunda_results, render
from .runner import ModelOutcome, run_level

FLOOR = {
    "level 2 models fully passing": 28,
    "level 3 cases passing": 2684,
}
"""Figures the TCK run must reach (the issue's targets: level 2, 27 of 28 models; level 3, more than
Camunda 7.21's 2,201 cases)."""

SECOND_RESOLUTION = (
    "expects values a tenth of a millisecond apart to be equal \"as value resolution is seconds\"; the spec's "
    "times keep fractional seconds (a time literal may have them, and its value is its seconds since midnight), "
    "and we find no one-second resolution for equality in it")
DOUBTS: list[Doubt] = [
    Doubt(3, "0068-feel-equality", "time_005", SECOND_RESOLUTION),
    Doubt(3, "0068-feel-equality", "datetime_003_a", SECOND_RESOLUTION),
]
"""TCK cases we believe wrong in the TCK itself (listed in the report; they still count as failures)."""

REPORT = ROOT / "docs" / "dmn-conformance.md"


@pytest.fixture(scope="module")
def tck() -> dict[int, list[ModelOutcome]]:
    """Both levels run once for the module; the report written when it changed."""
    corpus = require_corpus(CONFORMANCE / "dmn-tck", REQUIRE_CONFORMANCE)
    levels = {level: run_level(corpus / "TestCases", level) for level in (2, 3)}
    camunda = camunda_results(corpus / "TestResults" / "Camunda" / "7.21.0" / "tck_results.csv")
    text = render(levels.values(), camunda, DOUBTS)
    if not REPORT.exists() or REPORT.read_text(encoding="utf-8") != text:
        REPORT.write_text(text, encoding="utf-8")
    return levels


def test_no_evaluation_raises(tck: dict[int, list[ModelOutcome]]) -> None:
    raised = [line for outcomes in tck.values() for outcome in outcomes for line in outcome.raised]
    assert not raised, f"{len(raised)} evaluations raised:\n" + "\n".join(raised[:20])


def test_level_2_models_fully_passing(tck: dict[int, list[ModelOutcome]]) -> None:
    outcomes = tck[2]
    passing = sum(o.fully_passing for o in outcomes)
    failing = [f"{o.folder}: " + "; ".join(p for c in o.cases for p in c.problems)[:300]
               for o in outcomes if not o.fully_passing]
    assert passing >= FLOOR["level 2 models fully passing"], "\n".join(failing)


def test_level_3_cases_passing(tck: dict[int, list[ModelOutcome]]) -> None:
    passing = sum(o.passed for o in tck[3])
    assert passing >= FLOOR["level 3 cases passing"], f"{passing} level 3 cases pass (see {REPORT.name})"


def test_every_model_of_both_levels_ran(tck: dict[int, list[ModelOutcome]]) -> None:
    assert {level: len(outcomes) for level, outcomes in tck.items()} == {2: 28, 3: 94}
    assert sum(o.total for o in tck[2]) == 116 and sum(o.total for o in tck[3]) == 2694


def test_the_report_lists_every_model(tck: dict[int, list[ModelOutcome]]) -> None:
    text = REPORT.read_text(encoding="utf-8")
    assert all(f"| {o.folder} |" in text for outcomes in tck.values() for o in outcomes)


def test_tck_doubts_name_real_cases(tck: dict[int, list[ModelOutcome]]) -> None:
    cases = {(level, o.folder, c.id) for level, outcomes in tck.items() for o in outcomes for c in o.cases}
    assert all((d.level, d.folder, d.case) in cases for d in DOUBTS)

