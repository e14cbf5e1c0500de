"""One pass over a DMN file's XML for lint: every FEEL cell with where it is and what is in scope.

Elements are matched by local name, so files with or without a `dmn:` prefix read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BOXED = ("literalExpression", "decisionTable", "context", "invocation", "list", "relation", "functionDefinition")


def local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: Any, name: str) -> list[Any]:
    return [child for child in element if local(child) == name]


def child(element: Any, name: str) -> Any | None:
    found = children(element, name)
    return found[0] if found else None


def text_of(element: Any | None) -> tuple[str | None, int | None]:
    """The `<text>` of an element, and the line the text starts on."""
    if element is None:
        return None, None
    text = child(element, "text")
    if text is None:
        return None, None
    return text.text or "", text.sourceline


def is_feel(language: str | None) -> bool:
    """No language means FEEL, as the standard says; FEEL's URIs all name it."""
    return language is None or "feel" in language.lower()


@dataclass(frozen=True)
class Cell:
    """One FEEL text to parse; `known` is None where names cannot be checked (process variables)."""

    text: str
    kind: str
    unary: bool
    line: int | None
    element: str | None
    decision: str | None
    known: frozenset[str] | None
    rule: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Requirement:
    kind: str
    href: str
    line: int | None
    owner: str | None
    owner_id: str | None


@dataclass
class Table:
    """A decision table as lint's table checks need it."""

    element: Any
    decision: str | None
    type_ref: str | None  # the decision variable's
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    rules: list[Any] = field(default_factory=list)


