"""Unary tests, the input entries of decision tables (DMN 1.3, 10.3.2.9 and table 38)."""

import datetime as dt

import pytest

from pathways.decisions.feel import FeelSyntaxError, parse_unary_tests, unary_test, unary_test_result


@pytest.mark.parametrize(("tests", "value", "expected"), [
    ("-", 5, True), ("-", None, True), ("", "x", True), ('"Fall"', "Fall", True), ('"Fall"', "Winter", False),
    ('"Fall", "Winter"', "Winter", True), ('"Fall", "Winter"', "Spring", False), ("5", 5, True), ("5", 6, False),
    ("< 5", 4, True), ("< 5", 5, False), ("<= 5", 5, True), ("> 5", 6, True), (">= 5", 5, True), (">= 5", 4.9, False),
    ("[5..8]", 5, True), ("[5..8]", 8, True), ("(5..8]", 5, False), ("[5..8)", 8, False), ("]5..8[", 6, True),
    ("[5..8[", 8, False), ("]5..8]", 5, False), ("< 2, > 8", 9, True), ("< 2, > 8", 5, False),
    ("not(5)", 5, False), ("not(5)", 6, True), ('not("a", "b")', "c", True), ('not("a", "b")', "a", False),
    ("not(< 5)", 3, False), ("not([1..3], [7..9])", 5, True), ("true", True, True), ("false", True, False),
    ("null", None, True), ("null", 1, False), ("? > 3", 4, True), ("? > 3", 2, False),
    ("? in [1..3] or ? = 10", 10, True), ("count(?) > 1", [1, 2], True), ("string length(?) < 3", "ab", True),
    ('>= date("2026-01-01")', dt.date(2026, 6, 1), True),
    ('[@"2026-01-01"..@"2026-12-31"]', dt.date(2027, 1, 1), False),
    ("[1, 2, 3]", 2, True), ("limit", 10, True), ("< limit", 9, True), ("> limit * 2", 25, True),
    ('"a", "b", < "0"', "0", False), ("=5", 5, True), ("!= 5", 5, False), ("!= 5", 6, True),
])
def test_unary_tests(tests, value, expected):
    assert unary_test(tests, value, {"limit": 10}) is expected


@pytest.mark.parametrize(("tests", "value"), [("< 5", None), ("< 5", "a"), ("[1..3]", "a")])
def test_unary_tests_that_cannot_be_decided_are_null(tests, value):
    assert unary_test(tests, value) is None


def test_comparing_different_types_for_equality_is_false_not_null():
    assert unary_test("5", "5") is False


def test_a_parsed_unary_test_runs_many_times():
    parsed = parse_unary_tests('"Fall", "Winter"')
    assert [unary_test(parsed, season) for season in ("Fall", "Spring", "Winter")] == [True, False, True]


def test_unary_test_result_carries_warnings():
    result = unary_test_result("< missing", 3)
    assert result.value is None and any("missing" in warning for warning in result.warnings)


def test_unary_test_syntax_errors_are_located():
    with pytest.raises(FeelSyntaxError) as error:
        parse_unary_tests("[1..")
    assert error.value.line == 1 and error.value.column >= 4


def test_names_with_operators_in_unary_tests():
    assert unary_test("< Credit-Limit", 5, {"Credit-Limit": 10}) is True


def test_a_function_as_a_test_is_called_with_the_input():
    assert unary_test("is even", 4, {"is even": lambda n: n % 2 == 0}) is True
    assert unary_test_result("substring", 1).value is None  # wrong arity: null with a warning
