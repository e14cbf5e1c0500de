"""FEEL cells for lint: a syntax error turned into a located message and a hint, and unknown names.

A designer reads these messages in the upload page or the CLI, so they say what is wrong in
their words (not lark's terminal names) and, where a common slip explains it (Python's `==`,
`True`, single quotes), what to write instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from lark import Tree

from . import feel
from .feel.parser import tree as feel_tree

PYTHON_NAMES = {"True": "true", "False": "false", "None": "null"}


@dataclass(frozen=True)
class SyntaxProblem:
    """Where inside the cell (1-based line and column of the text) and what to tell the designer."""

    line: int
    column: int
    message: str
    hint: str


def syntax_problem(text: str, error: feel.FeelSyntaxError) -> SyntaxProblem:
    """A FeelSyntaxError as a message ("unexpected '=' at column 4 of `a == b`") and a hint."""
    what = str(error).split(" at line ")[0]
    lines = text.splitlines() or [""]
    where = f"column {error.column}" if len(lines) == 1 else f"line {error.line}, column {error.column}"
    message = f"FEEL syntax error: {what} at {where} of `{_excerpt(text)}`"
    return SyntaxProblem(error.line, error.column, message, _hint(text, error))


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _hint(text: str, error: feel.FeelSyntaxError) -> str:
    lines = text.splitlines() or [""]
    row = lines[min(error.line, len(lines)) - 1]
    rest = row[error.column - 1:]
    if "==" in text:
        return "FEEL compares with a single `=` (`a = b`), not `==`"
    if rest.startswith("'"):
        return 'FEEL strings are written in double quotes: "text"'
    if rest.startswith(("&&", "||")):
        return "FEEL writes `and` and `or`"
    if text.lstrip().startswith("not ") and "not(" not in text:
        return "negation is a function in FEEL: not(x), or not(\"a\", \"b\") in an input entry"
    if error.expected:
        shown = ", ".join(error.expected[:8]) + (", ..." if len(error.expected) > 8 else "")
        return f"expected here: {shown}"
    return "check brackets and quotes around this position"


def unknown_names(expression: feel.Expression, known: Iterable[str]) -> list[tuple[str, str]]:
    """Names the cell reads that nothing in scope provides, each with a hint (the closest known name).

    Names used only inside a filter (`Employees[dept = 20]`) may be the items' own entries, which
    lint cannot know without the items' type, so they are not reported."""
    known = set(known)
    unknown = expression.free_names - known
    if unknown:
        unknown &= _names_outside_filters(expression)
    return [(name, name_hint(name, known)) for name in sorted(unknown)]


def _names_outside_filters(expression: feel.Expression) -> set[str]:
    try:
        parsed = feel_tree(expression.text.strip(), expression.kind)
    except Exception:  # text that only parses with names quoted: keep every name
        return set(expression.free_names)
    found: set[str] = set()
    stack = [parsed]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data == "name":
            found.add(" ".join(str(token) for token in node.children))
        elif node.data == "filter":
            stack.append(node.children[0])
        else:
            stack.extend(node.children)
    return found


def name_hint(name: str, known: set[str]) -> str:
    if name in PYTHON_NAMES:
        return f"FEEL writes {PYTHON_NAMES[name]}, in lower case; {name} is read as a name"
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if not close:
        lowered = {item.lower(): item for item in known}
        close = difflib.get_close_matches(name.lower(), sorted(lowered), n=1, cutoff=0.6)
        close = [lowered[item] for item in close]
    if close:
        return f"did you mean `{close[0]}`?"
    if known:
        shown = ", ".join(f"`{item}`" for item in sorted(known)[:6]) + (", ..." if len(known) > 6 else "")
        return f"names in scope here: {shown}; add an information requirement if this is an input"
    return "nothing is in scope here: add an information requirement (input data or a decision)"
