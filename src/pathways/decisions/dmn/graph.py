"""The decision requirements graph: required decisions first (depth first, each once), input data,
BKMs and decision services as FEEL functions, imported elements as `import.name`.

One `Run` is one evaluation: it remembers each decision's value, the rules that hit, the warnings,
and the first decision that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..feel import TYPES
from ..feel.scope import Scope
from ..feel.values import Function
from . import model as m
from .boxed import make_function, run
from .cells import Frame
from .errors import DecisionFailure
from .evaluation import Evaluation
from .types import ModelTypes, coerce

Key = tuple[int, str]


class Names(dict[str, Any]):
    """A decision's variables, where `Person.Name` also finds the entry `Name` of the variable `Person`.

    The parser reads a name with a dot as one name when the model declares it (a BKM parameter called
    `Person.Gender`); the decision that passes `Person.Gender` to it means the path into `Person`.
    """

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._path(key) is not _NONE

    def __getitem__(self, key: str) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        found = self._path(key)
        if found is _NONE:
            raise KeyError(key)
        return found

    def _path(self, key: object) -> Any:
        if not isinstance(key, str) or "." not in key:
            return _NONE
        head, _, rest = key.partition(".")
        value = dict.get(self, head, _NONE)
        for part in rest.split("."):
            if not isinstance(value, dict) or part not in value:
                return _NONE
            value = value[part]
        return value


_NONE: Any = object()


class Cycle(Exception):
    """Decisions that require each other: no order to evaluate them in."""


class Run:
    def __init__(self, root: m.Model, inputs: Mapping[str, Any], evaluation: Evaluation | None = None,
                 variables: Mapping[str, Any] | None = None) -> None:
        self.root = root
        self.inputs = inputs
        #: names every decision sees beneath its requirements (Camunda's process variables)
        self.variables = variables or {}
        #: with variables (case data) a decision is always evaluated: an old result of it in the case
        #: data must not stand in for it; without, an input named after a decision supplies it (the TCK)
        self.decisions_given = variables is None
        self.evaluation = evaluation or Evaluation()
        self.done: dict[Key, Any] = {}
        self.active: list[tuple[Key, str]] = []

    # -- finding elements -------------------------------------------------------------------------------
    def resolve(self, model: m.Model, ref: m.Ref) -> tuple[m.Model, m.Element]:
        target = model
        if ref.namespace:
            imported = model.imported(ref.namespace)
            if imported is None or imported.model is None:
                raise DecisionFailure(f"the model of namespace {ref.namespace!r} is not imported")
            target = imported.model
        element = target.elements().get(ref.id)
        if element is None:
            raise DecisionFailure(f"nothing has the id {ref.id!r}")
        return target, element

    def prefix(self, model: m.Model, target: m.Model) -> str:
        if target is model:
            return ""
        imported = model.imported(target.namespace)
        return imported.name if imported is not None else ""

    def name_of(self, model: m.Model, ref: m.Ref) -> str:
        """The name of a referenced element; its id when it cannot be found (the call will fail then)."""
        try:
            return self.resolve(model, ref)[1].name
        except DecisionFailure:
            return ref.id

    def supplied(self, model: m.Model, element: m.Element) -> tuple[bool, Any]:
        """An input given by name (or `import.name`, or nested under the import's name) for the element."""
        prefix = self.prefix(self.root, model) if model is not self.root else ""
        if prefix:
            if f"{prefix}.{element.name}" in self.inputs:
                return True, self.inputs[f"{prefix}.{element.name}"]
            if isinstance(self.inputs.get(prefix), Mapping) and element.name in self.inputs[prefix]:
                return True, self.inputs[prefix][element.name]
        for key in (element.name, element.id):
            if key in self.inputs:
                return True, self.inputs[key]
        return False, None

    # -- values -----------------------------------------------------------------------------------------
    def input_value(self, model: m.Model, element: m.InputData) -> Any:
        _, value = self.supplied(model, element)
        result, problem = coerce(value, element.type_ref, model)
        if problem:
            self.fail(element, f"{problem} (input data)")
        return result

    def decision_value(self, model: m.Model, decision: m.Decision) -> Any:
        key = (id(model), decision.id)
        if key in self.done:
            return self.done[key]
        given, value = self.supplied(model, decision) if self.decisions_given else (False, None)
        if not given:
            if any(active == key for active, _ in self.active):
                names = [name for active, name in self.active[[a for a, _ in self.active].index(key):]]
                raise Cycle(" -> ".join([*names, decision.name]))
            self.active.append((key, decision.name))
            try:
                value = self._evaluate(model, decision)
            finally:
                self.active.pop()
        self.done[key] = value
        prefix = self.prefix(self.root, model)
        self.evaluation.results[f"{prefix}.{decision.name}" if prefix else decision.name] = value
        return value

    def _evaluate(self, model: m.Model, decision: m.Decision) -> Any:
        scope = Scope({})
        try:
            scope = Scope(self.scope_of(model, decision))
            if decision.expression is None:
                scope.warn("the decision has no expression; its value is null")
            value = run(decision.expression, scope, Frame(model, decision.id, decision.name, self.evaluation.hits))
        except DecisionFailure as failure:
            self.fail(decision, str(failure))
            value = None
        finally:
            self.evaluation.warnings.extend(f"{decision.name}: {warning}" for warning in scope.warnings)
        result, problem = coerce(value, decision.type_ref, model)
        if problem:
            self.fail(decision, f"the result: {problem}")
        return result

    def fail(self, element: m.Element, message: str) -> None:
        if self.evaluation.error is None:
            self.evaluation.error = f"{element.name}: {message}"

    def scope_of(self, model: m.Model, element: m.Decision | m.Bkm) -> dict[str, Any]:
        """What the element's expression sees: its requirements by name, and the model's BKMs (over the
        run's `variables`, when the caller gave some), and the model's item definitions for `instance of`."""
        variables: dict[str, Any] = Names({**self.variables, TYPES: ModelTypes(model)})
        for bkm in model.bkms.values():
            variables[bkm.name] = self.bkm_function(model, bkm)
        for service in model.services.values():
            variables.setdefault(service.name, self.service_function(model, service))
        for ref in [*getattr(element, "information", []), *element.knowledge]:
            target, required = self.resolve(model, ref)
            if isinstance(required, m.Decision):
                value: Any = self.decision_value(target, required)
            elif isinstance(required, m.InputData):
                value = self.input_value(target, required)
            elif isinstance(required, m.Bkm):
                value = self.bkm_function(target, required)
            else:
                value = self.service_function(target, required)  # type: ignore[arg-type]
            prefix = self.prefix(model, target)
            if prefix:
                variables[f"{prefix}.{required.name}"] = value
                group = variables.setdefault(prefix, {})
                if isinstance(group, dict):
                    group[required.name] = value
            else:
                variables[required.name] = value
        return variables

    def bkm_function(self, model: m.Model, bkm: m.Bkm) -> Function:
        """A BKM as the FEEL function it encapsulates; its requirements are found when it is called."""
        logic = bkm.logic or m.FunctionDefinition([], None)
        names = [parameter.name for parameter in logic.parameters]

        def call(*args: Any) -> Any:
            scope = Scope(self.scope_of(model, bkm), warnings=[])
            try:
                frame = Frame(model, bkm.id, bkm.name, self.evaluation.hits)
                function = make_function(logic, scope, frame, bkm.name, strict=True)
                return function.call(*args)
            finally:
                self.evaluation.warnings.extend(f"{bkm.name}: {warning}" for warning in scope.warnings)
        return Function(bkm.name, names, call)

    def service_function(self, model: m.Model, service: m.DecisionService) -> Function:
        """A decision service as a function of its input data, then its input decisions."""
        parameters = [self.name_of(model, ref) for ref in [*service.input_data, *service.input_decisions]]

        def call(*args: Any) -> Any:
            if len(args) != len(parameters):
                raise DecisionFailure(f"{service.name} takes {len(parameters)} arguments, not {len(args)}")
            inner = Run(model, dict(zip(parameters, args, strict=False)), Evaluation(hits=self.evaluation.hits))
            value = inner.service_value(model, service)
            self.evaluation.warnings.extend(inner.evaluation.warnings)
            if inner.evaluation.error:
                raise DecisionFailure(f"decision service {service.name}: {inner.evaluation.error}")
            return value
        return Function(service.name, parameters, call)

    def service_value(self, model: m.Model, service: m.DecisionService) -> Any:
        for ref in service.input_decisions:
            target, decision = self.resolve(model, ref)
            present, given = self.supplied(target, decision)
            if not present:
                self.evaluation.warnings.append(f"{service.name}: input decision {decision.name} not given; it is null")
            value, problem = coerce(given, decision.type_ref, target)
            if problem:
                raise DecisionFailure(f"input decision {decision.name}: {problem}")
            self.done[(id(target), decision.id)] = value
        outputs = {}
        for ref in service.outputs:
            target, decision = self.resolve(model, ref)
            if not isinstance(decision, m.Decision):
                raise DecisionFailure(f"output {ref.id!r} of {service.name} is not a decision")
            outputs[decision.name] = self.decision_value(target, decision)
        value = next(iter(outputs.values())) if len(outputs) == 1 else outputs
        result, problem = coerce(value, service.type_ref, model)
        if problem:
            self.fail(service, f"the result: {problem}")
        return result
