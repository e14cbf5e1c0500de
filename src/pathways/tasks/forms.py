"""Task forms: the JSON description a client renders, and the schema that checks what it sends.

A user task's form comes from the BPMN (`camunda:formData`, read by SpiffWorkflow into
`task_spec.form`). `build_form` turns it into a `Form`: typed field specs (type, label, required,
read-only, options, ranges, lengths, sensitive, help, default) plus a marshmallow schema generated
for exactly those fields. `form_for` caches it per (pathway version, element), since a deployed
version never changes.

Validation is strict, because the values drive gateways and land in funders' reports: unknown
fields are refused, numbers must be numbers, enums one of their ids, dates real `YYYY-MM-DD` dates.
Text a browser form posts is accepted too ("12", "2,5", "true"), and an empty string counts as no
value. Errors are `InvalidData` with `fields={field_id: message}`, one short English message each.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import marshmallow as ma
from SpiffWorkflow.bpmn.specs.defaults import StartEvent

from pathways.base.values import text_problem
from pathways.engine.built import Definition
from pathways.engine.errors import InvalidData
from pathways.tasks.bounds import MAX_FORM_TEXT

TYPES = ("string", "long", "decimal", "boolean", "date", "enum")
CACHE_SIZE = 1024
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One form field as the BPMN declares it (constraints already parsed to Python values)."""

    id: str
    type: str
    label: str
    required: bool = False
    readonly: bool = False
    options: tuple[Option, ...] = ()
    min: Any = None  # int | float for numbers, ISO date text for dates
    max: Any = None
    minlength: int | None = None
    maxlength: int | None = None
    sensitive: bool = False
    help: str | None = None
    default: Any = None


@dataclass(frozen=True)
class Form:
    fields: tuple[FieldSpec, ...]
    schema: FormSchema = field(repr=False)

    @property
    def ids(self) -> list[str]:
        return [f.id for f in self.fields]

    def describe(self, values: Mapping[str, Any] | None = None, hidden: set[str] | frozenset[str] = frozenset(),
                 ) -> list[dict[str, Any]]:
        """The fields in order, as a client renders them; hidden (sensitive) values are left out."""
        return [_describe_field(f, values or {}, f.id in hidden) for f in self.fields]

    def validate(self, data: Any) -> dict[str, Any]:
        """The submitted values, checked and converted; `InvalidData` with per-field messages otherwise."""
        if not isinstance(data, Mapping):
            raise InvalidData("the form data must be a JSON object", fields={"data": "must be an object"})
        try:
            loaded: dict[str, Any] = self.schema.load(dict(data))
        except ma.ValidationError as exc:
            raise InvalidData("the form data is not valid", fields=self._messages(exc.messages)) from None
        return loaded

    def _messages(self, messages: Any) -> dict[str, str]:
        known = set(self.ids)
        found: dict[str, str] = {}
        items = messages.items() if isinstance(messages, Mapping) else [("data", messages)]
        for key, value in items:
            text = value[0] if isinstance(value, list) and value else value
            found[str(key)] = str(text) if key in known else "unknown field"
        return found


def _describe_field(f: FieldSpec, values: Mapping[str, Any], hidden: bool) -> dict[str, Any]:
    return {
        "id": f.id, "type": f.type, "label": f.label, "required": f.required, "readonly": f.readonly,
        "options": [{"id": o.id, "label": o.label} for o in f.options],
        "min": f.min, "max": f.max, "minlength": f.minlength, "maxlength": f.maxlength,
        "sensitive": f.sensitive, "help": f.help,
        "redacted": hidden,
        "default": None if hidden else f.default,
        "value": None if hidden else values.get(f.id),
    }


# -- reading the BPMN form ----------------------------------------------------------------------
def read_fields(task_spec: Any) -> tuple[FieldSpec, ...]:
    """The form fields of a task spec (none for tasks without a form)."""
    form = getattr(task_spec, "form", None)
    return tuple(_read_field(f) for f in (getattr(form, "fields", None) or ()))


def _read_field(raw: Any) -> FieldSpec:
    kind = str(raw.type or "string")
    constraints = {str(v.name).lower(): v.config for v in (raw.validation or ())}
    number = _date_or_none if kind == "date" else _number_or_none
    help_text = raw.get_property("help")
    return FieldSpec(
        id=str(raw.id), type=kind, label=str(raw.label or raw.id),
        required="required" in constraints,
        readonly="readonly" in constraints and str(constraints["readonly"] or "true").lower() != "false",
        options=tuple(Option(str(o.id), str(o.name or o.id)) for o in getattr(raw, "options", ()) or ()),
        min=number(constraints.get("min")), max=number(constraints.get("max")),
        minlength=_int_or_none(constraints.get("minlength")), maxlength=_int_or_none(constraints.get("maxlength")),
        sensitive=str(raw.get_property("sensitive") or "").strip().lower() == "true",
        help=str(help_text) if help_text else None,
        default=_default(kind, raw.default_value),
    )


