"""Lint of the Camunda 7 dialect: expressions translated or refused, assignment, attributes nothing applies."""

from __future__ import annotations

import re

import pytest

from pathways.engine import juel
from pathways.engine.definitions import DocumentIndex, SourceFile
from pathways.engine.lint import lint
from pathways.engine.lint_camunda import IGNORED_ATTRIBUTES, IGNORED_ELEMENTS, named_assignees
from pathways.engine.sandbox import check_source
from tests.helpers import FIXTURES

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane" name="Pracownik socjalny (OPS)">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>work</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
"""
TAIL = """
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression>CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def model(task: str = '<bpmn:userTask id="work" name="Work" />', condition: str = "approved") -> str:
    return HEAD + "    " + task + TAIL.replace("CONDITION", condition)


def run(roles, text: str):
    return lint([SourceFile("c7.bpmn", text.encode())], roles)


def line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


FLOW_LINE = line_of(model(), 'id="f_yes"')
TASK_LINE = line_of(model(), 'id="work"')


def of(problems, element: str, severity: str):
    return [p for p in problems if p.element == element and p.severity == severity]


def test_the_model_without_camunda_attributes_is_clean(roles) -> None:
    assert run(roles, model()) == []


@pytest.mark.parametrize(("condition", "python"), [
    ("${approved}", "approved"),
    ("#{!approved}", "not approved"),
    ("${score &gt; 5 &amp;&amp; level == 'high'}", "(score > 5) and (level == 'high')"),
    ("${empty notes}", "notes is None"),
])
def test_a_translatable_condition_is_a_warning_naming_the_translation(roles, condition: str, python: str) -> None:
    problems = run(roles, model(condition=condition))
    [warning] = of(problems, "f_yes", "warning")
    assert python in warning.message and warning.line == FLOW_LINE and warning.file == "c7.bpmn"
    assert not [p for p in problems if p.severity == "error"], problems


@pytest.mark.parametrize(("condition", "fragment", "hint"), [
    ('${execution.getVariable("approved")}', "execution.getVariable", "${approved}"),
    ("${bean.check(x)}", "bean.check", "script task"),
    ("${decision.equals('yes')}", "decision.equals", "${decision == 'yes'}"),
    ("${a} ${b}", "one ${...}", "inside one"),
    ("${type == 'x'}", "type", "rename"),
])
def test_an_untranslatable_condition_is_a_located_error_with_a_fitting_hint(roles, condition, fragment, hint) -> None:
    [error] = of(run(roles, model(condition=condition)), "f_yes", "error")
    assert fragment in error.message and hint in error.hint and error.line == FLOW_LINE


def test_the_old_hint_is_gone(roles) -> None:
    problems = run(roles, model(condition="#{!approved}"))
    assert all("write it in Python: !approved" not in p.hint for p in problems)


def test_a_literal_assignee_lints_clean(roles) -> None:
    assert run(roles, model('<bpmn:userTask id="work" camunda:assignee="anna" />')) == []


@pytest.mark.parametrize("assignee", ["${initiator}", "#{approver}", "${bean.findUser(x)}"])
def test_an_expression_assignee_is_refused(roles, assignee: str) -> None:
    [error] = of(run(roles, model(f'<bpmn:userTask id="work" camunda:assignee="{assignee}" />')), "work", "error")
    assert "camunda:assignee" in error.message and "user name" in error.hint and error.line == TASK_LINE


def test_literal_candidate_users_lint_clean_and_are_named_for_deploy(roles) -> None:
    text = model('<bpmn:userTask id="work" camunda:candidateUsers="anna, adam" />')
    assert of(run(roles, text), "work", "warning") == [] and of(run(roles, text), "work", "error") == []
    index = DocumentIndex.build([SourceFile("p.bpmn", text.encode())])
    assert [(n.username, n.attribute) for n in named_assignees(index)] == [("anna", "candidateUsers"),
                                                                             ("adam", "candidateUsers")]


def test_candidate_users_are_few_names_not_a_role_in_disguise(roles) -> None:
    names = ", ".join(f"user{i}" for i in range(51))
    [error] = of(run(roles, model(f'<bpmn:userTask id="work" camunda:candidateUsers="{names}" />')), "work", "error")
    assert "more than 50 users" in error.message and "role" in error.hint


@pytest.mark.parametrize("users", ["${approvers}", "anna, #{boss}"])
def test_candidate_users_with_an_expression_are_refused(roles, users: str) -> None:
    [error] = of(run(roles, model(f'<bpmn:userTask id="work" camunda:candidateUsers="{users}" />')), "work", "error")
    assert "camunda:candidateUsers" in error.message and "user names" in error.hint and error.line == TASK_LINE


@pytest.mark.parametrize("attribute", ["formKey", "asyncBefore", "asyncAfter", "exclusive", "jobPriority",
                                       "followUpDate", "formRef", "someFutureAttribute"])
