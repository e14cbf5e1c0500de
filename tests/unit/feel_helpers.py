"""Shared helpers of the FEEL unit tests: evaluate a text and compare the Python value."""

from __future__ import annotations

from typing import Any

from pathways.decisions.feel import evaluate, to_python, to_string


def value(text: str, variables: dict[str, Any] | None = None) -> Any:
    return to_python(evaluate(text, variables or {}).value)


def text(expression: str, variables: dict[str, Any] | None = None) -> str:
    return to_string(evaluate(expression, variables or {}).value)
