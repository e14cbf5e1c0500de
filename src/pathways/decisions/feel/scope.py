"""The names a FEEL expression sees while it runs, and how an error becomes null plus a warning."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import operators
from .builtins import BUILTINS
from .errors import FeelError

Compiled = Callable[["Scope"], Any]
#: the warnings one evaluation keeps, and the characters of each
MAX_WARNINGS = 1_000
MAX_WARNING = 500


class Scope:
    """Names in scope (a chain of dicts), the unary test's input `?`, and the warnings so far."""

    __slots__ = ("variables", "parent", "warnings")

    def __init__(self, variables: Mapping[str, Any], parent: Scope | None = None,
                 warnings: list[str] | None = None) -> None:
        self.variables = variables
        self.parent = parent
        self.warnings: list[str] = warnings if warnings is not None else (parent.warnings if parent else [])

    def child(self, variables: Mapping[str, Any]) -> Scope:
        return Scope(variables, self, self.warnings)

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.variables:
                return scope.variables[name]
            scope = scope.parent
        if name in BUILTINS:
            return BUILTINS[name]
        raise KeyError(name)

    def warn(self, message: str) -> None:
        """Keep a warning; at most MAX_WARNINGS of MAX_WARNING characters each, as warnings may quote
        values and a loop could otherwise fill the memory with them."""
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message if len(message) <= MAX_WARNING else message[:MAX_WARNING] + "…")
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("further warnings were left out")


def guarded(function: Compiled) -> Compiled:
    """Run a node; a FEEL error, or a slip of Python arithmetic inside a built-in, becomes null."""

    def run(scope: Scope) -> Any:
        try:
            return operators.check_number(function(scope))
        except FeelError as error:
            scope.warn(str(error))
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
            scope.warn(f"{type(error).__name__}: {error}")
        return None
    return run
