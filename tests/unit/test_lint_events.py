"""Lint of event sub-processes and conditional events (`engine.lint_events`, the conditions in
`engine.lint`): each refusal located at the element, with a hint; what runs lints clean."""

from __future__ import annotations

import pytest

from pathways.engine.definitions import SourceFile
from pathways.engine.lint import lint
from tests.helpers import FIXTURES

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="x">
<bpmn:error id="err" errorCode="E1"/>
<bpmn:message id="msg" name="m"/>
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>
{body}
</bpmn:process>
</bpmn:definitions>"""


def esp(start: str, extra: str = "") -> str:
    return (f'<bpmn:subProcess id="esp" triggeredByEvent="true">{start}'
            '<bpmn:sequenceFlow id="g1" sourceRef="es" targetRef="ee"/><bpmn:endEvent id="ee"/>'
            f'</bpmn:subProcess>{extra}')


def problems(body: str, severity: str = "error"):
    found = lint([SourceFile("v17.bpmn", HEAD.format(body=body).encode())], _roles())
    return [p for p in found if p.severity == severity]


def _roles():
    from pathways.engine.roles import RoleVocabulary
    from tests.helpers import WORKFLOWS

    return RoleVocabulary.load(WORKFLOWS / "roles.toml")


REFUSED = {
    "no_trigger": (esp('<bpmn:startEvent id="es"/>'), "es", "never start"),
    "two_starts": (esp('<bpmn:startEvent id="es"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>'
                       '<bpmn:startEvent id="es2"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>'),
                   "esp", "2 start events"),
    "non_interrupting_error": (esp('<bpmn:startEvent id="es" isInterrupting="false">'
                                   '<bpmn:errorEventDefinition errorRef="err"/></bpmn:startEvent>'),
                               "es", "must be interrupting"),
    "flow_into_it": (esp('<bpmn:startEvent id="es"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>',
                         '<bpmn:task id="t"/><bpmn:sequenceFlow id="bad" sourceRef="t" targetRef="esp"/>'),
                     "bad", "connects event sub-process"),
    "unknown_error": (esp('<bpmn:startEvent id="es"><bpmn:errorEventDefinition errorRef="nope"/></bpmn:startEvent>'),
                      "es", "names no bpmn:error"),
    "empty_condition": (esp('<bpmn:startEvent id="es"><bpmn:conditionalEventDefinition><bpmn:condition/>'
                            '</bpmn:conditionalEventDefinition></bpmn:startEvent>'), "es", "has no condition"),
    "bad_python_condition": (esp('<bpmn:startEvent id="es"><bpmn:conditionalEventDefinition>'
                                 '<bpmn:condition>__import__("os")</bpmn:condition>'
                                 '</bpmn:conditionalEventDefinition></bpmn:startEvent>'), "es", "condition"),
    "untranslatable_camunda_condition": (esp('<bpmn:startEvent id="es"><bpmn:conditionalEventDefinition>'
                                             '<bpmn:condition>${execution.getVariable("x")}</bpmn:condition>'
                                             '</bpmn:conditionalEventDefinition></bpmn:startEvent>'),
                                         "es", "cannot be translated"),
    "conditional_after_event_gateway": (
        '<bpmn:eventBasedGateway id="g"/><bpmn:sequenceFlow id="g1" sourceRef="g" targetRef="c"/>'
        '<bpmn:intermediateCatchEvent id="c"><bpmn:conditionalEventDefinition><bpmn:condition>x</bpmn:condition>'
        '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>', "c", "event-based gateway"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_a_located_reason(case):
    body, element, words = REFUSED[case]
    found = [p for p in problems(body) if p.element == element]
    assert found, problems(body)
    matching = [p for p in found if words in p.message]
    assert matching, [p.message for p in found]
    assert all(p.line and p.hint for p in matching)


def test_a_camunda_condition_is_translated_and_named_as_a_warning():
    body = esp('<bpmn:startEvent id="es"><bpmn:conditionalEventDefinition camunda:variableName="left">'
               '<bpmn:condition>${left &amp;&amp; !done}</bpmn:condition></bpmn:conditionalEventDefinition>'
               '</bpmn:startEvent>')
    assert problems(body) == []
    warnings = [p.message for p in problems(body, "warning")]
    assert any("runs as Python: left and (not done)" in m for m in warnings), warnings
    assert any("camunda:variableName is not applied" in m for m in warnings), warnings


def test_a_timer_cycle_on_a_non_interrupting_start_is_a_warning():
    body = esp('<bpmn:startEvent id="es" isInterrupting="false"><bpmn:timerEventDefinition>'
               '<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>')
    assert problems(body) == []
    assert any("fires once" in p.message for p in problems(body, "warning"))


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("v17_*.bpmn")))
def test_the_fixtures_lint_clean(name):
    found = lint([SourceFile(name, (FIXTURES / name).read_bytes())], _roles())
    assert [p for p in found if p.severity == "error"] == []
