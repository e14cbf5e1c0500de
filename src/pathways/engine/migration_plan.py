"""Moving one case's instance state from version N of its pathway to version M, in memory.

A snapshot (`pathways.engine.state`) holds tasks that name their spec by `task_spec` (the BPMN
id, or a name derived from it: `X.BoundaryEventSplit`, `<process>.EndJoin`, `Start`); the specs
come from the version the case is loaded against. Migrating restores the same tasks against the
NEW version's specs, so every task keeps its id: the human-task rows, claims and comments of a
task that still exists are untouched. SpiffWorkflow's own `bpmn.util.diff` guesses an alignment
by structure and resets every waiting task (new task ids, claims lost); here the alignment is by
id plus the designer's explicit `--map OLD=NEW`, and nothing is guessed. The steps:

1. **Predictions are dropped** (tasks FUTURE/LIKELY/MAYBE under an unfinished task: the path the
   OLD version predicted) and predicted again from the new specs after loading, so a task added
   ahead of the case is where the case will go next.
2. **Waiting elements must exist**: every unfinished task (an open user task, a waiting timer or
   message catch, a started sub-process or boundary structure) needs a spec of its name, or of its
   mapped name, in version M, of the same kind; otherwise the case cannot move, with the reason.
   A name derived from a mapped id follows the mapping (`A.BoundaryEventSplit` -> `B.Boundary...`).
3. **Finished history whose element is gone** is dropped, its children re-attached to its parent
   (as `pathways.engine.history` prunes): it is already in the event log and stage rows.
4. **Changed timers are rescheduled** from the moment they started: a duration timer waits the
   new duration from when the old one began (old due minus old duration), a date timer takes the
   new date, a cycle timer restarts its cycle at the start of the current repetition.

Deterministic: the same snapshot, versions and mapping give the same plan and the same state,
which is what lets a dry run promise what `--apply` will do (`pathways.engine.migration`).
No case value appears in a plan: ids, element ids and names from the definition, due times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from pathways.engine import state, timers
from pathways.engine.budget import EngineLimits
from pathways.engine.built import Definition
from pathways.engine.migration_timers import reschedule
from pathways.engine.runtime import CaseRuntime, OpenTask

_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_FINISHED = TaskState.FINISHED_MASK


@dataclass
class CasePlan:
    """What migrating one case does (or why it cannot): the same for a dry run and for `--apply`."""

    case_id: int
    movable: bool = True
    reasons: list[str] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, reason: str) -> None:
        self.movable = False
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "movable": self.movable, "reasons": list(self.reasons),
                "tasks": [dict(t) for t in self.tasks], "timers": [dict(t) for t in self.timers]}


@dataclass
class Migrated:
    plan: CasePlan
    runtime: CaseRuntime | None  # the case on version M; None when it cannot move


def resolve(name: str, mapping: Mapping[str, str]) -> str:
    """The spec name `name` has in the new version under `mapping` (derived names follow their id)."""
    if name in mapping:
        return mapping[name]
    head, dot, rest = name.partition(".")
    return f"{mapping[head]}.{rest}" if dot and head in mapping else name


def migrate(old: Definition, new: Definition, case_id: int, text: str, mapping: Mapping[str, str],
            limits: EngineLimits | None = None) -> Migrated:
    """The case's workflow on version `new`, with the plan of what changed; or the reasons it cannot."""
    plan = CasePlan(case_id)
    before = CaseRuntime.restore(old, text, limits)
    dct = json.loads(text)
    trees = _trees(dct, before, new, mapping, plan)
    repredict: dict[str, list[str]] = {}
    for key, (tree, spec, old_tasks) in trees.items():
        repredict[key] = _rewrite(tree, spec, old_tasks, mapping, plan)
    if not plan.movable:
        return Migrated(plan, None)
    workflow = state.load(json.dumps(dct), new.spec, new.subprocess_specs)
    after = CaseRuntime(new, workflow, limits)
    after.workflow.script_engine = before.workflow.script_engine
    for key, ids in repredict.items():
        owner = after.workflow if key == "" else after.workflow.subprocesses[UUID(key)]
        for task_id in ids:
            task = owner.tasks[UUID(task_id)]
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
    for reason in reschedule(after.workflow, lambda task_id: getattr(_owner(before, task_id), "task_spec", None)):
        plan.refuse(reason)
    _compare_tasks(before, after, mapping, plan)
    _compare_timers(before, after, plan)
    return Migrated(plan, after)


