"""The decision requirements graph: required decisions first (depth first, each once), input data,
BKMs and decision services as FEEL functions, imported elements as `import.name`.

One `Run` is one evaluation: it remembers each decision's value, the rules that hit, the warnings,
and the first decision that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..feel.scope import Scope
from ..feel.values import Function
from . import model as m
from .boxed import make_function, run
from .cells import Frame
from .errors import DecisionFailure
from .evaluation import Evaluation
from .types import coerce

Key = tuple[int, str]


class Cycle(Exception):
    """Decisions that require each other: no order to evaluate them in."""


class Run:
    def __init__(self, root: m.Model, inputs: Mapping[str, Any], evaluation: Evaluation | None = None,
                 variables: Mapping[str, Any] | None = None) -> None:
        self.root = root
        self.inputs = inputs
        #: names every decision sees beneath its requirements (Camunda's process variables)
        self.variables = variables or {}
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

    def supplied(self, model: m.Model, element: m.Element) -> tuple[bool, Any]:
        """An input given by name (or `import.name`, or nested under the import's name) for the element."""
        prefix = self.prefix(self.root, model) if model is not self.root else ""
        for key in ((element.name, element.id) if not prefix else (f"{prefix}.{element.name}",)):
            if key in self.inputs:
                return True, self.inputs[key]
        if prefix and isinstance(self.inputs.get(prefix), Mapping) and element.name in self.inputs[prefix]:
            return True, self.inputs[prefix][element.name]
        return False, None

    # -- values -----------------------------------------------------------------------------------------
    def input_value(self, model: m.Model, element: m.InputData) -> Any:
        _, value = self.supplied(model, element)
        result, problem = coerce(value, element.type_ref, model)
        if problem:
            self.evaluation.warnings.append(f"input {element.name}: {problem}; it is null")
        return result

    def decision_value(self, model: m.Model, decision: m.Decision) -> Any:
        key = (id(model), decision.id)
        if key in self.done:
            return self.done[key]
        given, value = self.supplied(model, decision)
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
        self.evaluation.results[decision.name] = value
        return value

    def _evaluate(self, model: m.Model, decision: m.Decision) -> Any:
        scope = Scope({})
        try:
            scope = Scope(self.scope_of(model, decision))
            value = run(decision.expression, scope, Frame(model, decision.id, decision.name, self.evaluation.hits))
        except DecisionFailure as failure:
            self.fail(decision, str(failure))
            value = None
        finally:
            self.evaluation.warnings.extend(f"{decision.name}: {warning}" for warning in scope.warnings)
        result, problem = coerce(value, decision.type_ref, model)
        if problem:
            self.evaluation.warnings.append(f"{decision.name}: {problem}; the result is null")
        return result

    def fail(self, element: m.Element, message: str) -> None:
        if self.evaluation.error is None:
            self.evaluation.error = f"{element.name}: {message}"

    def scope_of(self, model: m.Model, element: m.Decision | m.Bkm) -> dict[str, Any]:
        """What the element's expression sees: its requirements by name, and the model's BKMs (over the
        run's `variables`, when the caller gave some)."""
        variables: dict[str, Any] = dict(self.variables)
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
                function = make_function(logic, scope, Frame(model, bkm.id, bkm.name, self.evaluation.hits), bkm.name)
                return function.call(*args)
            finally:
                self.evaluation.warnings.extend(f"{bkm.name}: {warning}" for warning in scope.warnings)
        return Function(bkm.name, names, call)

    def service_function(self, model: m.Model, service: m.DecisionService) -> Function:
        """A decision service as a function of its input decisions, then its input data."""
        parameters = [self.resolve(model, ref)[1].name for ref in [*service.input_decisions, *service.input_data]]

        def call(*args: Any) -> Any:
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
            _, given = self.supplied(target, decision)
            value, problem = coerce(given, decision.type_ref, target)
            if problem:
                self.evaluation.warnings.append(f"{service.name}: input decision {decision.name}: {problem}")
            self.done[(id(target), decision.id)] = value
        outputs = {}
        for ref in service.outputs:
            target, decision = self.resolve(model, ref)
            if not isinstance(decision, m.Decision):
                raise DecisionFailure(f"output {ref.id!r} of {service.name} is not a decision")
            outputs[decision.name] = self.decision_value(target, decision)
        if len(outputs) == 1:
            return next(iter(outputs.values()))
        return outputs
