"""Camunda 7 expressions (JUEL, the Java Unified Expression Language) translated to Python.

Camunda Modeler writes gateway conditions as `${x > 5}` or `#{approved}`; pathways runs
conditions as Python in the sandbox. A file is translated once, when it is parsed (deploy and
lint), so the case runs the same sandboxed Python as any other condition and nothing here runs
at case time. The translator has a real tokenizer and a precedence-climbing parser (EL 2.2's
grammar, the part that makes sense without Java): literals (`true`, `false`, `null`, numbers,
strings in either quote), variables, `a.b` and `a[b]` (map access: `a['b']`), unary `!`/`not`,
`-` and `empty`, `* / div % mod`, `+ -`, `< > <= >=` and `lt gt le ge`, `== !=` and `eq ne`,
`&&`/`and`, `||`/`or` and `c ? a : b`. Every operator's result is parenthesized, so Python's
own precedence (and its chained comparisons) never changes the meaning.

What has no Python meaning here is refused with a `JuelError` that says what and where, with a
hint for the designer: method and function calls (`execution.getVariable("x")`, `bean.method()`,
`fn:contains(...)`), Camunda's engine objects (`execution`, `task`...), text around or between
expressions, and variable names Python cannot have.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

#: Camunda's built-in objects: they do not exist in pathways (case data are plain variables)
ENGINE_OBJECTS = frozenset({"execution", "task", "authenticatedUserId", "authentication", "variableScope",
                            "processEngine", "processEngineServices", "caseExecution", "connector"})
_KEYWORDS = {"and": "&&", "or": "||", "not": "!", "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=",
             "ge": ">=", "div": "/", "mod": "%", "empty": "empty", "instanceof": "instanceof"}
_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:.\[\](),])
""", re.VERBOSE)
#: binary operators by precedence level (low to high), in their canonical (symbol) spelling
_LEVELS: tuple[dict[str, str], ...] = (
    {"||": "or"}, {"&&": "and"}, {"==": "==", "!=": "!="}, {"<": "<", ">": ">", "<=": "<=", ">=": ">="},
    {"+": "+", "-": "-"}, {"*": "*", "/": "/", "%": "%"},
)
CALL_HINT = ("pathways cannot call Java methods or beans: compute the value in a script task and test the "
             "variable, e.g. ${approved}")


