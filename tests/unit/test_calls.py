"""Call activities in the engine: camunda:in/out and inputOutput mappings, errors reaching the caller's
boundary, the called pathway as a child, and what lint refuses (version binding, broken mappings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.engine import calls
from pathways.engine.definitions import SourceFile
from pathways.engine.lint import lint
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element

PARENT = FIXTURES / "k17_call_parent.bpmn"
CHILD = FIXTURES / "k17_call_child.bpmn"


def _started(parent: Path = PARENT) -> CaseRuntime:
    runtime = CaseRuntime.start(load_definition("k17_call_parent", parent, CHILD), {"note_kept": "x"})
    runtime.complete(open_by_element(runtime)["intake"].id, {"income": 1200, "household": 3})
    return runtime


def test_the_called_pathway_gets_only_what_camunda_in_maps(frozen_clock) -> None:
    runtime = _started()
    review = runtime.task(open_by_element(runtime)["review"].id)
    assert review.data == {"child_income": 1200, "weight": 6}  # `source`, and a `sourceExpression` ${household * 2}


def test_the_caller_gets_back_only_what_camunda_out_maps_and_keeps_its_data(frozen_clock) -> None:
    runtime = _started()
    runtime.complete(open_by_element(runtime)["review"].id, {"verdict": "yes"})
    assert list(open_by_element(runtime)) == ["decide"]
    data = runtime.data()
    assert data["eligibility"] == "yes" and data["income"] == 1200 and data["note_kept"] == "x"
    assert "verdict" not in data and "child_income" not in data


def test_without_mappings_all_data_goes_both_ways(frozen_clock, tmp_path: Path) -> None:
    text = PARENT.read_text()
    start, end = text.index("<bpmn:extensionElements>\n        <camunda:in"), text.index("</bpmn:callActivity>")
    plain = tmp_path / "k17_call_parent.bpmn"
    plain.write_text(text[:start] + text[end:])
    runtime = _started(plain)
    review = runtime.task(open_by_element(runtime)["review"].id)
    assert review.data["income"] == 1200 and review.data["note_kept"] == "x"
    runtime.complete(str(review.id), {"verdict": "yes"})
    assert runtime.data()["verdict"] == "yes"


def test_an_error_thrown_in_the_called_pathway_reaches_the_callers_boundary(frozen_clock) -> None:
    runtime = _started()
    runtime.complete(open_by_element(runtime)["review"].id, {"verdict": "no"})
    assert list(open_by_element(runtime)) == ["appeal"] and runtime.failure is None


def test_the_called_pathway_is_a_child_with_its_state_and_open_tasks(frozen_clock) -> None:
    runtime = _started()
    [child] = calls.children(runtime.workflow)
    review = open_by_element(runtime)["review"]
    assert (child.element, child.key, child.name, child.state) == ("assess", "k17_call_child", "Ocena uprawnień",
                                                                   "active")
    assert child.open_tasks == (review.id,)
    runtime.complete(review.id, {"verdict": "yes"})
    [done] = calls.children(runtime.workflow)  # kept in the workflow until history is pruned
    assert done.state == "completed" and done.open_tasks == ()


IO_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="k17_io" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:scriptTask id="work" scriptFormat="python">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="rate">${base * 2}</camunda:inputParameter>
        <camunda:inputParameter name="label">zasiłek</camunda:inputParameter>
        <camunda:inputParameter name="parts"><camunda:list><camunda:value>a</camunda:value>
          <camunda:value>${base}</camunda:value></camunda:list></camunda:inputParameter>
        <camunda:inputParameter name="limits"><camunda:map><camunda:entry key="low">1</camunda:entry>
          </camunda:map></camunda:inputParameter>
        <camunda:outputParameter name="amount">${total}</camunda:outputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
      <bpmn:script>total = rate * 10
seen = [label, parts, limits]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="wait" />
    <bpmn:userTask id="wait" camunda:candidateGroups="ops.social_worker" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_input_parameters_are_the_tasks_own_and_output_parameters_reach_the_case(frozen_clock, tmp_path: Path) -> None:
    path = tmp_path / "k17_io.bpmn"
    path.write_text(IO_TASK)
    runtime = CaseRuntime.start(load_definition("k17_io", path), {"base": 3, "rate": "the case's own"})
    data = runtime.data()
    assert data["amount"] == 60 and data["total"] == 60
    assert data["seen"] == ["zasiłek", ["a", 3], {"low": "1"}]
    assert data["rate"] == "the case's own"  # the input parameter hid it for the task's run only
    assert "label" not in data and "parts" not in data and "limits" not in data


def _lint(roles, call: str, extensions: str = "") -> list:
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:callActivity id="call" calledElement="k17_call_child" {call}>
      <bpmn:extensionElements>{extensions}</bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
    found = lint([SourceFile("caller.bpmn", text.encode()), SourceFile(CHILD.name, CHILD.read_bytes())], roles)
    return [p for p in found if p.element == "call"]


def test_binding_deployment_is_clean_and_latest_is_a_warning_that_it_binds_at_deploy(roles) -> None:
    assert _lint(roles, 'camunda:calledElementBinding="deployment"') == []
    assert _lint(roles, "") == []
    [warning] = _lint(roles, 'camunda:calledElementBinding="latest"')
    assert warning.severity == "warning" and "bound when this pathway is deployed" in warning.message


@pytest.mark.parametrize("binding", ['camunda:calledElementBinding="version" camunda:calledElementVersion="3"',
                                     'camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1"'])
def test_a_pinned_version_is_refused_with_how_to_pin_one(roles, binding: str) -> None:
    [error] = _lint(roles, binding)
    assert error.severity == "error" and "is not run" in error.message and "binding to deployment" in error.hint
    assert error.line == 7


@pytest.mark.parametrize(("extensions", "words"), [
    ('<camunda:in source="a" />', "without target"),
    ('<camunda:in source="a" target="b-c" />', "is not a variable name"),
    ('<camunda:in source="a" target="__builtins__" />', "a name scripts may not use"),
    ('<camunda:inputOutput><camunda:inputParameter name="open">1</camunda:inputParameter></camunda:inputOutput>',
     "a name scripts may not use"),
    ('<camunda:out sourceExpression="${bean.call()}" target="b" />', "sourceExpression"),
    ('<camunda:in target="b" />', "neither source nor sourceExpression"),
    ('<camunda:inputOutput><camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">1'
     '</camunda:script></camunda:inputParameter></camunda:inputOutput>', "is a script"),
    ('<camunda:inputOutput><camunda:outputParameter name="x">${execution.getVariable("y")}'
     '</camunda:outputParameter></camunda:inputOutput>', "camunda:outputParameter 'x'"),
])
def test_a_mapping_pathways_cannot_apply_is_refused_and_located(roles, extensions: str, words: str) -> None:
    errors = [p for p in _lint(roles, "", extensions) if p.severity == "error"]
    assert errors and words in errors[0].message and errors[0].line == 7, errors


def test_mappings_all_and_business_key(roles) -> None:
    assert _lint(roles, "", '<camunda:in variables="all" /><camunda:out variables="all" />') == []
    [warning] = _lint(roles, "", '<camunda:in businessKey="#{execution.processBusinessKey}" />')
    assert warning.severity == "warning" and "businessKey" in warning.message
