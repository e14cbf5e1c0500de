"""The DMN 1.3 built-in functions (10.3.4): conversion, string, list, numeric, context, range."""

from decimal import Decimal

import pytest

from pathways.decisions.feel import evaluate

from .feel_helpers import text, value


@pytest.mark.parametrize(("expression", "expected"), [
    ('number("1234.5")', Decimal("1234.5")), ('number("1 234,5", " ", ",")', Decimal("1234.5")),
    ('number("1,234.5", ",", ".")', Decimal("1234.5")), ('number("abc")', None), ("string(1.50)", "1.5"),
    ("string(true)", "true"), ("string(null)", None), ('string("a")', "a"),
    ("string([1, 2])", "[1, 2]"), ('string({a: "x"})', '{a: "x"}'), ("not(true)", False), ("not(null)", None),
    ('not("a")', None), ('is(@"2026-01-01", @"2026-01-01")', True), ('is(@"10:00:00Z", @"11:00:00+01:00")', False),
    ("is(1, 1.0)", True), ('is(1, "1")', False),
])
def test_conversion_and_boolean(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('substring("foobar", 3)', "obar"), ('substring("foobar", 3, 3)', "oba"), ('substring("foobar", -2, 1)', "a"),
    ('substring("foobar", 3, 3.8)', "oba"), ('substring("😀ab", 2)', "ab"), ('string length("foo")', 3),
    ('string length("😀")', 1), ('upper case("aBc")', "ABC"), ('lower case("aBc")', "abc"),
    ('substring before("foobar", "bar")', "foo"), ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"), ('substring after("", "a")', ""),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"), ('replace("Abc", "b", "X", "i")', "AXc"),
    ('replace("a.b", ".", "-", "q")', "a-b"), ('contains("foobar", "of")', False), ('contains("foobar", "ob")', True),
    ('starts with("foobar", "fo")', True), ('ends with("foobar", "r")', True), ('matches("foobar", "^fo*b")', True),
    ('matches("FooBar", "foo", "i")', True), ('split("John Doe", "\\s")', ["John", "Doe"]),
    ('split("a;b;;c", ";")', ["a", "b", "", "c"]), ('string join(["a", "b", "c"], ", ")', "a, b, c"),
    ('string join(["a", null, "c"])', "ac"), ("string join([])", ""), ('string join("a", "X")', "a"),
    ('substring(string: "foobar", start position: 3)', "obar"),
])
def test_string_functions(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("list contains([1, 2, 3], 2)", True), ("list contains([1, null], null)", True), ("count([1, 2, 3])", 3),
    ("count([])", 0), ("min([3, 1, 2])", 1), ("min(3, 1, 2)", 1), ("max([3, 1, 2])", 3), ('max("a", "c", "b")', "c"),
    ("min([])", None), ("sum([1, 2, 3])", 6), ("sum(1, 2, 3)", 6),
    ("sum([])", None), ("mean([1, 2, 3, 4])", Decimal("2.5")),
    ("all([true, true])", True), ("all([true, false])", False), ("all([true, null])", None), ("all([])", True),
    ("any([false, true])", True), ("any([false, null])", None), ("any([])", False), ("all(true, false)", False),
    ("sublist([1, 2, 3, 4], 2, 2)", [2, 3]), ("sublist([1, 2, 3], -1)", [3]), ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1], [2, 3], [])", [1, 2, 3]), ("insert before([1, 3], 2, 2)", [1, 2, 3]),
    ("insert before([1, 3], -1, 2)", [1, 2, 3]), ("remove([1, 2, 3], 2)", [1, 3]), ("reverse([1, 2, 3])", [3, 2, 1]),
    ("index of([1, 2, 3, 2], 2)", [2, 4]), ("union([1, 2], [2, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 1, 3, 2])", [1, 2, 3]),
    ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]), ("product([2, 3, 4])", 24), ("product(2, 3)", 6),
    ("median([8, 2, 5, 3, 4])", 4), ("median([6, 1, 2, 3])", Decimal("2.5")), ("median([])", None),
    ("mode([6, 3, 9, 6, 6])", [6]), ("mode([6, 1, 9, 6, 1])", [1, 6]), ("mode([])", []),
    ("sort([3, 1, 2])", [1, 2, 3]), ('sort(["b", "a"])', ["a", "b"]),
    ("sort(list: [3, 1, 2], precedes: function(x, y) x > y)", [3, 2, 1]),
    ("list replace([1, 2, 3], 2, 9)", [1, 9, 3]),
    ("list replace([1, 2, 3], function(item, newItem) item > 1, 0)", [1, 0, 0]),
    ("sublist([1, 2, 3], 5)", None), ("remove([1], 3)", None), ("sum([1, \"a\"])", None), ("min([1, \"a\"])", None),
])
def test_list_functions(expression, expected):
    assert value(expression) == expected


