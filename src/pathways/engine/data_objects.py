"""Data objects and data stores as Camunda Modeler draws them.

**Data objects run** (SpiffWorkflow's): a `bpmn:dataObject` is a variable of the process or
sub-process that declares it, named by its id, shown in the diagram by `dataObjectReference`s. A
task with a `dataOutputAssociation` to a reference writes its variable of that name into the
object when it completes (and it leaves the task's data); one with a `dataInputAssociation`
reads the object's value for its run. The value belongs to the declaring scope: tasks of that
scope and of its sub-processes see it, the scope's siblings and a called pathway do not, and it
goes when a sub-process ends. A form field with the object's id is how a user task writes one,
so lint allows that id twice (`form_field_of_object`). The case view shows the process's own
objects (`values`), with the same redaction as the case data.

**Data stores do not run**: pathways keeps a case's data in its case and has no store shared
between cases. A data store reference connected to a task by an association is refused with the
reason (`engine.lint_data`); one drawn only for the reader (no association) is a warning, and its `bpmn:dataStore`
declaration is taken out before SpiffWorkflow reads the file (`resolve`), as SpiffWorkflow
refuses any declared store it has no implementation for.
"""

from __future__ import annotations

from typing import Any

from pathways.engine.parser import BPMN_NS, CAMUNDA_NS


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def form_field_of_object(bpmn: list[Any], nodes: list[Any]) -> bool:
    """True when an id is one data object's and otherwise only form fields': the fields write the object."""
    return (len(bpmn) == 1 and bpmn[0].tag == _q("dataObject") and len(nodes) > 1
            and all(n is bpmn[0] or n.tag == f"{{{CAMUNDA_NS}}}formField" for n in nodes))


def resolve(root: Any) -> Any:
    """`root` without `bpmn:dataStore` declarations (lint has refused any store a task uses)."""
    for store in list(root.iter(_q("dataStore"))):
        store.getparent().remove(store)
    return root


def values(workflow: Any) -> dict[str, Any]:
    """The values of the process's own data objects (not those of running sub-processes)."""
    return dict(workflow.data_objects)
