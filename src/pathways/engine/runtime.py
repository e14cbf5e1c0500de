"""One case's workflow in memory: start it, complete a task, fire timers, deliver a message.

`CaseRuntime` knows nothing of the database: it wraps a SpiffWorkflow BpmnWorkflow running in
the sandbox and reports what the store must mirror — open human tasks, waiting timers, stages
entered, completion. `pathways.engine.cases` turns those reports into rows in one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from pathways.base import clock, logs
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
from pathways.engine.deciding import DECIDED
from pathways.engine.errors import (
    MessageNotExpected,
    NotFound,
    PathwaysError,
    ScriptError,
    ScriptRaised,
    TaskNotOpen,
)
from pathways.engine.roles import RoleVocabulary
from pathways.engine.scripting import script_engine

_log = logging.getLogger("pathways.engine")
logs.install()  # no case value in SpiffWorkflow's records, nor in the texts of logged tracebacks
#: the text Python gives a NameError, naming an identifier of the script
_UNDEFINED_NAME = re.compile(r"name '[A-Za-z_][A-Za-z0-9_]*' is not defined")

_STAGE_SEEN = "pathways_stage_entered"
_OUTCOME_SEEN = "pathways_outcome_recorded"
# A restored tree this large holds history from before pruning (a pruned tree of the largest
# pathway is far smaller): prune it before running, as SpiffWorkflow's task iterators stop 1000
# levels deep and a long unpruned loop would otherwise lose sight of its open tasks.
_UNPRUNED = 1000
_ENTERED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | TaskState.ERROR


#: form field types whose values are free text, sealed in events (`Definition.sealed_fields`)
FREE_TEXT_TYPES = frozenset({"string", "textarea"})


@dataclass(frozen=True)
class Definition:
    """A deployed version's built specs plus what assignment needs."""

    version_id: int
    key: str
    spec: Any
    subprocess_specs: dict[str, Any]
    roles: RoleVocabulary

    @cached_property
    def sensitive(self) -> dict[str, frozenset[str]]:
        """Every sensitive form field (property `sensitive` = `true`) and the roles allowed to see it.

        The one rule for both uses: `pathways.tasks.access` hides these values from other roles,
        and the engine seals them in the events it writes (`sealed_fields`). Computed once per
        built version (the definition cache keeps it), as every command that writes events needs it.
        """
        found: dict[str, set[str]] = {}
        for process in (self.spec, *self.subprocess_specs.values()):
            for spec in process.task_specs.values():
                form = getattr(spec, "form", None)
                for field in getattr(form, "fields", None) or ():
                    if str(field.get_property("sensitive") or "").lower() != "true":
                        continue
                    allowed = found.setdefault(field.id, set())
                    allowed.update(task_roles(spec, self.roles))
                    extra = field.get_property("visible_to") or ""
                    allowed.update(r.strip() for r in str(extra).split(",") if r.strip())
        return {field_id: frozenset(roles) for field_id, roles in found.items()}

    @cached_property
    def sealed_fields(self) -> frozenset[str]:
        """The fields whose values the engine seals wherever it writes them in an event: the
        sensitive ones, and every free-text one (`string`, `textarea`), marked or not, since notes
        name people and circumstances as often as marked fields do (anonymisation wipes them as
        identifying). Choices, numbers, yes/no and dates stay plain JSON, where the reports read
        them in SQL; so does the pseudonym a case is started for (also on the case row)."""
        free = {field.id for process in (self.spec, *self.subprocess_specs.values())
                for spec in process.task_specs.values()
                for field in getattr(getattr(spec, "form", None), "fields", None) or ()
                if getattr(field, "type", None) in FREE_TEXT_TYPES}
        return frozenset(self.sensitive) | frozenset(free - {"beneficiary_pseudonym"})


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


