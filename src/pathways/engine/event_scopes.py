"""Event sub-processes and interrupting boundary events: what SpiffWorkflow leaves out, built in.

SpiffWorkflow 3.2 starts an event sub-process (`subProcess triggeredByEvent="true"`) only at the
top of a case, only for message and signal starts, never cancels anything for an interrupting one,
and reads no error or escalation start at all (it runs such a sub-process at once, as if it had a
plain start). And an interrupting boundary event cancels its activity only when the boundary event's
own path runs: the engine first finishes every ready task inside the activity, so one more task of
the interrupted scope runs.

Here, instead:

- Every event sub-process *listens* from the moment its scope (the process, or the embedded
  sub-process it is drawn in) starts: an instance of it waits at its start event, like any catch
  event, so its messages show in `waiting_messages`, its timers get timer rows and fire through the
  normal firing path, and its condition is re-evaluated with the others (`engine.conditional`).
- The moment its start event fires (`EventStart._update_hook`), an *interrupting* one cancels every
  other unfinished task of its scope (human tasks leave the inboxes: the mirror cancels their
  rows); a *non-interrupting* one leaves the scope running and puts a fresh listener in its place,
  so it can fire again.
- A scope whose own work is done ends (`ScopeEnd`): listeners that never fired do not hold it open;
  one that fired and runs (non-interrupting) does. It starts from the case's current data
  (`case_data`), and what it wrote reaches the scope's other open paths when it ends (`after_task`):
  SpiffWorkflow gives each path its own copy of the data, a case has one.
- Errors and escalations travel from the throwing scope outwards (`ScopedEvents.catch`): at each
  level, the boundary events of the activity the event came out of first (never those of another
  activity beside it), then that level's own event sub-processes. By code, or catch-all when the
  catcher has no code.
- An interrupting boundary event cancels its activity the moment it fires (`Boundary._update_hook`).
"""

from __future__ import annotations

import hashlib
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import CodeEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.util.task import TaskIterator, TaskState

#: internal data of an event sub-process's task: its start event fired (it is no longer a listener)
TRIGGERED = "pathways_event_subprocess_triggered"
#: internal data of an event sub-process that fired: digests of the values it began with (`after_task`)
_BEFORE = "pathways_event_subprocess_began_with"
_REARMED = "pathways_event_subprocess_rearmed"


def _descends(task: Any, ancestor: Any) -> bool:
    while task is not None:
        if task is ancestor:
            return True
        task = task.parent
    return False


def case_data(workflow: Any) -> dict[str, Any]:
    """The case's current data: the data of the task that finished last, in any scope."""
    top = workflow.top_workflow
    last = [w.last_task for w in (top, *top.subprocesses.values()) if w.last_task is not None
            and not _listening(w)]
    latest = max(last, key=lambda t: t.last_state_change, default=None)
    return dict(latest.data) if latest is not None else {}


def _listening(workflow: Any) -> bool:
    """Whether `workflow` is the sub-process of a listener (its data are a copy from when it began to listen)."""
    parent_id = getattr(workflow, "parent_task_id", None)
    parent = workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return parent is not None and is_listener(parent)


def is_listener(task: Any) -> bool:
    """An event sub-process instance still waiting at its start event."""
    return bool(getattr(task.task_spec, "event_subprocess", False)) and not task.internal_data.get(TRIGGERED)


def listening(task: Any) -> bool:
    """A listener, or a task of a listener's sub-process: not entered yet (stages, `CaseRuntime`)."""
    return bool(is_listener(task) or _listening(task.workflow))


class EventStart(StartEvent):  # type: ignore[misc]
    """A start event; in an event sub-process (`interrupting` set by the parser), firing acts on the scope."""

    interrupting: bool | None = None  # None: not the start of an event sub-process

    def _update_hook(self, my_task: Any) -> Any:
        fired = super()._update_hook(my_task)
        if fired and self.interrupting is not None and not my_task.internal_data.get(TRIGGERED):
            my_task.internal_data[TRIGGERED] = True
            _fire(my_task, self.interrupting)
        return fired


def _fire(start: Any, interrupting: bool) -> None:
    """An event sub-process's start event fired: take the scope's current data, then act on the scope."""
    top = start.workflow.top_workflow
    listener = top.get_task_from_id(start.workflow.parent_task_id)
    if listener is None:
        return
    listener.internal_data[TRIGGERED] = True
    scope = listener.workflow
    current = case_data(scope)
    start.set_data(**deepcopy(current))
    listener.internal_data[_BEFORE] = {key: _digest(value) for key, value in current.items()}
    if interrupting:
        others = [t for t in TaskIterator(scope.task_tree, state=TaskState.NOT_FINISHED_MASK)
                  if not _descends(t, listener)]
        for task in others:
            task.cancel()
    elif not isinstance(start.task_spec.event_definition, TimerEventDefinition):  # a timer start fires once
        listen(scope, listener.task_spec, rearmed=True)


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


def _written(esp: Any) -> dict[str, Any]:
    """The values an event sub-process that ran changed in the data it began with."""
    before = esp.internal_data.get(_BEFORE) or {}
    return {key: value for key, value in esp.data.items() if before.get(key) != _digest(value)}


def rearmed(start: Any) -> bool:
    """Whether `start` is the start event of a listener put in place after its event sub-process fired."""
    parent_id = getattr(start.workflow, "parent_task_id", None)
    listener = start.workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return bool(listener is not None and listener.internal_data.get(_REARMED))


