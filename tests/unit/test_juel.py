"""The Camunda 7 expression (JUEL) translator: each construct, precedence, and refusals with their hints."""

from __future__ import annotations

import pytest

from pathways.engine import juel
from pathways.engine.sandbox import check_source


@pytest.mark.parametrize(("text", "python"), [
    ("${x > 5}", "x > 5"),
    ("#{approved}", "approved"),
    ("${!done}", "not done"),
    ("${not done}", "not done"),
    ("${a && b}", "a and b"),
    ("${a and b}", "a and b"),
    ("${a || b}", "a or b"),
    ("${a or b}", "a or b"),
    ('${x == "text"}', "x == 'text'"),
    ("${x == 'text'}", "x == 'text'"),
    ("${x eq 5}", "x == 5"),
    ("${x ne 5}", "x != 5"),
    ("${x lt 5}", "x < 5"),
    ("${x gt 5}", "x > 5"),
    ("${x le 5}", "x <= 5"),
    ("${x ge 5}", "x >= 5"),
    ("${x <= 5}", "x <= 5"),
    ("${x != null}", "x != None"),
    ("${empty list}", "list is None or list == '' or list == [] or list == {}"),
    ("${true}", "True"),
    ("${false || null == x}", "False or (None == x)"),
    ("${x > 1.5}", "x > 1.5"),
    ("${x > 2e3}", "x > 2e3"),
    ("${-x < 0}", "(-x) < 0"),
    ("${a.b == 1}", "a['b'] == 1"),
    ("${a[\"b\"][0]}", "a['b'][0]"),
    ("${n mod 2 == 0}", "(n % 2) == 0"),
    ("${n div 2}", "n / 2"),
    ("${a ? 'yes' : 'no'}", "'yes' if a else 'no'"),
    ("${s == 'it\\'s'}", "s == \"it's\""),
    ("  ${ x > 5 }  ", "x > 5"),
    ("${x == '}'}", "x == '}'"),
])
def test_each_construct(text: str, python: str) -> None:
    assert juel.translate(text) == python
    assert check_source(python, "eval") == []


@pytest.mark.parametrize(("text", "python"), [
    ("${a || b && c}", "a or (b and c)"),
    ("${a && b || c}", "(a and b) or c"),
    ("${!a && b}", "(not a) and b"),
    ("${!(a && b)}", "not (a and b)"),
    ("${x > 1 == y < 2}", "(x > 1) == (y < 2)"),
    ("${a + b * c}", "a + (b * c)"),
    ("${(a + b) * c}", "(a + b) * c"),
    ("${a - b - c}", "(a - b) - c"),
    ("${((x > 5)) && ((y))}", "(x > 5) and y"),
    ("${not empty xs && n ge 2}", "(not (xs is None or xs == '' or xs == [] or xs == {})) and (n >= 2)"),
])
def test_precedence_is_el_s_not_python_s(text: str, python: str) -> None:
    assert juel.translate(text) == python


@pytest.mark.parametrize(("data", "expected"), [
    ({"a": True, "b": False, "c": False}, False),
    ({"a": False, "b": True, "c": True}, True),
])
def test_a_translation_evaluates_as_el_would(data: dict[str, bool], expected: bool) -> None:
    assert eval(juel.translate("${!a && b || c && a == false}"), {}, dict(data)) is expected  # noqa: S307


def test_el_comparisons_do_not_chain_as_python_s_do() -> None:
    # EL reads 3 > 2 > 1 as (3 > 2) > 1, true > 1; Python would chain it. The translation keeps EL's grouping.
    assert juel.translate("${a > b > c}") == "(a > b) > c"


@pytest.mark.parametrize(("text", "fragment", "hint"), [
    ('${execution.getVariable("x")}', "execution.getVariable(...)", "${x}"),
    ("${bean.method()}", "bean.method(...)", "script task"),
    ("${reservationService.showUp()}", "reservationService.showUp(...)", "script task"),
    ("${clarified.equals('yes')}", "clarified.equals(...)", "${clarified == 'yes'}"),
    ("${fn:contains(a, b)}", "function fn", "script task"),
    ("${size(list)}", "size(...)", "script task"),
    ("${execution.processInstanceId}", "engine object", "${name}"),
    ("${a} and ${b}", "not one ${...}", "inside one"),
    ("${a > 5", "not one ${...}", "inside one"),
    ("${}", "empty", "${approved}"),
    ("${a >}", "end of the expression", "syntax"),
    ("${a @ b}", "unexpected character", "syntax"),
    ("${(a}", "expected ')'", "syntax"),
    ("${class == 1}", "'class'", "rename"),
    ("${x instanceof y}", "instanceof", ""),
])
def test_refusals_say_what_and_where_with_a_hint(text: str, fragment: str, hint: str) -> None:
    with pytest.raises(juel.JuelError) as caught:
        juel.translate(text)
    assert fragment in caught.value.message
    assert hint in caught.value.hint and caught.value.hint
    assert caught.value.column >= 1


def test_columns_point_into_the_whole_text() -> None:
    with pytest.raises(juel.JuelError) as caught:
        juel.translate("${a && b.run()}")
    assert caught.value.column == 8  # where `b` starts


@pytest.mark.parametrize(("text", "expected"), [("${x}", True), ("#{x}", True), ("  ${x}", True),
                                                 ("x > 5", False), ("", False), (None, False), ("= x", False)])
def test_is_juel(text: str | None, expected: bool) -> None:
    assert juel.is_juel(text) is expected