def test_an_attribute_nothing_applies_is_a_warning_naming_it(roles, attribute: str) -> None:
    text = model(f'<bpmn:userTask id="work" camunda:{attribute}="x" />')
    [warning] = of(run(roles, text), "work", "warning")
    assert f"camunda:{attribute} is not applied" in warning.message and warning.line == TASK_LINE
    assert warning.hint == IGNORED_ATTRIBUTES.get(attribute, "pathways does not read this Camunda attribute")


@pytest.mark.parametrize("element", ["executionListener", "taskListener", "failedJobRetryTimeCycle"])
def test_an_extension_element_nothing_applies_is_a_warning_on_its_owner(roles, element: str) -> None:
    task = (f'<bpmn:userTask id="work"><bpmn:extensionElements><camunda:{element}><camunda:inputParameter '
            'name="a">1</camunda:inputParameter></camunda:' + element + '></bpmn:extensionElements></bpmn:userTask>')
    [warning] = of(run(roles, model(task)), "work", "warning")  # one: what is inside belongs to it
    assert f"camunda:{element} is not applied" in warning.message and warning.hint == IGNORED_ELEMENTS[element]


def test_read_attributes_and_extensions_are_not_warned_about(roles) -> None:
    task = ('<bpmn:userTask id="work" camunda:candidateGroups="ops.social_worker" camunda:dueDate="P3D" '
            'camunda:priority="60"><bpmn:extensionElements><camunda:properties><camunda:property name="stage" '
            'value="Ocena" /></camunda:properties><camunda:formData><camunda:formField id="notes" type="string" />'
            '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
    assert run(roles, model(task)) == []


@pytest.mark.parametrize(("task", "fragment"), [
    ('<bpmn:serviceTask id="work" camunda:type="external" camunda:topic="mail" />', "Java/external"),
    ('<bpmn:sendTask id="work" camunda:type="external" camunda:topic="mail" />', "external-task worker"),
    ('<bpmn:sendTask id="work" camunda:class="org.example.Mail" />', "Java code (camunda:class)"),
    ('<bpmn:businessRuleTask id="work" camunda:delegateExpression="${rules}" />', "Java code"),
    ('<bpmn:serviceTask id="work"><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector'
     '</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>', "connector"),
])
def test_external_and_java_implementations_stay_refused_with_the_reason(roles, task: str, fragment: str) -> None:
    errors = of(run(roles, model(task)), "work", "error")
    assert any(fragment in p.message for p in errors), errors


def test_named_assignees_are_what_deploy_checks() -> None:
    text = model('<bpmn:userTask id="work" camunda:assignee="anna" />').replace(
        "</bpmn:process>", '<bpmn:userTask id="other" camunda:assignee="${initiator}" /></bpmn:process>')
    [named] = named_assignees(DocumentIndex.build([SourceFile("c7.bpmn", text.encode())]))
    assert named.username == "anna" and named.node.get("id") == "work"


def test_the_f17_fixtures_have_no_errors(roles) -> None:
    files = [SourceFile(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("f17_*.bpmn"))]
    assert files and [p for p in lint(files, roles) if p.severity == "error"] == []


@pytest.mark.parametrize(("task", "element", "python"), [
    ('<bpmn:userTask id="work" camunda:dueDate="${due}" />', "work", "due"),
    # (a multi-instance's cardinality and completion condition are translated: tests/unit/test_multi.py)
])
def test_an_expression_where_python_is_read_untranslated_is_refused_with_the_python_to_write(
        roles, task: str, element: str, python: str) -> None:
    errors = [p for p in of(run(roles, model(task)), element, "error") if "Camunda expression" in p.message]
    assert errors and errors[0].hint == f"write it in Python: {python}", errors


def test_every_camunda_expression_of_the_corpus_translates_or_is_refused(conformance) -> None:
    """No corpus expression makes the translator raise anything but JuelError, and every translation compiles."""
    seen = 0
    for path in sorted(conformance.rglob("*")):
        if not path.is_file() or not path.name.endswith((".bpmn", ".xml")):
            continue
        for text in re.findall(r"<(?:\w+:)?conditionExpression[^>]*>([^<]*)<", path.read_text(errors="replace")):
            text = text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").replace("&quot;", '"')
            if not juel.is_juel(text):
                continue
            seen += 1
            try:
                python = juel.translate(text)
            except juel.JuelError as exc:
                assert exc.hint and exc.column >= 1
            else:
                assert check_source(python, "eval") == [], (path.name, text, python)
    assert seen >= 10


def test_an_assignee_does_not_replace_the_tasks_role(roles) -> None:
    text = model('<bpmn:userTask id="work" camunda:assignee="anna" />').replace(
        "<bpmn:flowNodeRef>work</bpmn:flowNodeRef>", "")
    [error] = of(run(roles, text), "work", "error")
    assert "no lane" in error.message and "camunda:assignee must hold one of them" in error.hint
