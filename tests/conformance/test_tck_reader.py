"""The TCK file reader and the comparison of values, on small files of our own (no TCK needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from pathways.decisions import feel
from pathways.decisions.feel import YearsMonths

from .compare import difference, same
from .tck import Unreadable, read_test_file, scalar

TWO_HOURS = dt.timedelta(hours=2)
HEAD = ('<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">')


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "0001-model-test-01.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>' + HEAD + body + "</testCases>", encoding="utf-8")
    return path


def test_a_case_with_inputs_and_an_expected_value(tmp_path: Path) -> None:
    path = write(tmp_path, """
        <modelName>0001-model.dmn</modelName>
        <testCase id="001">
            <description> Adult </description>
            <inputNode name="Age"><value xsi:type="xsd:decimal">16</value></inputNode>
            <inputNode name="Name"><value xsi:type="xsd:string"> Ann </value></inputNode>
            <resultNode name="Vacation Days" type="decision">
                <expected><value xsi:type="xsd:decimal">27</value></expected>
            </resultNode>
        </testCase>""")
    tests = read_test_file(path)
    assert tests.model_name == "0001-model.dmn"
    [case] = tests.cases
    assert (case.id, case.type, case.invocable_name, case.description) == ("001", "decision", None, "Adult")
    assert case.inputs == {"Age": Decimal(16), "Name": " Ann "}
    [result] = case.results
    assert (result.name, result.expected, result.error_result) == ("Vacation Days", Decimal(27), False)


def test_a_decision_service_case_and_an_error_result(tmp_path: Path) -> None:
    path = write(tmp_path, """
        <testCase id="002" invocableName="Service A" type="decisionService">
            <inputNode name="x"><value xsi:nil="true"/></inputNode>
            <resultNode name="d" errorResult="true"><expected><value xsi:nil="true"/></expected></resultNode>
        </testCase>
        <!-- <testCase id="003"><resultNode name="d"/></testCase> -->""")
    [case] = read_test_file(path).cases
    assert (case.type, case.invocable_name, case.inputs) == ("decisionService", "Service A", {"x": None})
    assert case.results[0].error_result and case.results[0].expected is None


def test_lists_and_nested_components(tmp_path: Path) -> None:
    path = write(tmp_path, """
        <testCase id="001">
            <inputNode name="Applicant">
                <component name="Name"><value xsi:type="xsd:string">Ann</value></component>
                <component name="Address">
                    <component name="City"><value xsi:type="xsd:string">Olsztyn</value></component>
                </component>
                <component name="Scores"><list><item><value xsi:type="xsd:integer">1</value></item>
                    <item><value xsi:nil="true"/></item><item><list/></item></list></component>
                <component name="Spouse" xsi:nil="true"/>
            </inputNode>
            <resultNode name="r"><expected><list><item>
                <component name="ok"><value xsi:type="xsd:boolean">true</value></component>
            </item></list></expected></resultNode>
        </testCase>""")
    [case] = read_test_file(path).cases
    assert case.inputs["Applicant"] == {
        "Name": "Ann", "Address": {"City": "Olsztyn"}, "Scores": [Decimal(1), None, []], "Spouse": None}
    assert case.results[0].expected == [{"ok": True}]


@pytest.mark.parametrize(("xsd_type", "text", "expected"), [
    ("xsd:decimal", "0.1", Decimal("0.1")), ("xsd:double", "549.1175498364003", Decimal("549.1175498364003")),
    ("xsd:integer", " 12 ", Decimal(12)), ("xsd:boolean", "false", False), ("xsd:string", "", ""),
    ("xsd:date", "2017-12-31", dt.date(2017, 12, 31)),
    ("xsd:time", "11:22:33Z", dt.time(11, 22, 33, tzinfo=dt.UTC)),
    ("xsd:dateTime", "2017-12-31T11:22:33.345", dt.datetime(2017, 12, 31, 11, 22, 33, 345000)),
    ("xsd:duration", "P1Y2M", YearsMonths(14)), ("xsd:duration", "-PT1H", -dt.timedelta(hours=1)),
    ("xsd:duration", "P0D", dt.timedelta(0)), (None, "text", "text"),
])
def test_scalar_values(xsd_type: str | None, text: str, expected: object) -> None:
    assert scalar(xsd_type, text) == expected


def test_a_value_our_types_cannot_hold_is_unreadable_and_equals_nothing() -> None:
    value = scalar("xsd:date", "1000000000-01-01")
    assert value == Unreadable("date", "1000000000-01-01")
    assert not same(value, dt.date(2000, 1, 1)) and not same(value, None)


def test_dates_beyond_pythons_years_are_feel_dates() -> None:
    assert same(scalar("xsd:date", "-2017-12-31"), feel.evaluate("date(-2017, 12, 31)").value)
    assert not same(scalar("xsd:date", "-2017-12-31"), feel.evaluate("date(-2017, 12, 30)").value)
    assert same(scalar("xsd:dateTime", "-2017-12-31T11:22:33.456+01:35"),
                feel.evaluate('@"-2017-12-31T11:22:33.456+01:35"').value)


def test_an_unknown_value_type_is_an_error_of_the_file() -> None:
    with pytest.raises(ValueError, match="unknown value type"):
        scalar("xsd:hexBinary", "00")


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.xml"
    path.write_text('<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"/>', encoding="utf-8")
    with pytest.raises(ValueError, match="not a TCK test file"):
        read_test_file(path)


@pytest.mark.parametrize(("expected", "actual"), [
    (None, None), (Decimal("0.1"), Decimal("0.10000000001")), (Decimal("1e20"), Decimal("1e20") + 1000),
    (Decimal(5), Decimal("5.000")), ("a", "a"), (True, True),
    ([Decimal(1), [None]], [Decimal("1.0"), [None]]), ({"a": Decimal(1), "b": "x"}, {"b": "x", "a": Decimal(1)}),
    (dt.date(2020, 1, 1), dt.date(2020, 1, 1)),
    (dt.datetime(2020, 1, 1, 10, tzinfo=dt.UTC), dt.datetime(2020, 1, 1, 12, tzinfo=dt.timezone(TWO_HOURS))),
    (dt.time(10, 0), dt.time(10, 0)), (dt.timedelta(days=1), dt.timedelta(hours=24)),
    (YearsMonths(12), YearsMonths(12)),
])
def test_values_that_compare_equal(expected: object, actual: object) -> None:
    assert same(expected, actual)


@pytest.mark.parametrize(("expected", "actual"), [
    (None, Decimal(0)), (Decimal(0), None), (Decimal("0.1"), Decimal("0.1001")), (Decimal(1), True),
    (True, Decimal(1)), (False, None), ("1", Decimal(1)), ([Decimal(1)], [Decimal(1), Decimal(2)]),
    ([Decimal(1)], Decimal(1)), ({"a": Decimal(1)}, {"a": Decimal(1), "b": None}), ({"a": None}, {"b": None}),
    (dt.date(2020, 1, 1), dt.datetime(2020, 1, 1)), (dt.datetime(2020, 1, 1), dt.date(2020, 1, 1)),
    (dt.datetime(2020, 1, 1, 10), dt.datetime(2020, 1, 1, 10, tzinfo=dt.UTC)),
    (dt.time(10, 0, tzinfo=dt.UTC), dt.time(10, 0)), (dt.timedelta(0), YearsMonths(0)),
    (YearsMonths(12), YearsMonths(13)), (dt.timedelta(days=1), dt.timedelta(days=1, microseconds=1)),
])
def test_values_that_differ(expected: object, actual: object) -> None:
    assert not same(expected, actual)


def test_a_difference_says_where_values_part() -> None:
    assert difference({"a": [Decimal(1), {"b": "x"}]}, {"a": [Decimal(1), {"b": "y"}]}) == \
        ".a[2].b: expected 'x', got 'y'"
    assert difference({"a": 1}, {"c": 1}) == "context: keys missing ['a'], unexpected ['c']"
    assert difference(Decimal(1), None) == "expected Decimal('1'), got None"
