"""The DMN model as read from a file: definitions, DRG elements, boxed expressions, item definitions.

Plain data. `reader` builds it, `boxed`, `tables` and `graph` evaluate it. FEEL texts are parsed once,
on first use, and kept on the element (`parsed`), so evaluating a table again costs only the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import DmnError


@dataclass(eq=False)
class Ref:
    """An `href`: an element's id in this model (namespace "") or in an imported one."""

    namespace: str
    id: str


@dataclass(eq=False)
class Literal:
    """A literal expression, or one text cell (input entry, output entry, input expression)."""

    text: str
    line: int | None = None
    type_ref: str | None = None
    language: str | None = None
    parsed: Any = None


@dataclass(eq=False)
class ContextEntry:
    name: str | None  # None: the final result entry
    expression: Any
    type_ref: str | None = None


@dataclass(eq=False)
class Context:
    entries: list[ContextEntry]
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class ListExpression:
    items: list[Any]
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Relation:
    columns: list[str]
    rows: list[list[Any]]
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Invocation:
    callee: Any  # usually a Literal naming the BKM
    bindings: list[tuple[str, Any]]  # (parameter name, expression or None)
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Parameter:
    name: str
    type_ref: str | None = None


@dataclass(eq=False)
class FunctionDefinition:
    parameters: list[Parameter]
    body: Any
    kind: str = "FEEL"
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Conditional:
    """DMN 1.5's boxed `if`."""

    condition: Any
    then: Any
    otherwise: Any
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Iterator:
    """DMN 1.5's boxed `for`, `some` and `every`."""

    kind: str  # "for", "some", "every"
    variable: str
    source: Any
    body: Any
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Filter:
    """DMN 1.5's boxed filter: `in[match]`."""

    source: Any
    match: Any
    line: int | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class TableInput:
    expression: Literal
    label: str = ""
    values: Literal | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class TableOutput:
    name: str
    label: str = ""
    values: Literal | None = None
    default: Literal | None = None
    type_ref: str | None = None


@dataclass(eq=False)
class Rule:
    number: int  # 1-based
    id: str
    inputs: list[Literal]
    outputs: list[Literal]
    line: int | None = None


@dataclass(eq=False)
class DecisionTable:
    hit_policy: str  # UNIQUE, ANY, PRIORITY, FIRST, RULE ORDER, OUTPUT ORDER, COLLECT
    aggregation: str | None  # SUM, MIN, MAX, COUNT or None
    inputs: list[TableInput]
    outputs: list[TableOutput]
    rules: list[Rule]
    line: int | None = None
    type_ref: str | None = None
    output_label: str = ""
    compiled: Any = None  # the parsed cells, made on first evaluation (tables.compile_table)


@dataclass(eq=False)
class Element:
    """What decisions, input data, BKMs and decision services share: how they are found and typed."""

    id: str
    name: str
    line: int | None = None
    type_ref: str | None = None

    @property
    def variable_name(self) -> str:
        return self.name


@dataclass(eq=False)
class InputData(Element):
    pass


@dataclass(eq=False)
class Decision(Element):
    expression: Any = None
    information: list[Ref] = field(default_factory=list)  # required decisions and input data
    knowledge: list[Ref] = field(default_factory=list)  # required BKMs and decision services

    @property
    def table(self) -> DecisionTable | None:
        return self.expression if isinstance(self.expression, DecisionTable) else None


@dataclass(eq=False)
class Bkm(Element):
    logic: FunctionDefinition | None = None
    knowledge: list[Ref] = field(default_factory=list)


@dataclass(eq=False)
class DecisionService(Element):
    outputs: list[Ref] = field(default_factory=list)
    encapsulated: list[Ref] = field(default_factory=list)
    input_decisions: list[Ref] = field(default_factory=list)
    input_data: list[Ref] = field(default_factory=list)


@dataclass(eq=False)
class ItemDefinition:
    name: str
    type_ref: str | None = None
    components: list[ItemDefinition] = field(default_factory=list)
    is_collection: bool = False
    allowed: Literal | None = None
    function: bool = False
    line: int | None = None


@dataclass(eq=False)
class Import:
    namespace: str
    name: str
    model: Model | None = None


@dataclass(eq=False)
class Model:
    """One DMN file: its decisions, input data, BKMs, decision services and item definitions, by id."""

    namespace: str
    name: str
    filename: str = ""
    expression_language: str = "feel"
    decisions: dict[str, Decision] = field(default_factory=dict)
    input_data: dict[str, InputData] = field(default_factory=dict)
    bkms: dict[str, Bkm] = field(default_factory=dict)
    services: dict[str, DecisionService] = field(default_factory=dict)
    item_definitions: dict[str, ItemDefinition] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    names: tuple[str, ...] = ()
    """Every name the model's FEEL may see, for `feel.parse` (names with spaces, operators, dots)."""
    parser_names: tuple[str, ...] = ()
    """The names among them the FEEL grammar cannot read as plain words (computed once, for speed)."""
    prefixes: dict[str, str] = field(default_factory=dict)
    """XML namespace prefixes of the definitions element (typeRef `tns:tType`, `feel:string`)."""

    def elements(self) -> dict[str, Element]:
        """Every DRG element by id."""
        return {**self.input_data, **self.decisions, **self.bkms, **self.services}

    def find(self, ref: str) -> Element:
        """A decision, BKM or decision service by id or by name."""
        for group in (self.decisions, self.services, self.bkms):
            if ref in group:
                return group[ref]
        for group in (self.decisions, self.services, self.bkms):
            for element in group.values():
                if element.name == ref:
                    return element
        raise DmnError(f"no decision, BKM or decision service named {ref!r}",
                       hint="use the id or the name of a decision in this file")

    def imported(self, namespace: str) -> Import | None:
        for item in self.imports:
            if item.namespace == namespace:
                return item
        return None
