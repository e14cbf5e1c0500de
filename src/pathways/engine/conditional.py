"""Conditional events (start of an event sub-process, intermediate catch, boundary), re-evaluated
whenever the case data change.

SpiffWorkflow evaluates a conditional event once, when the event is reached, against the data the
waiting task copied then, and never again: a condition that becomes true later is never seen. And
it runs the condition's text as Python, so a Camunda `${...}` condition fails at run time.

Here a condition is read as every other condition is (`engine.feel_conditions`): Python, FEEL where
the file says so, or a Camunda expression translated to Python (`engine.juel`). It is evaluated
against the case's current data (`event_scopes.case_data`, the data of the task that finished
last), when the event is reached and again after every task that finishes and every message
delivered (`reevaluate`, called by `CaseRuntime`). As in Camunda, an event reached while its
condition already holds fires at once; after that it fires when the condition *becomes* true
(a non-interrupting event sub-process started by a condition starts again only after the condition
was false in between, so a condition that stays true does not start it over and over). When it
fires, the waiting task takes the current data, so the path after it sees the change that fired it.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.util.task import TaskState

from pathways.engine import feel_conditions
from pathways.engine.event_scopes import case_data, rearmed

#: internal data of a waiting conditional event: the condition's value at its last evaluation
_LAST = "pathways_condition_was"


class CaseCondition(ConditionalEventDefinition):  # type: ignore[misc]
    """A conditional event definition evaluated on the case's current data, edge-triggered once armed."""

    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("has_fired", False):
            return True
        if _LAST not in my_task.internal_data and rearmed(my_task):
            my_task.internal_data[_LAST] = True  # a re-armed listener: the condition that fired it still holds
        my_task.set_data(**case_data(my_task.workflow))
        engine = my_task.workflow.script_engine
        value = engine.evaluate(my_task, self.expression, external_context=my_task.workflow.data_objects) is True
        was = my_task.internal_data.get(_LAST, False)
        my_task.internal_data[_LAST] = value
        fired = value and not was
        my_task._set_internal_data(has_fired=fired)
        return fired

    def reset(self, my_task: Any) -> None:
        my_task.internal_data.pop("has_fired", None)
        super().reset(my_task)


def parse(parser: Any, event: Any) -> CaseCondition:
    """The definition of a `conditionalEventDefinition` (`event`), its condition read as flows' are."""
    node = first(parser._xpath(event, "./bpmn:condition"))
    if node is None or not (node.text or "").strip():
        raise ValidationException("conditional event definition without a condition", node=parser.node,
                                  file_name=parser.filename)
    return CaseCondition(feel_conditions.condition(node), description=parser.get_event_description(event))


def _conditional(task: Any) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, ConditionalEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, ConditionalEventDefinition)


def reevaluate(workflow: Any) -> int:
    """Evaluate every waiting conditional event of the case again; how many fired."""
    top = workflow.top_workflow
    fired = 0
    for task in list(top.event_manager.tasks.values()):
        if task.state == TaskState.WAITING and _conditional(task):
            task.task_spec._update(task)
            fired += task.state != TaskState.WAITING
    return fired


def after_task(task: Any) -> None:
    """`did_complete_task`: the data may have changed, so the conditions are evaluated again."""
    reevaluate(task.workflow)
