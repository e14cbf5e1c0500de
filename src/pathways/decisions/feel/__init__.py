"""FEEL, the expression language of DMN 1.3, on a lark grammar of our own (docs/decisions.md).

    >>> evaluate("0.1 + 0.2 = 0.3", {}).value
    True
    >>> unary_test('"Fall", "Winter"', "Winter", {})
    True

Evaluation never raises: a FEEL error gives null and a warning in `Result.warnings`. Parsing raises
`FeelSyntaxError` with the line, column and what was expected, for lint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import limits
from .builtins import TYPES
from .evaluator import Scope
from .external_java import java_function
from .parser import Expression, FeelSyntaxError, parse
from .values import FeelError, Function, Range, YearsMonths, from_python, to_json, to_python, to_string


@dataclass
class Result:
    """A FEEL value and the warnings recorded on the way (each error that became null)."""

    value: Any
    warnings: list[str] = field(default_factory=list)


def _scope(variables: Mapping[str, Any], convert: bool) -> Scope:
    values = {key: from_python(value) for key, value in variables.items()} if convert else dict(variables)
    return Scope(values)


def evaluate(expression: str | Expression, variables: Mapping[str, Any] | None = None, *,
             convert: bool = True) -> Result:
    """Evaluate a FEEL expression; `variables` are Python/JSON values (or FEEL ones with convert=False)."""
    variables = variables or {}
    if isinstance(expression, str):
        expression = parse(expression, variables)
    scope = _scope(variables, convert)
    return Result(_bounded_run(expression, scope), scope.warnings)


def _bounded_run(expression: Expression, scope: Scope) -> Any:
    """Run within the evaluation's budget (`limits`): out of steps or time is null plus a warning."""
    with limits.bounded():
        try:
            return expression.run(scope)
        except limits.EvaluationLimit as stop:
            scope.warn(str(stop))
            return None


def parse_unary_tests(text: str, names: Any = ()) -> Expression:
    """Parse a decision table input entry: `-`, `"a","b"`, `[5..8]`, `>= 3`, `not(...)`, `? > 2`."""
    stripped = text.strip()
    if stripped in ("-", ""):
        return Expression(text, "unary tests", lambda scope: True)
    inner = _negated(stripped)
    if inner is not None:
        positive = parse_unary_tests(inner, names)

        def negated(scope: Scope) -> Any:
            outcome = positive.run(scope)
            return None if outcome is None else not outcome
        return Expression(text, "unary tests", negated, positive.free_names)
    return parse(stripped, names, kind="unary tests")


def _negated(text: str) -> str | None:
    """The inside of `not( ... )` when the whole entry is one negation."""
    if not text.startswith("not") or not text[3:].lstrip().startswith("("):
        return None
    body = text[3:].lstrip()
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(body):
        if in_string:
            escaped = char == "\\" and not escaped
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return body[1:index] if index == len(body) - 1 else None
    return None


def unary_test_result(tests: str | Expression, value: Any, variables: Mapping[str, Any] | None = None, *,
                      convert: bool = True) -> Result:
    """Whether `value` satisfies the unary tests, with the warnings; null when it cannot be told."""
    variables = variables or {}
    if isinstance(tests, str):
        tests = parse_unary_tests(tests, variables)
    scope = _scope(variables, convert)
    inner = scope.child({"?": from_python(value) if convert else value})
    return Result(_bounded_run(tests, inner), scope.warnings)


def unary_test(tests: str | Expression, value: Any, variables: Mapping[str, Any] | None = None) -> bool | None:
    """Whether `value` satisfies a decision table input entry (true, false, or null)."""
    outcome = unary_test_result(tests, value, variables).value
    return outcome if isinstance(outcome, bool) else None


__all__ = [
    "TYPES", "Expression", "FeelError", "FeelSyntaxError", "Function", "Range", "Result", "YearsMonths", "evaluate",
    "from_python", "java_function", "parse", "parse_unary_tests", "to_json", "to_python", "to_string", "unary_test",
    "unary_test_result",
]
