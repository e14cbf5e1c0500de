"""Camunda 7 variable mappings: `camunda:in`/`camunda:out` of a call activity and `camunda:inputOutput`.

As Camunda Modeler writes them (*Inputs*/*Outputs* and *In mappings*/*Out mappings* panels):

- `camunda:in source="a" target="b"` gives the called process `b` = the caller's `a`;
  `sourceExpression="${...}"` a computed value; `variables="all"` every variable of the caller.
  A call activity with at least one `camunda:in` passes only what its mappings name (Camunda's
  rule); one with none passes all of the caller's data (pathways' rule from before mappings were
  read, which pathways' own files rely on).
- `camunda:out` likewise from the called process back to the caller when it ends: with at least
  one, the caller keeps its own data and gets only the mapped values; with none, it takes all of
  the called process's data, as before.
- `camunda:inputParameter name="x"` sets `x` for the activity's own run (a task's script, a form,
  a call activity's `camunda:in`) and takes it away afterwards, giving the variable back the value it
  had; `camunda:outputParameter name="y"` sets `y` in the case data when the activity completes,
  computed from the activity's data then. Values are text (a literal string), a Camunda expression
  (`${...}`, translated to Python by `engine.juel` and run in the sandbox), `camunda:list` or
  `camunda:map` of those. `camunda:script` is refused by lint (`engine.lint_calls`).

A missing source variable gives None (`null` in Camunda). The mapped spec gets a subclass of its
SpiffWorkflow class (the snapshot names specs, not classes, so stored state does not change).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity

from pathways.engine import juel

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_LOCALS = "pathways_io_locals"  # internal data: the input parameters' names and the values they hid


@dataclass(frozen=True)
class Value:
    """A mapping's value: `expression` (Python, translated) or `literal`, or a list/map of values."""

    expression: str | None = None
    literal: Any = None
    items: tuple[tuple[str | None, Value], ...] | None = None  # (key, value): key None for a list
    is_map: bool = False

    def evaluate(self, task: Any) -> Any:
        if self.items is not None:
            values = [(key, value.evaluate(task)) for key, value in self.items]
            return {key: v for key, v in values} if self.is_map else [v for _key, v in values]
        if self.expression is not None:
            return task.workflow.script_engine.evaluate(task, self.expression)
        return self.literal


@dataclass(frozen=True)
class Mapping:
    target: str | None
    source: str | None = None
    value: Value | None = None
    all: bool = False

    def apply(self, task: Any, data: dict[str, Any], into: dict[str, Any]) -> None:
        """Read from `data` (or evaluate on `task`), write into `into`."""
        if self.all:
            into.update(deepcopy(data))
        elif self.target:
            into[self.target] = self.value.evaluate(task) if self.value is not None \
                else deepcopy(data.get(self.source or ""))


@dataclass(frozen=True)
class Mappings:
    ins: tuple[Mapping, ...] = ()
    outs: tuple[Mapping, ...] = ()
    inputs: tuple[Mapping, ...] = ()
    outputs: tuple[Mapping, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.ins or self.outs or self.inputs or self.outputs)


