"""The engine's steps, safe when a step removes a sub-workflow that is still to be stepped.

SpiffWorkflow steps the active sub-workflows of a case (sub-processes, call activities, the
instances of a multi-instance sub-process) from a list taken before the first step, then asks each
one's parent task to update. When a step removes another sub-workflow first (an instance's error
end event caught by a boundary event on the multi-instance activity cancels its sibling
instances, which deletes their sub-workflows), the next turn of that loop looks up a parent task
that no longer exists and the command fails (`TaskNotFoundException`), although the model is
sound. `install` gives a workflow a step function that skips sub-workflows gone meanwhile and
otherwise does what SpiffWorkflow's does. The function is set on the workflow object, not on its
class, so the snapshot (whose serializer finds converters by class) does not change.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

Hook = Callable[[Any], None] | None


def _run_ready(workflow: Any, will_complete: Hook, did_complete: Hook) -> int:
    """Run the ready engine tasks of one (sub-)workflow once; how many ran."""
    ran = 0
    for task in workflow.get_tasks(state=TaskState.READY):
        if task.task_spec.manual or task.state != TaskState.READY:  # (a task cancelled by an earlier one)
            continue
        if will_complete is not None:
            will_complete(task)
        task.run()
        ran += 1
        if did_complete is not None:
            did_complete(task)
    return ran


def _parent(top: Any, sub: Any) -> Any:
    """The task that runs `sub`; None once it is gone (or `sub` is the case's own workflow)."""
    if sub.parent_task_id is None or sub.parent_task_id not in top.subprocesses:
        return None
    try:
        return top.get_task_from_id(sub.parent_task_id)
    except TaskNotFoundException:
        return None


def _do_engine_steps(self: Any, will_complete_task: Hook = None, did_complete_task: Hook = None) -> bool:
    active = self.get_active_subprocesses()
    for sub in sorted(active, key=lambda w: w.depth, reverse=True):
        while _parent(self, sub) is not None and _run_ready(sub, will_complete_task, did_complete_task):
            pass
        parent = _parent(self, sub)
        if parent is not None and not parent.has_state(TaskState.FINISHED_MASK):
            parent.task_spec._update(parent)
    ran = _run_ready(self, will_complete_task, did_complete_task)
    return ran > 0 or len(self.get_active_subprocesses()) > len(active)


def install(workflow: Any) -> Any:
    """`workflow` with the safe step function (returns it)."""
    workflow._do_engine_steps = types.MethodType(_do_engine_steps, workflow)
    return workflow
