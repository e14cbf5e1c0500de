"""One FEEL text of a model (a literal expression or a table cell), parsed once, and where it runs.

A `Frame` is what an expression needs besides its variables: the model (its names, for the parser,
and its item definitions) and the decision it belongs to, for the hits it records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import feel
from ..feel.scope import Scope
from .errors import DecisionFailure
from .evaluation import Hit
from .model import Literal, Model


@dataclass
class Frame:
    model: Model
    owner_id: str
    owner_name: str
    hits: list[Hit] = field(default_factory=list)

    def for_owner(self, owner_id: str, owner_name: str) -> Frame:
        """The same evaluation, for another decision or BKM (its hits are named after it)."""
        return Frame(self.model, owner_id, owner_name, self.hits)


def parsed(cell: Literal, model: Model, unary: bool = False) -> feel.Expression:
    """The cell's parsed FEEL, made once; a syntax error is the decision's failure."""
    if cell.parsed is None:
        language = cell.language or model.expression_language
        if language != "feel" and "FEEL" not in language.upper():
            raise DecisionFailure(f"expression language {language!r} is not evaluated as FEEL")
        try:
            cell.parsed = (feel.parse_unary_tests(cell.text, model.parser_names) if unary
                           else feel.parse(cell.text, model.parser_names))
        except feel.FeelSyntaxError as error:
            where = f" (line {cell.line})" if cell.line else ""
            raise DecisionFailure(f"FEEL syntax error{where} in {cell.text.strip()[:80]!r}: {error}") from None
    expression: feel.Expression = cell.parsed
    return expression


def run_text(cell: Literal, scope: Scope, model: Model) -> Any:
    """Evaluate a FEEL expression cell; an empty text is null."""
    if not cell.text.strip():
        return None
    return parsed(cell, model).run(scope)


def test_values(cell: Literal, value: Any, scope: Scope, model: Model) -> bool:
    """Whether a value satisfies unary tests (an input or output values list, allowed values)."""
    return parsed(cell, model, unary=True).run(scope.child({"?": value})) is True
