"""Structural lint: models that SpiffWorkflow would build but run wrongly, or crash on, refused up front.

Each check reads the XML of one process scope (a process or a sub-process: flows connect nodes of
one scope only) and reports a located problem with a hint. What is allowed and what is refused is
listed in docs/bpmn-conventions.md ("What is refused at lint"). Choices made here: an activity or
intermediate event without an outgoing flow is an implicit end (BPMN allows it, and SpiffWorkflow
ends that path), so it is not a problem; a gateway without one is. An activity with several
unconditional outgoing flows is BPMN's implicit parallel split, which runs (`engine.implicit`);
a condition on a flow that leaves anything but an exclusive or inclusive gateway is refused, as
nothing would evaluate it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pathways.engine import links, lint_compensation
from pathways.engine.definitions import Document, etree_localname
from pathways.engine.parser import BPMN_NS
from pathways.engine.problems import Problem, located

GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
#: flow elements of BPMN's process-level set that pathways does not run (choreographies belong to no process)
FOREIGN = {"implicitThrowEvent", "choreographyTask", "callChoreography", "subChoreography"}
FLOW_NODES = GATEWAYS | EVENTS | ACTIVITIES
CONDITIONAL = {"exclusiveGateway", "inclusiveGateway", "complexGateway"}
#: names SpiffWorkflow gives its own task specs in every process and sub-process spec
RESERVED_IDS = frozenset({"Start", "End", "Root"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def check_structure(doc: Document) -> Iterator[Problem]:
    """Every structural problem of the executable processes of a BPMN document (`pathways.engine.lint`
    calls this once per file; a process that is not executable is never built, so never refused)."""
    for process in doc.root.iter(_q("process")):
        if process.get("isExecutable", "true").lower() == "true":
            yield from _check_process(doc, process)


def _check_process(doc: Document, process: Any) -> Iterator[Problem]:
    for scope in process.iter(*(_q(s) for s in SCOPES)):
        yield from _check_scope(doc, scope)
    yield from lint_compensation.check(doc, process)
    for node in process.iter(_q("multiInstanceLoopCharacteristics")):
        yield from _check_cardinality(doc, node)
    for node, message, hint in links.problems(process):
        yield located(doc, node, message, hint)
    yield from _check_cancel(doc, process)


def _check_cancel(doc: Document, process: Any) -> Iterator[Problem]:
    """A cancel end event ends its transaction along the transaction's cancel boundary event; without
    that boundary the cancel would go unnoticed and the path after the transaction would run."""
    catching = {b.get("attachedToRef") for b in process.iter(_q("boundaryEvent"))
                if b.find(_q("cancelEventDefinition")) is not None}
    for definition in process.iter(_q("cancelEventDefinition")):
        event = definition.getparent()
        if etree_localname(event.tag) != "endEvent":
            continue
        scope = event.getparent()
        if etree_localname(scope.tag) != "transaction" or scope.get("id") not in catching:
            yield located(doc, event, "cancel end event outside a transaction with a cancel boundary event",
                          "put it in a transaction and attach a cancel boundary event to the transaction")


def _check_scope(doc: Document, scope: Any) -> Iterator[Problem]:
    nodes = {child.get("id"): child for child in scope if isinstance(child.tag, str)
             and etree_localname(child.tag) in FLOW_NODES}
    flows = [child for child in scope if isinstance(child.tag, str) and etree_localname(child.tag) == "sequenceFlow"]
    outgoing: dict[str, list[Any]] = {}
    for flow in flows:
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref not in nodes:
                yield located(doc, flow, f"sequence flow {end} {ref!r} names no element of this "
                              f"{etree_localname(scope.tag)}", "reconnect both ends of the flow in the modeler")
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
    for child in scope:
        if isinstance(child.tag, str) and etree_localname(child.tag) in FOREIGN:
            yield located(doc, child, f"bpmn:{etree_localname(child.tag)} is not run by pathways",
                          "draw the process with tasks, events and gateways")
    for node_id, node in nodes.items():
        yield from _check_node(doc, node, outgoing.get(node_id, []))


def _check_node(doc: Document, node: Any, leaving: list[Any]) -> Iterator[Problem]:
    """One flow node's own problems; `leaving` are its outgoing sequence flows."""
    node_id, kind = node.get("id"), etree_localname(node.tag)
    if node_id in RESERVED_IDS or (node_id or "").endswith(RESERVED_SUFFIXES):
        yield located(doc, node, f"id {node_id!r} is a name the engine uses for its own steps",
                      f"rename the element, e.g. {kind}_{(node_id or '').replace('.', '_').lower()}")
    yield from _check_ignored(doc, node, kind)
    if kind in GATEWAYS and not leaving:
        yield located(doc, node, f"{kind} has no outgoing sequence flow, so the case would stop here",
                      "connect the gateway to the next element, or end the path with an end event")
    for flow in leaving:  # only exclusive and inclusive gateways evaluate their flows' conditions
        if kind not in CONDITIONAL and flow.find(_q("conditionExpression")) is not None:
            yield located(doc, flow, f"the condition of a flow leaving a {kind} would never be evaluated",
                          "put an exclusive gateway (one path) or an inclusive gateway (some paths) after "
                          f"the {kind} and move the condition to the flow leaving it")
    if kind in ("subProcess", "transaction") and node.find(_q("endEvent")) is None:
        empty = not any(isinstance(c.tag, str) and etree_localname(c.tag) in FLOW_NODES for c in node)
        yield located(doc, node, f"{kind} is empty (collapsed, drawn without its inside)" if empty
                      else f"{kind} has no end event, so it could never finish",
                      "draw what happens inside the sub-process, ending each path with an end event")
    if kind == "adHocSubProcess" and not _has_text(node.find(_q("completionCondition"))):
        yield located(doc, node, "ad-hoc sub-process has no completionCondition",
                      "set its completion condition, a Python expression such as all_done == True")


def _check_ignored(doc: Document, node: Any, kind: str) -> Iterator[Problem]:
    """Attributes SpiffWorkflow would silently ignore, so the case would run otherwise than drawn."""
    for attribute in ("startQuantity", "completionQuantity"):
        if kind in ACTIVITIES and (node.get(attribute) or "1").strip() != "1":
            yield located(doc, node, f"{attribute}={node.get(attribute)!r} is not run (only 1 is)",
                          "use a parallel gateway or multi-instance to run or leave an activity several times")
    if kind == "eventBasedGateway" and (node.get("eventGatewayType") or "Exclusive") != "Exclusive":
        yield located(doc, node, "a parallel event-based gateway is not run", "use an exclusive event-based gateway")
    if kind == "eventBasedGateway" and (node.get("instantiate") or "false").lower() == "true":
        yield located(doc, node, "an event-based gateway that starts the process (instantiate) is not run",
                      "start the process with a message or timer start event instead")


def _has_text(node: Any) -> bool:
    return node is not None and bool((node.text or "").strip())


def _check_cardinality(doc: Document, characteristics: Any) -> Iterator[Problem]:
    """A literal cardinality must be a whole number, zero or more (an expression is checked when it runs)."""
    cardinality = characteristics.find(_q("loopCardinality"))
    text = (cardinality.text or "").strip() if cardinality is not None else ""
    if not _NUMBER.match(text):
        return
    value = float(text)
    if value < 0 or value != int(value) or not re.match(r"^[+]?\d+$", text):
        activity = characteristics.getparent()
        yield located(doc, activity, f"multi-instance loopCardinality {text!r} is not a whole number of 0 or more",
                      "write how many instances to make, e.g. 3, or an expression over case data")