def task_roles(spec: Any, roles: RoleVocabulary) -> tuple[str, ...]:
    """The roles a human task is offered to: its candidate groups, else its lane's role."""
    assignment = getattr(spec, "assignment", None)
    if assignment and assignment.candidate_groups:
        return tuple(assignment.candidate_groups)
    lane_role = roles.resolve_lane(spec.lane)
    return (lane_role,) if lane_role else ()


def _run(action: Any, *args: Any) -> Any:
    """Run a workflow action, turning script failures into a located ScriptError (see `_located`)."""
    try:
        return action(*args)
    except SpiffWorkflowException as exc:
        raise _located(exc) from exc
    except (PathwaysError, uncaught.Uncaught):  # ours: worded already, or stopping the run on purpose
        raise
    except Exception as exc:  # a raw error from inside SpiffWorkflow (e.g. a message's correlation
        raise _located(exc) from exc  # expression): located and worded like a script's, never a traceback


def _located(exc: Exception) -> ScriptError:
    """The error a user sees for a failing script, condition or expression: never a case value.

    A Python exception's text often quotes the data it failed on (`KeyError: 'Kowalska'`,
    `invalid literal for int(): '8 lat'`), and the person reading the error may not be allowed to
    see that field. So the message names the element, the line and the kind of error (the
    exception's class, and for a `NameError` the missing name, which comes from the script, not
    the case), plus a short reference; the same, with the traceback, goes to the server log
    (logger `pathways.engine`) under that reference, the exceptions' texts withheld there too
    (`pathways.base.logs`: logs hold no case value either). Our own sandbox refusals and limits
    (`ScriptError`, `LimitExceeded`, worded without values) pass through with their class.
    """
    cause: BaseException | None = exc
    original: BaseException = exc
    while cause is not None and not isinstance(cause, ScriptError):
        if not isinstance(cause, SpiffWorkflowException):
            original = cause
        cause = cause.__cause__ or getattr(cause, "error", None) or cause.__context__
    task = getattr(exc, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    where = f" at {element}" if element else ""
    if isinstance(cause, ScriptError):  # keeps its class: a LimitExceeded stays `limit_exceeded`
        details = {**cause.details, "element": cause.details.get("element") or element}
        return type(cause)(f"the pathway failed{where}: {cause.message}", **details)
    if isinstance(original, ScriptRaised):  # raised in a script worker: its class travelled by name
        kind = original.type_name
        if kind == "NameError" and _UNDEFINED_NAME.fullmatch(original.text):  # the name comes from the
            kind = f"{kind}: {original.text}"  # script; any other text (`raise NameError(x)`) may be data
    else:
        kind = type(original).__name__
        if isinstance(original, NameError) and original.name:
            kind = f"{kind}: {original.name!r} is not defined"
    line = getattr(exc, "line_number", None) or getattr(original, "line", None)
    at_line = f" (line {line})" if isinstance(line, int) and line > 0 else ""
    reference = secrets.token_hex(4)
    # what the user is told, plus the traceback (frames and classes; `pathways.base.logs` withholds
    # the exceptions' texts, which may quote the value a script failed on)
    _log.error("script failure %s%s%s: %s", reference, where, at_line, kind, exc_info=exc)
    return ScriptError(f"the pathway failed{where}{at_line}: {kind}; reference {reference} in the server log",
                       element=element, error=getattr(original, "type_name", type(original).__name__),
                       reference=reference)


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
        _run(self.workflow.refresh_timers)
        self._steps()

    def _steps(self) -> None:
        """Run the engine's steps; an uncaught error end event stops them and fails the case."""
        with contextlib.suppress(uncaught.Uncaught):
            _run(conditional.reevaluate, self.workflow)  # the data may have changed (`engine.conditional`)
            _run(self.workflow.do_engine_steps, StepBudget(self.limits), _after_task)
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
        _run(task.run)
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
        _run(self.workflow.catch, event)
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
        _run(self.workflow.catch, BpmnEvent(SignalEventDefinition(name), dict(payload or {})))
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
            computed = _run(self.workflow.script_engine.evaluate, self.task(task.id), text)
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