def _int_or_none(text: Any) -> int | None:
    return int(text) if text is not None and _INTEGER.fullmatch(str(text).strip()) else None


def _number_or_none(text: Any) -> int | float | None:
    if text is None:
        return None
    value = str(text).strip()
    if _INTEGER.fullmatch(value):
        return int(value)
    if _DECIMAL.fullmatch(value):
        return float(value.replace(",", "."))
    return None


def _date_or_none(text: Any) -> str | None:
    try:
        return _parse_date(str(text).strip()).isoformat() if text is not None else None
    except ValueError:
        return None


def _default(kind: str, text: Any) -> Any:
    """A field's `defaultValue` as a value of its type (None when empty or not of the type)."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return _CONVERT[kind](text) if kind in _CONVERT else str(text)
    except ma.ValidationError:
        return None


# -- value conversion (shared by defaults and submissions) ---------------------------------------
def _to_long(value: Any) -> int:
    if isinstance(value, bool):
        raise ma.ValidationError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise ma.ValidationError("must be a whole number")


def _to_decimal(value: Any) -> float:
    if isinstance(value, bool):
        raise ma.ValidationError("must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = float(value.strip().replace(",", "."))
    else:
        raise ma.ValidationError("must be a number")
    if not math.isfinite(number):
        raise ma.ValidationError("must be a finite number")
    return number


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ma.ValidationError("must be true or false")


def _parse_date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _to_date(value: Any) -> str:
    try:
        if isinstance(value, str):
            return _parse_date(value.strip()).isoformat()
    except ValueError:
        pass
    raise ma.ValidationError("must be a date as YYYY-MM-DD")


def _to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ma.ValidationError("must be text")
    bad = text_problem(value)
    if bad:
        raise ma.ValidationError(bad)
    return value


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "long": _to_long, "decimal": _to_decimal, "boolean": _to_boolean, "date": _to_date, "string": _to_string,
}


# -- the generated schema ------------------------------------------------------------------------
class FormValue(ma.fields.Field[Any]):
    """One form field: converts with the field's type, then checks its constraints."""

    def __init__(self, spec: FieldSpec, **kwargs: Any) -> None:
        null = "read-only: do not send it" if spec.readonly else "required"
        super().__init__(
            required=spec.required and not spec.readonly, allow_none=not (spec.required or spec.readonly),
            data_key=spec.id, error_messages={"required": "required", "null": null}, **kwargs,
        )
        self.spec = spec

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        spec = self.spec
        if spec.readonly:
            raise ma.ValidationError("read-only: do not send it")
        if isinstance(value, str) and value.strip() == "" and (spec.type != "string" or spec.required):
            value = None
        if value is None or value == "":
            if spec.required:
                raise ma.ValidationError("required")
            return None if value is None else ""
        if spec.type == "enum":
            return _check_enum(spec, value)
        convert: Callable[[Any], Any] = _CONVERT.get(spec.type, _to_string)
        converted = convert(value)
        _check_limits(spec, converted)
        return converted


def _check_enum(spec: FieldSpec, value: Any) -> str:
    ids = [o.id for o in spec.options]
    if not isinstance(value, str) or value not in ids:
        raise ma.ValidationError(f"must be one of: {', '.join(ids)}")
    return value


def _check_limits(spec: FieldSpec, value: Any) -> None:
    if spec.type in ("long", "decimal", "date"):
        if spec.min is not None and value < spec.min:
            raise ma.ValidationError(f"must be {'on or after' if spec.type == 'date' else 'at least'} {spec.min}")
        if spec.max is not None and value > spec.max:
            raise ma.ValidationError(f"must be {'on or before' if spec.type == 'date' else 'at most'} {spec.max}")
    if spec.type == "string":
        if spec.minlength is not None and len(value) < spec.minlength:
            raise ma.ValidationError(f"must be at least {spec.minlength} characters")
        if spec.maxlength is not None and len(value) > spec.maxlength:
            raise ma.ValidationError(f"must be at most {spec.maxlength} characters")
        if spec.maxlength is None and len(value) > MAX_FORM_TEXT:
            raise ma.ValidationError(f"must be at most {MAX_FORM_TEXT} characters")


