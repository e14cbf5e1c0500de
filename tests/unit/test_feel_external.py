"""External Java functions: the known `java.lang` methods, and null for anything else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pathways.decisions.feel import evaluate, java_function

from .feel_helpers import value


def java(parameters: str, class_name: str, signature: str, call: str) -> str:
    return (f'{{f: function({parameters}) external {{java: {{class: "{class_name}", '
            f'method signature: "{signature}"}}}}, r: {call}}}.r')


@pytest.mark.parametrize(("class_name", "signature", "call", "expected"), [
    ("java.lang.Math", "cos(double)", "f(0)", 1), ("java.lang.Math", "max(double, double)", "f(1.5, 2.5)", 2.5),
    ("java.lang.Math", "max(int,int)", "f(123, 456)", 456), ("java.lang.Math", "sqrt(double)", "f(16)", 4),
    ("java.lang.Integer", "valueOf(java.lang.String)", 'f("123")', 123),
    ("java.lang.Double", "valueOf(String)", 'f("1234.56")', Decimal("1234.56")),
    ("java.lang.Short", "valueOf(short)", "f(123)", 123), ("java.lang.String", "valueOf(char)", 'f("a")', "a"),
    ("java.lang.String", "format(java.lang.String, [Ljava.lang.Object;)", 'f("%s has %d", "Ann", 3)', "Ann has 3"),
])
def test_known_java_methods(class_name, signature, call, expected):
    parameters = "a, b" if "," in signature else "a"
    assert value(java(parameters, class_name, signature, call)) == expected


@pytest.mark.parametrize(("class_name", "signature", "call"), [
    ("java.lang.Math", "foo(double)", "f(1)"), ("java.lang.Foo", "valueOf(double)", "f(1)"),
    ("java.lang.Math", "max(java.lang.String, java.lang.String)", 'f("1", "2")'),
    ("java.lang.String", "valueOf(char)", 'f("abc")'), ("java.lang.Math", "max(int,int)", "f(1.5, 2)"),
    ("java.lang.Byte", "valueOf(byte)", "f(300)"), ("java.lang.Integer", "valueOf(java.lang.String)", 'f("x")'),
    ("java.lang.Math", "sqrt(double)", "f(-1)"), ("java.lang.Runtime", "exec(java.lang.String)", 'f("ls")'),
])
def test_unknown_methods_and_arguments_java_would_refuse_are_null(class_name, signature, call):
    parameters = "a, b" if "," in signature else "a"
    result = evaluate(java(parameters, class_name, signature, call), {})
    assert result.value is None and result.warnings


def test_pmml_is_not_supported():
    result = evaluate('{f: function(a) external {pmml: {document: "d", model: "m"}}, r: f(1)}.r', {})
    assert result.value is None and any("PMML" in warning for warning in result.warnings)


def test_a_boxed_java_definition_gets_its_function_from_the_inner_context():
    function = java_function({"class": "java.lang.Math", "method signature": "max(double,double)"}, ["a", "b"])
    assert function.parameters == ["a", "b"] and function.call(Decimal(1), Decimal(2)) == 2


def test_string_format_refuses_a_huge_width_before_building_the_string():
    text = java("a, b", "java.lang.String", "format(java.lang.String, [Ljava.lang.Object;)", 'f("%999999999s", "x")')
    result = evaluate(text, {})
    assert result.value is None and "width" in result.warnings[0]
