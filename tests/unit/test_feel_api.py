"""The public face of pathways.decisions.feel: parse, evaluate, results, errors, conversions."""

import datetime as dt
from decimal import Decimal

import pytest

from pathways.decisions import feel
from pathways.decisions.feel import (
    FeelSyntaxError,
    Range,
    YearsMonths,
    evaluate,
    from_python,
    parse,
    to_json,
    to_python,
)


def test_evaluate_returns_value_and_no_warnings():
    result = evaluate("a + b", {"a": 1, "b": 2})
    assert result.value == Decimal(3) and result.warnings == []


def test_a_parsed_expression_is_evaluated_many_times():
    expression = parse("x * 2")
    assert [to_python(evaluate(expression, {"x": x}).value) for x in (1, 2, 3)] == [2, 4, 6]


def test_parsing_is_cached_by_text():
    assert parse("1 + 2 * x") is parse("1 + 2 * x")


def test_each_error_is_a_warning_and_null():
    result = evaluate("[1 / 0, missing, 3]", {})
    assert to_python(result.value) == [None, None, 3]
    assert len(result.warnings) == 2


@pytest.mark.parametrize(("text", "line", "column"), [
    ("1 +", 1, 4), ("(1 + 2", 1, 7), ("1 + * 2", 1, 5), ('if x then 1', 1, 12), ("{a: 1,\n b 2}", 2, 4),
    ("1 $ 2", 1, 3), ('"unterminated', 1, 1),
])
def test_syntax_errors_name_line_and_column(text, line, column):
    with pytest.raises(FeelSyntaxError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column)
    assert str(line) in str(error.value)


def test_syntax_errors_say_what_was_expected():
    with pytest.raises(FeelSyntaxError) as error:
        parse("if x then 1")
    assert "else" in error.value.expected


def test_from_python():
    assert from_python(1) == Decimal(1) and from_python(0.1) == Decimal("0.1")
    assert from_python((1, "a")) == [Decimal(1), "a"]
    assert from_python({"a": [True, None]}) == {"a": [True, None]}
    assert from_python(dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)


def test_from_python_refuses_what_has_no_feel_value():
    with pytest.raises(feel.FeelError):
        from_python(object())


def test_to_python_and_to_json():
    value = evaluate('{n: 1.50, i: 2, d: @"2026-01-01", p: @"P1Y", r: [1..2], l: [0.5]}', {}).value
    assert to_python(value)["i"] == 2 and isinstance(to_python(value)["i"], int)
    assert to_python(value)["n"] == Decimal("1.50")
    assert to_json(value) == {"n": 1.5, "i": 2, "d": "2026-01-01", "p": "P1Y", "r": "[1..2]", "l": [0.5]}


def test_feel_values_go_in_without_conversion():
    result = evaluate("x.months", {"x": YearsMonths(14)}, convert=False)
    assert result.value == 2
    assert isinstance(evaluate("r", {"r": Range(1, 2)}, convert=False).value, Range)


def test_long_expressions_evaluate():
    assert to_python(evaluate("+".join(["1"] * 150), {}).value) == 150


def test_too_deep_expressions_are_a_syntax_error_not_a_crash():
    with pytest.raises(FeelSyntaxError, match="too deeply"):
        parse("[" * 3000 + "1" + "]" * 3000)


def test_endless_recursion_is_null_with_a_warning():
    result = evaluate("{f: function(n) f(n + 1), r: f(1)}.r", {})
    assert result.value is None and any("too deeply" in warning for warning in result.warnings)


@pytest.mark.parametrize(("text", "names"), [
    ("Monthly Salary * 12 + bonus", {"Monthly Salary", "bonus"}), ("for x in items return x * rate", {"items", "rate"}),
    ("some p in people satisfies p.age > limit", {"people", "limit"}), ("count(items) + sum([1, 2])", {"items"}),
    ("{a: 1, b: a + c}", {"c"}), ("(function(x) x + y)(1)", {"y"}), ("[1, 2][item > min]", set()),
])
def test_free_names_are_what_the_variables_must_give(text, names):
    assert parse(text).free_names == names


def test_free_names_of_unary_tests_leave_out_the_input():
    assert feel.parse_unary_tests("> limit, ? = other").free_names == {"limit", "other"}


def test_free_names_of_a_negated_unary_test():
    assert feel.parse_unary_tests("not(< limit)").free_names == {"limit"}
    assert feel.parse_unary_tests("-").free_names == set()


def test_the_grammar_has_no_lalr_conflicts(caplog):
    import logging

    from lark import Lark, logger

    from pathways.decisions.feel.grammar import GRAMMAR

    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(GRAMMAR, parser="lalr", start=["start_expression", "start_unary_tests"], debug=True)
    finally:
        logger.setLevel(level)
    assert not [record for record in caplog.records if "conflict" in record.getMessage().lower()]
