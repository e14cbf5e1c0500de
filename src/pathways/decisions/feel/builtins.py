"""The DMN 1.3 built-in function library, assembled from its parts, and `instance of`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import library_conversion, library_lists, library_numbers, library_temporal, library_text
from .registry import BUILTINS, call_function
from .values import FeelError, Function, type_name

LIBRARY = (library_conversion, library_lists, library_numbers, library_temporal, library_text)

_ALIASES = {"Any": None, "Null": "Null", "days and time duration": "days and time duration",
            "dayTimeDuration": "days and time duration", "yearMonthDuration": "years and months duration",
            "dateTime": "date and time"}


_ABSENT = object()

TYPES = "?types"
"""The variable (a name no FEEL text can spell) under which a DMN model puts its item definitions for
`instance of`: a mapping from type name to a check of a value (`x instance of tPerson`)."""

TypeChecks = Mapping[str, Callable[[Any], bool]]


def instance_of(value: Any, type_text: str, types: TypeChecks | None = None) -> bool:
    """`x instance of T` for the built-in types, `list<T>`, `context<k: T>`, `range<T>`, `function`,
    and the model's own types (`types`, by name: the item definitions of the DMN model in scope)."""
    wanted = type_text.strip()
    if types and wanted in types:
        return bool(types[wanted](value))
    if wanted == "Any":
        return value is not None
    if value is None:
        return wanted == "Null"
    if wanted.startswith("list<") and wanted.endswith(">"):
        inner = wanted[5:-1]
        return isinstance(value, list) and all(item is None or instance_of(item, inner, types) for item in value)
    if wanted.startswith("range<") and wanted.endswith(">"):
        from .values import Range

        inner = wanted[6:-1]
        return isinstance(value, Range) and all(
            end is None or instance_of(end, inner, types) for end in (value.start, value.end))
    if wanted.startswith("context<") and wanted.endswith(">"):
        if not isinstance(value, dict):
            return False
        for part in wanted[8:-1].split(","):
            key, _, kind = part.partition(":")
            entry = value.get(key.strip(), _ABSENT)
            if entry is _ABSENT or (entry is not None and not instance_of(entry, kind.strip(), types)):
                return False
        return True
    if wanted.startswith("function"):
        return isinstance(value, Function)
    return type_name(value) == _ALIASES.get(wanted, wanted)


SIMPLE_TYPES = frozenset({
    "boolean", "number", "string", "date", "time", "date and time", "days and time duration",
    "years and months duration", "list", "context", "range", "function", *_ALIASES})


def known_type(type_text: str, types: TypeChecks | None = None) -> bool:
    """Whether `instance of` can tell this type: a built-in one, or one of the model's (others are not
    checked: a function's parameter typed `tPerson` outside any model takes any value)."""
    wanted = type_text.strip()
    if (types and wanted in types) or wanted in SIMPLE_TYPES or wanted.startswith("function"):
        return True
    for prefix in ("list<", "range<"):
        if wanted.startswith(prefix) and wanted.endswith(">"):
            return known_type(wanted[len(prefix):-1], types)
    if wanted.startswith("context<") and wanted.endswith(">"):
        return all(known_type(part.partition(":")[2], types) for part in wanted[8:-1].split(","))
    return False


def conform(value: Any, type_text: str, types: TypeChecks | None = None) -> Any:
    """A value as a parameter of that type takes it: null and conforming values unchanged, a value
    where a list of it is wanted as a singleton list and a singleton list as its item (the standard's
    implicit conversions); a FEEL error when it does not conform."""
    if value is None or not known_type(type_text, types) or instance_of(value, type_text, types):
        return value
    wanted = type_text.strip()
    if wanted.startswith("list<") and instance_of(value, wanted[5:-1], types):
        return [value]
    if isinstance(value, list) and len(value) == 1 and instance_of(value[0], wanted, types):
        return value[0]
    raise FeelError(f"a {type_name(value)} does not conform to the parameter type {wanted}")


__all__ = ["BUILTINS", "LIBRARY", "TYPES", "TypeChecks", "call_function", "conform", "instance_of", "known_type"]
