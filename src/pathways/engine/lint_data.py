"""Lint of data objects and data stores (`engine.data_objects` says what runs and why)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pathways.engine.lint_multi import executable, variable_problem
from pathways.engine.parser import BPMN_NS
from pathways.engine.problems import Problem, located

_STORE_HINT = ("keep the data in the case (form fields, a data object) or in a task that reads or updates the "
               "register; remove the association (a data store drawn without one is documentation only)")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def check_file(doc: Any) -> Iterator[Problem]:
    """Data objects a task uses whose id is no variable name, references that resolve to nothing; data stores
    (of executable processes: the others are never built)."""
    for process in executable(doc.root):
        yield from _check_process(doc, process)


def _check_process(doc: Any, root: Any) -> Iterator[Problem]:
    objects = {node.get("id") for node in root.iter(_q("dataObject"))}
    used = _associated_objects(root)
    for node in root.iter(_q("dataObject")):
        if node.get("id") in used and (problem := variable_problem(node.get("id"))):
            yield located(doc, node, f"data object id {node.get('id')!r} {problem}: tasks read and write a data "
                          "object by its id", "give it a snake_case id, e.g. income_statement")
    for ref in root.iter(_q("dataObjectReference")):
        if ref.get("dataObjectRef") not in objects:
            yield located(doc, ref, f"dataObjectReference {ref.get('id')!r} refers to no data object "
                          f"({ref.get('dataObjectRef')!r})", "draw the reference again from the palette, or fix "
                          "its dataObjectRef")
    stores = {ref.get("id"): ref for ref in root.iter(_q("dataStoreReference"))}
    associated: set[str] = set()
    for kind, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for association in root.iter(_q(kind)):
            target = (association.findtext(_q(end)) or "").strip()
            if target in stores:
                associated.add(target)
                yield located(doc, association.getparent(), f"{kind} with data store {target!r} is not run: "
                              "pathways has no data store shared between cases", _STORE_HINT)
            for unused in ("transformation", "assignment"):
                if association.find(_q(unused)) is not None:
                    yield located(doc, association.getparent(), f"{kind} {unused} is not applied: the variable "
                                  "is copied as it is", "compute the value in a script task", "warning")
    for ref_id, ref in stores.items():
        if ref_id not in associated:
            yield located(doc, ref, "data store reference is drawn only: nothing is stored or read",
                          "remove it if readers could think the case writes to it", "warning")


def _associated_objects(root: Any) -> set[str]:
    """The ids of the data objects some task reads or writes (through a reference)."""
    refs = {ref.get("id"): ref.get("dataObjectRef") for ref in root.iter(_q("dataObjectReference"))}
    ends = {(a.findtext(_q(end)) or "").strip()
            for kind, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef"))
            for a in root.iter(_q(kind))}
    return {refs[end] for end in ends if end in refs and refs[end]}
