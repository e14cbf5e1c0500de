"""Decision table checks for lint: structure, hit policy, UNIQUE overlaps, literal outputs' types.

Type checks look only at literal cells (no names in them): a computed output can only be checked
when it is evaluated, which the evaluator does against the item definitions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from . import feel
from .lint_walk import Table, child, children, text_of
from .overlap import Condition, NotSimple, condition, overlapping_pairs

HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "COUNT", "MIN", "MAX"}
TYPES: dict[str, tuple[type, ...]] = {
    "number": (Decimal,), "string": (str,), "boolean": (bool,), "date": (datetime.date,), "time": (datetime.time,),
    "dateTime": (datetime.datetime,), "date and time": (datetime.datetime,),
    "dayTimeDuration": (datetime.timedelta,), "days and time duration": (datetime.timedelta,),
    "yearMonthDuration": (feel.YearsMonths,), "years and months duration": (feel.YearsMonths,),
}
Found = dict[str, Any]


def check_table(table: Table, item_types: dict[str, Any]) -> list[Found]:
    """Problems of one decision table, as keyword arguments for DmnProblem."""
    element = table.element
    where: Found = {"line": element.sourceline, "element": element.get("id"), "decision": table.decision}
    found = _policy(element, where)
    if not table.rules:
        found.append({**where, "severity": "warning", "message": "the decision table has no rules",
                      "hint": "add a rule: without one the decision is always null, or its default output"})
    found += _counts(table, where)
    if (element.get("hitPolicy") or "UNIQUE") == "UNIQUE":
        found += _overlaps(table, where)
    found += _outputs(table, item_types, where)
    found += _inputs(table, item_types, where)
    return found


def _policy(element: Any, where: Found) -> list[Found]:
    policy, aggregation = element.get("hitPolicy") or "UNIQUE", element.get("aggregation")
    found = []
    if policy not in HIT_POLICIES:
        found.append({**where, "severity": "error", "message": f"hit policy `{policy}` is not in the standard",
                      "hint": "one of " + ", ".join(sorted(HIT_POLICIES))})
    if aggregation is not None and aggregation not in AGGREGATIONS:
        found.append({**where, "severity": "error", "message": f"aggregation `{aggregation}` is not in the standard",
                      "hint": "one of COUNT, MAX, MIN, SUM"})
    elif aggregation is not None and policy != "COLLECT":
        found.append({**where, "severity": "error", "message": f"aggregation {aggregation} on a {policy} table",
                      "hint": "aggregation applies only to the COLLECT hit policy"})
    return found


def _counts(table: Table, where: Found) -> list[Found]:
    found = []
    for number, rule in enumerate(table.rules, 1):
        for tag, columns, kind in (("inputEntry", table.inputs, "input"), ("outputEntry", table.outputs, "output")):
            entries = len(children(rule, tag))
            if entries != len(columns):
                found.append({**where, "line": rule.sourceline, "element": rule.get("id"), "rule": number,
                              "severity": "error",
                              "message": f"{entries} {kind} {'entry' if entries == 1 else 'entries'} for "
                                         f"{len(columns)} {kind} columns",
                              "hint": f"each rule needs one {kind} entry per {kind} column; `-` matches anything"})
    return found


def _overlaps(table: Table, where: Found) -> list[Found]:
    rules = [[text_of(entry)[0] or "-" for entry in children(rule, "inputEntry")] for rule in table.rules]
    rules = [rule for rule in rules if len(rule) == len(table.inputs)]
    if len(rules) != len(table.rules) or not table.inputs:
        return []
    found = []
    for first, second, example in overlapping_pairs(rules):
        shown = ", ".join(_label(column, number) + " = " + _show(value)
                          for number, (column, value) in enumerate(zip(table.inputs, example, strict=True), 1))
        found.append({**where, "line": table.rules[second - 1].sourceline, "element": table.rules[second - 1].get("id"),
                      "rule": second, "severity": "warning",
                      "message": f"UNIQUE table: rules {first} and {second} can both match, e.g. for {shown}",
                      "hint": "make the rules exclusive, or use the FIRST, PRIORITY or COLLECT hit policy"})
    return found


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if type(value) is datetime.date:
        return f'date("{value.isoformat()}")'
    return str(feel.to_string(value))


def _label(column: Any, number: int) -> str:
    expression = text_of(child(column, "inputExpression"))[0]
    return column.get("label") or (expression or "").strip() or f"input {number}"


def _outputs(table: Table, item_types: dict[str, Any], where: Found) -> list[Found]:
    found = []
    for number, column in enumerate(table.outputs, 1):
        type_ref = column.get("typeRef") or (table.type_ref if len(table.outputs) == 1 else None)
        base, allowed = resolve_type(type_ref, item_types)
        values = text_of(child(column, "outputValues"))[0]
        allowed = allowed + [values] if values and values.strip() else allowed
        cells: list[tuple[int | None, Any]] = [(None, child(column, "defaultOutputEntry"))]
        cells += [(index, children(rule, "outputEntry")[number - 1]) for index, rule in enumerate(table.rules, 1)
                  if len(children(rule, "outputEntry")) >= number]
        for rule, cell in cells:
            problem = _literal_problem(cell, base, allowed, type_ref)
            if problem and cell is not None:
                found.append({**where, "line": text_of(cell)[1], "element": cell.get("id"), "rule": rule,
                              "column": number, "severity": "error", **problem})
    return found


def resolve_type(type_ref: str | None, item_types: dict[str, Any]) -> tuple[str | None, list[str]]:
    """A typeRef's built-in base type (None: unknown or structured) and the allowed values on the way."""
    allowed: list[str] = []
    seen: set[str] = set()
    while type_ref and type_ref not in seen:
        seen.add(type_ref)
        name = type_ref.split(":", 1)[1] if type_ref.startswith(("feel:", "FEEL:")) else type_ref
        if name in TYPES:
            return name, allowed
        item = item_types.get(name)
        if item is None or child(item, "itemComponent") is not None or item.get("isCollection") == "true":
            return None, allowed
        values = text_of(child(item, "allowedValues"))[0]
        if values and values.strip():
            allowed.append(values)
        type_element = child(item, "typeRef")
        type_ref = type_element.text.strip() if type_element is not None and type_element.text else None
    return None, allowed


