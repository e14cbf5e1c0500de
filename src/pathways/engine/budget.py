"""The hard limits of one command's run of the engine, beside the script sandbox's own.

A BPMN file is input: a loop through scripts and gateways with no wait state would run forever
inside one request, a multi-instance task over a huge collection would create a task per item,
and a script could grow the case data until every save of the case fails. So each command runs
under an `EngineLimits`: at most `max_engine_steps` engine steps and `max_command_seconds`
(`StepBudget`, checked before every step), multi-instance tasks of at most `max_multi_instance`
instances (`bound_multi_instance`, checked before any instance is created), and a snapshot of
at most `max_state_bytes` (`check_state_size`). A limit raises `LimitExceeded` naming the element
and the limit, so the command writes nothing and the case stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from pathways.engine.errors import LimitExceeded, ScriptError


@dataclass(frozen=True)
class EngineLimits:
    """Limits passed down from `pathways.config.Config` (the engine never reads the environment)."""

    script_seconds: float = 1.0
    script_memory_mb: int = 256
    script_workers: int = 2
    max_state_bytes: int = 1024 * 1024
    max_engine_steps: int = 10_000
    max_command_seconds: float = 30.0
    max_multi_instance: int = 1_000

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"engine limit {name} must be above 0, not {value!r}")


def _element(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


class StepBudget:
    """`will_complete_task` for `do_engine_steps`: stops a run past its step or time budget."""

    def __init__(self, limits: EngineLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.max_command_seconds
        self.steps = 0

    def __call__(self, task: Any) -> None:
        self.steps += 1
        if self.steps > self.limits.max_engine_steps:
            raise LimitExceeded(f"the pathway ran more than {self.limits.max_engine_steps:,} steps without "
                                f"waiting, at {_element(task)}: a loop without a user task or timer?",
                                element=_element(task), limit="steps")
        if self.clock() > self.deadline:
            raise LimitExceeded(f"the pathway ran longer than {self.limits.max_command_seconds} s in one "
                                f"command, at {_element(task)}", element=_element(task), limit="command_seconds")


def check_state_size(text: str, limits: EngineLimits, element: str | None, stored: int = 0) -> int:
    """The size of snapshot `text` in bytes, or `LimitExceeded` at `element` if it is over the limit
    and larger than the `stored` snapshot: a case stored larger before the limit existed may still
    shrink, be cancelled or be closed, but never grow."""
    size = len(text.encode("utf-8"))
    if size > limits.max_state_bytes and size > stored:
        where = f" at {element}" if element else ""
        raise LimitExceeded(f"the case state would be {size:,} bytes{where}, over the limit of "
                            f"{limits.max_state_bytes:,} bytes", element=element, limit="state_size")
    return size


def _check_instances(spec: Any, my_task: Any) -> None:
    """Count the instances SpiffWorkflow is about to make: a collection's items, or the cardinality.

    Camunda's variant (run after this check) reads `camunda:collection` as the data output when no
    cardinality is given, and a cardinality that is not a number as the collection itself."""
    limits: EngineLimits | None = getattr(my_task.workflow.script_engine, "limits", None)
    if limits is None:
        return
    source = my_task if my_task.data or my_task.parent is None else my_task.parent  # (data not inherited yet)
    reference = spec.data_input or (getattr(spec, "data_output", None) if spec.cardinality is None else None)
    if reference is not None:
        found: Any = reference.get(source) if reference.exists(source) else None
    else:
        found = my_task.workflow.script_engine.evaluate(source, spec.cardinality)
        if isinstance(found, bool) or not isinstance(found, int) or found < 0:  # SpiffWorkflow would crash
            kind = "negative number" if isinstance(found, int | float) and found < 0 else type(found).__name__
            raise ScriptError(f"multi-instance {spec.bpmn_id}: loopCardinality gave a {kind}, not a whole number "
                              "of 0 or more", element=spec.bpmn_id)
    count = found if isinstance(found, int) else len(found) if isinstance(found, Sized) else None
    if count is not None and count > limits.max_multi_instance:
        raise LimitExceeded(f"multi-instance {spec.bpmn_id} would have more than {limits.max_multi_instance:,} "
                            "instances", element=spec.bpmn_id, limit="multi_instance")


class _Bounded:
    """Mixed into a multi-instance spec's class: count the instances before SpiffWorkflow makes them."""

    def _update_hook(self, my_task: Any) -> Any:
        _check_instances(self, my_task)
        return super()._update_hook(my_task)  # type: ignore[misc]


_BOUNDED: dict[type, type] = {}


def bound_multi_instance(*specs: Any) -> None:
    """Make the multi-instance tasks of these process specs check their cardinality first.

    The snapshot names task specs, not their classes, so changing the class of a built spec
    changes no stored state; one subclass is made per SpiffWorkflow class."""
    for process in specs:
        for task_spec in process.task_specs.values():
            cls = type(task_spec)
            if isinstance(task_spec, MultiInstanceTask) and not isinstance(task_spec, _Bounded):
                if cls not in _BOUNDED:
                    _BOUNDED[cls] = type(cls.__name__, (_Bounded, cls), {"__module__": __name__})
                task_spec.__class__ = _BOUNDED[cls]
