"""FEEL literals and arithmetic: decimal numbers, strings, null propagation (DMN 1.3, 10.3.2)."""

from decimal import Decimal

import pytest

from pathways.decisions.feel import evaluate

from .feel_helpers import text, value


@pytest.mark.parametrize(("expression", "expected"), [
    ("1", 1), ("-1", -1), ("1.5", Decimal("1.5")), (".5", Decimal("0.5")), ("1 + 2", 3), ("10 - 4", 6),
    ("2 * 3", 6), ("7 / 2", Decimal("3.5")), ("2 ** 10", 1024), ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20),
    ("-2 * 3", -6), ("--2", 2), ("10 - 2 - 3", 5), ("100 / 10 / 2", 5),
    ("1 / 3 * 3", Decimal("0.9999999999999999999999999999999999")),
    ("0.1 + 0.2", Decimal("0.3")), ("2 ** -1", Decimal("0.5")), ("4 ** 0.5", 2),
])
def test_numbers(expression, expected):
    assert value(expression) == expected


def test_decimal_semantics_not_binary_float():
    assert value("0.1 + 0.2 = 0.3") is True
    assert value("1.1 * 3") == Decimal("3.3")
    assert value("1 / 3") == Decimal("0.3333333333333333333333333333333333")  # 34 digits


@pytest.mark.parametrize("expression", ["1 + null", "null * 2", "-null", "null / 1", "null ** 2", "null - null"])
def test_null_propagates(expression):
    assert value(expression) is None


def test_division_by_zero_is_null_with_a_warning():
    result = evaluate("1 / 0", {})
    assert result.value is None
    assert "division by zero" in result.warnings[0]


def test_adding_a_string_to_a_number_is_null_with_a_warning():
    result = evaluate('1 + "a"', {})
    assert result.value is None and result.warnings


@pytest.mark.parametrize(("expression", "expected"), [
    ('"abc"', "abc"), ('"a" + "b"', "ab"), (r'"a\"b"', 'a"b'), (r'"line\nbreak"', "line\nbreak"),
    (r'"\u0041"', "A"), (r'"\\"', "\\"), ('"zażółć"', "zażółć"), (r'"\ud83d\ude00"', "\U0001f600"),
])
def test_strings(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("true", True), ("false", False), ("null", None),
])
def test_boolean_and_null_literals(expression, expected):
    assert value(expression) is expected


def test_comments_are_ignored():
    assert value("1 + /* two */ 2 // and a comment") == 3


def test_variables_and_names_with_spaces():
    assert value("Monthly Salary * 12", {"Monthly Salary": 1000}) == 12000
    assert value("a+b", {"a": 1, "b": 2}) == 3


def test_names_with_operators_in_them_resolve_against_variables():
    assert value("Loan-to-Value * 100", {"Loan-to-Value": 0.8}) == 80
    assert value("Is Safe and Sound", {"Is Safe and Sound": True}) is True
    assert value("a-b", {"a": 5, "b": 2}) == 3  # no variable `a-b`: a subtraction


def test_unknown_variable_is_null_with_a_warning():
    result = evaluate("missing + 1", {})
    assert result.value is None
    assert "missing" in result.warnings[0]


def test_floats_from_python_become_exact_decimals():
    assert value("x * 3", {"x": 0.1}) == Decimal("0.3")


def test_large_numbers_keep_34_digits():
    assert text("12345678901234567890123456789012345 + 0") == "1.234567890123456789012345678901234E+34"
