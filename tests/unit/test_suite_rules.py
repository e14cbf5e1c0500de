"""The test suite's own rules: helper modules' asserts are rewritten, and a missing conformance
corpus fails the run where it is required (CI) instead of skipping in silence."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

from tests.conftest import CONFORMANCE, HELPERS_WITH_ASSERTS, require_corpus


@pytest.mark.parametrize("name", HELPERS_WITH_ASSERTS)
def test_helper_modules_with_asserts_are_rewritten(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__loader__, AssertionRewritingHook), f"{name} was imported before its registration"


def test_a_missing_corpus_skips_where_it_is_optional(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match="not beside the checkout"):
        require_corpus(tmp_path / "conformance", required=False)


def test_a_missing_corpus_fails_where_it_is_required(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="PATHWAYS_REQUIRE_CONFORMANCE=1"):
        require_corpus(tmp_path / "conformance", required=True)


def test_a_present_corpus_is_given_to_the_test(tmp_path: Path) -> None:
    assert require_corpus(tmp_path, required=True) == tmp_path
    assert CONFORMANCE.name == "conformance" and CONFORMANCE.parent.name == "shared"
