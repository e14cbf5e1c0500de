"""Name matching and search terms of `privacy.beneficiaries` (no database)."""

from __future__ import annotations

import pytest

from pathways.engine.errors import InvalidData
from pathways.privacy.beneficiaries import _matches, _search_terms, folded


@pytest.mark.parametrize("typed, stored", [("lukasz", "Łukasz"), ("ZOLC", "Żółć"), ("sliwinska", "Śliwińska"),
                                           ("strasse", "STRASSE"), ("dorde", "Đorđe")])
def test_folded_ignores_case_and_accents(typed, stored):
    assert folded(typed) == folded(stored)


def test_every_word_must_match_a_part_of_a_name():
    person = {"first_name": "Żaneta", "last_name": "Kowalska-Łęcka"}
    assert _matches(person, ["zan", "lecka"]) and _matches(person, ["kowalska-lecka"])
    assert not _matches(person, ["zaneta", "nowak"]) and not _matches({}, ["x"])


def test_search_terms_are_exactly_one_and_bounded():
    assert _search_terms(" 44051401359 ", None) == ("pesel", "44051401359")
    assert _search_terms(None, "  Jan   Nowak ") == ("name", "Jan Nowak")
    for pesel, name in ((None, None), ("", " "), ("44051401359", "Jan"), ("4405140135", None), (None, "x"),
                        (None, "n" * 151), (None, "Jan\x00")):
        with pytest.raises(InvalidData):
            _search_terms(pesel, name)
