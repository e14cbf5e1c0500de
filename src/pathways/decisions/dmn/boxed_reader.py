"""Boxed expressions from XML: literal, context, list, relation, invocation, function definition,
decision table, and DMN 1.5's conditional, iterators and filter."""

from __future__ import annotations

from typing import Any

from . import model as m
from .errors import DmnError
from .xmlutil import child, children, line, local, text_of

EXPRESSION_KINDS = ("literalExpression", "context", "list", "relation", "invocation", "functionDefinition",
                    "decisionTable", "conditional", "for", "some", "every", "filter")

HIT_POLICIES = {"UNIQUE": "UNIQUE", "U": "UNIQUE", "ANY": "ANY", "A": "ANY", "PRIORITY": "PRIORITY",
                "P": "PRIORITY", "FIRST": "FIRST", "F": "FIRST", "RULE ORDER": "RULE ORDER", "R": "RULE ORDER",
                "OUTPUT ORDER": "OUTPUT ORDER", "O": "OUTPUT ORDER", "COLLECT": "COLLECT", "C": "COLLECT"}
AGGREGATIONS = {"SUM": "SUM", "+": "SUM", "MIN": "MIN", "<": "MIN", "MAX": "MAX", ">": "MAX", "COUNT": "COUNT",
                "#": "COUNT"}


def find_expression(element: Any) -> Any:
    """The first boxed expression among an element's children, read; None when there is none."""
    for item in children(element):
        if local(item) in EXPRESSION_KINDS:
            return read_expression(item)
    return None


def read_expression(element: Any) -> Any:
    kind = local(element)
    reader = READERS.get(kind)
    if reader is None:
        raise DmnError(f"{kind} is not a boxed expression", line(element), kind)
    return reader(element)


def _literal(element: Any) -> m.Literal:
    return m.Literal(text_of(element), line(element), element.get("typeRef"), element.get("expressionLanguage"))


def _cell(element: Any) -> m.Literal | None:
    return None if element is None else m.Literal(text_of(element), line(element))


def _context(element: Any) -> m.Context:
    entries = []
    for entry in children(element, "contextEntry"):
        variable = child(entry, "variable")
        name = variable.get("name") if variable is not None else None
        entries.append(m.ContextEntry(name, find_expression(entry),
                                      variable.get("typeRef") if variable is not None else None))
    return m.Context(entries, line(element), element.get("typeRef"))


def _list(element: Any) -> m.ListExpression:
    items = [read_expression(item) for item in children(element) if local(item) in EXPRESSION_KINDS]
    return m.ListExpression(items, line(element), element.get("typeRef"))


def _relation(element: Any) -> m.Relation:
    columns = [column.get("name") or column.get("label") or "" for column in children(element, "column")]
    rows = [[read_expression(cell) for cell in children(row) if local(cell) in EXPRESSION_KINDS]
            for row in children(element, "row")]
    return m.Relation(columns, rows, line(element), element.get("typeRef"))


def _invocation(element: Any) -> m.Invocation:
    callee = find_expression(element)
    bindings = []
    for binding in children(element, "binding"):
        parameter = child(binding, "parameter")
        name = parameter.get("name", "") if parameter is not None else ""
        bindings.append((name, find_expression(binding)))
    return m.Invocation(callee, bindings, line(element), element.get("typeRef"))


def _function(element: Any) -> m.FunctionDefinition:
    parameters = [m.Parameter(item.get("name", ""), item.get("typeRef"))
                  for item in children(element, "formalParameter")]
    return m.FunctionDefinition(parameters, find_expression(element), element.get("kind") or "FEEL",
                                line(element), element.get("typeRef"))


def _wrapped(element: Any, name: str) -> Any:
    inner = child(element, name)
    return find_expression(inner) if inner is not None else None


def _conditional(element: Any) -> m.Conditional:
    return m.Conditional(_wrapped(element, "if"), _wrapped(element, "then"), _wrapped(element, "else"),
                         line(element), element.get("typeRef"))


def _iterator(element: Any) -> m.Iterator:
    kind = local(element)
    body = _wrapped(element, "return" if kind == "for" else "satisfies")
    return m.Iterator(kind, element.get("iteratorVariable", ""), _wrapped(element, "in"), body, line(element),
                      element.get("typeRef"))


def _filter(element: Any) -> m.Filter:
    return m.Filter(_wrapped(element, "in"), _wrapped(element, "match"), line(element), element.get("typeRef"))


def _hit_policy(element: Any) -> tuple[str, str | None]:
    raw = (element.get("hitPolicy") or "UNIQUE").strip().upper()
    aggregation = element.get("aggregation")
    if raw[:1] == "C" and raw[1:] in AGGREGATIONS:
        raw, aggregation = "COLLECT", raw[1:]
    policy = HIT_POLICIES.get(raw)
    if policy is None:
        raise DmnError(f"unknown hit policy {raw!r}", line(element), "decisionTable",
                       "use UNIQUE, ANY, PRIORITY, FIRST, RULE ORDER, OUTPUT ORDER or COLLECT")
    if aggregation is not None:
        found = AGGREGATIONS.get(aggregation.strip().upper())
        if found is None:
            raise DmnError(f"unknown aggregation {aggregation!r}", line(element), "decisionTable",
                           "use SUM, MIN, MAX or COUNT")
        aggregation = found
    return policy, aggregation


def _table(element: Any) -> m.DecisionTable:
    policy, aggregation = _hit_policy(element)
    inputs = []
    for item in children(element, "input"):
        expression = child(item, "inputExpression")
        if expression is None:
            raise DmnError("a decision table input needs an inputExpression", line(item), "input")
        inputs.append(m.TableInput(_literal(expression), item.get("label") or "", _cell(child(item, "inputValues")),
                                   expression.get("typeRef")))
    outputs = []
    for index, item in enumerate(children(element, "output"), start=1):
        name = item.get("name") or item.get("label") or f"output {index}"
        outputs.append(m.TableOutput(name, item.get("label") or "", _cell(child(item, "outputValues")),
                                     _cell(child(item, "defaultOutputEntry")), item.get("typeRef")))
    if not outputs:
        raise DmnError("a decision table needs at least one output", line(element), "decisionTable")
    rules = []
    for number, item in enumerate(children(element, "rule"), start=1):
        entries = [m.Literal(text_of(cell), line(cell)) for cell in children(item, "inputEntry")]
        results = [m.Literal(text_of(cell), line(cell)) for cell in children(item, "outputEntry")]
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise DmnError(f"rule {number} has {len(entries)} input and {len(results)} output entries; the table "
                           f"has {len(inputs)} inputs and {len(outputs)} outputs", line(item), "rule")
        rules.append(m.Rule(number, item.get("id") or "", entries, results, line(item)))
    return m.DecisionTable(policy, aggregation, inputs, outputs, rules, line(element), element.get("typeRef"),
                           element.get("outputLabel") or "")


READERS = {"literalExpression": _literal, "context": _context, "list": _list, "relation": _relation,
           "invocation": _invocation, "functionDefinition": _function, "decisionTable": _table,
           "conditional": _conditional, "for": _iterator, "some": _iterator, "every": _iterator, "filter": _filter}
