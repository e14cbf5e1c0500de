"""What a message throw sends and what a message or signal catch waits for, read from the model.

SpiffWorkflow's Camunda message event evaluates `camunda:expression` as the payload (so a throw
without one fails at run time), and its plain BPMN one, used by send tasks, copies the whole case
data into the message. Here every message event of a pathway is a `PathwaysMessage`
(`PathwaysParser` builds them, `parse`), which sends only what the designer names, with
`camunda:properties` on the throw event or send task (docs/bpmn-conventions.md, "Messages between cases"):

- `payload` = `field_a, field_b`: the case fields sent (absent: an empty payload); a legacy
  `camunda:expression` on the event definition still gives the payload when `payload` is absent;
- `correlation` = `beneficiary_pseudonym`: the key the message carries, this case's value of that
  field under its name; `correlation` = `case_id=parent_case` sends the value of `parent_case`
  under the key `case_id`, which names the receiving case by its id.

A catch (intermediate catch event, receive task, boundary event, event-based gateway's event,
message start event) declares with `correlation` = `field` the field of its own case whose value a
message must carry to reach it (`waits`). Values are compared by a blind index
(`pathways.base.sealing`), so the tables that match them hold no pseudonym.
"""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessage
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.util.task import TaskState

from pathways.base import sealing

#: the correlation key that names the receiving case itself (a case reference)
CASE_KEY = "case_id"
_INDEX = "message correlation"


def split_fields(text: str | None) -> tuple[str, ...]:
    """`a, b ,c` -> ("a", "b", "c")."""
    return tuple(f.strip() for f in (text or "").split(",") if f.strip())


def parse_correlation(text: str | None) -> tuple[str, str] | None:
    """A throw's `correlation` property: (key name, field it takes its value from), or None."""
    text = (text or "").strip()
    if not text:
        return None
    key, _, source = text.partition("=")
    return key.strip(), (source.strip() or key.strip())


def key_index(value: Any) -> str:
    """The blind index a correlation value is found by (text and numbers alike: `5` finds `"5"`)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return sealing.ring().index(text, _INDEX)


def key_indexes(value: Any) -> list[str]:
    """The indexes to look a value up by: one per key of the ring (rotation, `KeyRing.indexes`)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return sealing.ring().indexes(text, _INDEX)


class PathwaysMessage(CamundaMessage):  # type: ignore[misc]
    """A message event whose throw sends the named fields and a correlation key (module docstring)."""

    payload_fields: tuple[str, ...] | None = None
    correlation: str | None = None  # the `correlation` property of the element

    def throw(self, my_task: Any) -> None:
        data = my_task.data
        if self.payload_fields is None and self.expression:
            payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        else:
            payload = {f: deepcopy(data[f]) for f in self.payload_fields or () if f in data}
        declared = parse_correlation(self.correlation)
        correlations = {declared[0]: deepcopy(data.get(declared[1]))} if declared else {}
        event = BpmnEvent(self, payload={"payload": payload, "result_var": self.result_var},
                          correlations=correlations)
        my_task.workflow.top_workflow.catch(event)


def parse(parser: Any, message_event: Any) -> PathwaysMessage:
    """The message definition of an element (`parse_message_event` of every pathways parser)."""
    message_ref = message_event.get("messageRef")
    name = None
    if message_ref:
        found = parser.doc_xpath(f'.//bpmn:message[@id="{message_ref}"]') if _plain(message_ref) else []
        name = found[0].get("name") if found else None
        if found and name is None:
            name = message_ref
    if name is None:
        name = message_event.getparent().get("name") or message_event.get("name")
    camunda = "{http://camunda.org/schema/1.0/bpmn}"
    definition = PathwaysMessage(name, parser.get_message_correlations(message_ref) if message_ref else [],
                                 message_event.get(f"{camunda}expression"),
                                 message_event.get(f"{camunda}resultVariable"))
    properties = parser.parse_extensions()
    if "payload" in properties:
        definition.payload_fields = split_fields(properties["payload"])
    definition.correlation = (properties.get("correlation") or "").strip() or None
    return definition


def _plain(ref: str) -> bool:
    return all(c.isalnum() or c in "_-." for c in ref)


class SignalEndEventParser(CamundaEndEventParser):  # type: ignore[misc]
    """SpiffWorkflow's end event parser reads no signal: a signal end event would silently throw nothing."""

    def create_task(self) -> Any:
        definition = self.get_event_definition([MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, CANCEL_EVENT_XPATH,
                                                ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH, TERMINATION_EVENT_XPATH])
        task = self._create_task(definition)
        task.connect(self.spec.end)
        return task


@dataclass(frozen=True)
class Wait:
    """One thing a case waits for: a message or signal name, and for a message the key it needs."""

    kind: str  # "message" | "signal"
    name: str
    element_id: str
    field: str | None = None  # the catch's `correlation` field
    index: str | None = None  # the blind index of the case's value of it (None: no value)


def waits(workflow: Any) -> frozenset[Wait]:
    """Everything the workflow waits for now (catch events, receive tasks, boundary events, gateways)."""
    found = set()
    flows = [workflow, *workflow.subprocesses.values()]
    for flow in flows:
        for task in flow.get_tasks(state=TaskState.WAITING):
            spec = task.task_spec
            definition = getattr(spec, "event_definition", None)
            for event in getattr(definition, "event_definitions", None) or [definition]:
                wait = _wait(event, spec.bpmn_id or spec.name, task.data)
                if wait is not None:
                    found.add(wait)
    return frozenset(found)


def _wait(event: Any, element: str, data: dict[str, Any]) -> Wait | None:
    if isinstance(event, SignalEventDefinition) and event.name:
        return Wait("signal", event.name, element)
    if not isinstance(event, BaseMessage) or not event.name:
        return None
    field = getattr(event, "correlation", None)
    if not field:
        return Wait("message", event.name, element)
    value = data.get(field)
    return Wait("message", event.name, element, field, None if value in (None, "") else key_index(value))


#: serialize `PathwaysMessage` as SpiffWorkflow serializes its Camunda base class
MESSAGE_CONVERTERS: dict[type, type] = {PathwaysMessage: MessageEventDefinitionConverter}
