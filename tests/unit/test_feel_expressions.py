"""FEEL expressions: comparison, three-valued logic, if, for, some/every, between, in, instance of,
lists and filters, contexts and paths, functions (DMN 1.3, 10.3.2)."""

from decimal import Decimal

import pytest

from pathways.decisions.feel import TYPES, evaluate, parse

from .feel_helpers import value


@pytest.mark.parametrize(("expression", "expected"), [
    ("1 < 2", True), ("2 <= 2", True), ("3 > 4", False), ("4 >= 5", False), ("1 = 1", True), ("1 != 1", False),
    ('"a" < "b"', True), ('"abc" = "abc"', True), ("1 = 1.0", True), ("null = null", True), ("1 = null", False),
    ("null != 1", True), ('1 = "1"', None), ("1 < null", None), ("[1, 2] = [1, 2]", True), ("[1, 2] = [2, 1]", False),
    ("{a: 1} = {a: 1}", True), ("{a: 1} = {a: 2}", False), ("true = true", True), ("true < false", None),
])
def test_comparison(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("true and true", True), ("true and false", False), ("true and null", None), ("false and null", False),
    ("null and false", False), ("null and null", None), ("true or false", True), ("false or false", False),
    ("false or null", None), ("true or null", True), ("null or true", True), ('true and "x"', None),
    ('false or "x"', None), ("1 < 2 and 2 < 3", True), ("1 > 2 or 2 < 3", True),
])
def test_three_valued_logic(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('if 1 < 2 then "yes" else "no"', "yes"), ('if 1 > 2 then "yes" else "no"', "no"),
    ('if null then "yes" else "no"', "no"), ('if "x" then 1 else 2', 2),
    ("if x > 10 then x * 2 else x / 2", 40),
])
def test_if(expression, expected):
    assert value(expression, {"x": 20}) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("for i in [1, 2, 3] return i * 2", [2, 4, 6]), ("for i in 1..3 return i", [1, 2, 3]),
    ("for i in 3..1 return i", [3, 2, 1]), ("for x in [1, 2], y in [10, 20] return x + y", [11, 21, 12, 22]),
    ("for i in [] return i", []), ("for i in 0..4 return if i = 0 then 1 else i * partial[-1]", [1, 1, 2, 6, 24]),
    ("for i in [1..3] return i", [1, 2, 3]), ("for i in (1..3] return i", [2, 3]),
    ('for d in @"2026-01-30"..@"2026-02-01" return day of week(d)', ["Friday", "Saturday", "Sunday"]),
])
def test_for(expression, expected):
    assert value(expression) == expected


def test_for_over_a_descending_range_literal_is_null():
    assert value("for i in [2..1] return i") is None


