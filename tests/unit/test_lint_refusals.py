"""Models that used to crash or run wrongly: each is refused at lint with file, line, element and a
hint, or runs correctly (issue 17, "never a crash, never a silent wrong run")."""

from __future__ import annotations

import pytest

from pathways.engine.built import Definition
from pathways.engine.definitions import DocumentIndex, SourceFile, build_spec
from pathways.engine.errors import ScriptError
from pathways.engine.lint import lint
from pathways.engine.runtime import CaseRuntime
from tests.helpers import open_by_element

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="x">
{top}
<bpmn:process id="p" isExecutable="true">
{body}
</bpmn:process>
</bpmn:definitions>"""
START = '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="{first}"/>'
END = '<bpmn:sequenceFlow id="f_end" sourceRef="{last}" targetRef="e"/><bpmn:endEvent id="e"/>'


def model(body: str, top: str = "", first: str = "t", last: str | None = "t") -> str:
    tail = END.format(last=last) if last else ""
    return HEAD.format(top=top, body=START.format(first=first) + body + tail)


def errors(roles, text: str):
    return [p for p in lint([SourceFile("e17.bpmn", text.encode())], roles) if p.severity == "error"]


def run(roles, text: str, data: dict | None = None) -> CaseRuntime:
    index = DocumentIndex.build([SourceFile("e17.bpmn", text.encode())])
    spec, subprocesses = build_spec([d.source for d in index.dependencies("p")], "p")
    return CaseRuntime.start(Definition(0, "p", spec, subprocesses, roles), data or {})


def script(element: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{element}" scriptFormat="python"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


REFUSED = {
    "adhoc_without_completion": (
        model('<bpmn:adHocSubProcess id="t"><bpmn:task id="a1"/></bpmn:adHocSubProcess>'),
        "t", "completionCondition"),
    "start_named_Start": (
        model('<bpmn:task id="t"/>').replace('id="s"', 'id="Start"').replace('sourceRef="s"', 'sourceRef="Start"'),
        "Start", "engine uses"),
    "end_named_End": (model('<bpmn:task id="t"/>').replace('"e"', '"End"'), "End", "engine uses"),
    "end_join_name": (model('<bpmn:task id="p.EndJoin"/>', first="p.EndJoin", last="p.EndJoin"), "p.EndJoin",
                      "engine uses"),
    "root_name": (model('<bpmn:task id="Root"/>', first="Root", last="Root"), "Root", "engine uses"),
    "compensation_boundary": (
        model('<bpmn:task id="t"/><bpmn:boundaryEvent id="undo_on" attachedToRef="t">'
              '<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>'), "undo_on", "compensation"),
    "compensation_handler": (model('<bpmn:task id="t"/><bpmn:task id="undo" isForCompensation="true"/>'),
                             "undo", "compensation"),
    "negative_cardinality": (
        model('<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>-1'
              '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>'), "t", "whole number"),
    "fractional_cardinality": (
        model('<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2.5'
              '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>'), "t", "whole number"),
    "flow_to_nowhere": (model('<bpmn:task id="t"/><bpmn:sequenceFlow id="lost" sourceRef="t" targetRef="ghost"/>',
                              last=None), "lost", "'ghost' names no element"),
    "flow_from_nowhere": (model('<bpmn:task id="t"/><bpmn:sequenceFlow id="lost" sourceRef="ghost" targetRef="t"/>'),
                          "lost", "'ghost' names no element"),
    "gateway_without_outgoing": (model('<bpmn:exclusiveGateway id="t"/>', last=None), "t", "no outgoing"),
    "parallel_gateway_without_outgoing": (model('<bpmn:parallelGateway id="t"/>', last=None), "t", "no outgoing"),
    "condition_leaving_a_task": (
        model('<bpmn:task id="t"/>').replace(
            'targetRef="e"/>', 'targetRef="e"><bpmn:conditionExpression>x == 1</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow>'), "f_end", "never be evaluated"),
    "empty_sub_process": (model('<bpmn:subProcess id="t"/>'), "t", "empty"),
    "sub_process_without_end": (
        model('<bpmn:subProcess id="t"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g" sourceRef="s2" '
              'targetRef="t2"/><bpmn:task id="t2"/></bpmn:subProcess>'), "t", "no end event"),
    "link_without_catch": (
        model('<bpmn:intermediateThrowEvent id="t"><bpmn:linkEventDefinition name="A"/></bpmn:intermediateThrowEvent>',
              last=None), "t", "no catching link"),
    "link_catch_without_throw": (
        model('<bpmn:task id="t"/><bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="B"/>'
              '</bpmn:intermediateCatchEvent>'), "land", "nothing can reach"),
    "complex_gateway": (model('<bpmn:complexGateway id="t"/>'), "t", "not supported"),
    "start_quantity": (model('<bpmn:task id="t" startQuantity="2"/>'), "t", "startQuantity"),
    "parallel_event_gateway": (
        model('<bpmn:eventBasedGateway id="t" eventGatewayType="Parallel"/><bpmn:sequenceFlow id="g" sourceRef="t" '
              'targetRef="w"/><bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>'
              'PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>', last="w"),
        "t", "parallel event-based gateway"),
    "instantiating_event_gateway": (
        model('<bpmn:eventBasedGateway id="t" instantiate="true"/><bpmn:sequenceFlow id="g" sourceRef="t" '
              'targetRef="w"/><bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>'
              'PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>', last="w"),
        "t", "instantiate"),
    "choreography_in_a_process": (model('<bpmn:task id="t"/><bpmn:choreographyTask id="chat"/>'), "chat", "not run"),
    "cancel_end_without_boundary": (
        model('<bpmn:transaction id="t"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g" sourceRef="s2" '
              'targetRef="stop"/><bpmn:endEvent id="stop"><bpmn:cancelEventDefinition/></bpmn:endEvent>'
              '</bpmn:transaction>'), "stop", "cancel boundary"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_a_located_problem(roles, case):
    text, element, fragment = REFUSED[case]
    found = errors(roles, text)
    assert found, f"{case} was not refused"
    located = [p for p in found if p.element == element and fragment in p.message]
    assert located, [str(p) for p in found]
    problem = located[0]
    assert problem.file == "e17.bpmn" and problem.line and problem.hint
    assert "Error(" not in " ".join(p.message for p in found)  # no raw Python exception text


def test_one_problem_per_mistake_not_the_parsers_echo(roles):
    """A structural refusal stops the build check, whose message would only repeat it less clearly."""
    text, _element, _fragment = REFUSED["compensation_boundary"]
    assert [p.element for p in errors(roles, text)] == ["undo_on"]


def test_non_executable_processes_are_not_refused(roles):
    text = REFUSED["gateway_without_outgoing"][0].replace('isExecutable="true"', 'isExecutable="false"')
    assert errors(roles, text) == []


def test_implicit_split_after_an_activity_runs_both_paths(roles):
    text = model(script("t", "x = 1") + '<bpmn:sequenceFlow id="a" sourceRef="t" targetRef="left"/>'
                 '<bpmn:sequenceFlow id="b" sourceRef="t" targetRef="right"/>' + script("left", "l = 1")
                 + script("right", "r = 1") + '<bpmn:sequenceFlow id="c" sourceRef="left" targetRef="e"/>'
                 '<bpmn:sequenceFlow id="d" sourceRef="right" targetRef="e2"/><bpmn:endEvent id="e"/>'
                 '<bpmn:endEvent id="e2"/>', last=None)
    assert errors(roles, text) == []
    runtime = run(roles, text)
    assert runtime.completed
    ran = {t.task_spec.bpmn_id for t in runtime.workflow.get_tasks() if t.task_spec.bpmn_id}
    assert {"left", "right"} <= ran


def test_implicit_split_in_a_message_names_the_type(roles):
    """The parser's own message (still seen if the structural lint is bypassed) names the element type."""
    from pathways.engine import implicit

    text = model('<bpmn:userTask id="t"/><bpmn:sequenceFlow id="a" sourceRef="t" targetRef="e2"/>'
                 '<bpmn:endEvent id="e2"/>')
    original = implicit.resolve
    implicit.resolve = lambda root: root  # as SpiffWorkflow alone would read it
    try:
        with pytest.raises(Exception, match=r"tasks of type bpmn:userTask"):
            run(roles, text)
    finally:
        implicit.resolve = original