def _q(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def text_value(text: str | None) -> Value:
    """A parameter's text: a Camunda expression becomes Python; other text is a literal string."""
    stripped = (text or "").strip()
    if not stripped:
        return Value(literal=None)
    if juel.is_juel(stripped):
        return Value(expression=juel.translate(stripped))
    return Value(literal=stripped)


def read_value(node: Any) -> Value:
    """An input or output parameter's value (lint has refused what cannot be read: `lint_calls`)."""
    for child in node:
        if child.tag == _q("list"):
            return Value(items=tuple((None, read_value_of(item)) for item in child if item.tag == _q("value")))
        if child.tag == _q("map"):
            return Value(items=tuple((entry.get("key"), read_value_of(entry)) for entry in child
                                     if entry.tag == _q("entry")), is_map=True)
    return text_value(node.text)


def read_value_of(node: Any) -> Value:
    return read_value(node) if len(node) else text_value(node.text)


def _call_mapping(node: Any) -> Mapping:
    if node.get("variables") == "all":
        return Mapping(target=None, all=True)
    expression = node.get("sourceExpression")
    value = text_value(expression) if expression is not None else None
    return Mapping(target=node.get("target"), source=node.get("source"), value=value)


def read(node: Any) -> Mappings:
    """The mappings of a BPMN element, from its own `bpmn:extensionElements`."""
    extensions = [child for child in node if isinstance(child.tag, str) and child.tag.endswith("}extensionElements")]
    if not extensions:
        return Mappings()
    ext = extensions[0]
    io = ext.find(_q("inputOutput"))
    return Mappings(
        ins=tuple(_call_mapping(n) for n in ext.findall(_q("in")) if n.get("businessKey") is None),
        outs=tuple(_call_mapping(n) for n in ext.findall(_q("out"))),
        inputs=tuple(Mapping(p.get("name"), value=read_value(p)) for p in io.findall(_q("inputParameter")))
        if io is not None else (),
        outputs=tuple(Mapping(p.get("name"), value=read_value(p)) for p in io.findall(_q("outputParameter")))
        if io is not None else (),
    )


class _Mapped:
    """Mixed into a mapped spec's class: input parameters before the run, output parameters after,
    and a call activity's `camunda:in`/`camunda:out`."""

    io_mappings: Mappings

    def _update_hook(self, my_task: Any) -> Any:
        result = super()._update_hook(my_task)  # type: ignore[misc]
        if not isinstance(self, CallActivity):  # a call activity's inputs: in `copy_data`, before it starts
            _set_inputs(self.io_mappings, my_task)
        return result

    def _on_complete_hook(self, my_task: Any) -> None:
        values: dict[str, Any] = {}
        for mapping in self.io_mappings.outputs:
            mapping.apply(my_task, my_task.data, values)
        local = my_task.internal_data.pop(_LOCALS, None)
        if local is not None:  # the input parameters were the activity's own: give back what they hid
            for name in local["names"]:
                my_task.data.pop(name, None)
            my_task.data.update(local["hidden"])
        my_task.data.update(values)
        super()._on_complete_hook(my_task)  # type: ignore[misc]

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        _set_inputs(self.io_mappings, my_task)
        if not self.io_mappings.ins:
            super().copy_data(my_task, subworkflow)  # type: ignore[misc]
            return
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        data: dict[str, Any] = {}
        for mapping in self.io_mappings.ins:
            mapping.apply(my_task, my_task.data, data)
        start.set_data(**data)

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        if not self.io_mappings.outs:
            super().update_data(my_task, subworkflow)  # type: ignore[misc]
            return
        last = subworkflow.last_task
        values: dict[str, Any] = {}
        for mapping in self.io_mappings.outs:
            mapping.apply(last, last.data, values)
        my_task.data.update(values)


def _set_inputs(mappings: Mappings, my_task: Any) -> None:
    """Set the input parameters in the task's data once, remembering what they hide."""
    if not mappings.inputs or _LOCALS in my_task.internal_data:
        return
    names = sorted({m.target for m in mappings.inputs if m.target})
    hidden = {name: my_task.data[name] for name in names if name in my_task.data}
    values: dict[str, Any] = {}
    for mapping in mappings.inputs:
        mapping.apply(my_task, my_task.data, values)
    my_task.data.update(values)
    my_task.internal_data[_LOCALS] = {"hidden": hidden, "names": names}


_MAPPED: dict[type, type] = {}


def attach(spec: Any, node: Any) -> None:
    """Give `spec` the mappings of its BPMN `node`, if it has any (and a class that applies them)."""
    found = read(node)
    if not found or (not (found.inputs or found.outputs) and not isinstance(spec, CallActivity)):
        return
    cls = type(spec)
    if cls not in _MAPPED:
        _MAPPED[cls] = type(cls.__name__, (_Mapped, cls), {"__module__": __name__})
    spec.__class__ = _MAPPED[cls]
    spec.io_mappings = found


class MappingParserMixin:
    """Mixed into every node parser: the spec it creates gets the node's mappings."""

    node: Any

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        attach(task, self.node)
        return task