@pytest.mark.parametrize(("expression", "expected"), [
    ("some x in [1, 2, 3] satisfies x > 2", True), ("some x in [1, 2, 3] satisfies x > 3", False),
    ("every x in [1, 2, 3] satisfies x > 0", True), ("every x in [1, 2, 3] satisfies x > 1", False),
    ("every x in [] satisfies x > 1", True), ("some x in [] satisfies x > 1", False),
    ("some x in [1, 2], y in [2, 3] satisfies x = y", True), ("every x in [1, null] satisfies x > 0", None),
])
def test_quantified(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("5 between 1 and 10", True), ("1 between 1 and 10", True), ("10 between 1 and 10", True),
    ("11 between 1 and 10", False), ('"b" between "a" and "c"', True), ("null between 1 and 2", None),
    ('@"2026-06-01" between @"2026-01-01" and @"2026-12-31"', True),
])
def test_between(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("2 in (1, 2, 3)", True), ("4 in (1, 2, 3)", False), ("5 in [1..10]", True), ("10 in [1..10)", False),
    ("10 in [1..10[", False), ("1 in ]1..10]", False), ("1 in (1..10]", False), ("3 in < 5", True),
    ("3 in (< 2, > 2)", True), ("2 in (< 2, > 2)", False), ("2 in (2)", True), ('"b" in ("a", "b")', True),
    ("2 in [1, 2, 3]", True), ("[1, 2] in [[1, 2], [3]]", True), ("x in (<= 5)", True),
])
def test_in(expression, expected):
    assert value(expression, {"x": 5}) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("1 instance of number", True), ('"a" instance of string', True), ("true instance of boolean", True),
    ('@"2026-01-01" instance of date', True), ('@"2026-01-01T10:00:00" instance of date and time', True),
    ('@"10:00:00" instance of time', True), ('@"P1D" instance of days and time duration', True),
    ('@"P1Y" instance of years and months duration', True), ("[1, 2] instance of list<number>", True),
    ('[1, "a"] instance of list<number>', False), ("{a: 1} instance of context<a: number>", True),
    ("null instance of number", False), ("null instance of Null", True), ("1 instance of Any", True),
    ("(function(x) x) instance of function<Any>->Any", True), ("[1..2] instance of range<number>", True),
    ('1 instance of string', False), ("{a: null} instance of context<a: string>", True),
])
def test_instance_of(expression, expected):
    assert value(expression) is expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("[1, 2, 3][1]", 1), ("[1, 2, 3][-1]", 3), ("[1, 2, 3][4]", None), ("[1, 2, 3][0]", None),
    ("[1, 2, 3][item > 1]", [2, 3]), ("[1, 2, 3][item > 5]", []), ("[{a: 1}, {a: 2}][a = 2]", [{"a": 2}]),
    ("[{a: 1}, {a: 2}][item.a = 1]", [{"a": 1}]), ("[{item: 1}, {item: 2}][item >= 2]", [{"item": 2}]),
    ("5[item > 2]", [5]), ("[[1, 2], [3]][1][2]", 2), ("[1, null, 3][item = null]", [None]),
    ("[] [1]", None), ("null[1]", None),
])
def test_filters(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("{a: 1, b: 2}.b", 2), ('{"b c": 2}.b c', 2), ("{a: {b: {c: 3}}}.a.b.c", 3), ("{a: 1, b: a + 1}.b", 2),
    ("{a: 1}.z", None), ("[{a: 1}, {a: 2}].a", [1, 2]), ("{Monthly Salary: 10}.Monthly Salary * 2", 20),
    ("{}", {}), ("{f: function(x) x * 2, r: f(3)}.r", 6), ("applicant.age", 30),
    ("applicant.address.city", "Kraków"),
])
def test_contexts_and_paths(expression, expected):
    applicant = {"age": 30, "address": {"city": "Kraków"}}
    assert value(expression, {"applicant": applicant}) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("(function(x, y) x + y)(1, 2)", 3), ("{f: function(x) x + 1}.f(1)", 2),
    ("{add: function(a, b) a + b, r: add(b: 1, a: 2)}.r", 3), ("{f: function() 42}.f()", 42),
    ("{fact: function(n) if n <= 1 then 1 else n * fact(n - 1), r: fact(5)}.r", 120),
    ("{mk: function(n) function(x) x + n, add2: mk(2), r: add2(5)}.r", 7),
    ("sort([3, 1, 2], function(a, b) a > b)", [3, 2, 1]), ("double(4)", 8),
])
def test_functions(expression, expected):
    assert value(expression, {"double": lambda x: x * 2}) == expected


def test_calling_a_function_with_too_many_arguments_is_null_with_a_warning():
    result = evaluate("(function(x) x)(1, 2)", {})
    assert result.value is None and result.warnings


def test_calling_what_is_not_a_function_is_null():
    result = evaluate("x(1)", {"x": 3})
    assert result.value is None and "not a function" in result.warnings[0]


def test_external_functions_are_refused():
    result = evaluate('(function(x) external {java: {class: "java.lang.Math"}})(1)', {})
    assert result.value is None and result.warnings


@pytest.mark.parametrize(("expression", "expected"), [
    ("[1, 2, 3]", [1, 2, 3]), ("[]", []), ("[1, [2, 3]]", [1, [2, 3]]), ('[1, "a", true, null]', [1, "a", True, None]),
])
def test_list_literals(expression, expected):
    assert value(expression) == expected