def test_stddev():
    assert evaluate("stddev([2, 4, 7, 5])", {}).value.quantize(Decimal("0.000001")) == Decimal("2.081666")
    assert value("stddev([1])") is None


@pytest.mark.parametrize(("expression", "expected"), [
    ("decimal(1/3, 2)", Decimal("0.33")), ("decimal(1.5, 0)", 2), ("decimal(2.5, 0)", 2), ("decimal(-1.5, 0)", -2),
    ("floor(1.5)", 1), ("floor(-1.5)", -2), ("floor(-1.56, 1)", Decimal("-1.6")), ("ceiling(1.5)", 2),
    ("ceiling(-1.5)", -1), ("ceiling(1.56, null)", None), ("abs(-10)", 10),
    ("modulo(12, 5)", 2), ("modulo(-12, 5)", 3), ("modulo(12, -5)", -3), ("modulo(10.1, 4.5)", Decimal("1.1")),
    ("modulo(1, 0)", None), ("sqrt(16)", 4), ("sqrt(-1)", None), ("exp(0)", 1), ("log(1)", 0), ("log(0)", None),
    ("odd(5)", True), ("odd(2)", False), ("even(2)", True), ("even(1.5)", None),
    ("round up(5.5, 0)", 6), ("round up(-5.5, 0)", -6), ("round down(5.5, 0)", 5), ("round half up(5.5, 0)", 6),
    ("round half up(-5.5, 0)", -6), ("round half down(5.5, 0)", 5), ("round half down(1.126, 2)", Decimal("1.13")),
    ("round up(5.5, 6176)", Decimal("5.5")),
])
def test_numeric_functions(expression, expected):
    assert value(expression) == expected


def test_abs_of_a_duration():
    assert text('abs(@"-P1D")') == "P1D"


@pytest.mark.parametrize(("expression", "expected"), [
    ('get value({a: 1}, "a")', 1), ('get value({a: 1}, "b")', None),
    ("get entries({a: 1, b: 2})", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
    ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}), ('context put({a: 1}, "a", 2)', {"a": 2}),
    ('context put({x: {y: 1}}, ["x", "y"], 2)', {"x": {"y": 2}}),
    ('context put(context: {x: {y: 1}}, keys: ["x", "z"], value: 3)', {"x": {"y": 1, "z": 3}}),
    ("context merge([{a: 1}, {b: 2}, {a: 3}])", {"a": 3, "b": 2}),
    ('context([{key: "a", value: 1}, {key: "b", value: 2}])', {"a": 1, "b": 2}),
    ('context([{key: "a", value: 1}, {key: "a", value: 2}])', None),
])
def test_context_functions(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("before(1, 10)", True), ("before(10, 1)", False), ("before([1..5], 10)", True), ("before(1, [2..5])", True),
    ("before([1..5), [5..10])", True), ("before([1..5], [5..10])", False), ("after(10, 1)", True),
    ("after([5..10], [1..5))", True), ("meets([1..5], [5..10])", True), ("meets([1..5), [5..10])", False),
    ("met by([5..10], [1..5])", True), ("overlaps([1..5], [3..8])", True), ("overlaps([1..5), [5..8])", False),
    ("overlaps before([1..5], [3..8])", True), ("overlaps after([3..8], [1..5])", True),
    ("finishes(5, [1..5])", True), ("finishes([3..5], [1..5])", True), ("finished by([1..5], 5)", True),
    ("includes([1..10], 5)", True), ("includes([1..10], [4..6])", True), ("includes([1..10), 10)", False),
    ("during(5, [1..10])", True), ("during([4..6], [1..10])", True), ("starts(1, [1..5])", True),
    ("starts([1..3], [1..5])", True), ("started by([1..5], 1)", True), ("coincides(5, 5)", True),
    ("coincides([1..5], [1..5])", True), ("coincides([1..5], (1..5])", False),
    ("before(point1: 1, point2: 2)", True), ('before("a", 1)', None),
])
def test_range_functions(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('2 in range("[1..3]")', True), ('range("(1..3]") = (1..3]', True), ('range("[3..1]")', None), ('range("x")', None),
])
def test_range_function(expression, expected):
    assert value(expression) == expected