def _trees(dct: dict[str, Any], before: CaseRuntime, new: Definition, mapping: Mapping[str, str], plan: CasePlan
           ) -> dict[str, tuple[dict[str, Any], Any, dict[str, Any]]]:
    """Each task tree of the snapshot ("" = the top process, else a sub-process's task id) with the
    new spec it is checked against and its old tasks by id."""
    old_top = {str(t.id): t for t in before.workflow.tasks.values()}
    found: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = {"": (dct, new.spec, old_top)}
    for sub_id, sub in dct.get("subprocesses", {}).items():
        old_sub = before.workflow.subprocesses.get(UUID(sub_id))
        owner = _owner(before, sub_id)
        spec = None if owner is None else _sub_spec(new, resolve(owner.task_spec.name, mapping))
        if spec is None or old_sub is None:
            plan.refuse(f"its sub-process {_bpmn_id(owner)} has no process in the new version")
            continue
        found[sub_id] = (sub, spec, {str(t.id): t for t in old_sub.tasks.values()})
    return found


def _sub_spec(new: Definition, name: str) -> Any:
    """The new version's process that a sub-process (or call activity) element `name` runs."""
    for process in (new.spec, *new.subprocess_specs.values()):
        element = process.task_specs.get(name)
        if element is not None and getattr(element, "spec", None):
            return new.subprocess_specs.get(str(element.spec))
    return None


def _owner(runtime: CaseRuntime, task_id: str) -> Any:
    for tasks in (runtime.workflow.tasks, *(s.tasks for s in runtime.workflow.subprocesses.values())):
        task = tasks.get(UUID(task_id))
        if task is not None:
            return task
    return None


def _bpmn_id(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name) if task is not None else "?"


def _rewrite(tree: dict[str, Any], spec: Any, old_tasks: dict[str, Any], mapping: Mapping[str, str],
             plan: CasePlan) -> list[str]:
    """Rewrite one task tree's dict for `spec`; returns the ids of the tasks to predict again."""
    tasks: dict[str, dict[str, Any]] = tree["tasks"]
    dropped = [i for i, t in tasks.items() if t["state"] & _PREDICTED and t["parent"] in tasks
               and not tasks[t["parent"]]["state"] & _FINISHED]
    repredict: set[str] = set()
    for task_id in _with_descendants(tasks, dropped):
        parent = tasks[task_id]["parent"]
        if parent in tasks and task_id in tasks[parent]["children"]:
            tasks[parent]["children"].remove(task_id)
            repredict.add(parent)
        del tasks[task_id]
    for task_id in sorted(tasks, key=lambda i: _depth(tasks, i), reverse=True):
        task = tasks[task_id]
        name = resolve(task["task_spec"], mapping)
        target = spec.task_specs.get(name)
        old = old_tasks[task_id]
        if target is None and task["state"] & _FINISHED and task["parent"] is not None:
            _splice(tree, task_id)
            continue
        if target is None:
            shown = getattr(old.task_spec, "bpmn_id", None) or task["task_spec"]
            plan.refuse(f"it waits at {shown}, which the new version lacks: map it with --map {shown}=NEW_ID")
            continue
        if not task["state"] & _FINISHED and _kind(old.task_spec) != _kind(target):
            plan.refuse(f"it waits at {old.task_spec.bpmn_id or name}, a {_kind(old.task_spec)} in its version "
                        f"but a {_kind(target)} in the new one")
            continue
        task["task_spec"] = name
    return sorted(i for i in repredict if i in tasks and not tasks[i]["state"] & _FINISHED)


