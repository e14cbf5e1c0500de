"""BPMN compensation: undoing activities that completed, in reverse order, when a compensation event is thrown.

SpiffWorkflow 3.2 has no compensation (its parser raises `NotImplementedError` on a compensation
boundary event), so pathways builds it on SpiffWorkflow's own mechanics:

- **Parsing** (`CompensationProcessParser`, the parser's process parser): a compensation boundary
  event is not made a boundary event (it catches nothing while its activity runs); the handler it
  is associated with (`isForCompensation="true"`, no sequence flows) is built as a task spec of
  the scope, unconnected, and of every enclosing scope's spec too, so that a throw in an outer
  scope can run a handler of a completed inner sub-process. Each scope's spec gets
  `compensation_handlers` (activity id -> handler id, for its own and its inner activities).
- **Recording**: each time an activity with a handler completes, an entry is appended to its
  scope's list (in the `internal_data` of the scope's root task, which history pruning keeps and
  the snapshot stores). A completed embedded sub-process with inner entries is recorded with
  them (`inner`), so its inner activities can be compensated after the sub-process is gone.
  Only completions are recorded: an activity never run, cancelled or interrupted is not compensated.
  A loop or multi-instance activity records one entry per completed instance.
- **Throwing** (`CompensationThrow`): an intermediate or end compensation throw event takes from
  its scope's list the entries of `activityRef` (all of its completions) or, without one, every
  entry, and runs their handlers one after the other, the last completed first, as children of
  the throw task (a user task handler is an ordinary open task of its lane). A sub-process entry
  runs the sub-process's own handler if it has one, otherwise its inner entries, again last first.
  The throw waits until the last handler completes (`waitForCompletion`, BPMN's default and what
  Camunda does); the entries taken are gone, so an activity is compensated once per completion.
  A handler sees the case data of the throw (and of the handlers before it); what it leaves is the
  data the next handler, and the path after the throw, go on with.

Refused at lint (`engine.lint_compensation`): what this module does not run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.util.task import TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: `internal_data` of a scope's root task: what completed there and is not yet compensated
RECORD = "pathways_compensable"
#: `internal_data` of a throw task: the handler spec names still to run
QUEUE = "pathways_compensating"
#: embedded sub-processes, whose inner completions are compensated with them (not call activities:
#: the called process's own handlers are not run from the caller, as in Camunda 7)
EMBEDDED = {"subProcess", "transaction"}


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def is_compensation(node: Any) -> bool:
    """Whether an event element carries a compensateEventDefinition."""
    return node.find(_q("compensateEventDefinition")) is not None


def handler_of(root: Any) -> dict[str, str]:
    """Activity id -> handler id, from each compensation boundary event's association (either direction)."""
    ends: dict[str, set[str]] = {}
    for association in root.iter(_q("association")):
        source, target = association.get("sourceRef"), association.get("targetRef")
        if source and target:
            ends.setdefault(source, set()).add(target)
            ends.setdefault(target, set()).add(source)
    ids = {node.get("id"): node for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    result: dict[str, str] = {}
    for boundary in root.iter(_q("boundaryEvent")):
        if not is_compensation(boundary):
            continue
        for other in sorted(ends.get(boundary.get("id") or "", ())):
            node = ids.get(other)
            if node is not None and (node.get("isForCompensation") or "").lower() == "true":
                result[boundary.get("attachedToRef") or ""] = other
                break
    return result


class CompensateEventDefinition(EventDefinition):  # type: ignore[misc]
    """What a compensation throw event compensates: one activity (`activity_ref`) or its whole scope."""

    def __init__(self, activity_ref: str | None = None, description: str = "Compensation") -> None:
        super().__init__(name=activity_ref or "compensation", description=description)
        self.activity_ref = activity_ref

    def throw(self, my_task: Any) -> None:
        """Nothing travels: the throw task itself ran the handlers before it completed."""


class CompensationThrow:
    """Mixed into SpiffWorkflow's intermediate throw and end event specs: runs the handlers, then goes on."""

    event_definition: CompensateEventDefinition

    def _update_hook(self, my_task: Any) -> bool | None:
        if QUEUE in my_task.internal_data:
            return None  # handlers are running; the last one to complete makes this task ready
        super()._update_hook(my_task)  # type: ignore[misc]
        my_task.internal_data[QUEUE] = take(my_task.workflow, self.event_definition.activity_ref)
        if not my_task.internal_data[QUEUE]:
            return True
        my_task._set_state(TaskState.STARTED)  # before its first child: a predicted task takes none
        start_next(my_task)
        return None


def _scope_root(workflow: Any) -> Any:
    return workflow.task_tree


def _handler_map(workflow: Any) -> dict[str, str]:
    return getattr(workflow.spec, "compensation_handlers", None) or {}


def record(workflow: Any, task: Any) -> None:
    """`completed_event` of a compensable activity: remember this completion in its scope."""
    entry: dict[str, Any] = {"activity": task.task_spec.bpmn_id}
    sub = workflow.top_workflow.subprocesses.get(task.id)
    if sub is not None:
        inner = list(_scope_root(sub).internal_data.get(RECORD, []))
        if not inner and task.task_spec.bpmn_id not in _handler_map(workflow):
            return  # nothing inside to undo and no handler of its own
        entry["inner"] = inner
    root = _scope_root(workflow)
    root.internal_data[RECORD] = [*root.internal_data.get(RECORD, []), entry]


def take(workflow: Any, activity_ref: str | None) -> list[str]:
    """Remove the entries to compensate from the scope's record; their handlers, last completed first."""
    root = _scope_root(workflow)
    entries = root.internal_data.get(RECORD, [])
    chosen = [e for e in entries if activity_ref in (None, e["activity"])]
    root.internal_data[RECORD] = [e for e in entries if activity_ref not in (None, e["activity"])]
    return list(_handlers(chosen, _handler_map(workflow)))


def _handlers(entries: Iterable[dict[str, Any]], handlers: dict[str, str]) -> Iterator[str]:
    for entry in reversed(list(entries)):
        handler = handlers.get(entry["activity"])
        if handler is not None:
            yield handler
        else:
            yield from _handlers(entry.get("inner", []), handlers)


def start_next(throw: Any) -> bool:
    """Open the next handler as a child of the throw task; False when none is left."""
    queue = throw.internal_data.get(QUEUE) or []
    if not queue:
        return False
    throw.internal_data[QUEUE] = queue[1:]
    spec = throw.workflow.spec.task_specs[queue[0]]
    child = throw._add_child(spec, TaskState.WAITING)
    child.triggered = True  # a child no flow leads to: kept when the throw's children are synced
    spec._update(child)
    return True


def handler_completed(workflow: Any, task: Any) -> None:
    """`completed_event` of a handler: keep its data, then the next handler, or let the throw go on."""
    throw = task.parent
    if throw is None or not isinstance(throw.task_spec, CompensationThrow) or throw.state != TaskState.STARTED:
        return
    throw.data = deepcopy(task.data)  # the handler saw the throw's data: what it left is the case data now
    if not start_next(throw):
        throw._set_state(TaskState.READY)


_THROW_CLASSES: dict[type, type] = {}


def throw_class(spec_class: type) -> type:
    """The compensation-throwing variant of an event spec class (one subclass per class)."""
    if spec_class not in _THROW_CLASSES:
        _THROW_CLASSES[spec_class] = type(f"Compensation{spec_class.__name__}", (CompensationThrow, spec_class),
                                          {"__module__": __name__})
    return _THROW_CLASSES[spec_class]


class ThrowParserMixin:
    """For the intermediate throw and end event parsers: a compensateEventDefinition makes a `CompensationThrow`."""

    node: Any
    spec: Any
    spec_class: type

    def create_task(self) -> Any:
        definition = self.node.find(_q("compensateEventDefinition"))
        if definition is None:
            return super().create_task()  # type: ignore[misc]
        self.event_nodes.append(definition)  # type: ignore[attr-defined]
        self.spec_class = throw_class(self.spec_class)
        task = self._create_task(CompensateEventDefinition(definition.get("activityRef") or None))  # type: ignore[attr-defined]
        if _local(self.node.tag) == "endEvent":
            task.connect(self.spec.end)
        return task


class CompensationProcessParser(ProcessParser):  # type: ignore[misc]
    """A process or sub-process parser that leaves compensation boundary events out of the boundary
    events (they catch nothing while the activity runs) and builds the handlers, unconnected."""

    def _index_process_nodes(self) -> None:
        super()._index_process_nodes()
        for attached, events in list(self.boundary_events_by_attached.items()):
            kept = [event for event in events if not is_compensation(event)]
            if kept:
                self.boundary_events_by_attached[attached] = kept
            else:
                del self.boundary_events_by_attached[attached]

    def add_tasks(self) -> None:
        super().add_tasks()
        handlers = {a: h for a, h in handler_of(self.document_root).items() if self._inside(h)}
        self.spec.compensation_handlers = handlers
        throws = [spec for spec in self.spec.task_specs.values() if isinstance(spec, CompensationThrow)]
        for handler in sorted(set(handlers.values())):
            spec = self._parse_handler(self.get_node_by_id(handler))
            spec.inputs = throws  # no flow leads to a handler: the throws of this scope open it (TaskSpec.test)
            spec.completed_event.connect(handler_completed)
        for child in self.node:
            if isinstance(child.tag, str) and self._compensable(child, handlers):
                specs = self.spec.task_specs  # a loop or multi-instance activity: each instance records
                spec = specs.get(f"{child.get('id')} [child]") or specs.get(child.get("id"))
                if spec is not None:
                    spec.completed_event.connect(record)

    def _inside(self, node_id: str) -> bool:
        node = self.get_node_by_id(node_id)
        return node is not None and node is not self.node

    def _compensable(self, node: Any, handlers: dict[str, str]) -> bool:
        if node.get("id") in handlers:
            return True
        return _local(node.tag) in EMBEDDED and any(
            inner.get("id") in handlers for inner in node.iter() if inner is not node)

    def _parse_handler(self, node: Any) -> Any:
        """Build a handler in this scope's spec, in the lane of the element of this scope that holds it."""
        if node.get("id") in self.spec.task_specs:
            return self.spec.task_specs[node.get("id")]
        holder = node
        while holder.getparent() is not None and holder.getparent() is not self.node:
            holder = holder.getparent()
        lane = self.lane or self.get_lane_name(holder.get("id"))
        node_parser, spec_class = self.parser._get_parser_class(node.tag)
        return node_parser(self, spec_class, node, self.nsmap, lane=lane).parse_node()