def test_named_arguments_unknown_name_is_null_with_a_warning():
    result = evaluate('substring(text: "abc", start position: 1)', {})
    assert result.value is None and result.warnings


def test_wrong_number_of_arguments_is_null_with_a_warning():
    result = evaluate('upper case("a", "b")', {})
    assert result.value is None and result.warnings


def test_a_variable_shadows_a_built_in():
    assert value("count", {"count": 7}) == 7


@pytest.mark.parametrize(("expression", "expected"), [
    ('range("[date(\\"2026-01-01\\")..@\\"2026-01-02\\"]") = [@"2026-01-01"..@"2026-01-02"]', True),
    ('range("[-1..1]") = [-1..1]', True), ('range("]1..3]") = ]1..3]', True),
    ('range("[date(string(\\"2026-01-01\\"))..@\\"2026-01-02\\"]")', None),
    ('range("[x..3]")', None), ('range("[1..abs(3)]")', None), ('range("[duration(\\"P1D\\")..@\\"P2D\\"]") = '
                                                               '[@"P1D"..@"P2D"]', True),
])
def test_range_function_takes_only_literal_endpoints(expression, expected):
    """DMN 1.5: the text's ends are literals (a number, string, `@"..."`, `date("...")`), never computed."""
    assert value(expression, {"x": 1}) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('is(value1: @"2026-02-13", value2: @"2026-02-13")', True), ('is(value1: @"2026-02-13")', False),
    ('is(value2: 1)', False), ("string(from: null)", None),
])
def test_a_parameter_left_out_of_a_named_call_is_null(expression, expected):
    assert value(expression) is expected


def test_context_put_by_name_takes_one_key_or_a_list_of_keys():
    assert value('context put(context: {x: 1, y: {a: 0}}, keys: ["y", "a"], value: 2)') == {"x": 1, "y": {"a": 2}}
    assert value('context put({x: 1, y: {a: 0}}, ["y", "a"], 2)') == {"x": 1, "y": {"a": 2}}
    result = evaluate('context put(context: {x: 1, y: {a: 0}}, key: ["y", "a"], value: 2)', {})
    assert result.value is None and result.warnings


@pytest.mark.parametrize(("expression", "expected"), [
    ("overlaps before([1..5], (1..5])", True), ("overlaps before([1..5), [1..5])", False),
    ("overlaps before([1..5), (1..5])", True), ("overlaps before([1..5], (1..5))", False),
    ("overlaps after((1..5], [1..5])", True), ("overlaps after((1..5), [1..5])", False),
])
def test_overlaps_before_with_the_same_end(expression, expected):
    """The spec: range1 ends before range2's end, or at it when range1 excludes it or range2 includes it."""
    assert value(expression) is expected