def _literal_problem(cell: Any, base: str | None, allowed: list[str], type_ref: str | None) -> dict[str, str] | None:
    text = text_of(cell)[0] if cell is not None else None
    if not text or not text.strip():
        return None
    try:
        expression = feel.parse(text)
    except feel.FeelSyntaxError:
        return None  # reported with the cells
    if expression.free_names:
        return None
    result = feel.evaluate(expression, {})
    value = result.value
    if result.warnings or value is None:
        return None
    kind = "default output" if cell.tag.endswith("defaultOutputEntry") else "output entry"
    if base is not None and not _is_type(value, base):
        return {"message": f"{kind} `{text.strip()}` is not a {base} (the output's type is {type_ref})",
                "hint": f"write a {base} value here, or change the output's type"}
    for values in allowed:
        try:
            outside = feel.unary_test(values, value) is False
        except feel.FeelSyntaxError:
            continue  # reported with the cells
        if outside:
            return {"message": f"{kind} `{text.strip()}` is not one of the allowed values `{values.strip()}`",
                    "hint": "use one of the allowed values, or add it to the output's values or the item definition"}
    return None


def _is_type(value: Any, base: str) -> bool:
    if base == "date":
        return type(value) is datetime.date
    if base == "number":
        return isinstance(value, Decimal)
    return isinstance(value, TYPES[base]) and not (base != "boolean" and isinstance(value, bool))


KINDS = {"number": "number", "string": "string", "boolean": "boolean", "date": "date"}


def _inputs(table: Table, item_types: dict[str, Any], where: Found) -> list[Found]:
    """Simple input entries that can never match: a value of another type than the input's, or none
    of the input's values (inputValues or the type's allowed values). Warnings: the rule is dead."""
    found = []
    for number, column in enumerate(table.inputs, 1):
        expression = child(column, "inputExpression")
        base, allowed = resolve_type(expression.get("typeRef") if expression is not None else None, item_types)
        values = text_of(child(column, "inputValues"))[0]
        limits = [_simple(text) for text in (allowed + [values] if values and values.strip() else allowed)]
        for index, rule in enumerate(table.rules, 1):
            entries = children(rule, "inputEntry")
            text = text_of(entries[number - 1])[0] if len(entries) >= number else None
            entry = _simple(text) if text else None
            if entry is None or entry.rest:
                continue
            problem = _dead(text or "", entry, base, [limit for limit in limits if limit is not None])
            if problem:
                cell = entries[number - 1]
                found.append({**where, "line": text_of(cell)[1], "element": cell.get("id"), "rule": index,
                              "column": number, "severity": "warning", **problem})
    return found


def _simple(text: str) -> Condition | None:
    try:
        return condition(text)
    except NotSimple:
        return None


def _dead(text: str, entry: Condition, base: str | None, limits: list[Condition]) -> dict[str, str] | None:
    kinds = {kind for kind, spans in entry.parts.items() if spans and kind != "null"}
    shown = text.strip()
    if entry.empty():
        return {"message": f"input entry `{shown}` matches no value", "hint": "check the range's ends"}
    if base in KINDS and kinds and KINDS[base] not in kinds:
        return {"message": f"input entry `{shown}` tests {' and '.join(sorted(kinds))} values, but the input is a "
                           f"{base}: the rule never matches", "hint": f"write a {base} here (`\"18\"` is a string)"}
    for limit in limits:
        if entry.meet(limit).empty():
            return {"message": f"input entry `{shown}` matches none of the input's allowed values",
                    "hint": "the rule can never match: fix the entry or the input's values"}
    return None