def test_link_events_jump_to_their_catch(roles):
    text = model('<bpmn:intermediateThrowEvent id="t"><bpmn:linkEventDefinition name="To review"/>'
                 '</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id="land">'
                 '<bpmn:linkEventDefinition name="To  review"/></bpmn:intermediateCatchEvent>'
                 '<bpmn:sequenceFlow id="g" sourceRef="land" targetRef="review"/><bpmn:userTask id="review"/>',
                 last="review")
    assert [p for p in errors(roles, text) if "link" in p.message] == []
    runtime = run(roles, text)
    assert list(open_by_element(runtime)) == ["review"]  # the path went on past the link, not ended


def test_implicit_end_of_an_activity_completes_the_case(roles):
    text = model(script("t", "done = True"), last=None)
    assert errors(roles, text) == []
    runtime = run(roles, text)
    assert runtime.completed and runtime.data()["done"] is True


@pytest.mark.parametrize(("expression", "kind"), [("n - 5", "negative number"), ("n + 0.5", "float"),
                                                  ("'three'", "str")])
def test_cardinality_expression_that_is_no_count_is_a_located_error(roles, expression, kind):
    text = model(f'<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{expression}'
                 '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>')
    assert errors(roles, text) == []
    with pytest.raises(ScriptError, match=f"multi-instance t: loopCardinality gave a {kind}") as raised:
        run(roles, text, {"n": 2})
    assert raised.value.details["element"] == "t"


