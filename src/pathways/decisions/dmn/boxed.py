"""Evaluating boxed expressions: literal, context, list, relation, invocation, function definition,
decision table, and DMN 1.5's conditional, for/some/every and filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..feel.registry import call_function
from ..feel.scope import Scope
from ..feel.values import FeelError, Function
from . import model as m
from .cells import Frame, run_text
from .errors import DecisionFailure
from .tables import evaluate_table
from .types import coerce


def run(expression: Any, scope: Scope, frame: Frame) -> Any:
    """The value of a boxed expression (null for none); a decision failure propagates."""
    if expression is None:
        return None
    runner = RUNNERS.get(type(expression))
    if runner is None:
        raise DecisionFailure(f"{type(expression).__name__} cannot be evaluated")
    return runner(expression, scope, frame)


def typed(value: Any, type_ref: str | None, scope: Scope, frame: Frame, what: str) -> Any:
    """The value coerced to a declared type; null and a warning when it does not conform."""
    result, problem = coerce(value, type_ref, frame.model)
    if problem:
        scope.warn(f"{what}: {problem}")
    return result


def _literal(expression: m.Literal, scope: Scope, frame: Frame) -> Any:
    return typed(run_text(expression, scope, frame.model), expression.type_ref, scope, frame, "literal expression")


def _context(expression: m.Context, scope: Scope, frame: Frame) -> Any:
    values: dict[str, Any] = {}
    inner = scope.child(values)
    for entry in expression.entries:
        value = run(entry.expression, inner, frame)
        if entry.name is None:
            return typed(value, expression.type_ref, scope, frame, "context result")
        values[entry.name] = typed(value, entry.type_ref, scope, frame, f"context entry {entry.name!r}")
    return typed(dict(values), expression.type_ref, scope, frame, "context")


def _list(expression: m.ListExpression, scope: Scope, frame: Frame) -> Any:
    return [run(item, scope, frame) for item in expression.items]


def _relation(expression: m.Relation, scope: Scope, frame: Frame) -> Any:
    rows = []
    for number, row in enumerate(expression.rows, start=1):
        if len(row) != len(expression.columns):
            raise DecisionFailure(f"relation row {number} has {len(row)} cells for {len(expression.columns)} columns")
        rows.append({column: run(cell, scope, frame) for column, cell in zip(expression.columns, row, strict=True)})
    return rows


def _invocation(expression: m.Invocation, scope: Scope, frame: Frame) -> Any:
    function = run(expression.callee, scope, frame)
    if not isinstance(function, Function):
        name = expression.callee.text.strip() if isinstance(expression.callee, m.Literal) else "the callee"
        raise DecisionFailure(f"invocation: {name} is not a function in scope")
    arguments = {name: run(binding, scope, frame) for name, binding in expression.bindings}
    unknown = set(arguments) - set(function.parameters)
    if unknown:
        raise DecisionFailure(f"invocation of {function.name}: no parameter {', '.join(sorted(unknown))}")
    try:
        return call_function(function, arguments, scope.warn)
    except DecisionFailure:
        raise
    except FeelError as error:  # a FEEL error of the invocation (argument types, arity): null, as in FEEL
        scope.warn(f"invocation of {function.name}: {error}")
        return None


def make_function(definition: m.FunctionDefinition, scope: Scope, frame: Frame, name: str = "function",
                  strict: bool = False) -> Function:
    """A FEEL Function value for a function definition (or a BKM's logic), closing over `scope`.

    An argument that does not conform to its parameter's type makes the invocation fail (null), as
    the TCK expects ("the BKM is never invoked"); `strict` also refuses a wrong number of arguments.
    """
    names = [parameter.name for parameter in definition.parameters]
    if definition.kind.upper() != "FEEL":
        def external(*args: Any) -> Any:
            scope.warn(f"{name}: {definition.kind} functions are not supported; the result is null")
            return None
        return Function(name, names, external)

    def call(*args: Any) -> Any:
        if strict and len(args) != len(names):
            raise FeelError(f"{name} takes {len(names)} arguments, not {len(args)}")
        values = [*args, *[None] * (len(names) - len(args))]
        bound = {}
        for parameter, value in zip(definition.parameters, values, strict=False):
            bound[parameter.name], problem = coerce(value, parameter.type_ref, frame.model)
            if problem:
                raise FeelError(f"{name}: parameter {parameter.name!r}: {problem}")
        try:
            result = run(definition.body, scope.child(bound), frame)
        except DecisionFailure as failure:
            scope.warn(f"{name}: {failure}")
            return None
        return typed(result, definition.type_ref, scope, frame, f"{name} result")
    return Function(name, names, call)


def _function(expression: m.FunctionDefinition, scope: Scope, frame: Frame) -> Any:
    return make_function(expression, scope, frame)


def _conditional(expression: m.Conditional, scope: Scope, frame: Frame) -> Any:
    condition = run(expression.condition, scope, frame)
    if condition is not None and not isinstance(condition, bool):
        scope.warn("conditional: the condition is not a boolean; the result is null")
        return None
    return run(expression.then if condition is True else expression.otherwise, scope, frame)


def _booleans(outcomes: list[Any], scope: Scope, what: str) -> bool:
    """Whether every outcome is true, false or null; a warning when one is not."""
    if all(outcome is None or isinstance(outcome, bool) for outcome in outcomes):
        return True
    scope.warn(f"{what}: an outcome is not a boolean; the result is null")
    return False


def _items(source: Any) -> list[Any] | None:
    if source is None:
        return None
    return source if isinstance(source, list) else [source]


def _iterator(expression: m.Iterator, scope: Scope, frame: Frame) -> Any:
    items = _items(run(expression.source, scope, frame))
    if items is None:
        return None
    outcomes = [run(expression.body, scope.child({expression.variable: item}), frame) for item in items]
    if expression.kind == "for":
        return outcomes
    if not _booleans(outcomes, scope, expression.kind):
        return None
    if expression.kind == "some":
        return True if any(o is True for o in outcomes) else (False if all(o is False for o in outcomes) else None)
    return True if all(o is True for o in outcomes) else (False if any(o is False for o in outcomes) else None)


def _filter(expression: m.Filter, scope: Scope, frame: Frame) -> Any:
    items = _items(run(expression.source, scope, frame))
    if items is None:
        return None
    outcomes = []
    for item in items:
        variables = {**item, "item": item} if isinstance(item, dict) else {"item": item}
        outcomes.append(run(expression.match, scope.child(variables), frame))
    if not _booleans(outcomes, scope, "filter"):
        return None
    return [item for item, outcome in zip(items, outcomes, strict=True) if outcome is True]


RUNNERS: dict[type, Callable[[Any, Scope, Frame], Any]] = {
    m.Literal: _literal, m.Context: _context, m.ListExpression: _list, m.Relation: _relation,
    m.Invocation: _invocation, m.FunctionDefinition: _function, m.DecisionTable: evaluate_table,
    m.Conditional: _conditional, m.Iterator: _iterator, m.Filter: _filter,
}
