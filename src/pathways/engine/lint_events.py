"""Lint of event sub-processes and conditional events (`engine.event_scopes`, `engine.conditional`).

What is refused, and why (docs/bpmn-conventions.md, "Event sub-processes"):

- an event sub-process with sequence flows in or out of it: BPMN starts it by its event only;
- one whose start is not exactly one start event with a trigger (message, signal, timer, error,
  escalation or conditional): a plain start would never fire, two starts are not BPMN;
- an error start that is not interrupting: BPMN allows only interrupting error starts;
- a conditional event without a condition;
- an `errorRef` or `escalationRef` naming no error or escalation of the file;
- a conditional catch event after an event-based gateway (never evaluated there).

Warned: a non-interrupting event sub-process started by a `timeCycle` fires once, at the first
time of the cycle (its next repetitions are not run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pathways.engine.definitions import Document, etree_localname
from pathways.engine.parser import BPMN_NS
from pathways.engine.problems import Problem, located

TRIGGERS = ("messageEventDefinition", "signalEventDefinition", "timerEventDefinition", "errorEventDefinition",
            "escalationEventDefinition", "conditionalEventDefinition")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def check_events(doc: Document) -> Iterator[Problem]:
    """The problems of the event sub-processes and conditional events of a BPMN file's executable
    processes (one that is not executable is never built, as in `lint_structure`)."""
    for process in doc.root.iter(_q("process")):
        if process.get("isExecutable", "true").lower() == "true":
            yield from _check_process(doc, process)


def _check_process(doc: Document, process: Any) -> Iterator[Problem]:
    for node in process.iter(_q("subProcess")):
        if node.get("triggeredByEvent") == "true":
            yield from _check_event_subprocess(doc, node)
    yield from _check_references(doc, process)
    yield from _check_gateway_conditions(process, doc)
    for definition in process.iter(_q("conditionalEventDefinition")):
        condition = definition.find(_q("condition"))
        if condition is None or not (condition.text or "").strip():
            yield located(doc, definition.getparent(), "conditional event has no condition",
                          "write the condition under the event (e.g. ${left_programme} or left_programme)")


def _check_event_subprocess(doc: Document, esp: Any) -> Iterator[Problem]:
    esp_id = esp.get("id")
    scope = esp.getparent()
    for flow in scope.findall(_q("sequenceFlow")):
        if esp_id in (flow.get("sourceRef"), flow.get("targetRef")):
            yield located(doc, flow, f"sequence flow {flow.get('id')!r} connects event sub-process {esp_id!r}",
                          "remove the flow: an event sub-process starts by its start event and ends inside")
    starts = esp.findall(_q("startEvent"))
    if len(starts) != 1:
        yield located(doc, esp, f"event sub-process has {len(starts)} start events",
                      "draw exactly one start event with a trigger (message, signal, timer, error, "
                      "escalation or conditional)")
        return
    start = starts[0]
    triggers = [etree_localname(child.tag) for child in start if isinstance(child.tag, str)
                and etree_localname(child.tag) in TRIGGERS]
    compensation = start.find(_q("compensateEventDefinition")) is not None
    if not triggers and not compensation:
        yield located(doc, start, "the start event of an event sub-process has no trigger, so it would never start",
                      "give it a message, signal, timer, error, escalation or conditional definition")
    interrupting = (start.get("isInterrupting") or "true").strip().lower() != "false"
    if "errorEventDefinition" in triggers and not interrupting:
        yield located(doc, start, "an error start event must be interrupting (BPMN)",
                      "remove isInterrupting=\"false\", or catch an escalation instead")
    timer = start.find(_q("timerEventDefinition"))
    if timer is not None and not interrupting and timer.find(_q("timeCycle")) is not None:
        yield located(doc, start, "a non-interrupting timer cycle start fires once, at the first time of the cycle",
                      "use a non-interrupting timer boundary event with a cycle for repeated work", "warning")


def _check_references(doc: Document, process: Any) -> Iterator[Problem]:
    """An `errorRef`/`escalationRef` must name a `bpmn:error`/`bpmn:escalation` of the file (SpiffWorkflow
    fails with a TypeError on an unknown one)."""
    for definition_tag, attribute, target in (("errorEventDefinition", "errorRef", "error"),
                                              ("escalationEventDefinition", "escalationRef", "escalation")):
        known = {node.get("id") for node in doc.root.iter(_q(target))}
        for definition in process.iter(_q(definition_tag)):
            ref = definition.get(attribute)
            if ref and ref not in known:
                yield located(doc, definition.getparent(),
                              f"{attribute} {ref[:60]!r} names no bpmn:{target} of this file",
                              f"define <bpmn:{target} id=\"{ref[:60]}\" .../> at the top of the file, or pick an "
                              f"existing {target} in the modeler")


def _check_gateway_conditions(process: Any, doc: Document) -> Iterator[Problem]:
    """A conditional catch event after an event-based gateway is never evaluated (SpiffWorkflow's gateway
    waits for thrown events only): refused rather than left waiting for ever."""
    for scope in process.iter(_q("process"), _q("subProcess"), _q("transaction")):
        gateways = {node.get("id") for node in scope.findall(_q("eventBasedGateway"))}
        targets = {flow.get("targetRef") for flow in scope.findall(_q("sequenceFlow"))
                   if flow.get("sourceRef") in gateways}
        for event in scope.findall(_q("intermediateCatchEvent")):
            if event.get("id") in targets and event.find(_q("conditionalEventDefinition")) is not None:
                yield located(doc, event,
                              "a conditional event after an event-based gateway is not evaluated by pathways",
                              "put the conditional catch event on a parallel path, or use a conditional boundary "
                              "event on the task that waits")
