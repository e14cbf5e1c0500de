"""Questions about BPMN elements that decide how they are drawn.

Every reference in BPMN and DI may be written as a QName (`tns:Task_1`), so `ref` strips a prefix
before looking an id up; ids themselves cannot contain a colon.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from pathways.engine.parser import BPMN_NS

EVENT_DEFINITIONS = {
    "timerEventDefinition": "timer",
    "messageEventDefinition": "message",
    "signalEventDefinition": "signal",
    "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation",
    "conditionalEventDefinition": "conditional",
    "terminateEventDefinition": "terminate",
    "linkEventDefinition": "link",
    "compensateEventDefinition": "compensate",
    "cancelEventDefinition": "cancel",
}
TASKS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
})
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = TASKS | CONTAINERS | {"callActivity"}
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
})

Index = dict[str, Any]


def local(element: Any) -> str:
    """The local name of an element; '' for processing instructions and the like."""
    if not isinstance(element.tag, str):
        return ""
    return str(etree.QName(element).localname)


def is_bpmn(element: Any) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS


def ref(value: str | None) -> str:
    """An id from a reference that may carry a namespace prefix."""
    return (value or "").strip().rpartition(":")[2]


def index_elements(root: Any) -> Index:
    """Every BPMN element with an id, by id (first wins, like most tools)."""
    found: Index = {}
    for element in root.iter():
        if is_bpmn(element):
            key = element.get("id")
            if key and key not in found:
                found[key] = element
    return found


def _child_text(element: Any, name: str) -> str:
    for child in element:
        if is_bpmn(child) and local(child) == name:
            return "".join(child.itertext())
    return ""


def display_name(element: Any, index: Index) -> str:
    """The text a person sees on the shape (annotations and groups keep it elsewhere)."""
    kind = local(element)
    if kind == "textAnnotation":
        return _child_text(element, "text").strip()
    if kind == "group":
        value = index.get(ref(element.get("categoryValueRef")))
        return (value.get("value") or "").strip() if value is not None else ""
    name = (element.get("name") or "").strip()
    if not name and kind in ("dataObjectReference", "dataStoreReference"):
        target = index.get(ref(element.get("dataObjectRef") or element.get("dataStoreRef")))
        name = (target.get("name") or "").strip() if target is not None else ""
    return name


def event_kinds(element: Any, index: Index) -> tuple[str, ...]:
    """Event definitions, inline or referenced through eventDefinitionRef."""
    kinds: list[str] = []
    for child in element:
        if not is_bpmn(child):
            continue
        name = local(child)
        if name == "eventDefinitionRef":
            target = index.get(ref(child.text))
            name = local(target) if target is not None else ""
        if name in EVENT_DEFINITIONS:
            kinds.append(EVENT_DEFINITIONS[name])
    return tuple(kinds)


def loop_kind(element: Any) -> str:
    for child in element:
        name = local(child) if is_bpmn(child) else ""
        if name == "standardLoopCharacteristics":
            return "loop"
        if name == "multiInstanceLoopCharacteristics":
            return "sequential" if child.get("isSequential") == "true" else "parallel"
    return ""


def is_collection(element: Any, index: Index) -> bool:
    if element.get("isCollection") == "true":
        return True
    target = index.get(ref(element.get("dataObjectRef")))
    return target is not None and target.get("isCollection") == "true"


def is_expanded(element: Any, di: Any, shown: set[str]) -> bool:
    """Expanded when DI says so; when DI is silent, when any of its children is drawn."""
    kind = local(element)
    flag: str | None = di.get("isExpanded")
    if kind == "callActivity":
        return flag == "true"
    if kind not in CONTAINERS:
        return False
    if flag is not None:
        return flag == "true"
    return any(is_bpmn(c) and c.get("id") in shown for c in element)


def is_horizontal(di: Any, width: float, height: float) -> bool:
    """Pools and lanes: DI's isHorizontal, else guessed from the shape's proportions."""
    flag: str | None = di.get("isHorizontal")
    if flag is not None:
        return flag != "false"
    return width >= height


def is_default_flow(element: Any, index: Index) -> bool:
    source = index.get(ref(element.get("sourceRef")))
    return source is not None and bool(element.get("id")) and bool(ref(source.get("default")) == element.get("id"))


def is_conditional_from_activity(element: Any, index: Index) -> bool:
    """A conditional flow leaving a task gets a diamond; out of a gateway it does not."""
    if local(element) != "sequenceFlow" or not _has_child(element, "conditionExpression"):
        return False
    source = index.get(ref(element.get("sourceRef")))
    return source is not None and local(source) in ACTIVITIES


def _has_child(element: Any, name: str) -> bool:
    return any(is_bpmn(c) and local(c) == name for c in element)
