"""Decision tables: every hit policy of DMN 1.3 (section 8.2.11), default outputs, values lists.

Cells are parsed on the first evaluation and kept on the table. Matching runs each rule's tests
against the input values with one scope per input column, so a 50-rule table costs little more than
its 250 compiled tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from .. import feel
from ..feel.scope import Scope
from ..feel.values import compare, equal
from .cells import Frame, parsed, run_text, test_values
from .errors import DecisionFailure
from .evaluation import Hit
from .model import DecisionTable, Model, Rule

MULTIPLE = ("RULE ORDER", "OUTPUT ORDER", "COLLECT")


@dataclass
class Compiled:
    inputs: list[feel.Expression]
    tests: list[list[tuple[int, Any]]]  # per rule: (input column, compiled unary tests), "-" left out
    priorities: list[list[Any] | None]  # per output: its output values, in order (PRIORITY, OUTPUT ORDER)


def compile_table(table: DecisionTable, model: Model) -> Compiled:
    if table.compiled is None:
        inputs = [parsed(item.expression, model) for item in table.inputs]
        tests = [[(column, parsed(cell, model, unary=True).run) for column, cell in enumerate(rule.inputs)
                  if cell.text.strip() not in ("", "-")] for rule in table.rules]
        priorities = []
        for output in table.outputs:
            order = None
            if output.values is not None and output.values.text.strip():
                try:
                    listed = feel.parse("[" + output.values.text + "]", model.parser_names).run(Scope({}))
                    order = listed if isinstance(listed, list) else None
                except feel.FeelSyntaxError:
                    order = None
            priorities.append(order)
        table.compiled = Compiled(inputs, tests, priorities)
    result: Compiled = table.compiled
    return result


def evaluate_table(table: DecisionTable, scope: Scope, frame: Frame) -> Any:
    compiled = compile_table(table, frame.model)
    values = [expression.run(scope) for expression in compiled.inputs]
    for index, item in enumerate(table.inputs):
        if item.values is not None and item.values.text.strip() and values[index] is not None and not test_values(
                item.values, values[index], scope, frame.model):
            raise DecisionFailure(f"input {index + 1} ({item.label or item.expression.text.strip()[:40]}) is "
                                  "outside its input values")
    matches = _matches(table, compiled, [scope.child({"?": value}) for value in values])
    # recorded before a UNIQUE violation fails, so a designer sees which rules overlapped
    frame.hits.append(Hit(frame.owner_id, frame.owner_name, tuple(rule.number for rule in matches),
                          tuple(rule.id for rule in matches)))
    if table.hit_policy == "UNIQUE" and len(matches) > 1:
        raise DecisionFailure("UNIQUE hit policy: rules " + _numbers(matches) + " match")
    if not matches:
        return _defaults(table, scope, frame)
    rows = [_outputs(table, rule, scope, frame.model) for rule in matches]
    return _apply_policy(table, compiled, matches, rows)


def _matches(table: DecisionTable, compiled: Compiled, columns: list[Scope]) -> list[Rule]:
    """The rules whose every test is true, in rule order (FIRST stops at the first)."""
    first = table.hit_policy == "FIRST"
    matches = []
    for rule, tests in zip(table.rules, compiled.tests, strict=True):
        for column, test in tests:
            if test(columns[column]) is not True:
                break
        else:
            matches.append(rule)
            if first:
                break
    return matches


def _numbers(rules: list[Rule]) -> str:
    numbers = [str(rule.number) for rule in rules]
    return ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _outputs(table: DecisionTable, rule: Rule, scope: Scope, model: Model) -> list[Any]:
    row = []
    for output, cell in zip(table.outputs, rule.outputs, strict=True):
        value = run_text(cell, scope, model)
        if output.values is not None and output.values.text.strip() and value is not None and not test_values(
                output.values, value, scope, model):
            raise DecisionFailure(f"rule {rule.number}: output {output.name!r} is outside its output values")
        row.append(value)
    return row


def _shape(table: DecisionTable, row: list[Any]) -> Any:
    if len(table.outputs) == 1:
        return row[0]
    return {output.name: value for output, value in zip(table.outputs, row, strict=True)}


def _defaults(table: DecisionTable, scope: Scope, frame: Frame) -> Any:
    if table.hit_policy == "COLLECT" and table.aggregation == "COUNT":
        return Decimal(0)
    if not any(output.default is not None for output in table.outputs):
        return [] if table.hit_policy in MULTIPLE and table.aggregation is None else None
    row = [run_text(output.default, scope, frame.model) if output.default is not None else None
           for output in table.outputs]
    shaped = _shape(table, row)
    return [shaped] if table.hit_policy in MULTIPLE and table.aggregation is None else shaped


def _apply_policy(table: DecisionTable, compiled: Compiled, matches: list[Rule], rows: list[list[Any]]) -> Any:
    policy = table.hit_policy
    if policy in ("UNIQUE", "FIRST"):
        return _shape(table, rows[0])
    if policy == "ANY":
        first = rows[0]
        for rule, row in zip(matches[1:], rows[1:], strict=True):
            if not all(equal(a, b) is True for a, b in zip(first, row, strict=True)):
                raise DecisionFailure(f"ANY hit policy: rules {matches[0].number} and {rule.number} match with "
                                      "different outputs")
        return _shape(table, first)
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        ranked = sorted(rows, key=lambda row: _rank(compiled, row))
        return _shape(table, ranked[0]) if policy == "PRIORITY" else [_shape(table, row) for row in ranked]
    shaped = [_shape(table, row) for row in rows]
    if table.aggregation is None:
        return shaped
    return _aggregate(table, shaped)


def _rank(compiled: Compiled, row: list[Any]) -> tuple[int, ...]:
    """A row's place by its outputs' values lists: the first output decides, then the next..."""
    ranks = []
    for order, value in zip(compiled.priorities, row, strict=True):
        if order is None:
            continue
        position = next((index for index, listed in enumerate(order) if equal(listed, value) is True), len(order))
        ranks.append(position)
    return tuple(ranks)


def _aggregate(table: DecisionTable, values: list[Any]) -> Any:
    if len(table.outputs) != 1:
        raise DecisionFailure(f"COLLECT {table.aggregation} needs a table with a single output")
    if table.aggregation == "COUNT":
        return Decimal(len(values))
    present = [value for value in values if value is not None]
    if not present:
        return None
    if table.aggregation == "SUM":
        if not all(isinstance(value, Decimal) for value in present):
            raise DecisionFailure("COLLECT SUM: an output is not a number")
        return feel.evaluate("sum(values)", {"values": present}, convert=False).value

    def order(left: Any, right: Any) -> int:
        outcome = compare(left, right)
        if outcome is None:
            raise DecisionFailure(f"COLLECT {table.aggregation}: outputs that cannot be compared")
        return outcome
    ordered = sorted(present, key=cmp_to_key(order))
    return ordered[0] if table.aggregation == "MIN" else ordered[-1]