class FormSchema:
    """The marshmallow schema generated for one form; `load` returns values keyed by field id.

    Attribute names are positional (f0, f1...) and field ids are data keys, so a field called
    `load`, `fields` or `Meta` cannot shadow the schema's own attributes.
    """

    def __init__(self, fields: tuple[FieldSpec, ...]) -> None:
        attrs: dict[str, ma.fields.Field[Any]] = {f"f{i}": FormValue(spec) for i, spec in enumerate(fields)}
        self.schema_class = ma.Schema.from_dict(attrs, name="FormSchema")
        self._schema = self.schema_class(unknown=ma.RAISE)
        self._keys = {name: f.data_key or name for name, f in self._schema.fields.items()}

    def load(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loaded = self._schema.load(data)
        return {self._keys[name]: value for name, value in loaded.items()}


def build_form(task_spec: Any) -> Form:
    """The form of a task spec, uncached."""
    fields = read_fields(task_spec)
    return Form(fields, FormSchema(fields))


# -- the cache -----------------------------------------------------------------------------------
_cache: OrderedDict[tuple[int, str], tuple[weakref.ref[Any], Form]] = OrderedDict()
_cache_lock = threading.Lock()


def form_for(version_id: int, task_spec: Any) -> Form:
    """The form of an element of a deployed version, built once per (version id, element id).

    The entry remembers the spec object it was built from, so a different spec under the same
    key (a fresh database in the same process reusing version ids) is rebuilt, never mixed up.
    """
    key = (version_id, str(task_spec.bpmn_id))
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None and entry[0]() is task_spec:
            _cache.move_to_end(key)
            return entry[1]
    form = build_form(task_spec)
    with _cache_lock:
        _cache[key] = (weakref.ref(task_spec), form)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return form


#: start data every pathway takes: the pseudonym the case is started for (set by the start service)
SYSTEM_START_FIELDS = frozenset({"beneficiary_pseudonym"})


def start_form(definition: Definition) -> Form:
    """The start form of a version: the form fields of its main process's start events.

    A case may be started only with these fields (and `SYSTEM_START_FIELDS`); a pathway without a
    start form takes no start data, so nobody can pre-fill the fields of a task's form.
    """
    starts = sorted((spec for spec in definition.spec.task_specs.values()
                     if isinstance(spec, StartEvent) and read_fields(spec)), key=lambda spec: str(spec.bpmn_id))
    return form_for(definition.version_id, starts[0]) if starts else Form((), FormSchema(()))


def task_spec(definition: Definition, element_id: str) -> Any:
    """The spec of an element of a deployed version (main process first, then called processes)."""
    for process in (definition.spec, *definition.subprocess_specs.values()):
        found = process.task_specs.get(element_id)
        inner = getattr(found, "task_spec", None)  # a multi-instance or loop activity: the spec of its instances
        if isinstance(inner, str) and inner in process.task_specs:
            found = process.task_specs[inner]
        if found is not None and getattr(found, "bpmn_id", None) == element_id:
            return found
    return None


# -- what a message means, for clients that show it in another language --------------------------
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("required", re.compile(r"required")),
    ("whole_number", re.compile(r"must be a whole number")),
    ("number", re.compile(r"must be a (?:finite )?number")),
    ("boolean", re.compile(r"must be true or false")),
    ("date", re.compile(r"must be a date as YYYY-MM-DD")),
    ("choice", re.compile(r"must be one of: (?P<options>.*)")),
    ("min_length", re.compile(r"must be at least (?P<limit>\d+) characters")),
    ("max_length", re.compile(r"must be at most (?P<limit>\d+) characters")),
    ("min", re.compile(r"must be at least (?P<limit>\S+)")),
    ("max", re.compile(r"must be at most (?P<limit>\S+)")),
    ("min_date", re.compile(r"must be on or after (?P<limit>\S+)")),
    ("max_date", re.compile(r"must be on or before (?P<limit>\S+)")),
    ("text", re.compile(r"must be text")),
    ("readonly", re.compile(r"read-only: do not send it")),
    ("unknown", re.compile(r"unknown field")),
)


def error_kind(message: str) -> tuple[str, dict[str, str]]:
    """The kind of a validation message of this module and its parameters.

    `("max", {"limit": "40"})` for "must be at most 40"; `("other", {})` for a message it does not
    know. The pages show the kind in the page's language; the API keeps the English message.
    """
    for kind, pattern in _KINDS:
        found = pattern.fullmatch(message.strip())
        if found:
            return kind, found.groupdict()
    return "other", {}