def listen(scope: Any, spec: Any, rearmed: bool = False) -> Any:
    """A new listening instance of the event sub-process `spec` in `scope` (its start event waits)."""
    child = scope.task_tree._add_child(spec, TaskState.FUTURE)
    child.set_data(**deepcopy(case_data(scope)))
    if rearmed:
        child.internal_data[_REARMED] = True
    child.task_spec._update(child)
    return child


class ScopeEnd(_EndJoin):  # type: ignore[misc]
    """A scope's end join that does not wait for event sub-processes that never fired, and cancels them."""

    def _check_threshold_unstructured(self, my_task: Any) -> bool:
        for task in TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, end_at_spec=self.name):
            if task is my_task or any(is_listener(a) for a in _ancestors(task)):
                continue
            return False
        return True

    def _run_hook(self, my_task: Any) -> Any:
        for task in list(TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK)):
            if is_listener(task):
                task.cancel()
        return super()._run_hook(my_task)


def _ancestors(task: Any) -> list[Any]:
    found = []
    while task is not None:
        found.append(task)
        task = task.parent
    return found


class Boundary(BoundaryEvent):  # type: ignore[misc]
    """A boundary event; an interrupting one cancels its activity the moment it fires."""

    def _update_hook(self, my_task: Any) -> Any:
        fired = super()._update_hook(my_task)
        if fired and self.cancel_activity and my_task.parent is not None:
            for sibling in my_task.parent.children:
                if not isinstance(sibling.task_spec, BoundaryEvent) and not sibling.has_state(TaskState.FINISHED_MASK):
                    sibling.cancel()
        return fired


def after_task(task: Any) -> None:
    """`did_complete_task`: what an event sub-process that ran wrote reaches the scope's other open paths
    (each SpiffWorkflow path carries its own copy of the data; a case has one set of data)."""
    if not getattr(task.task_spec, "event_subprocess", False) or task.state != TaskState.COMPLETED:
        return
    written = _written(task)
    if not written:
        return
    for other in TaskIterator(task.workflow.task_tree, state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        if not _descends(other, task) and not is_listener(other):
            other.set_data(**deepcopy(written))


def prepare(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """After parsing: every event sub-process listens from its scope's start; scopes end without them.

    An event sub-process is the task of a sub-process whose start event the parser marked
    (`EventStart.interrupting`); SpiffWorkflow's own triggering (`trigger_specs`) is not used."""
    for process in (spec, *subprocess_specs.values()):
        for task_spec in list(process.task_specs.values()):
            inner = subprocess_specs.get(getattr(task_spec, "spec", None) or "")
            if inner is None or not any(getattr(s, "interrupting", None) is not None for s in inner.bpmn_start_events):
                continue
            task_spec.event_subprocess = True
            if process.start not in task_spec.inputs:
                process.start.connect(task_spec)
                task_spec.connect(process.end)
            # collaboration participants started by a message stay SpiffWorkflow's triggers
            process.start.trigger_specs = [n for n in process.start.trigger_specs if n != task_spec.spec]
        if type(process.end) is _EndJoin:
            process.end.__class__ = ScopeEnd


class ScopedEvents(EventManager):  # type: ignore[misc]
    """SpiffWorkflow's event manager, with scopes: a coded event (error, escalation) is offered level
    by level, and at each level to the starts of that level's listening event sub-processes too."""

    def catch(self, event: Any, internal: bool = True) -> int:
        if event.target is None:
            return int(super().catch(event, internal))
        target, source = event.target, None  # source: the activity (of target) the event came out of
        coded = isinstance(event.event_definition, CodeEventDefinition)
        while target is not None:
            tasks = [t for t in self.tasks.values() if t.workflow is target
                     and t.task_spec.event_definition.catches(t, event) and (not coded or _on(t, source))]
            if not tasks:
                tasks = [t for t in self._starts_in(target) if t.task_spec.event_definition.catches(t, event)][:1]
            if tasks:
                for task in tasks:
                    task.task_spec.catch(task, event)
                    task.task_spec._update(task)
                return len(tasks)
            parent_id = getattr(target, "parent_task_id", None)
            source = self.workflow.get_task_from_id(parent_id) if parent_id is not None else None
            target = target.parent_workflow
        if internal:
            self.workflow.bpmn_events.append(event)
        return 0

    def _starts_in(self, scope: Any) -> list[Any]:
        """The waiting start events of the event sub-processes listening in `scope`."""
        top = scope.top_workflow
        found = []
        for task in self.tasks.values():
            parent_id = getattr(task.workflow, "parent_task_id", None)
            if parent_id is None or not isinstance(task.task_spec, StartEvent):
                continue
            listener = top.get_task_from_id(parent_id)
            if listener is not None and listener.workflow is scope and is_listener(listener):
                found.append(task)
        return found


def _on(task: Any, source: Any) -> bool:
    """Whether a catching task may take an error or escalation that came out of `source`: a boundary
    event only if it is attached to `source` (SpiffWorkflow let any waiting boundary event of the
    level take it, even one on an activity beside the one that threw)."""
    if not isinstance(task.task_spec, BoundaryEvent):
        return True
    if source is not None and source.parent is not None and isinstance(source.parent.task_spec, MultiInstanceTask):
        source = source.parent  # an instance of a multi-instance activity: the boundary is on the activity
    return source is not None and task.parent is source.parent


def install(workflow: Any) -> None:
    """Give a built or restored workflow the scoped event manager (keeping the tasks it waits on)."""
    if not isinstance(workflow.event_manager, ScopedEvents):
        manager = ScopedEvents(workflow)
        manager.tasks = workflow.event_manager.tasks
        workflow.event_manager = manager
