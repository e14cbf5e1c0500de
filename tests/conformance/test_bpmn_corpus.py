"""The BPMN files of `../shared/conformance`: each refused with a located reason, or run (`bpmn_corpus`).

The run's figures go to docs/bpmn-corpus.md. The test fails when a run ends in a raw Python error
(anything but a `PathwaysError`), when a refusal is unlocated, or when the figures drop below FLOOR:
raise the floor when a change lifts them. Without the corpus the tests skip, unless
PATHWAYS_REQUIRE_CONFORMANCE=1 (then they fail).
"""

from __future__ import annotations

import pytest

from pathways.engine.roles import RoleVocabulary
from tests.conftest import CONFORMANCE, REQUIRE_CONFORMANCE, ROOT, require_corpus

from .bpmn_corpus import OUTCOMES, Outcome, render, run_corpus

FLOOR = {"completed": 5, "processes run": 12}
REPORT = ROOT / "docs" / "bpmn-corpus.md"


@pytest.fixture(scope="module")
def outcomes(roles: RoleVocabulary) -> list[Outcome]:
    corpus = require_corpus(CONFORMANCE, REQUIRE_CONFORMANCE) / "files"
    found = run_corpus(corpus, roles)  # raises on a raw error: that is the failure
    text = render(found)
    if not REPORT.exists() or REPORT.read_text(encoding="utf-8") != text:
        REPORT.write_text(text, encoding="utf-8")
    return found


def test_every_bpmn_file_is_refused_or_run(outcomes: list[Outcome]) -> None:
    files = {o.file for o in outcomes}
    assert len(files) == 105
    for outcome in outcomes:
        assert outcome.result in OUTCOMES
        assert "Traceback" not in outcome.detail
        if outcome.result == "refused":
            assert outcome.detail.startswith("line "), outcome  # located: the line of the first error


def test_run_time_errors_are_worded_and_referenced(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.result == "run-time error":
            assert "reference" in outcome.detail or "ScriptError" not in outcome.detail, outcome


def test_the_figures_do_not_slide_back(outcomes: list[Outcome]) -> None:
    completed = sum(o.result == "completed" for o in outcomes)
    ran = sum(o.process is not None for o in outcomes)
    assert completed >= FLOOR["completed"] and ran >= FLOOR["processes run"], (completed, ran)
