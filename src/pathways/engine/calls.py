"""Called processes: a call activity's run of another pathway, shown as a child of the case.

A call activity runs the called pathway inside the caller's case (SpiffWorkflow's sub-workflow):
one snapshot, one transaction per command, the child's human tasks are the case's tasks, and an
error its end event throws reaches the call activity's error boundary event. Which version of the
called pathway runs is fixed when the caller is deployed: the files deployed with it
(docs/engine.md, "Definitions and versions"). So a child has no case row of its own; the case
view lists it (`children`) with the called pathway's key and name, the version of that pathway
that holds the same files (when it was deployed as a pathway of its own: `called_version`), its
state, and its open tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.engine.definitions import DocumentIndex, ProcessBundle, SourceFile
from pathways.store.models import DefinitionBlob, PathwayVersion


@dataclass(frozen=True)
class Child:
    """One run of a called pathway inside a case."""

    element: str  # the call activity's id
    element_name: str
    key: str  # the called process id
    name: str
    state: str  # active | completed | cancelled
    open_tasks: tuple[str, ...]  # ids of its human tasks open now (rows of the case's `human_tasks`)


def children(workflow: Any) -> list[Child]:
    """The called processes the case's workflow holds, in the order they started."""
    found = []
    for sub in workflow.subprocesses.values():
        parent = workflow.get_task_from_id(sub.parent_task_id) if sub.parent_task_id is not None else None
        if parent is None or not isinstance(parent.task_spec, CallActivity):
            continue
        spec = parent.task_spec
        state = "cancelled" if parent.state == TaskState.CANCELLED else "completed" if sub.completed else "active"
        opened = tuple(str(t.id) for t in sub.get_tasks(state=TaskState.READY) if t.task_spec.manual)
        found.append((parent.last_state_change, Child(
            element=spec.bpmn_id, element_name=spec.bpmn_name or spec.bpmn_id, key=sub.spec.name,
            name=sub.spec.description or sub.spec.name, state=state, open_tasks=opened)))
    return [child for _, child in sorted(found, key=lambda pair: pair[0])]


_VERSIONS: dict[tuple[int, str], int] = {}
_KEPT = 1024


def called_version(s: Session, caller: PathwayVersion, key: str) -> int | None:
    """The version of pathway `key` whose files are those `caller` was deployed with (None if `key`
    was never deployed with exactly them). Versions never change, so a found answer is kept."""
    memo = (caller.id, key)
    if memo not in _VERSIONS:
        blobs = {b.hash: b for b in s.scalars(select(DefinitionBlob).where(DefinitionBlob.hash.in_(caller.files)))}
        index = DocumentIndex.build(SourceFile(blobs[h].filename, blobs[h].content.encode("utf-8"))
                                    for h in caller.files if h in blobs)
        process = index.process_elements.get(key)
        bundle = ProcessBundle(key, "", tuple(d.source for d in index.dependencies(key)))
        found = None if process is None else s.scalar(
            select(PathwayVersion.version).where(PathwayVersion.key == key,
                                                 PathwayVersion.bundle_hash == bundle.bundle_hash))
        if found is None:
            return None
        if len(_VERSIONS) >= _KEPT:
            _VERSIONS.clear()
        _VERSIONS[memo] = found
    return _VERSIONS[memo]