def test_send_task_nobody_waits_for_is_stored(roles):
    text = model('<bpmn:sendTask id="t" messageRef="m"/>', top='<bpmn:message id="m" name="contract_signed"/>')
    runtime = run(roles, text, {"note": "x"})
    assert runtime.completed and runtime.failure is None
    assert runtime.dump()  # the uncaught message is not in the snapshot (it could not be stored)
    assert [e.event_definition.name for e in runtime.outbox] == ["contract_signed"]


def test_uncaught_error_end_event_fails_and_stops(roles):
    text = model('<bpmn:subProcess id="t"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g" sourceRef="s2" '
                 'targetRef="boom"/><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="err"/>'
                 '</bpmn:endEvent></bpmn:subProcess>', last=None,
                 top='<bpmn:error id="err" errorCode="E_DATA"/>') + ""
    text = text.replace("</bpmn:subProcess>", "</bpmn:subProcess><bpmn:sequenceFlow id=\"h\" sourceRef=\"t\" "
                        "targetRef=\"after\"/>" + script("after", "went_on = True") +
                        '<bpmn:sequenceFlow id="i" sourceRef="after" targetRef="e"/><bpmn:endEvent id="e"/>')
    assert errors(roles, text) == []
    runtime = run(roles, text)
    assert runtime.failure is not None and runtime.failure.record() == {
        "element": "boom", "kind": "error", "code": "E_DATA"}
    assert "went_on" not in runtime.data()
    assert runtime.open_tasks(None) == [] and runtime.waiting_timers() == []
    runtime.dump()


def test_uncaught_escalation_end_event_fails_but_an_intermediate_one_goes_on(roles):
    top = '<bpmn:escalation id="esc" escalationCode="LATE"/>'
    ending = model('<bpmn:endEvent id="t"><bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:endEvent>',
                   top=top, last=None)
    assert run(roles, ending).failure.record() == {"element": "t", "kind": "escalation", "code": "LATE"}
    passing = model('<bpmn:intermediateThrowEvent id="t"><bpmn:escalationEventDefinition escalationRef="esc"/>'
                    '</bpmn:intermediateThrowEvent>', top=top)
    runtime = run(roles, passing)
    assert runtime.failure is None and runtime.completed


def test_transaction_runs_as_a_sub_process_and_its_cancel_takes_the_boundary(roles):
    inside = ('<bpmn:transaction id="t"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g" sourceRef="s2" '
              'targetRef="book"/>' + script("book", "booked = True") + '<bpmn:sequenceFlow id="g2" '
              'sourceRef="book" targetRef="{end}"/>{end_event}</bpmn:transaction>')
    plain = model(inside.format(end="e2", end_event='<bpmn:endEvent id="e2"/>'))
    assert errors(roles, plain) == []
    runtime = run(roles, plain)
    assert runtime.completed and runtime.data()["booked"] is True
    cancelled = model(inside.format(end="stop", end_event='<bpmn:endEvent id="stop"><bpmn:cancelEventDefinition/>'
                                    '</bpmn:endEvent>') + '<bpmn:boundaryEvent id="on_cancel" attachedToRef="t">'
                      '<bpmn:cancelEventDefinition/></bpmn:boundaryEvent><bpmn:sequenceFlow id="h" '
                      'sourceRef="on_cancel" targetRef="undo"/>' + script("undo", "undone = True")
                      + '<bpmn:sequenceFlow id="i" sourceRef="undo" targetRef="e3"/><bpmn:endEvent id="e3"/>')
    assert errors(roles, cancelled) == []
    runtime = run(roles, cancelled)
    assert runtime.completed and runtime.data().get("undone") is True
