"""Item definitions and type references: whether a value conforms, and the standard's coercions.

A value that does not conform to its declared type becomes null (DMN 1.3 section 10.3.2.9.4), and the
caller records why. A singleton list where the type is not a collection is coerced to its element; a
single value where the type is a collection, to a one-item list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..feel.scope import Scope
from ..feel.values import Function, type_name
from .cells import test_values
from .model import ItemDefinition, Model

BUILTIN = {
    "string": "string", "number": "number", "boolean": "boolean", "date": "date", "time": "time",
    "dateTime": "date and time", "date and time": "date and time", "dayTimeDuration": "days and time duration",
    "days and time duration": "days and time duration", "yearMonthDuration": "years and months duration",
    "years and months duration": "years and months duration", "context": "context", "list": "list",
    "range": "range", "function": "function", "Any": "Any", "Null": "Null", "integer": "number", "int": "number",
    "long": "number", "double": "number", "decimal": "number", "float": "number", "duration": "duration",
}
FEEL_NAMESPACES = ("feel", "FEEL", "xsd", "xs")


def resolve(type_ref: str | None, model: Model) -> tuple[Any, Model]:
    """The built-in type name or ItemDefinition a typeRef names, and the model it lives in (None if unknown)."""
    if not type_ref:
        return None, model
    text = type_ref.strip()
    prefix, _, name = text.rpartition(":")
    if prefix and not prefix.startswith("list<"):
        space = model.prefixes.get(prefix)
        if prefix in FEEL_NAMESPACES or (space and ("XMLSchema" in space or "FEEL" in space)):
            return BUILTIN.get(name), model
        imported = model.imported(space) if space and space != model.namespace else None
        if imported is not None and imported.model is not None:
            return resolve(name, imported.model)
        text = name
    if text in model.item_definitions:
        return model.item_definitions[text], model
    if text in BUILTIN:
        return BUILTIN[text], model
    head, _, rest = text.partition(".")
    for item in model.imports:
        if item.name == head and rest and item.model is not None:
            return resolve(rest, item.model)
    return None, model


def _base(definition: ItemDefinition, model: Model) -> tuple[Any, Model]:
    return resolve(definition.type_ref, model) if definition.type_ref else (None, model)


def conforms(value: Any, kind: Any, model: Model, collection_checked: bool = False, allowed: bool = True) -> bool:
    """Whether a (non-null) value is of the type: a built-in name or an ItemDefinition.

    `allowed=False` leaves allowed values out, as FEEL's `instance of` does.
    """
    if value is None or kind is None or kind == "Any":
        return True
    if isinstance(kind, str):
        actual = type_name(value)
        if kind == "duration":
            return actual in ("days and time duration", "years and months duration")
        return actual == kind or (kind == "function" and isinstance(value, Function))
    definition: ItemDefinition = kind
    if definition.is_collection and not collection_checked:
        return isinstance(value, list) and all(conforms(item, definition, model, True, allowed) for item in value)
    if definition.function:
        return isinstance(value, Function)
    if definition.components:
        return _structure_conforms(value, definition, model, allowed)
    base, base_model = _base(definition, model)
    if not conforms(value, base, base_model, allowed=allowed):
        return False
    if allowed and definition.allowed is not None and definition.allowed.text.strip():
        return test_values(definition.allowed, value, Scope({}), model)
    return True


def _structure_conforms(value: Any, definition: ItemDefinition, model: Model, allowed: bool) -> bool:
    """A structured type: a context holding every component, each of its type."""
    if not isinstance(value, dict):
        return False
    return all(component.name in value and conforms(value[component.name], _component_kind(component, model), model,
                                                    allowed=allowed) for component in definition.components)


def _component_kind(component: ItemDefinition, model: Model) -> Any:
    if component.components or component.is_collection or component.allowed is not None or component.function:
        return component
    return resolve(component.type_ref, model)[0]


def is_collection(kind: Any, model: Model) -> bool:
    if kind == "list":
        return True
    if isinstance(kind, ItemDefinition):
        if kind.is_collection:
            return True
        if not kind.components and kind.type_ref:
            return is_collection(resolve(kind.type_ref, model)[0], model)
    return False


def coerce(value: Any, type_ref: str | None, model: Model) -> tuple[Any, str | None]:
    """The value as its declared type: (value, None), or (None, why) when it does not conform."""
    if value is None or not type_ref:
        return value, None
    kind, home = resolve(type_ref, model)
    if kind is None or kind == "Any":
        return value, None
    collection = is_collection(kind, home)
    if isinstance(value, list) and len(value) == 1 and not collection and kind != "Any":
        value = value[0]
    elif collection and not isinstance(value, list) and not isinstance(kind, str):
        value = [value]
    if conforms(value, kind, home):
        return value, None
    return None, f"a {type_name(value)} does not conform to type {type_ref}"


class ModelTypes(Mapping[str, Callable[[Any], bool]]):
    """The model's item definitions as FEEL sees them (`feel.TYPES`): a check per type name.

    `x instance of tPerson` leaves allowed values out, as the standard's `instance of` does. Only names
    the model defines (or imports) are here; FEEL's own types stay FEEL's.
    """

    def __init__(self, model: Model) -> None:
        self.model = model

    def _definition(self, name: object) -> tuple[ItemDefinition, Model] | None:
        if not isinstance(name, str):
            return None
        kind, home = resolve(name, self.model)
        return (kind, home) if isinstance(kind, ItemDefinition) else None

    def __contains__(self, name: object) -> bool:
        return self._definition(name) is not None

    def __getitem__(self, name: str) -> Callable[[Any], bool]:
        found = self._definition(name)
        if found is None:
            raise KeyError(name)
        kind, home = found
        return lambda value: value is not None and conforms(value, kind, home, allowed=False)

    def __iter__(self) -> Iterator[str]:
        return iter(self.model.item_definitions)

    def __len__(self) -> int:
        return len(self.model.item_definitions)
