"""Drop finished history from a workflow's task tree, so a long case costs what a short one does.

SpiffWorkflow keeps every task of every loop iteration in the tree; every restore, walk and dump
then pays for the whole history. What users see of that history is already in rows (the event
log, stage visits, measures), so the snapshot needs only what execution still reads.

`prune` keeps, in each workflow (the top-level one and every running subprocess):

- the root task;
- every unfinished task, its parent (its data is inherited from there, and joins read the
  parent's state and spec) and its children (multi-instance and loop tasks read their
  instances; event-based gateways index their children);
- the finished instances of a waiting parallel or inclusive join that belong to the current
  round (each arrival cancels the previous waiting instance, and the join counts the cancelled
  ones as arrived inputs), and the parent of every kept join (the input that led to it);
- for an unfinished join that closes a structured split (boundary events, several start
  events), the split and its children (the join finds them with `find_ancestor`);
- `last_task` (the case data is its data) and any task the caller names (`keep`: stages and
  outcomes not yet reported);
- every task where kept tasks branch apart, so ancestry and child order among kept tasks do
  not change.

Every other task is removed and each kept task is re-attached to its nearest kept ancestor:
finished side branches vanish and long finished chains become one link. Data needs no fixing:
every task holds its own copy. Subprocess workflows whose task was removed go too.

Where SpiffWorkflow 3.2 behaves differently with the full history, that behaviour was a loop
bug: a parallel join counted the cancelled join instances of earlier rounds as arrived inputs
(and merged their data), and an inclusive join's search stopped at the first round's instance,
so either could fire before every branch of a later round had arrived. With the earlier rounds
gone each round waits for its own branches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState


def prune(workflow: Any, keep: Iterable[Any] = ()) -> int:
    """Remove finished history from `workflow` and its running subprocesses; returns tasks removed."""
    keep_ids = {task.id for task in keep}
    removed = _prune_tree(workflow, keep_ids)
    subprocesses = getattr(workflow, "subprocesses", None)
    if subprocesses is None:
        return removed
    removed += _drop_orphan_subprocesses(workflow)
    for sub in list(subprocesses.values()):
        if not sub.completed:
            removed += _prune_tree(sub, keep_ids)
    removed += _drop_orphan_subprocesses(workflow)
    return removed


def _required(workflow: Any, keep_ids: set[UUID]) -> set[UUID]:
    """Ids of the tasks that must stay (before branch points are added)."""
    tasks = workflow.tasks
    root = workflow.task_tree
    required = {root.id}
    if workflow.last_task is not None and workflow.last_task.id in tasks:
        required.add(workflow.last_task.id)
    required.update(i for i in keep_ids if i in tasks)
    for task in tasks.values():
        if not task.has_state(TaskState.NOT_FINISHED_MASK):
            continue
        required.add(task.id)
        if task._parent is not None:
            required.add(task._parent)
        required.update(task._children)
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task:
            split = _find_ancestor(workflow, task, spec.split_task)
            if split is not None:
                required.add(split.id)
                required.update(split._children)
    required.update(_current_round_joins(workflow))
    for task_id in list(required):
        task = tasks.get(task_id)
        if task is not None and isinstance(task.task_spec, Join) and task._parent is not None:
            required.add(task._parent)
    return required


def _current_round_joins(workflow: Any) -> set[UUID]:
    """Finished instances of a waiting parallel/inclusive join that record this round's arrivals.

    Such a join cancels its earlier waiting instance each time another branch arrives, and counts
    the cancelled instances as arrived inputs. An instance belongs to the round of an unfinished
    instance when the same fired (completed) instance of that join is the nearest one above both;
    instances of earlier rounds are history.
    """
    by_spec: dict[str, list[Any]] = {}
    for task in workflow.tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin):
            by_spec.setdefault(task.task_spec.name, []).append(task)
    result: set[UUID] = set()
    for name, instances in by_spec.items():
        live_rounds = {_round(workflow, t, name) for t in instances if t.has_state(TaskState.NOT_FINISHED_MASK)}
        if not live_rounds:
            continue
        result.update(t.id for t in instances
                      if t.has_state(TaskState.FINISHED_MASK) and _round(workflow, t, name) in live_rounds)
    return result


def _round(workflow: Any, task: Any, spec_name: str) -> UUID | None:
    """The nearest completed instance of `spec_name` above `task` (None before the first firing)."""
    ancestor = _find_ancestor(workflow, task, spec_name)
    while ancestor is not None and ancestor.state != TaskState.COMPLETED:
        ancestor = _find_ancestor(workflow, ancestor, spec_name)
    return ancestor.id if ancestor is not None else None


def _find_ancestor(workflow: Any, task: Any, spec_name: str) -> Any:
    """`Task.find_ancestor` without recursion (an unpruned tree can be thousands deep)."""
    parent = workflow.tasks.get(task._parent)
    while parent is not None and parent.task_spec.name != spec_name:
        parent = workflow.tasks.get(parent._parent)
    return parent


def _prune_tree(workflow: Any, keep_ids: set[UUID]) -> int:
    tasks = workflow.tasks
    root = workflow.task_tree
    if root is None or len(tasks) < 2:
        return 0
    required = _required(workflow, keep_ids)
    if len(required) == len(tasks):
        return 0

    # Depth-first order (children before siblings), iteratively: the tree may be deep.
    order: list[Any] = []
    stack = [root]
    while stack:
        task = stack.pop()
        order.append(task)
        stack.extend(tasks[c] for c in reversed(task._children) if c in tasks)

    # A task is kept if required, or if two or more of its children lead to kept tasks.
    leads: dict[UUID, bool] = {}
    kept: set[UUID] = set()
    for task in reversed(order):
        branches = sum(1 for c in task._children if leads.get(c))
        if task.id in required or branches >= 2:
            kept.add(task.id)
        leads[task.id] = task.id in kept or branches > 0
    if len(kept) == len(tasks):
        return 0

    # Re-attach each kept task to its nearest kept ancestor, keeping depth-first order.
    new_children: dict[UUID, list[UUID]] = {task_id: [] for task_id in kept}
    new_parent: dict[UUID, UUID | None] = {root.id: None}
    nearest: dict[UUID, UUID] = {root.id: root.id}
    for task in order[1:]:
        anchor = nearest[task._parent]
        if task.id in kept:
            new_parent[task.id] = anchor
            new_children[anchor].append(task.id)
            nearest[task.id] = task.id
        else:
            nearest[task.id] = anchor

    for task_id in kept:
        task = tasks[task_id]
        task._parent = new_parent[task_id]
        task._children = new_children[task_id]
    gone = [task_id for task_id in tasks if task_id not in kept]
    events = workflow.top_workflow.event_manager
    for task_id in gone:
        events.tasks.pop(task_id, None)
        del tasks[task_id]
    return len(gone)


def _drop_orphan_subprocesses(top: Any) -> int:
    """Remove subprocess workflows whose task is no longer in any workflow; returns tasks removed."""
    removed = 0
    while True:
        live = set(top.tasks)
        for sub in top.subprocesses.values():
            live.update(sub.tasks)
        orphans = [key for key, sub in top.subprocesses.items() if sub.parent_task_id not in live]
        if not orphans:
            return removed
        for key in orphans:
            sub = top.subprocesses.pop(key)
            for task_id in sub.tasks:
                top.event_manager.tasks.pop(task_id, None)
            removed += len(sub.tasks)