class JuelError(ValueError):
    """A Camunda expression pathways cannot translate: what, where (column in the text) and a hint."""

    def __init__(self, message: str, column: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.column, self.hint = message, column, hint


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, keyword, end
    text: str
    column: int  # 1-based, in the whole condition text


def is_juel(text: str | None) -> bool:
    """True for text Camunda reads as an expression: it starts with `${` or `#{`."""
    return bool(text) and text.strip()[:2] in ("${", "#{")  # type: ignore[union-attr]


def body(text: str) -> tuple[str, int]:
    """The expression inside `${...}` and the column it starts at; JuelError for composite text."""
    stripped = text.strip()
    offset = len(text) - len(text.lstrip()) + 2
    inner = _closing(stripped)
    if inner != len(stripped) - 1:
        raise JuelError("the condition is not one ${...} expression (text around or between expressions)",
                        offset - 1, "write the whole condition inside one ${...}, e.g. ${a > 1 && b}")
    return stripped[2:inner], offset + 1


def _closing(text: str) -> int:
    """Index of the `}` that closes the expression opened at text[0:2] (quotes respected), or -1."""
    quote: str | None = None
    escaped = False
    for index in range(2, len(text)):
        char = text[index]
        if quote:
            escaped, quote = (False, quote) if escaped else (char == "\\", None if char == quote else quote)
        elif char in "'\"":
            quote = char
        elif char == "}":
            return index
    return -1


def tokenize(source: str, column: int = 1) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        found = _TOKEN.match(source, position)
        if found is None:
            raise JuelError(f"unexpected character {source[position]!r}", column + position,
                            "check the expression's syntax")
        kind, text = found.lastgroup or "", found.group()
        if kind == "name" and text in _KEYWORDS:
            kind, text = "keyword", _KEYWORDS[text]
        if kind != "space":
            tokens.append(Token("op" if kind == "keyword" and text not in ("empty", "instanceof") else kind,
                                text, column + position))
        position = found.end()
    tokens.append(Token("end", "", column + len(source)))
    return tokens


def translate(text: str) -> str:
    """The Python condition for a Camunda expression (`${...}` or `#{...}`); JuelError if none."""
    if not is_juel(text):
        raise JuelError("not a Camunda expression (it must start with ${ or #{)", 1, "write ${...}")
    source, column = body(text)
    if not source.strip():
        raise JuelError("the expression is empty", column, "write a condition, e.g. ${approved}")
    return _strip(_Parser(tokenize(source, column)).expression_and_end())


def _strip(python: str) -> str:
    """The outermost parentheses of the whole result, when they enclose all of it."""
    if python.startswith("(") and python.endswith(")"):
        depth = 0
        for index, char in enumerate(python):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(python) - 1:
                return python
        return python[1:-1]
    return python


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.index = tokens, 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, text: str) -> None:
        if self.token.text != text or self.token.kind not in ("op", "keyword"):
            found = repr(self.token.text) if self.token.kind != "end" else "the end"
            raise JuelError(f"expected {text!r} but found {found}", self.token.column, "check the expression's syntax")
        self._take()

    def expression_and_end(self) -> str:
        result = self.ternary()
        if self.token.kind != "end":
            raise JuelError(f"unexpected {self.token.text!r}", self.token.column, "check the expression's syntax")
        return result

    def ternary(self) -> str:
        condition = self.binary(0)
        if self.token.kind == "op" and self.token.text == "?":
            self._take()
            then = self.ternary()
            self._expect(":")
            otherwise = self.ternary()
            return f"({then} if {condition} else {otherwise})"
        return condition

    def binary(self, level: int) -> str:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.token.kind == "op" and self.token.text in _LEVELS[level]:
            operator = _LEVELS[level][self._take().text]
            left = f"({left} {operator} {self.binary(level + 1)})"
        return left

    def unary(self) -> str:
        token = self.token
        if token.kind == "op" and token.text in ("!", "-"):
            self._take()
            operand = self.unary()
            return f"(not {operand})" if token.text == "!" else f"(-{operand})"
        if token.kind == "keyword" and token.text == "empty":
            self._take()
            operand = self.unary()
            return f"({operand} is None or {operand} == '' or {operand} == [] or {operand} == {{}})"
        return self.postfix()

    def postfix(self) -> str:
        start = self.token
        result = self.primary()
        while self.token.kind == "op" and self.token.text in (".", "["):
            if self._take().text == "[":
                result = f"{result}[{self.ternary()}]"
                self._expect("]")
                continue
            name = self._take()
            if name.kind != "name":
                raise JuelError("expected a property name after '.'", name.column, "check the expression's syntax")
            if self.token.text == "(":
                raise _call_error(start, name, self.tokens[self.index + 1:self.index + 3])
            result = f"{result}[{name.text!r}]"
        if self.token.kind == "op" and self.token.text == "(":
            raise _call_error(start, None, [])
        if start.kind == "name" and start.text in ENGINE_OBJECTS:
            raise JuelError(f"{start.text!r} is Camunda's engine object, which pathways does not have",
                            start.column, "case data are plain variables: write ${name} for the variable name")
        return result

    def primary(self) -> str:
        token = self._take()
        if token.kind == "number":
            return token.text
        if token.kind == "string":
            return repr(_unquote(token.text))
        if token.kind == "op" and token.text == "(":
            inner = self.ternary()
            self._expect(")")
            return inner
        if token.kind == "name":
            return self._name(token)
        what = "the end of the expression" if token.kind == "end" else repr(token.text)
        hint = ("instanceof has no meaning in pathways: test a variable's value instead"
                if token.text == "instanceof" else "check the expression's syntax")
        raise JuelError(f"unexpected {what}", token.column, hint)

    def _name(self, token: Token) -> str:
        if token.text in _CONSTANTS:
            return _CONSTANTS[token.text]
        if self.token.kind == "op" and self.token.text == ":":  # fn:contains(...), a function of a prefix
            raise JuelError(f"function {token.text}:... cannot be translated", token.column, CALL_HINT)
        if not token.text.isidentifier() or keyword.iskeyword(token.text):
            raise JuelError(f"variable name {token.text!r} is not usable in pathways", token.column,
                            "rename the variable to a plain snake_case name (not a Python keyword, no $)")
        return token.text


def _call_error(start: Token, method: Token | None, arguments: list[Token]) -> JuelError:
    """Why a call is refused; `arguments`: the two tokens after its `(` (for `getVariable("x")`)."""
    called = f"{start.text}.{method.text}(...)" if method is not None else f"{start.text}(...)"
    if start.text == "execution" and method is not None and method.text == "getVariable":
        name = _unquote(arguments[0].text) if arguments and arguments[0].kind == "string" else "name"
        return JuelError(f"method call {called} cannot be translated", start.column,
                         f"case variables are read by name: write ${{{name}}}")
    if method is not None and method.text == "equals" and len(arguments) == 2 and arguments[1].text == ")":
        return JuelError(f"method call {called} cannot be translated", start.column,
                         f"compare with ==: ${{{start.text} == {arguments[0].text}}}")
    return JuelError(f"method call {called} cannot be translated", start.column, CALL_HINT)


def _unquote(text: str) -> str:
    """An EL string literal's value: `\\'`, `\\"` and `\\\\` are its only escapes."""
    return re.sub(r"\\(.)", r"\1", text[1:-1])
