"""One case's workflow in memory: start it, complete a task, fire timers, deliver a message.

`CaseRuntime` knows nothing of the database: it wraps a SpiffWorkflow BpmnWorkflow running in
the sandbox and reports what the store must mirror — open human tasks, waiting timers, stages
entered, completion. `pathways.engine.cases` turns those reports into rows in one transaction.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from pathways.base import clock
from pathways.engine import (
    conditional,
    event_scopes,
    history,
    measures,
    message_events,
    state,
    steps,
    timers,
    uncaught,
)
from pathways.engine.budget import EngineLimits, StepBudget, check_state_size
from pathways.engine.built import Definition, task_roles
from pathways.engine.deciding import DECIDED
from pathways.engine.errors import (
    MessageNotExpected,
    NotFound,
    ScriptError,
    TaskNotOpen,
)
from pathways.engine.located import run
from pathways.engine.scripting import script_engine

_STAGE_SEEN = "pathways_stage_entered"
_OUTCOME_SEEN = "pathways_outcome_recorded"
# A restored tree this large holds history from before pruning (a pruned tree of the largest
# pathway is far smaller): prune it before running, as SpiffWorkflow's task iterators stop 1000
# levels deep and a long unpruned loop would otherwise lose sight of its open tasks.
_UNPRUNED = 1000
_ENTERED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | TaskState.ERROR


@dataclass(frozen=True)
class OpenTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    roles: tuple[str, ...]
    stage: str | None
    priority: int
    due_text: str | None


@dataclass(frozen=True)
class WaitingTimer:
    id: str
    element_id: str
    due_at: datetime


def _after_task(task: Any) -> None:
    """`did_complete_task`: stop at an uncaught error, else share what an event sub-process wrote and
    evaluate the conditional events again."""
    uncaught.watch(task)
    event_scopes.after_task(task)
    conditional.after_task(task)


class CaseRuntime:
    def __init__(self, definition: Definition, workflow: Any, limits: EngineLimits | None = None) -> None:
        self.definition = definition
        self.workflow = workflow
        event_scopes.install(workflow)  # event sub-processes and scoped errors (`engine.event_scopes`)
        self.limits = limits or EngineLimits()
        self.stored_bytes = 0  # the size of the snapshot this workflow was restored from or last dumped
        self.failure: uncaught.Failure | None = None  # an uncaught error or escalation ended the case
        self.outbox: list[Any] = []  # uncaught messages and signals, for other cases (`engine.uncaught`)
        #: what the case waited for when it was loaded or last saved (`engine.postbox` writes the difference)
        self.saved_waits: frozenset[message_events.Wait] = frozenset()

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def start(cls, definition: Definition, data: dict[str, Any], limits: EngineLimits | None = None) -> CaseRuntime:
        workflow = steps.install(BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=script_engine(limits)
        ))
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        runtime = cls(definition, workflow, limits)
        runtime._advance()
        return runtime

    @classmethod
    def restore(cls, definition: Definition, text: str, limits: EngineLimits | None = None) -> CaseRuntime:
        workflow = steps.install(state.load(text, definition.spec, definition.subprocess_specs))
        workflow.script_engine = script_engine(limits)
        runtime = cls(definition, workflow, limits)
        runtime.stored_bytes = len(text.encode("utf-8"))
        runtime.saved_waits = runtime.waits()
        if len(workflow.tasks) > _UNPRUNED:
            runtime.prune_history()  # a snapshot stored before pruning existed: drop its history now
        return runtime

    def dump(self, prune: bool = True) -> str:
        """The instance state to store; finished history is dropped first (`history.prune`)."""
        if prune:
            self.prune_history()
        text, last = state.dump(self.workflow), self.workflow.last_task
        self.stored_bytes = check_state_size(text, self.limits, last.task_spec.bpmn_id if last else None,
                                             self.stored_bytes)
        return text

    def prune_history(self) -> int:
        """Drop finished history no future step reads, keeping stages and outcomes not yet reported."""
        return history.prune(self.workflow, keep=self._unreported())

    def _unreported(self) -> list[Any]:
        """Tasks whose stage entry, outcome or decision `enter_stages`/`reached_outcomes`/`decisions_made`
        has not reported yet."""
        return [task for task in self._all_tasks()
                if self._stage_pending(task) or self._outcome_pending(task) or DECIDED in task.internal_data]

    @staticmethod
    def _stage_pending(task: Any) -> bool:
        stage = getattr(task.task_spec, "extensions", {}).get("stage")
        return (bool(stage) and task.has_state(_ENTERED) and not task.internal_data.get(_STAGE_SEEN)
                and not event_scopes.listening(task))

    @staticmethod
    def _outcome_pending(task: Any) -> bool:
        return (task.state == TaskState.COMPLETED and bool(measures.outcome_of(task.task_spec))
                and not task.internal_data.get(_OUTCOME_SEEN))

    def _all_tasks(self) -> list[Any]:
        tasks = list(self.workflow.tasks.values())
        for sub in self.workflow.subprocesses.values():
            tasks.extend(sub.tasks.values())
        return tasks

    def _advance(self) -> None:
        run(self.workflow.refresh_timers)
        self._steps()

    def _steps(self) -> None:
        """Run the engine's steps; an uncaught error end event stops them and fails the case."""
        with contextlib.suppress(uncaught.Uncaught):
            run(conditional.reevaluate, self.workflow)  # the data may have changed (`engine.conditional`)
            run(self.workflow.do_engine_steps, StepBudget(self.limits), _after_task)
        failure, others = uncaught.take(self.workflow)
        self.outbox.extend(others)
        if failure is not None and self.failure is None:
            self.failure = failure
            self.workflow.cancel()

    # -- commands --------------------------------------------------------------------------
    def complete(self, task_id: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Complete a ready human task with `data`; returns the changed values before/after."""
        task = self.task(task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotOpen(f"task {task_id} is not open")
        before = {k: task.data.get(k) for k in data}
        task.data.update(data)
        run(task.run)
        self._advance()
        return before, dict(data)

    def fire_due_timers(self) -> list[str]:
        """Let every timer due by now fire; returns the element ids that fired."""
        due = [t.element_id for t in self.waiting_timers() if t.due_at <= clock.now()]
        self._advance()
        return due

    def waiting_messages(self) -> set[str]:
        """Names of the messages the case waits for (catch events, boundary events, event-based gateways)."""
        names = set()
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            for event in timers.event_definitions(task.task_spec):
                if isinstance(event, BaseMessageEventDefinition) and event.name:
                    names.add(event.name)
        return names

    def receive_message(self, name: str, payload: dict[str, Any]) -> None:
        waiting = self.waiting_messages()
        if name not in waiting:
            expected = ", ".join(sorted(waiting)) or "none"
            raise MessageNotExpected(f"the case is not waiting for message {name!r} (waiting for: {expected})")
        event = BpmnEvent(message_events.PathwaysMessage(name), {"payload": payload, "result_var": None})
        run(self.workflow.catch, event)
        self._steps()

    def waits(self) -> frozenset[message_events.Wait]:
        """The messages (with the correlation key each needs) and signals the case waits for now."""
        return message_events.waits(self.workflow)

    def waiting_signals(self) -> set[str]:
        return {w.name for w in self.waits() if w.kind == "signal"}

    def receive_signal(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Let every catch of the case waiting for signal `name` catch it (nothing waits: `MessageNotExpected`)."""
        if name not in self.waiting_signals():
            raise MessageNotExpected(f"the case is not waiting for signal {name!r}")
        run(self.workflow.catch, BpmnEvent(SignalEventDefinition(name), dict(payload or {})))
        self._steps()

    def cancel(self) -> None:
        self.workflow.cancel()

    # -- queries ---------------------------------------------------------------------------
    @property
    def completed(self) -> bool:
        return bool(self.workflow.is_completed())

    def task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None:
            raise NotFound(f"task {task_id} is not part of this case")
        return task

    def data(self) -> dict[str, Any]:
        """The case's current data: the latest finished task's view of it."""
        last = self.workflow.last_task or self.workflow.task_tree
        return dict(last.data)

    def open_tasks(self, stage: str | None) -> list[OpenTask]:
        result = []
        for task in self.workflow.get_tasks(state=TaskState.READY):
            spec = task.task_spec
            if not spec.manual:
                continue
            assignment = getattr(spec, "assignment", None)
            result.append(OpenTask(
                id=str(task.id),
                element_id=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane,
                roles=task_roles(spec, self.definition.roles),
                stage=spec.extensions.get("stage") or stage,
                priority=assignment.priority if assignment else 50,
                due_text=assignment.due_date if assignment else None,
            ))
        return result

    def waiting_timers(self) -> list[WaitingTimer]:
        result = []
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            due = timers.due_time(task)
            if due is not None:
                result.append(WaitingTimer(str(task.id), task.task_spec.bpmn_id, due))
        return result

    def enter_stages(self) -> list[tuple[str, str]]:
        """(stage, element id) of elements with a `stage` property entered since the last call."""
        entered = []
        for task in self.workflow.get_tasks(state=_ENTERED):
            stage = getattr(task.task_spec, "extensions", {}).get("stage")
            if stage and not task.internal_data.get(_STAGE_SEEN) and not event_scopes.listening(task):
                task.internal_data[_STAGE_SEEN] = True
                entered.append((task.last_state_change, stage, task.task_spec.bpmn_id))
        return [(stage, element) for _, stage, element in sorted(entered)]

    def reached_outcomes(self) -> list[tuple[str, str, str | None]]:
        """(outcome, element id, lane) of elements with an `outcome` property completed since the last call."""
        reached = []
        for task in self.workflow.get_tasks(state=TaskState.COMPLETED):
            spec = task.task_spec
            outcome = measures.outcome_of(spec)
            if outcome and not task.internal_data.get(_OUTCOME_SEEN):
                task.internal_data[_OUTCOME_SEEN] = True
                reached.append((task.last_state_change, outcome, spec.bpmn_id, spec.lane))
        return [(outcome, element, lane) for _, outcome, element, lane in sorted(reached)]

    def decisions_made(self) -> list[tuple[str, dict[str, Any]]]:
        """(element id, record) of business rule tasks decided since the last call: which decision,
        which DMN file version and which rules (`engine.deciding`)."""
        made = []
        for task in self._all_tasks():
            record = task.internal_data.pop(DECIDED, None)
            if record is not None:
                made.append((task.last_state_change, task.task_spec.bpmn_id, record))
        return [(element, record) for _, element, record in sorted(made, key=lambda m: m[0])]

    def due_at(self, task: OpenTask, opened_at: datetime) -> datetime | None:
        """When a task opened at `opened_at` is due, from its `camunda:dueDate` (None if unset)."""
        if not task.due_text:
            return None
        text, computed = task.due_text, None
        if not timers.is_iso_literal(text):
            computed = run(self.workflow.script_engine.evaluate, self.task(task.id), text)
            text = computed.isoformat() if isinstance(computed, datetime) else str(computed)
        kind = "duration" if text.upper().startswith("P") else "date"
        try:
            return timers.parse_timer_value(kind, text, opened_at)
        except ValueError as exc:
            if computed is None:  # the designer's own literal: safe to quote
                raise ScriptError(f"dueDate of {task.element_id}: {exc}") from None
            # an expression over case data: say what kind of value it gave, never the value
            raise ScriptError(f"dueDate of {task.element_id}: the expression gave no ISO 8601 date or "
                              f"duration (a {type(computed).__name__})", element=task.element_id) from None
