"""Lint of compensation (`engine.lint_compensation`): drawn wrongly or not run -> a located error with a fix;
what runs is accepted."""

from __future__ import annotations

import pytest

from pathways.engine.definitions import SourceFile, collect
from pathways.engine.lint import lint
from tests.helpers import FIXTURES

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="x">
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>
<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="throw"/>
{body}
</bpmn:process>
</bpmn:definitions>"""
BOUNDARY = '<bpmn:boundaryEvent id="t_undo" attachedToRef="t"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>'
HANDLER = ('<bpmn:scriptTask id="undo" isForCompensation="true" scriptFormat="python"><bpmn:script>x = 0'
           '</bpmn:script></bpmn:scriptTask>')
LINK = '<bpmn:association id="a1" sourceRef="t_undo" targetRef="undo"/>'
THROW = '<bpmn:endEvent id="throw"><bpmn:compensateEventDefinition{attrs}/></bpmn:endEvent>'


def model(body: str = BOUNDARY + HANDLER + LINK, throw_attrs: str = "") -> str:
    return HEAD.format(body=body + THROW.format(attrs=throw_attrs))


def errors(roles, text: str):
    return [p for p in lint([SourceFile("c17.bpmn", text.encode())], roles) if p.severity == "error"]


def test_fixtures_and_a_plain_model_are_accepted(roles):
    assert errors(roles, model()) == []
    assert errors(roles, model(throw_attrs=' activityRef="t"')) == []
    files = collect(sorted(FIXTURES.glob("c17_*.bpmn")))
    assert len(files) == 4
    assert [str(p) for p in lint(files, roles) if p.severity == "error"] == []


REFUSED = {
    "handler_without_association": (model(BOUNDARY + HANDLER), "undo", "associated with no compensation boundary",
                                    "association"),
    "boundary_without_association": (model(BOUNDARY + HANDLER), "t_undo", "no association to a compensation handler",
                                     "isForCompensation"),
    "association_to_a_non_handler": (
        model(BOUNDARY + HANDLER.replace(' isForCompensation="true"', "") + LINK), "a1", "not a compensation handler",
        "isForCompensation"),
    "handler_with_flows": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:sequenceFlow id="bad" sourceRef="undo" targetRef="e2"/>'
              '<bpmn:endEvent id="e2"/>'), "undo", "has sequence flows", "remove its incoming and outgoing flows"),
    "boundary_with_flow": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:sequenceFlow id="bad" sourceRef="t_undo" targetRef="e2"/>'
              '<bpmn:endEvent id="e2"/>'), "t_undo", "no sequence flows", "association"),
    "wait_for_completion_false": (model(throw_attrs=' waitForCompletion="false"'), "throw", "waitForCompletion",
                                  "set it to true"),
    "activity_ref_unknown": (model(throw_attrs=' activityRef="ghost"'), "throw", "'ghost' names no activity",
                             "activityRef empty"),
    "activity_ref_without_handler": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:task id="plain"/>', ' activityRef="plain"'), "throw",
        "nothing compensates", "attach a compensation boundary event"),
    "sub_process_handler": (
        model(BOUNDARY + '<bpmn:subProcess id="undo" isForCompensation="true"><bpmn:startEvent id="us"/>'
              '<bpmn:sequenceFlow id="ug" sourceRef="us" targetRef="ue"/><bpmn:endEvent id="ue"/></bpmn:subProcess>'
              + LINK), "undo", "subProcess as a compensation handler", "use one task"),
    "looping_handler": (
        model(BOUNDARY + HANDLER.replace("<bpmn:script>", "<bpmn:standardLoopCharacteristics/><bpmn:script>") + LINK),
        "undo", "looping or multi-instance", "remove the loop marker"),
    "handler_in_another_scope": (
        model(BOUNDARY + LINK + '<bpmn:subProcess id="sp"><bpmn:startEvent id="ss"/><bpmn:sequenceFlow id="sg" '
              'sourceRef="ss" targetRef="se"/><bpmn:endEvent id="se"/>' + HANDLER + '</bpmn:subProcess>'),
        "undo", "not in the scope", "beside the activity"),
    "compensation_event_sub_process": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent '
              'id="cs"><bpmn:compensateEventDefinition/></bpmn:startEvent><bpmn:sequenceFlow id="cg" sourceRef="cs" '
              'targetRef="ce"/><bpmn:endEvent id="ce"/></bpmn:subProcess>'), "cs", "compensation event sub-process",
        "compensation boundary event"),
    "throw_in_event_sub_process": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent '
              'id="ms"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
              '</bpmn:startEvent><bpmn:sequenceFlow id="cg" sourceRef="ms" targetRef="inner"/><bpmn:endEvent '
              'id="inner"><bpmn:compensateEventDefinition/></bpmn:endEvent></bpmn:subProcess>'), "inner",
        "inside an event sub-process", "throw the compensation"),
    "catch_event": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:intermediateCatchEvent id="odd"><bpmn:compensateEventDefinition/>'
              '</bpmn:intermediateCatchEvent>'), "odd", "not BPMN", "intermediate throw event"),
    "two_handlers": (
        model(BOUNDARY + HANDLER + LINK + HANDLER.replace('id="undo"', 'id="undo2"')
              + '<bpmn:association id="a2" sourceRef="t_undo" targetRef="undo2"/>'), "t_undo", "several handlers",
        "keep one handler"),
    "in_ad_hoc": (
        model(BOUNDARY + HANDLER + LINK + '<bpmn:adHocSubProcess id="ah"><bpmn:task id="at"/><bpmn:boundaryEvent '
              'id="at_undo" attachedToRef="at"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent><bpmn:task '
              'id="at_fix" isForCompensation="true"/><bpmn:association id="a3" sourceRef="at_undo" targetRef="at_fix"/>'
              '<bpmn:completionCondition>True</bpmn:completionCondition></bpmn:adHocSubProcess>'), "at_fix",
        "ad-hoc", "ordinary sub-process"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_a_located_problem_and_a_fix(roles, case):
    text, element, fragment, fix = REFUSED[case]
    found = errors(roles, text)
    located = [p for p in found if p.element == element and fragment in p.message]
    assert located, [str(p) for p in found]
    problem = located[0]
    assert problem.file == "c17.bpmn" and problem.line and fix in problem.hint
    assert "Error(" not in " ".join(p.message for p in found) and "could not be checked" not in str(found)


def test_association_drawn_from_the_handler_to_the_event_counts(roles):
    """Modelers draw the association either way; both link the boundary event to its handler."""
    reversed_link = '<bpmn:association id="a1" sourceRef="undo" targetRef="t_undo"/>'
    assert errors(roles, model(BOUNDARY + HANDLER + reversed_link)) == []


def test_non_executable_processes_are_not_checked(roles):
    assert errors(roles, model(BOUNDARY + HANDLER).replace('isExecutable="true"', 'isExecutable="false"')) == []


@pytest.mark.parametrize("link", [LINK, '<bpmn:association id="a1" sourceRef="undo" targetRef="t_undo"/>'])
def test_what_lint_accepts_runs(roles, link):
    from pathways.engine.built import Definition
    from pathways.engine.definitions import DocumentIndex, build_spec
    from pathways.engine.runtime import CaseRuntime

    text = model(BOUNDARY + HANDLER + link)
    index = DocumentIndex.build([SourceFile("c17.bpmn", text.encode())])
    spec, subprocesses = build_spec([d.source for d in index.dependencies("p")], "p")
    runtime = CaseRuntime.start(Definition(0, "p", spec, subprocesses, roles), {})
    assert runtime.completed and runtime.data()["x"] == 0  # the handler undid the task before the end


#: the corpus files that use compensation (a compensateEventDefinition or an isForCompensation="true" handler),
#: and a problem each must show
CORPUS = {
    "miwg/Reference__C.6.0.bpmn": "compensation event sub-process",
    "activiti/ProcessDiagramGeneratorTest.testAllElements.bpmn20.xml": "not a compensation handler",
    "bpmn-js/kitchen-sink.bpmn": "no association to a compensation handler",
    "bpmn-js/activity-markers.bpmn": None,  # not executable: a warning, never built
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_files_with_compensation_are_refused_with_located_reasons(roles, conformance, name):
    path = conformance / "files" / name
    text = path.read_text(encoding="utf-8")
    assert "compensateEventDefinition" in text or 'isForCompensation="true"' in text
    problems = lint([SourceFile(str(path), path.read_bytes())], roles)
    assert all(p.line or p.element for p in problems)
    assert not any("NotImplementedError" in p.message or "could not be checked" in p.message for p in problems)
    expected = CORPUS[name]
    if expected is None:
        assert not [p for p in problems if "compensation" in p.message]
    else:
        assert [p for p in problems if expected in p.message and p.element and p.line and p.hint]
