"""The TCK's test files (`*-test-*.xml`): test cases, their inputs and expected results, as FEEL values.

The format is the TCK's `testCases.xsd` (namespace http://www.omg.org/spec/DMN/20160719/testcase): a
`testCase` has `inputNode`s and `resultNode`s, each holding one value: `value` (typed by `xsi:type`,
or `xsi:nil`), `list` of `item`s, or `component`s (a context, by component name). Values come out as the
FEEL values of `pathways.decisions.feel` so that they can be passed to `evaluate` and compared with
what it returns. The files are read with `parse_xml`, as every other XML file of the project.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathways.base.xml import parse_xml
from pathways.decisions.feel.temporal import parse_date, parse_datetime, parse_duration, parse_time
from pathways.decisions.feel.values import FEEL_CONTEXT, FeelError

TC = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass(frozen=True)
class Unreadable:
    """An expected value our FEEL values cannot hold (a year beyond FEEL's ±999,999,999): it equals nothing."""

    xsd_type: str
    text: str


@dataclass
class ResultNode:
    """One expected result: a decision's value, or (`error_result`) an evaluation that must fail."""

    name: str
    expected: Any
    error_result: bool = False


@dataclass
class TestCase:
    """A `testCase`: inputs by name, the results expected; `type` is decision, bkm or decisionService."""

    id: str
    type: str = "decision"
    invocable_name: str | None = None
    description: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    results: list[ResultNode] = field(default_factory=list)

    __test__ = False  # not a pytest test class


@dataclass
class TestFile:
    """A whole test file: the model it tests (a file name beside it) and its cases in order."""

    path: Path
    model_name: str
    cases: list[TestCase]

    __test__ = False


def _decimal(text: str) -> decimal.Decimal:
    return FEEL_CONTEXT.create_decimal(text)


_SCALARS: dict[str, Any] = {
    "decimal": _decimal, "integer": _decimal, "double": _decimal, "float": _decimal, "long": _decimal,
    "int": _decimal, "string": lambda text: text, "date": parse_date, "time": parse_time,
    "dateTime": parse_datetime, "duration": parse_duration,
}


def _boolean(text: str) -> bool:
    if text not in ("true", "false", "1", "0"):
        raise ValueError(f"not an xsd:boolean: {text!r}")
    return text in ("true", "1")


def scalar(xsd_type: str | None, text: str) -> Any:
    """The FEEL value of a `<value xsi:type="xsd:...">text</value>`; a value without a type is a string."""
    local = (xsd_type or "xsd:string").split(":")[-1]
    if local == "boolean":
        return _boolean(text.strip())
    convert = _SCALARS.get(local)
    if convert is None:
        raise ValueError(f"unknown value type {xsd_type!r}")
    if local != "string":
        text = text.strip()
    try:
        return convert(text)
    except (FeelError, decimal.InvalidOperation):
        return Unreadable(local, text)


def _nil(element: Any) -> bool:
    return element.get(XSI + "nil") == "true"


def value_of(element: Any) -> Any:
    """The value held by a valueType element (inputNode, expected, item, component)."""
    if _nil(element):
        return None
    children = [child for child in element if isinstance(child.tag, str)]
    components = [child for child in children if child.tag == TC + "component"]
    if components:
        return {child.get("name", ""): value_of(child) for child in components}
    for child in children:
        if child.tag == TC + "value":
            return None if _nil(child) else scalar(child.get(XSI + "type"), child.text or "")
        if child.tag == TC + "list":
            return None if _nil(child) else [value_of(item) for item in child if item.tag == TC + "item"]
    return None


def _case(element: Any) -> TestCase:
    description = element.find(TC + "description")
    case = TestCase(
        id=element.get("id", ""), type=element.get("type", "decision"),
        invocable_name=element.get("invocableName"),
        description=(description.text or "").strip() if description is not None else "")
    for node in element.findall(TC + "inputNode"):
        case.inputs[node.get("name", "")] = value_of(node)
    for node in element.findall(TC + "resultNode"):
        expected = node.find(TC + "expected")
        case.results.append(ResultNode(
            name=node.get("name", ""), expected=value_of(expected) if expected is not None else None,
            error_result=node.get("errorResult", "false") in ("true", "1")))
    return case


def read_test_file(path: Path) -> TestFile:
    """Read one `*-test-*.xml` file (comments, where the TCK keeps cases it set aside, are dropped)."""
    root = parse_xml(path.read_bytes())
    if root.tag != TC + "testCases":
        raise ValueError(f"{path.name}: not a TCK test file (root {root.tag})")
    model = root.find(TC + "modelName")
    return TestFile(path, (model.text or "").strip() if model is not None else "",
                    [_case(element) for element in root.findall(TC + "testCase")])
