"""FEEL text to a compiled `Expression`: lark's LALR(1) parser, then the closures of `evaluator`.

Parsed expressions are cached by their text (and the odd variable names they must recognise), so a
decision table's cells are parsed once however often it is evaluated.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lark import Lark, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .evaluator import Compiled, Compiler
from .grammar import GRAMMAR
from .grammar import KEYWORDS as GRAMMAR_KEYWORDS
from .registry import BUILTINS

SIMPLE_NAME = re.compile(r"^[A-Za-z_\u00C0-\uFFFF][\w']*( [A-Za-z_\u00C0-\uFFFF][\w']*)*$")
KEYWORDS = set(GRAMMAR_KEYWORDS)
STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


class FeelSyntaxError(ValueError):
    """A FEEL text that does not parse: where (line, column, 1-based) and what was expected there."""

    def __init__(self, text: str, line: int, column: int, expected: list[str], message: str) -> None:
        super().__init__(f"{message} at line {line}, column {column}" + (
            f" (expected {', '.join(expected)})" if expected else ""))
        self.text, self.line, self.column, self.expected = text, line, column, expected


@dataclass(frozen=True)
class Expression:
    """A parsed FEEL expression or list of unary tests, ready to evaluate any number of times."""

    text: str
    kind: str  # "expression" or "unary tests"
    run: Compiled
    free_names: frozenset[str] = frozenset()
    """Names read and not bound inside (by `for`, `some`, parameters, context entries), built-ins
    left out: what must come from the variables in scope. For lint: unknown input names."""


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(GRAMMAR, parser="lalr", start=["start_expression", "start_unary_tests"],
                propagate_positions=False, maybe_placeholders=True)


TERMINAL_NAMES = {
    "WORD": "a name", "NUMBER": "a number", "STRING": "a string", "LPAR": "(", "RPAR": ")", "LSQB": "[",
    "RSQB": "]", "LBRACE": "{", "RBRACE": "}", "COMMA": ",", "COLON": ":", "DOT": ".", "$END": "the end",
    "MINUS": "-", "OPEN_START_BRACKET": "]", "OPEN_END_BRACKET": "[", "QUANTIFIER": "some or every",
    "AT": "@", "QMARK": "?", "QUOTED_NAME": "a name", "MULTIWORD_BUILTIN": "a name",
}


def _expected(names: Iterable[str]) -> list[str]:
    shown = {TERMINAL_NAMES.get(name, name.lower().strip("_")) for name in names if not name.startswith("__ANON")}
    return sorted(shown)


def special_names(names: Iterable[str]) -> tuple[str, ...]:
    """Variable names the grammar cannot read as words: `Loan-to-Value`, `Is Safe and Sound`."""
    out = []
    for name in names:
        if not name or name == "?" or "`" in name:
            continue
        if SIMPLE_NAME.match(name) and not (set(name.split(" ")) & KEYWORDS):
            continue
        out.append(name)
    return tuple(sorted(out, key=len, reverse=True))


def _quote_names(text: str, names: tuple[str, ...]) -> str:
    """Put backticks around known odd names outside strings and comments, longest first."""
    if not names:
        return text
    pattern = re.compile("|".join(r"(?<![\w'`])" + re.escape(name) + r"(?![\w'`])" for name in names))
    pieces, last = [], 0
    for match in STRING_OR_COMMENT.finditer(text):
        pieces.append(pattern.sub(lambda m: "`" + m.group(0) + "`", text[last:match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(pattern.sub(lambda m: "`" + m.group(0) + "`", text[last:]))
    return "".join(pieces)


def parse(text: str, names: Iterable[str] = (), kind: str = "expression") -> Expression:
    """Parse FEEL; `names` are the variables in scope (needed only for names with operators in them)."""
    present = tuple(name for name in special_names(names) if name in text)
    return _parse_cached(text, present, kind)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, names: tuple[str, ...], kind: str) -> Expression:
    source = _quote_names(text, names)
    start = "start_unary_tests" if kind == "unary tests" else "start_expression"
    try:
        tree = _lark().parse(source, start=start)
        compiler = Compiler()
        run = compiler.compile(tree)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    except RecursionError:
        raise FeelSyntaxError(text, 1, 1, [], "expression nested too deeply") from None
    free = frozenset(name for name in compiler.names - compiler.bound if name not in BUILTINS)
    return Expression(text, kind, _bounded(run), free)


def _bounded(run: Compiled) -> Compiled:
    """An evaluation too deep for Python's stack (runaway recursion in a FEEL function) is null."""

    def evaluate(scope: Any) -> Any:
        try:
            return run(scope)
        except RecursionError:
            scope.warn("evaluation nested too deeply (a function calling itself without end?)")
            return None
    return evaluate


def _syntax_error(text: str, error: UnexpectedInput) -> FeelSyntaxError:
    line, column = getattr(error, "line", 1), getattr(error, "column", 1)
    if isinstance(error, UnexpectedToken):
        if error.token.type == "$END":
            lines = text.splitlines() or [""]
            return FeelSyntaxError(text, len(lines), len(lines[-1]) + 1, _expected(error.expected), "unexpected end")
        return FeelSyntaxError(text, line, column, _expected(error.expected), f"unexpected {error.token!s}")
    if isinstance(error, UnexpectedCharacters):
        return FeelSyntaxError(text, line, column, _expected(error.allowed or ()),
                               f"unexpected character {error.char!r}")
    if isinstance(error, UnexpectedEOF):
        return FeelSyntaxError(text, len(text.splitlines()) or 1, len(text) + 1, _expected(error.expected),
                               "unexpected end")
    return FeelSyntaxError(text, line, column, [], str(error))


def tree(text: str, kind: str = "expression") -> Any:
    """The parse tree, for lint and tests."""
    return _lark().parse(text, start="start_unary_tests" if kind == "unary tests" else "start_expression")
