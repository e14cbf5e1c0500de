"""Multi-instance activities, as Camunda Modeler and the BPMN standard write them.

SpiffWorkflow's Camunda parser reads only `loopCardinality`, `camunda:collection` and
`camunda:elementVariable`, writes each instance's element back into the collection, rewrites the
shared task spec while a case runs (so one case's collection decided how the next case's
cardinality was read), and ignores the standard `loopDataInputRef`/`inputDataItem`/
`loopDataOutputRef`/`outputDataItem`. Here one spec is built from either dialect, once, at parse time:

- instances: `loopCardinality` (a whole number, Python or a Camunda expression), or a collection:
  `camunda:collection` (a variable name, or `${name}`) or `loopDataInputRef`; each instance gets
  its item as `camunda:elementVariable` or `inputDataItem`, and its index as `loopCounter`,
  variables of the instance only: they do not leak into the case data, and a case variable of
  the same name is left as it was;
- sequential (`isSequential="true"`, one instance after the other) or parallel (all at once);
- `completionCondition` (Python or a Camunda expression) is checked after each instance completes,
  with Camunda's counters `nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances` and
  `loopCounter` (the index of the instance that just completed); when true the remaining
  instances are cancelled (parallel) or not started (sequential);
- output: with `loopDataOutputRef` + `outputDataItem` each instance's output item is collected
  into that list (or dict, keyed as the input); without them the instances' data are merged into
  the case data, last completed last.

`behavior` (events thrown by instances) runs as `All` (every event goes on as thrown); `One`,
`None` and `Complex` are refused by lint (`engine.lint_multi`). The count of instances stays
bounded by `engine.budget`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from pathways.engine import juel

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_LOOP = "bpmn:multiInstanceLoopCharacteristics"
LOOP_COUNTER = "loopCounter"  # Camunda's: the instance's index (0, 1, ...), a variable of the instance
_SHADOWED = "pathways_shadowed"  # internal data: case variables named like the instances' items, kept aside


def python(text: str | None) -> str | None:
    """A cardinality or condition as Python: a Camunda expression is translated (lint showed how)."""
    if text is None or not text.strip():
        return None
    return juel.translate(text.strip()) if juel.is_juel(text) else text.strip()


def collection_name(text: str | None) -> str | None:
    """`camunda:collection` as a variable name: `reviewers` or `${reviewers}` (lint refuses any other)."""
    if text is None or not text.strip():
        return None
    return python(text) if juel.is_juel(text) else text.strip()


def _item(found: list[Any]) -> TaskDataReference | None:
    """An `inputDataItem`/`outputDataItem`: the variable is its id (as SpiffWorkflow reads it), or its name when
    the id is no variable name."""
    if not found:
        return None
    return TaskDataReference(item_variable(found[0]) or "")


def item_variable(item: Any) -> str | None:
    """The variable an `inputDataItem`/`outputDataItem` names: its id, else its name (None if neither can be one)."""
    for candidate in ((item.get("id") or "").strip(), (item.get("name") or "").strip()):
        if candidate.isidentifier():
            return candidate
    return None


class _Instances:
    """Instance-local items, counters in the completion condition, data merged without the items."""

    input_item: Any
    output_item: Any
    condition: Any
    data_input: Any
    data_output: Any

    def create_child(self, my_task: Any, item: Any, key_or_index: Any = None) -> None:
        task_spec = my_task.workflow.spec.task_specs[self.task_spec]  # type: ignore[attr-defined]
        if not task_spec.completed_event.is_connected(self.merge_child):
            task_spec.completed_event.connect(self.merge_child)
        shadowed = my_task.internal_data.setdefault(_SHADOWED, {})
        for name in self._locals():  # a case variable of the item's name waits aside
            if name in my_task.data and name not in shadowed:
                shadowed[name] = my_task.data.pop(name)
        counter = len(list(self._instances(my_task)))  # type: ignore[attr-defined]
        child = my_task._add_child(task_spec, TaskState.WAITING)
        child.triggered = True
        child.data[LOOP_COUNTER] = counter
        if self.input_item is not None:
            self.input_item.set(child, deepcopy(item))
        if key_or_index is not None:
            child.internal_data["key_or_index"] = key_or_index
        else:
            child.internal_data["item"] = item
        child.task_spec._update(child)

    def _locals(self) -> set[str]:
        """The instance's own variables: its items and its `loopCounter`."""
        return {LOOP_COUNTER} | {ref.bpmn_id for ref in (self.input_item, self.output_item) if ref is not None}

    def _on_complete_hook(self, my_task: Any) -> None:
        my_task.data.update(my_task.internal_data.pop(_SHADOWED, None) or {})
        super()._on_complete_hook(my_task)  # type: ignore[misc]

    def merge_child(self, workflow: Any, child: Any) -> None:
        my_task = child.parent
        if self.data_output is not None and self.output_item is not None:
            self._collect(my_task, child)
        else:
            local = self._locals()
            DeepMerge.merge(my_task.data, {k: v for k, v in child.data.items() if k not in local})
        my_task.internal_data["merged"].append(str(child.id))
        self._after_merge(my_task)  # type: ignore[attr-defined]

    def _collect(self, my_task: Any, child: Any) -> None:
        """The instance's output item into the output collection, at its input item's place (a list in the
        input's order, whatever order the instances end in; None where an instance set no output item)."""
        item = self.output_item.get(child) if self.output_item.exists(child) else None
        key = child.internal_data.get("key_or_index")
        output = self.data_output.get(my_task)
        in_place = self.data_input is not None and self.data_input.get(my_task) is output
        if key is not None and (isinstance(output, MutableMapping) or in_place):
            output[key] = item
        elif isinstance(key, int) and isinstance(output, list):
            output.extend([None] * (key + 1 - len(output)))
            output[key] = item
        else:
            output.append(item)

    def check_completion_condition(self, my_task: Any) -> Any:
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        instances = list(self._instances(my_task))  # type: ignore[attr-defined]
        last = next(c for c in instances if str(c.id) == merged[-1])
        counters = {"nrOfInstances": self._count(my_task, instances), "nrOfCompletedInstances": len(merged),
                    "nrOfActiveInstances": sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK)),
                    "loopCounter": instances.index(last)}
        return my_task.workflow.script_engine.evaluate(last, self.condition, external_context=counters)

    def _count(self, my_task: Any, instances: list[Any]) -> int:
        return len(instances)