def test_ranges_are_values():
    rng = evaluate("[1..10)", {}).value
    assert (rng.start, rng.end, rng.start_included, rng.end_included) == (Decimal(1), Decimal(10), True, False)
    assert value("[1..10).start included") is True and value("(1..10].end") == 10


@pytest.mark.parametrize(("expression", "expected"), [
    ("5 in (< 10)", True), ("10 in (< 10)", False), ("10 in (<= 10)", True), ("18 in (>= 18)", True),
    ("5 in (= 5)", True), ("5 in (!= 5)", False), ("6 in (!= 5)", True), ("(< 10) = (< 10)", True),
    ("(< 10) = (null..10)", False), ("(=10) = [10..10]", False), ("before((< 10), 10)", True),
    ("(> 3).start", 3), ("(< 10).end included", False),
])
def test_comparison_ranges(expression, expected):
    assert value(expression) == expected


def test_a_parameter_left_out_is_null_not_an_outer_variable():
    assert value("{f: function(a, b) b, r: f(1)}.r", {"b": 99}) is None
    assert value("{f: function(a, b) a + b, r: f(b: 2, a: 1)}.r") == 3


def test_properties_of_a_range_that_ends_open_with_a_bracket():
    assert value("[1..10[.start included") is True and value("[1..10[.end") == 10


def test_instance_of_a_model_type_asks_the_models_checks():
    """A DMN model puts its item definitions under `feel.TYPES`; built-in type names still work beside them."""
    checks = {"tAdult": lambda v: isinstance(v, Decimal) and v >= 18, "tName": lambda v: isinstance(v, str)}
    variables = {TYPES: checks, "age": Decimal(20), "names": ["Ann", "Bob"]}
    assert evaluate("age instance of tAdult", variables, convert=False).value is True
    assert evaluate("17 instance of tAdult", variables, convert=False).value is False
    assert evaluate("names instance of list<tName>", variables, convert=False).value is True
    assert evaluate("{n: 1} instance of context<n: tName>", variables, convert=False).value is False
    assert evaluate("age instance of number", variables, convert=False).value is True
    assert evaluate("age instance of tAdult", {"age": 20}).value is False  # no model types: not that type


@pytest.mark.parametrize(("expression", "expected"), [
    ('{f: function(a: number) a, r: f("foo")}.r', None), ("{f: function(a: number) a, r: f(3)}.r", 3),
    ("{f: function(a: string) a, r: f(null)}.r", None), ("{f: function(a: list<number>) a, r: f(3)}.r", [3]),
    ("{f: function(a: number) a, r: f([3])}.r", 3), ("{f: function(a: tPerson) a, r: f(3)}.r", 3),
    ('{f: function(a: number, b) b, r: f(1, "x")}.r', "x"),
])
def test_typed_parameters_of_a_function_take_conforming_values(expression, expected):
    """A non-conforming argument makes the call null (after the singleton list conversions); an
    unknown type (a model's, outside the model) is not checked."""
    assert value(expression) == expected


def test_a_parameter_of_a_model_type_is_checked_against_the_models_types():
    variables = {TYPES: {"tAdult": lambda v: isinstance(v, Decimal) and v >= 18}}
    text = "{f: function(a: tAdult) a, r: f(17)}.r"
    result = evaluate(text, variables, convert=False)
    assert result.value is None and "does not conform" in result.warnings[0]
    assert evaluate("{f: function(a: tAdult) a, r: f(18)}.r", variables, convert=False).value == 18


def test_a_dotted_name_not_in_scope_is_a_path():
    """A model with a parameter named `Person.Age` makes `Person.Age` one name everywhere in it; where
    no such variable is in scope it is the path into `Person`."""
    person = {"Person": {"Age": 40, "Address": {"City": "Ełk"}}}
    assert evaluate(parse("Person.Age", ["Person.Age"]), person).value == 40
    assert evaluate(parse("Person.Age", ["Person.Age"]), {**person, "Person.Age": 7}).value == 7
    assert evaluate(parse("Person.Address.City", ["Person.Address.City"]), person).value == "Ełk"
    result = evaluate(parse("Nobody.Age", ["Nobody.Age"]), person)
    assert result.value is None and result.warnings == ["no variable named 'Nobody.Age'"]