class Walk:
    """Reads the definitions once; lint's checks then read the lists."""

    def __init__(self, root: Any) -> None:
        self.namespace = root.get("namespace") or ""
        self.cells: list[Cell] = []
        self.tables: list[Table] = []
        self.requirements: list[Requirement] = []
        self.needs: dict[str, list[str]] = {}
        self.ids = {element.get("id") for element in root.iter() if isinstance(element.tag, str)} - {None}
        self.elements = {element.get("id"): element for element in root if element.get("id")}
        self.names = {key: self._variable(element) for key, element in self.elements.items()}
        imports = children(root, "import")
        self.import_namespaces = [element.get("namespace") for element in imports]
        self.import_names = {element.get("name") for element in imports if element.get("name")}
        self.item_types = {element.get("name"): element for element in children(root, "itemDefinition")}
        self.drg_style = bool(children(root, "inputData"))
        self.feel = is_feel(root.get("expressionLanguage"))
        for element in self.item_types.values():
            self._allowed(element, None)
        for element in root:
            kind = local(element)
            if kind == "decision":
                self._decision(element)
            elif kind == "businessKnowledgeModel":
                self._knowledge(element)
            elif kind == "decisionService":
                self._service(element)

    @staticmethod
    def _variable(element: Any) -> str:
        variable = child(element, "variable")
        name = variable.get("name") if variable is not None else None
        return str(name or element.get("name") or element.get("id"))

    def _requires(self, owner: Any, requirement: Any, kind: str, tag: str) -> str | None:
        target = child(requirement, tag)
        if target is None or target.get("href") is None:
            return None
        href = target.get("href")
        self.requirements.append(Requirement(kind, href, target.sourceline, owner.get("name"), owner.get("id")))
        namespace, ident = href.rpartition("#")[0], href.rpartition("#")[2]
        if namespace and namespace != self.namespace:
            return None  # imported elements are named through their import's name (self.import_names)
        if ident in self.elements:
            if local(self.elements[ident]) in ("decision", "businessKnowledgeModel", "decisionService"):
                self.needs.setdefault(str(owner.get("id")), []).append(ident)
            return self.names[ident]
        return None

    def _known(self, element: Any) -> set[str]:
        known = set(self.import_names)
        for requirement in children(element, "informationRequirement"):
            for tag, kind in (("requiredInput", "required input"), ("requiredDecision", "required decision")):
                name = self._requires(element, requirement, kind, tag)
                if name:
                    known.add(name)
        for requirement in children(element, "knowledgeRequirement"):
            name = self._requires(element, requirement, "required knowledge", "requiredKnowledge")
            if name:
                known.add(name)
        for requirement in children(element, "authorityRequirement"):
            for tag in ("requiredInput", "requiredDecision", "requiredAuthority"):
                self._requires(element, requirement, "authority requirement", tag)
        return known

    def _decision(self, element: Any) -> None:
        has_requirements = bool(children(element, "informationRequirement"))
        known = self._known(element)
        scope = frozenset(known) if has_requirements or self.drg_style else None
        name = element.get("name") or element.get("id")
        variable = child(element, "variable")
        type_ref = (variable.get("typeRef") if variable is not None else None) or None
        for expression in element:
            if local(expression) in BOXED:
                self._expression(expression, name, scope, type_ref)

    def _knowledge(self, element: Any) -> None:
        known = self._known(element)
        logic = child(element, "encapsulatedLogic")
        if logic is not None:
            self._function(logic, element.get("name"), frozenset(known))

    def _service(self, element: Any) -> None:
        for tag in ("outputDecision", "encapsulatedDecision", "inputDecision", "inputData"):
            for target in children(element, tag):
                href = target.get("href") or ""
                self.requirements.append(Requirement(f"decision service {tag}", href, target.sourceline,
                                                     element.get("name"), element.get("id")))
                ident = href.rpartition("#")[2]
                if tag in ("outputDecision", "encapsulatedDecision") and ident in self.elements:
                    self.needs.setdefault(str(element.get("id")), []).append(ident)

    def _function(self, element: Any, decision: str | None, known: frozenset[str] | None) -> None:
        parameters = {p.get("name") for p in children(element, "formalParameter") if p.get("name")}
        inner = None if known is None else known | parameters
        for expression in element:
            if local(expression) in BOXED:
                self._expression(expression, decision, inner, None)

    def _add(self, element: Any, kind: str, decision: str | None, known: frozenset[str] | None, *,
             unary: bool = False, rule: int | None = None, column: int | None = None) -> None:
        text, line = text_of(element)
        language = element.get("expressionLanguage")
        if not (is_feel(language) if language else self.feel):
            return  # another language (python: run through the sandbox) is not FEEL's to lint
        if text is not None and text.strip():  # an empty cell is `-` (input) or null (output)
            self.cells.append(Cell(text, kind, unary, line, element.get("id"), decision, known, rule, column))

    def _expression(self, element: Any, decision: str | None, known: frozenset[str] | None,
                    type_ref: str | None, label: str = "literal expression") -> None:
        """`label` names a literal expression in messages: `context entry `a``, `binding `x``..."""
        kind = local(element)
        if kind == "literalExpression":
            self._add(element, label, decision, known)
        elif kind == "decisionTable":
            self._table(element, decision, known, type_ref)
        elif kind == "context":
            self._context(element, decision, known)
        elif kind == "invocation":
            self._invocation(element, decision, known)
        elif kind in ("list", "relation"):
            self._items(element, decision, known)
        elif kind == "functionDefinition":
            self._function(element, decision, known)

    def _items(self, element: Any, decision: str | None, known: frozenset[str] | None) -> None:
        relation = local(element) == "relation"
        for row_number, row in enumerate(children(element, "row") if relation else [element], 1):
            for number, item in enumerate((item for item in row if local(item) in BOXED), 1):
                where = f"relation row {row_number}, column {number}" if relation else f"list item {number}"
                self._expression(item, decision, known, None, where)

    def _context(self, element: Any, decision: str | None, known: frozenset[str] | None) -> None:
        scope = known
        for entry in children(element, "contextEntry"):
            variable = child(entry, "variable")
            name = variable.get("name") if variable is not None else None
            for expression in entry:
                if local(expression) in BOXED:
                    self._expression(expression, decision, scope, None,
                                     f"context entry `{name}`" if name else "context result")
            if scope is not None and variable is not None and variable.get("name"):
                scope = scope | {variable.get("name")}

    def _invocation(self, element: Any, decision: str | None, known: frozenset[str] | None) -> None:
        for item in element:
            if local(item) == "binding":
                parameter = child(item, "parameter")
                label = f"binding `{parameter.get('name') if parameter is not None else '?'}`"
                for expression in item:
                    if local(expression) in BOXED:
                        self._expression(expression, decision, known, None, label)
            elif local(item) in BOXED:
                self._expression(item, decision, known, None, "invoked function")

    def _allowed(self, element: Any, decision: str | None) -> None:
        allowed = child(element, "allowedValues")
        if allowed is not None:
            self._add(allowed, "allowed values", decision, frozenset(), unary=True)

    def _table(self, element: Any, decision: str | None, known: frozenset[str] | None, type_ref: str | None) -> None:
        table = Table(element, decision, type_ref)
        self.tables.append(table)
        for number, column in enumerate(children(element, "input"), 1):
            table.inputs.append(column)
            self._add(child(column, "inputExpression"), "input expression", decision, known, column=number)
            values = child(column, "inputValues")
            if values is not None:
                self._add(values, "input values", decision, frozenset(), unary=True, column=number)
        for number, column in enumerate(children(element, "output"), 1):
            table.outputs.append(column)
            values = child(column, "outputValues")
            if values is not None:
                self._add(values, "output values", decision, frozenset(), unary=True, column=number)
            default = child(column, "defaultOutputEntry")
            if default is not None:
                self._add(default, "default output entry", decision, known, column=number)
        for number, rule in enumerate(children(element, "rule"), 1):
            table.rules.append(rule)
            for index, entry in enumerate(children(rule, "inputEntry"), 1):
                self._add(entry, "input entry", decision, known, unary=True, rule=number, column=index)
            for index, entry in enumerate(children(rule, "outputEntry"), 1):
                self._add(entry, "output entry", decision, known, rule=number, column=index)