class PathwaysSequentialMultiInstance(_Instances, SequentialMultiInstanceTask):  # type: ignore[misc]
    def _count(self, my_task: Any, instances: list[Any]) -> int:
        cardinality = my_task.internal_data.get("cardinality")
        return int(cardinality) if cardinality is not None else len(instances) + len(
            my_task.internal_data.get("remaining", []))

    def _after_merge(self, my_task: Any) -> None:
        if self.children_complete(my_task) or self.check_completion_condition(my_task):
            my_task._set_state(TaskState.READY)
        else:
            self.add_next_child(my_task)


class PathwaysParallelMultiInstance(_Instances, ParallelMultiInstanceTask):  # type: ignore[misc]
    def _after_merge(self, my_task: Any) -> None:
        if self.check_completion_condition(my_task):
            for child in self._instances(my_task):
                child.cancel()
            my_task._set_state(TaskState.READY)
        elif self.children_complete(my_task):
            my_task._set_state(TaskState.READY)

    def children_complete(self, my_task: Any) -> bool:
        return all(c.has_state(TaskState.FINISHED_MASK) for c in self._instances(my_task))


class MultiInstanceParserMixin:
    """Replaces the Camunda parser's `_add_multiinstance_task` (on every task parser)."""

    node: Any
    task: Any
    spec: Any

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        xpath = self.xpath  # type: ignore[attr-defined]
        cardinality = python(next(iter(n.text for n in xpath(f"./{_LOOP}/bpmn:loopCardinality")), None))
        collection = collection_name(loop_characteristics.get(f"{{{CAMUNDA_NS}}}collection"))
        loop_input = next(iter(n.text for n in xpath(f"./{_LOOP}/bpmn:loopDataInputRef")), None)
        element = loop_characteristics.get(f"{{{CAMUNDA_NS}}}elementVariable")
        input_item = xpath(f"./{_LOOP}/bpmn:inputDataItem")
        output_item = xpath(f"./{_LOOP}/bpmn:outputDataItem")
        loop_output = next(iter(n.text for n in xpath(f"./{_LOOP}/bpmn:loopDataOutputRef")), None)
        source = collection or (loop_input.strip() if loop_input else None)
        if cardinality is None and source is None:
            self.raise_validation_exception(  # type: ignore[attr-defined]
                "a multi-instance activity needs a loopCardinality or a collection")
        params = {
            "task_spec": "",
            "cardinality": None if source is not None else cardinality,
            "data_input": TaskDataReference(source) if source is not None else None,
            "data_output": TaskDataReference(loop_output.strip()) if loop_output else None,
            "input_item": TaskDataReference(element) if element else _item(input_item),
            "output_item": _item(output_item),
            "condition": python(next(iter(n.text for n in xpath(f"./{_LOOP}/bpmn:completionCondition")), None)),
        }
        original = self.spec.task_specs.pop(self.task.name)
        spec_class = PathwaysSequentialMultiInstance if loop_characteristics.get("isSequential") == "true" \
            else PathwaysParallelMultiInstance
        self.task = spec_class(self.spec, original.name, **params)
        self._copy_task_attrs(original, loop_characteristics)  # type: ignore[attr-defined]
