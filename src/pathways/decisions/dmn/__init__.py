"""The DMN 1.3 model: reading files (1.1 to 1.5), evaluating decisions, tables, BKMs and decision services.

`evaluate` never raises for anything a model or its inputs can do: the failure is `Evaluation.error`
(a message without case values), FEEL errors are null plus `Evaluation.warnings`.

The modules, in the order a file goes through them:
- `xmlutil`, `reader`, `boxed_reader`: XML to `model` (plain dataclasses, lines kept for messages);
- `cells`: one FEEL text parsed once and kept on the model; `Frame`, what an expression runs in;
- `boxed`, `tables`: boxed expressions and decision tables (every hit policy);
- `types`: item definitions, conformance and coercion, and the model's types for FEEL's `instance of`;
- `graph`: the decision requirements graph, BKMs and decision services as FEEL functions, imports;
- `evaluation`, `errors`: what a caller gets back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..feel import from_python, limits
from ..feel.values import FeelError
from .errors import DecisionFailure, DmnError
from .evaluation import Evaluation, Hit
from .graph import Cycle, Run
from .model import Bkm, Decision, DecisionService, DecisionTable, Model
from .reader import read_model, read_root


def _feel_inputs(inputs: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    values = {}
    for key, value in inputs.items():
        try:
            values[str(key)] = from_python(value)
        except FeelError as error:
            warnings.append(f"input {key}: {error}; it is null")
            values[str(key)] = None
    return values


def evaluate(model: Model, ref: str, inputs: Mapping[str, Any] | None = None, *,
             variables: bool = False) -> Evaluation:
    """Evaluate a decision or decision service (by id or name) with inputs by input data name.

    `variables=True`: every input is also a variable each decision sees, required or not, as
    Camunda shows a business rule task the process variables (the engine passes the case data so).
    Then every decision is evaluated: a value in the inputs named after a decision (an earlier result
    kept in the case data) does not stand in for it, as it does without `variables`.
    """
    evaluation = Evaluation()
    try:
        element = model.find(ref)
    except DmnError as error:
        evaluation.error = error.message
        return evaluation
    values = _feel_inputs(inputs or {}, evaluation.warnings)
    run = Run(model, values, evaluation, values if variables else None)
    try:
        with limits.bounded():  # one budget of steps and time for the decision and all it requires
            value = _value(run, model, element)
    except limits.EvaluationLimit as stop:
        evaluation.error = str(stop)
        value = None
    except Cycle as cycle:
        evaluation.error = f"the decisions require each other in a cycle: {cycle}"
        value = None
    except DecisionFailure as failure:
        run.fail(element, str(failure))
        value = None
    except FeelError as error:  # its text may hold input values: a warning, and an error without them
        evaluation.warnings.append(f"{element.name}: {error}")
        run.fail(element, "a FEEL error (see the warnings)")
        value = None
    except RecursionError:
        evaluation.error = "the decision requirements are nested too deeply"
        value = None
    except Exception as error:  # noqa: BLE001 - evaluation must never raise; the type says what broke
        evaluation.error = f"internal error while evaluating ({type(error).__name__})"
        value = None
    evaluation.value = None if evaluation.error else value
    return evaluation


def _value(run: Run, model: Model, element: Any) -> Any:
    if isinstance(element, Decision):
        return run.decision_value(model, element)
    if isinstance(element, DecisionService):
        return run.service_value(model, element)
    return _call_bkm(run, model, element)


def _call_bkm(run: Run, model: Model, bkm: Bkm) -> Any:
    """A BKM evaluated directly: its parameters are taken from the inputs by name."""
    function = run.bkm_function(model, bkm)
    return function.call(*[run.inputs.get(name) for name in function.parameters])


__all__ = ["Decision", "DecisionService", "DecisionTable", "DmnError", "Evaluation", "Hit", "Model", "evaluate",
           "read_model", "read_root"]