def _with_descendants(tasks: dict[str, dict[str, Any]], ids: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(ids)
    while stack:
        task_id = stack.pop()
        if task_id in seen or task_id not in tasks:
            continue
        seen.append(task_id)
        stack.extend(tasks[task_id]["children"])
    return sorted(seen, key=lambda i: _depth(tasks, i), reverse=True)  # leaves first


def _depth(tasks: dict[str, dict[str, Any]], task_id: str) -> int:
    depth, parent = 0, tasks[task_id]["parent"]
    while parent is not None and parent in tasks:
        depth, parent = depth + 1, tasks[parent]["parent"]
    return depth


def _splice(tree: dict[str, Any], task_id: str) -> None:
    """Remove a finished task, its children taking its place under its parent."""
    tasks = tree["tasks"]
    task = tasks.pop(task_id)
    parent = tasks[task["parent"]]
    at = parent["children"].index(task_id)
    parent["children"][at:at + 1] = task["children"]
    for child in task["children"]:
        tasks[child]["parent"] = task["parent"]
    if tree.get("last_task") == task_id:
        tree["last_task"] = task["parent"]


def _kind(spec: Any) -> str:
    """What a waiting element is, for the same-kind check: its class and the events it waits for."""
    events = [type(d).__name__ for d in timers.event_definitions(spec) if d is not None]
    kind = type(spec).__name__
    return f"{kind} ({', '.join(events)})" if events else kind


# -- what changed --------------------------------------------------------------------------------
def _fields(runtime: CaseRuntime, task_id: str) -> list[str]:
    form = getattr(runtime.task(task_id).task_spec, "form", None)
    return [f.id for f in getattr(form, "fields", None) or ()]


def _compare_tasks(before: CaseRuntime, after: CaseRuntime, mapping: Mapping[str, str], plan: CasePlan) -> None:
    old: dict[str, OpenTask] = {t.id: t for t in before.open_tasks(None)}
    new: dict[str, OpenTask] = {t.id: t for t in after.open_tasks(None)}
    for task_id, task in old.items():
        now = new.get(task_id)
        if now is None:
            plan.tasks.append({"task_id": task_id, "element": task.element_id, "name": task.name, "change": "removed"})
            continue
        was, has = _fields(before, task_id), _fields(after, task_id)
        change = ("mapped" if now.element_id != task.element_id else "renamed" if now.name != task.name
                  else "kept")
        entry = {"task_id": task_id, "element": now.element_id, "name": now.name, "change": change,
                 "old_element": task.element_id, "old_name": task.name,
                 "fields_added": [f for f in has if f not in was], "fields_removed": [f for f in was if f not in has]}
        if now.roles != task.roles:
            entry["roles"] = list(now.roles)
        plan.tasks.append(entry)
    for task_id, task in new.items():
        if task_id not in old:
            plan.tasks.append({"task_id": task_id, "element": task.element_id, "name": task.name, "change": "created"})


def _compare_timers(before: CaseRuntime, after: CaseRuntime, plan: CasePlan) -> None:
    old = {t.id: t for t in before.waiting_timers()}
    new = {t.id: t for t in after.waiting_timers()}
    for timer_id, timer in old.items():
        now = new.get(timer_id)
        if now is None:
            plan.timers.append({"timer_id": timer_id, "element": timer.element_id, "change": "removed",
                                "old_due_at": timer.due_at.isoformat()})
            continue
        change = ("mapped" if now.element_id != timer.element_id else "rescheduled" if now.due_at != timer.due_at
                  else "kept")
        plan.timers.append({"timer_id": timer_id, "element": now.element_id, "old_element": timer.element_id,
                            "change": change, "due_at": now.due_at.isoformat(), "old_due_at": timer.due_at.isoformat()})
    for timer_id, timer in new.items():
        if timer_id not in old:
            plan.timers.append({"timer_id": timer_id, "element": timer.element_id, "change": "created",
                                "due_at": timer.due_at.isoformat()})
