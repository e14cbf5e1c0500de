"""Events a case throws that nothing in it catches: an uncaught error or escalation fails the case.

SpiffWorkflow lets an error end event nobody catches simply complete (the thrown event lands in
`workflow.bpmn_events`), so the case would look "completed", and in a sub-process the parent would
even go on. Here the run stops right after the throwing end event (`watch`, a `did_complete_task`
callback), and `CaseRuntime` cancels the workflow and reports a `Failure`: the element and the
error or escalation code (both from the model, never case data). The engine then marks the case
`failed` and records `CaseFailed` (`pathways.engine.cases`).

An escalation thrown by an intermediate event is non-critical in BPMN (the path goes on), so only
an escalation *end* event nobody catches fails the case. Other uncaught events (messages and
signals for other cases) are taken out of the workflow too, as the snapshot cannot store them:
`take` hands them back for whoever delivers them between cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent


@dataclass(frozen=True)
class Failure:
    """Why a case failed: the end event that threw, what it threw (`error`/`escalation`) and its code."""

    element: str | None
    kind: str
    code: str | None

    def record(self) -> dict[str, Any]:
        """The `after` of the `CaseFailed` event and the API's `failure`: no case value in it."""
        return {"element": self.element, "kind": self.kind, "code": self.code}


class Uncaught(Exception):
    """Raised by `watch` to stop `do_engine_steps` right after an uncaught error end event."""


def _failing(event: Any, thrower: Any) -> Failure | None:
    definition = event.event_definition
    if isinstance(definition, ErrorEventDefinition):
        kind = "error"
    elif isinstance(definition, EscalationEventDefinition) and isinstance(thrower, EndEvent):
        kind = "escalation"
    else:
        return None
    return Failure(getattr(thrower, "bpmn_id", None), kind, definition.code)


def _thrower(workflow: Any, definition: Any) -> Any:
    """The spec that threw `definition` (the very object the spec holds), last completed first."""
    flows = [workflow, *workflow.subprocesses.values()]
    tasks = [t for flow in flows for t in flow.tasks.values()
             if getattr(t.task_spec, "event_definition", None) is definition]
    tasks.sort(key=lambda t: t.last_state_change, reverse=True)
    return tasks[0].task_spec if tasks else None


def pending_failure(workflow: Any) -> Failure | None:
    """The failure among the workflow's uncaught events, if any (the events stay where they are)."""
    for event in workflow.bpmn_events:
        failure = _failing(event, _thrower(workflow, event.event_definition))
        if failure is not None:
            return failure
    return None


def watch(task: Any) -> None:
    """`did_complete_task`: stop the run at once when the task left an uncaught error behind."""
    top = task.workflow.top_workflow
    if top.bpmn_events and pending_failure(top) is not None:
        raise Uncaught()


def take(workflow: Any) -> tuple[Failure | None, list[Any]]:
    """Empty the workflow's uncaught events: the failure among them, and the others."""
    failure = pending_failure(workflow)
    others = [e for e in workflow.get_events() if not isinstance(
        e.event_definition, (ErrorEventDefinition, EscalationEventDefinition))]
    return failure, others
