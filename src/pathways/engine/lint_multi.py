"""Lint of multi-instance activities (`engine.multi` says what runs): what is not run is refused, with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pathways.engine import juel, multi
from pathways.engine.definitions import Document
from pathways.engine.parser import BPMN_NS, CAMUNDA_NS
from pathways.engine.problems import Problem, located
from pathways.engine.sandbox import REFUSED_NAMES

_BEHAVIOR_HINT = ("leave behavior All (the default): every event an instance throws goes on as thrown; to react "
                  "once, catch the event inside the activity and decide there")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def variable_problem(name: str | None) -> str | None:
    """Why `name` cannot be a case variable that expressions read (None when it can): the form fields' rule."""
    text = (name or "").strip()
    if not text.isidentifier():
        return "is not a variable name"
    if text.startswith("_") or text in REFUSED_NAMES:
        return "is a name scripts may not use"
    return None


def executable(root: Any) -> Iterator[Any]:
    """The executable processes of a document (the others are never built, so never refused)."""
    for process in root.iter(_q("process")):
        if process.get("isExecutable", "true").lower() == "true":
            yield process


def check_file(doc: Document) -> Iterator[Problem]:
    loops = (loop for process in executable(doc.root) for loop in process.iter(_q("multiInstanceLoopCharacteristics")))
    for loop in loops:
        activity = loop.getparent()
        behavior = (loop.get("behavior") or "All").strip()
        if behavior != "All":
            yield located(doc, activity, f"multi-instance behavior {behavior!r} is not run: pathways throws the "
                          "events of every instance (behavior All)", _BEHAVIOR_HINT)
        for child in ("oneBehaviorEventRef", "noneBehaviorEventRef", "complexBehaviorDefinition"):
            if loop.find(_q(child)) is not None and behavior == "All":
                yield located(doc, activity, f"multi-instance {child} is not run", _BEHAVIOR_HINT)
        yield from _instances(doc, activity, loop)


def _instances(doc: Document, activity: Any, loop: Any) -> Iterator[Problem]:
    collection = (loop.get(f"{{{CAMUNDA_NS}}}collection") or "").strip()
    data_input = (loop.findtext(_q("loopDataInputRef")) or "").strip()
    cardinality = (loop.findtext(_q("loopCardinality")) or "").strip()
    if collection and data_input:
        yield located(doc, activity, "multi-instance has both camunda:collection and loopDataInputRef",
                      "keep one: camunda:collection as Camunda Modeler writes it")
    if cardinality and (collection or data_input):
        yield located(doc, activity, "multi-instance has both a loopCardinality and a collection: which one makes "
                      "the instances is not clear", "keep the collection (one instance per item) or the cardinality")
    if not (cardinality or collection or data_input):
        yield located(doc, activity, "multi-instance has neither a loopCardinality nor a collection",
                      "set Loop cardinality (e.g. 3) or Collection (a list variable) with an Element variable")
    if collection:
        name = collection
        if juel.is_juel(collection):
            try:
                name = juel.translate(collection)
            except juel.JuelError as exc:
                name = ""
                yield located(doc, activity, f"camunda:collection {collection[:60]!r}: {exc.message}", exc.hint)
        if name and not name.isidentifier():
            yield located(doc, activity, f"camunda:collection {collection[:60]!r} is not a variable", "compute the "
                          "list into a variable in a script task before, and name that variable here")
    for kind in ("inputDataItem", "outputDataItem"):
        item = loop.find(_q(kind))
        if item is not None and variable_problem(multi.item_variable(item)):
            yield located(doc, activity, f"multi-instance {kind} has no variable name", "give it a snake_case name")
    element = loop.get(f"{{{CAMUNDA_NS}}}elementVariable")
    if element is not None and (problem := variable_problem(element)):
        yield located(doc, activity, f"camunda:elementVariable {element[:40]!r} {problem}",
                      "use a snake_case name, e.g. expert")
    if (loop.find(_q("loopDataOutputRef")) is None) != (loop.find(_q("outputDataItem")) is None):
        yield located(doc, activity, "multi-instance output needs both loopDataOutputRef and outputDataItem",
                      "set both (the list to collect into and each instance's variable), or neither")
