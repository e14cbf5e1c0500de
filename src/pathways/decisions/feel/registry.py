"""The table of built-in functions, and calling any FEEL function by position or by name."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .limits import check_size, spend
from .values import FeelError, Function, type_name

BUILTINS: dict[str, Function] = {}


class OtherOverload(FeelError):
    """Raised by an overload that does not take these positional arguments: the next one of that arity
    is tried (`context put(c, ["a", "b"], v)` is the `keys` form, found by position only)."""

F = TypeVar("F", bound=Callable[..., Any])


def builtin(name: str, *parameters: str, variadic: bool = False) -> Callable[[F], F]:
    """Register a built-in: parameters ending in `?` are optional (named calls may leave them out)."""

    def register(function: F) -> F:
        names = [p.rstrip("?") for p in parameters]
        existing = BUILTINS.get(name)
        entry = Function(name, names, function, variadic=variadic)
        entry.defaults = {"required": sum(1 for p in parameters if not p.endswith("?"))}
        if existing is not None:
            # overloads by arity (`substring(s, start)` / `substring(s, start, length)` share one)
            overloads = existing.defaults.setdefault("overloads", [existing])
            overloads.append(entry)
            return function
        BUILTINS[name] = entry
        return function
    return register


def _bind_named(function: Function, arguments: Mapping[str, Any]) -> list[Any]:
    candidates = function.defaults.get("overloads", [function])
    for candidate in candidates:
        names = candidate.parameters
        if set(arguments) <= set(names) and all(n in arguments for n in names[:candidate.defaults.get("required", 0)]):
            values = [arguments.get(n) for n in names]
            while values and names[len(values) - 1] not in arguments:
                values.pop()
            return [candidate, *values]
    # a required parameter left out of a named call is null (`is(value1: x)` compares x with null)
    fitting = [c for c in candidates if set(arguments) <= set(c.parameters)]
    if fitting:
        chosen = min(fitting, key=lambda c: len(c.parameters))
        given = max((chosen.parameters.index(name) + 1 for name in arguments), default=0)
        count = max(chosen.defaults.get("required", 0), given)  # optional ones after the last given keep defaults
        return [chosen, *(arguments.get(name) for name in chosen.parameters[:count])]
    raise FeelError(f"{function.name} has no parameters named {', '.join(arguments)}")


def call_function(function: Function, arguments: list[Any] | Mapping[str, Any],
                  warn: Callable[[str], None] | None = None) -> Any:
    """Call a FEEL function; a wrong number or name of arguments is a FEEL error (null). Each call
    is a step of the evaluation's budget, and a too long string or list it makes is null (`limits`)."""
    spend()
    return check_size(_call(function, arguments, warn))


def _call(function: Function, arguments: list[Any] | Mapping[str, Any],
          warn: Callable[[str], None] | None = None) -> Any:
    if isinstance(arguments, Mapping):
        if not function.parameters and function.variadic:
            raise FeelError(f"{function.name} takes no named arguments")
        if "overloads" in function.defaults or "required" in function.defaults:
            chosen, *values = _bind_named(function, arguments)
            return chosen.call(*values)
        unknown = set(arguments) - set(function.parameters)
        if unknown:
            raise FeelError(f"{function.name} has no parameter {', '.join(sorted(unknown))}")
        return function.call(*[arguments.get(name) for name in function.parameters])
    if "required" not in function.defaults:  # a function written in FEEL, or a Python callable
        if not function.variadic and len(arguments) > len(function.parameters):
            raise FeelError(f"{function.name} takes {len(function.parameters)} arguments, not {len(arguments)}")
        return function.call(*arguments)
    refusal: OtherOverload | None = None
    for candidate in function.defaults.get("overloads", [function]):
        required = candidate.defaults.get("required", 0)
        if candidate.variadic or required <= len(arguments) <= len(candidate.parameters):
            try:
                return candidate.call(*arguments)
            except OtherOverload as error:
                refusal = error
    if refusal is not None:
        raise refusal
    raise FeelError(f"{function.name} does not take {len(arguments)} arguments")


def need(value: Any, kind: str, what: str) -> Any:
    """The argument if it has the FEEL type, else a FEEL error naming the parameter."""
    if type_name(value) != kind:
        raise FeelError(f"{what} must be a {kind}, not {type_name(value)}")
    return value


def need_int(value: Any, what: str) -> int:
    """A whole number from a number argument, its fraction dropped (`substring(s, 3, 3.8)` takes 3)."""
    need(value, "number", what)
    return int(value.to_integral_value(rounding=decimal.ROUND_DOWN))


MISSING: Any = object()
"""The default of an optional parameter: told apart from an explicit null (`ceiling(1.5, null)` is null)."""


def need_list(value: Any, what: str = "list") -> list[Any]:
    if value is None:
        raise FeelError(f"{what} must be a list, not null")
    return value if isinstance(value, list) else [value]


def spread(values: tuple[Any, ...]) -> list[Any]:
    """`min([1, 2])` and `min(1, 2)` alike: one list argument, or the arguments themselves."""
    if not values:
        raise FeelError("expected a list or at least one argument")
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return list(values)


Number = decimal.Decimal
