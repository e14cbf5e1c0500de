"""Lint of compensation (`engine.compensation` runs it): what is drawn wrongly, and what pathways does not run.

Runs: compensation boundary events associated to their handler (a task marked isForCompensation,
without sequence flows, in the activity's own scope), intermediate and end compensation throw
events with or without `activityRef`, waiting for the handlers. Refused, each with its reason:
`waitForCompletion="false"` (the throw always waits, as in Camunda 7), compensation event
sub-processes (a compensation start event), a compensation throw inside an event sub-process (BPMN
has it compensate the parent scope), compensation inside an ad-hoc sub-process, handlers that are
not tasks or that loop or carry boundary events, and compensation catch events (not BPMN).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pathways.engine.compensation import EMBEDDED, is_compensation
from pathways.engine.definitions import Document, etree_localname
from pathways.engine.parser import BPMN_NS
from pathways.engine.problems import Problem, located

ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
#: what may undo an activity: one task (a user task becomes an open task of its lane, the rest run)
HANDLER_KINDS = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask"}
_LOOPS = ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics")
_MARK = "mark the task 'for compensation' in the modeler (isForCompensation=\"true\", the rewind marker)"


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _is_handler(node: Any) -> bool:
    return (node.get("isForCompensation") or "").lower() == "true"


def _in_ad_hoc(node: Any) -> bool:
    parent = node.getparent()
    while parent is not None:
        if etree_localname(parent.tag) == "adHocSubProcess":
            return True
        parent = parent.getparent()
    return False


def check(doc: Document, process: Any) -> Iterator[Problem]:
    """Every compensation problem of one executable process."""
    nodes = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    associations: dict[str, list[tuple[Any, str]]] = {}
    for association in doc.root.iter(_q("association")):
        source, target = association.get("sourceRef") or "", association.get("targetRef") or ""
        associations.setdefault(source, []).append((association, target))
        associations.setdefault(target, []).append((association, source))
    flows = {ref for flow in process.iter(_q("sequenceFlow")) for ref in (flow.get("sourceRef"), flow.get("targetRef"))}
    undone: dict[str, Any] = {}  # handler id -> the activity it undoes
    for definition in process.iter(_q("compensateEventDefinition")):
        event = definition.getparent()
        kind = etree_localname(event.tag)
        if kind == "boundaryEvent":
            yield from _check_boundary(doc, event, nodes, associations, flows, undone)
        elif kind in ("intermediateThrowEvent", "endEvent"):
            yield from _check_throw(doc, event, definition, nodes)
        elif kind == "startEvent":
            yield located(doc, event,
                          "a compensation event sub-process (compensation start event) is not run by pathways",
                          "attach a compensation boundary event with a handler task to the sub-process, or leave "
                          "it without one: its inner activities are then compensated last first")
        else:
            yield located(doc, event, f"a compensation {kind} is not BPMN (compensation is caught by a boundary "
                          "event and thrown by intermediate or end events)",
                          "use an intermediate throw event to compensate, or a boundary event to mark what can "
                          "be undone")
    for node in nodes.values():
        if _is_handler(node) and etree_localname(node.tag) in ACTIVITIES:
            yield from _check_handler(doc, node, flows, undone.get(node.get("id") or ""))


def _check_boundary(doc: Document, event: Any, nodes: dict[str, Any], associations: dict[str, list[tuple[Any, str]]],
                    flows: set[str | None], undone: dict[str, Any]) -> Iterator[Problem]:
    activity = nodes.get(event.get("attachedToRef"))
    if activity is None or etree_localname(activity.tag) not in ACTIVITIES:
        yield located(doc, event, "compensation boundary event is attached to no activity",
                      "attach it to the task or sub-process whose work it undoes")
        return
    if (activity.get("triggeredByEvent") or "").lower() == "true" or _in_ad_hoc(event):
        yield located(doc, event, "compensation of an event sub-process or inside an ad-hoc sub-process is not run",
                      "attach the compensation boundary event to an ordinary task or sub-process")
    if event.get("id") in flows:
        yield located(doc, event, "a compensation boundary event has no sequence flows (its handler is linked by an "
                      "association)", "remove the flow and draw an association from the event to the handler task")
    handlers: list[tuple[Any, Any]] = []
    others: list[tuple[Any, Any]] = []
    for association, other_id in associations.get(event.get("id") or "", []):
        other = nodes.get(other_id)
        if other is not None:
            (handlers if _is_handler(other) else others).append((association, other))
    for association, other in others:
        yield located(doc, association, f"the association of compensation boundary event {event.get('id')!r} leads "
                      f"to {other.get('id')!r}, which is not a compensation handler",
                      f"{_MARK}, or associate the event with the task that undoes the activity")
    if not handlers and not others:
        yield located(doc, event, "compensation boundary event has no association to a compensation handler",
                      "draw an association from the boundary event to the task that undoes the activity, and "
                      + _MARK)
    if len(handlers) > 1:
        yield located(doc, event, "compensation boundary event is associated with several handlers",
                      "keep one handler task; put further undoing steps in it or after the throw event")
    for _association, handler in handlers[:1]:
        if handler.get("id") in undone:
            yield located(doc, handler, "compensation handler undoes several activities",
                          "give each activity its own handler task")
        undone[handler.get("id") or ""] = activity
    if sum(1 for b in activity.getparent().iter(_q("boundaryEvent"))
           if b.get("attachedToRef") == activity.get("id") and is_compensation(b)) > 1:
        yield located(doc, event, "the activity has several compensation boundary events",
                      "keep one compensation boundary event per activity")


def _check_handler(doc: Document, node: Any, flows: set[str | None], activity: Any) -> Iterator[Problem]:
    kind = etree_localname(node.tag)
    if node.get("id") in flows:
        yield located(doc, node, "a compensation handler has sequence flows",
                      "remove its incoming and outgoing flows: it runs only when compensation is thrown")
    if activity is None:
        yield located(doc, node, "compensation handler is associated with no compensation boundary event",
                      "attach a compensation boundary event to the activity this task undoes and draw an "
                      "association from that event to this task, or clear the task's 'for compensation' marker")
    elif activity.getparent() is not node.getparent():
        yield located(doc, node, "compensation handler is not in the scope (process or sub-process) of the activity "
                      f"{activity.get('id')!r} it undoes", "move the handler beside the activity")
    if kind not in HANDLER_KINDS:
        yield located(doc, node, f"a {kind} as a compensation handler is not run by pathways",
                      "use one task (user, manual, script, service, business rule or plain) to undo the activity")
    if any(node.find(_q(loop)) is not None for loop in _LOOPS):
        yield located(doc, node, "a looping or multi-instance compensation handler is not run",
                      "remove the loop marker: the handler runs once per completion of its activity")
    if any(b.get("attachedToRef") == node.get("id") for b in node.getparent().iter(_q("boundaryEvent"))):
        yield located(doc, node, "a compensation handler with boundary events is not run",
                      "remove the boundary events from the handler")
    if _in_ad_hoc(node):
        yield located(doc, node, "compensation inside an ad-hoc sub-process is not run",
                      "move the activity and its handler into an ordinary sub-process")


def _check_throw(doc: Document, event: Any, definition: Any, nodes: dict[str, Any]) -> Iterator[Problem]:
    if (definition.get("waitForCompletion") or "true").strip().lower() == "false":
        yield located(doc, event, "waitForCompletion=\"false\" is not run: a compensation throw waits until its "
                      "handlers complete (as in Camunda 7)", "remove waitForCompletion or set it to true")
    scope = event.getparent()
    if (scope.get("triggeredByEvent") or "").lower() == "true":
        yield located(doc, event, "a compensation throw inside an event sub-process is not run (BPMN has it "
                      "compensate the parent scope)",
                      "throw the compensation from the path of the process or sub-process whose activities it undoes")
    elif _in_ad_hoc(event):
        yield located(doc, event, "a compensation throw inside an ad-hoc sub-process is not run",
                      "throw the compensation from the path of the process or sub-process whose activities it undoes")
    ref = definition.get("activityRef")
    if not ref:
        return
    target = nodes.get(ref)
    if target is None or target.getparent() is not scope or etree_localname(target.tag) not in ACTIVITIES:
        yield located(doc, event, f"activityRef {ref!r} names no activity of the throw event's scope",
                      "choose an activity of the same process or sub-process, or leave activityRef empty to "
                      "compensate every completed activity of the scope")
    elif not _compensable(target):
        yield located(doc, event, f"activityRef {ref!r} names an activity that nothing compensates",
                      "attach a compensation boundary event with a handler to it (or to activities inside it)")


def _compensable(activity: Any) -> bool:
    """An activity with a compensation boundary event, or an embedded sub-process holding one."""
    scope = activity.getparent()
    boundaries = scope.iter(_q("boundaryEvent"))
    if any(b.get("attachedToRef") == activity.get("id") and is_compensation(b) for b in boundaries):
        return True
    return etree_localname(activity.tag) in EMBEDDED and any(
        is_compensation(b) for b in activity.iter(_q("boundaryEvent")))
