"""Turns a parsed FEEL tree into a Python closure, once, and runs it against a scope.

Compiling to closures rather than walking the tree on every evaluation makes a decision table's
hundredth evaluation cost only the arithmetic. Errors become null plus a warning on the scope, as
the standard says (10.3.2.2): a FEEL expression never raises at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lark import Token, Tree

from . import operators, temporal
from .builtins import TYPES, TypeChecks, call_function, conform, instance_of
from .external_java import java_function
from .limits import check_size
from .navigation import filter_list, loop, path, with_input
from .scope import Compiled, Scope, guarded
from .values import FEEL_CONTEXT, FeelError, Function, Range, compare, equal, number

Node = Any  # a lark Tree or Token: lark's trees are not typed finely enough to check


def name_of(tree: Node) -> str:
    words = []
    for token in tree.children:
        text = str(token)
        words.append(text[1:-1] if text.startswith("`") else " ".join(text.split()))
    return " ".join(words)


def unescape(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "b": "\b", "f": "\f"}
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(body):
                code = int(body[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00 and body[i:i + 2] == "\\u":
                    low = int(body[i + 2:i + 6], 16)
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                out.append(chr(code))
                continue
            if nxt == "U" and i + 8 <= len(body):
                out.append(chr(int(body[i + 2:i + 8], 16)))
                i += 8
                continue
        out.append(char)
        i += 1
    return "".join(out)


class Compiler:
    """One method per tree node kind; each returns a closure over the compiled children.

    `names` collects every name the expression reads (for lint: unknown input names), including
    names bound inside it by `for`, `some`, `every` and function parameters, which `bound` lists.
    """

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.bound: set[str] = {"?", "item", "partial"}

    def compile(self, tree: Node | Token) -> Compiled:
        if isinstance(tree, Token):
            raise FeelError(f"unexpected token {tree}")
        method: Callable[[Node], Compiled] = getattr(self, "c_" + str(tree.data))
        return method(tree)

    # literals
    def c_number(self, tree: Node) -> Compiled:
        value = number(str(tree.children[0]))
        return lambda scope: value

    def c_string(self, tree: Node) -> Compiled:
        value = unescape(str(tree.children[0]))
        return lambda scope: value

    def c_true(self, tree: Node) -> Compiled:
        return lambda scope: True

    def c_false(self, tree: Node) -> Compiled:
        return lambda scope: False

    def c_null(self, tree: Node) -> Compiled:
        return lambda scope: None

    def c_temporal(self, tree: Node) -> Compiled:
        text = unescape(str(tree.children[0]))

        def run(scope: Scope) -> Any:
            return temporal.parse_temporal(text)
        return guarded(run)

    def c_name(self, tree: Node) -> Compiled:
        name = name_of(tree)
        self.names.add(name)

        def run(scope: Scope) -> Any:
            try:
                return scope.lookup(name)
            except KeyError:
                return dotted_lookup(scope, name)
        return guarded(run)

    def c_input_value(self, tree: Node) -> Compiled:
        return self.c_name(Tree("name", [Token("WORD", "?")]))

    def c_list(self, tree: Node) -> Compiled:
        items = [self.compile(child) for child in tree.children if child is not None]
        return lambda scope: [item(scope) for item in items]

    def c_context(self, tree: Node) -> Compiled:
        entries = []
        for entry in tree.children:
            if entry is None:
                continue
            key, value = entry.children
            key_text = unescape(str(key)) if isinstance(key, Token) else name_of(key)
            self.bound.add(key_text)
            entries.append((key_text, self.compile(value)))

        def run(scope: Scope) -> Any:
            result: dict[str, Any] = {}
            inner = scope.child(result)  # later entries see earlier ones
            for key, value in entries:
                result[key] = value(inner)
            return result
        return run

    def _interval(self, tree: Node, start_included: bool) -> Compiled:
        parts = [child for child in tree.children if isinstance(child, Tree)]
        start, end = self.compile(parts[0]), self.compile(parts[1])
        end_included = parts[2].data == "closed_end"

        def run(scope: Scope) -> Any:
            low, high = start(scope), end(scope)
            return Range(low, high, start_included, end_included)
        return run

    def c_comparison_range(self, tree: Node) -> Compiled:
        op = str(tree.children[0])
        operand = self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            value = operand(scope)
            if op in ("<", "<="):
                return Range(None, value, False, op == "<=", op)
            if op in (">", ">="):
                return Range(value, None, op == ">=", False, op)
            return Range(value, value, True, True, op)
        return run

    def c_closed_start_interval(self, tree: Node) -> Compiled:
        return self._interval(tree, True)

    def c_open_start_interval(self, tree: Node) -> Compiled:
        return self._interval(tree, False)

    # operators
    def c_arith(self, tree: Node) -> Compiled:
        left, op, right = tree.children
        function = operators.ARITHMETIC[str(op)]
        a, b = self.compile(left), self.compile(right)
        return guarded(lambda scope: check_size(function(a(scope), b(scope))))

    def c_negate(self, tree: Node) -> Compiled:
        a = self.compile(tree.children[0])
        return guarded(lambda scope: operators.negate(a(scope)))

    def _comparison(self, tree: Node, test: Callable[[int], bool]) -> Compiled:
        a, b = self.compile(tree.children[0]), self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            left, right = a(scope), b(scope)
            order = compare(left, right)
            if order is None:
                if left is not None and right is not None and equal(left, right) is None:
                    scope.warn(f"cannot compare {left!r} with {right!r}")
                return None
            return test(order)
        return run

    def c_lt(self, tree: Node) -> Compiled:
        return self._comparison(tree, lambda order: order < 0)

    def c_le(self, tree: Node) -> Compiled:
        return self._comparison(tree, lambda order: order <= 0)

    def c_gt(self, tree: Node) -> Compiled:
        return self._comparison(tree, lambda order: order > 0)

    def c_ge(self, tree: Node) -> Compiled:
        return self._comparison(tree, lambda order: order >= 0)

    def c_eq(self, tree: Node) -> Compiled:
        a, b = self.compile(tree.children[0]), self.compile(tree.children[1])
        return lambda scope: equal(a(scope), b(scope))

    def c_ne(self, tree: Node) -> Compiled:
        a, b = self.compile(tree.children[0]), self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            same = equal(a(scope), b(scope))
            return None if same is None else not same
        return run

    def c_and_(self, tree: Node) -> Compiled:
        a, b = self.compile(tree.children[0]), self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            left = a(scope)
            if left is False:
                return False
            right = b(scope)
            if right is False:
                return False
            return True if left is True and right is True else None
        return run

    def c_or_(self, tree: Node) -> Compiled:
        a, b = self.compile(tree.children[0]), self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            left = a(scope)
            if left is True:
                return True
            right = b(scope)
            if right is True:
                return True
            return False if left is False and right is False else None
        return run

    def c_between(self, tree: Node) -> Compiled:
        value, low, high = (self.compile(child) for child in tree.children)

        def run(scope: Scope) -> Any:
            v, lo, hi = value(scope), low(scope), high(scope)
            first, second = compare(lo, v), compare(v, hi)
            if first is None or second is None:
                return None
            return first <= 0 and second <= 0
        return run

    # unary tests: each compiles to a closure of (scope, value) -> bool | None
    def test(self, tree: Node) -> Callable[[Scope, Any], Any]:
        kind = str(tree.data)
        if kind == "expr_test":
            return self._expression_test(tree.children[0])
        operand = self.compile(tree.children[0])
        checks: dict[str, Callable[[int], bool]] = {
            "lt_test": lambda o: o < 0, "le_test": lambda o: o <= 0, "gt_test": lambda o: o > 0,
            "ge_test": lambda o: o >= 0,
        }
        if kind in ("eq_test", "ne_test"):
            negated = kind == "ne_test"

            def same(scope: Scope, value: Any) -> Any:
                result = equal(value, operand(scope))
                return None if result is None else result != negated
            return same
        check = checks[kind]

        def ordered(scope: Scope, value: Any) -> Any:
            order = compare(value, operand(scope))
            return None if order is None else check(order)
        return ordered

    def _expression_test(self, tree: Node) -> Callable[[Scope, Any], Any]:
        expression = self.compile(tree)
        uses_input = any(
            isinstance(node, Tree) and node.data == "input_value" for node in tree.iter_subtrees()
        ) if isinstance(tree, Tree) else False

        def run(scope: Scope, value: Any) -> Any:
            expected = expression(scope)
            if uses_input and isinstance(expected, bool):
                return expected
            if isinstance(expected, Range):
                return expected.contains(value)
            if isinstance(expected, list):
                if any(equal(value, item) is True for item in expected):
                    return True
                return equal(value, expected) is True if isinstance(value, list) else False
            if isinstance(expected, Function):  # a function as a test: true when it returns true
                return guarded(lambda inner: call_function(expected, [value], inner.warn))(scope)
            same = equal(value, expected)
            return False if same is None and value is not None and expected is not None else same
        return run

    def c_in_single(self, tree: Node) -> Compiled:
        value = self.compile(tree.children[0])
        test = self.test(tree.children[1])
        return lambda scope: with_input(scope, value(scope), [test])

    def c_in_list(self, tree: Node) -> Compiled:
        value = self.compile(tree.children[0])
        tests = [self.test(child) for child in tree.children[1:]]
        return lambda scope: with_input(scope, value(scope), tests)

    def c_start_unary_tests(self, tree: Node) -> Compiled:
        tests = [self.test(child) for child in tree.children]
        return lambda scope: with_input(scope, scope.lookup("?"), tests)

    def c_instance_of(self, tree: Node) -> Compiled:
        value = self.compile(tree.children[0])
        type_text = type_text_of(tree.children[1])
        return lambda scope: instance_of(value(scope), type_text, model_types(scope))

    # control
    def c_if_expr(self, tree: Node) -> Compiled:
        condition, then, otherwise = (self.compile(child) for child in tree.children)
        return lambda scope: then(scope) if condition(scope) is True else otherwise(scope)

    def _iterations(self, trees: list[Node]) -> list[tuple[str, Compiled, Compiled | None]]:
        out: list[tuple[str, Compiled, Compiled | None]] = []
        for tree in trees:
            name = name_of(tree.children[0])
            self.bound.add(name)
            first = self.compile(tree.children[1])
            second = self.compile(tree.children[2]) if tree.data == "range_iteration" else None
            out.append((name, first, second))
        return out

    def c_for_expr(self, tree: Node) -> Compiled:
        iterations = self._iterations(tree.children[:-1])
        body = self.compile(tree.children[-1])
        uses_partial = any(isinstance(node, Tree) and node.data == "name" and name_of(node) == "partial"
                           for node in tree.children[-1].iter_subtrees()) if isinstance(tree.children[-1], Tree) \
            else False

        def run(scope: Scope) -> Any:
            results: list[Any] = []
            partial: dict[str, Any] = {"partial": results}

            def visit(inner: Scope) -> None:
                results.append(body(inner))
                if uses_partial:  # the results so far, never the list being built (it would hold itself)
                    partial["partial"] = list(results)
            if uses_partial:
                partial["partial"] = []
            loop(scope.child(partial), iterations, 0, visit)
            return results
        return guarded(run)

    def c_quantified(self, tree: Node) -> Compiled:
        every = str(tree.children[0]) == "every"
        rest = tree.children[1:]
        pairs = [(name_of(rest[i]), self.compile(rest[i + 1])) for i in range(0, len(rest) - 1, 2)]
        self.bound.update(name for name, _ in pairs)
        iterations: list[tuple[str, Compiled, Compiled | None]] = [(name, source, None) for name, source in pairs]
        condition = self.compile(rest[-1])

        def run(scope: Scope) -> Any:
            outcomes: list[Any] = []
            loop(scope, iterations, 0, lambda inner: outcomes.append(condition(inner)))
            if every:
                return False if any(o is False for o in outcomes) else (
                    True if all(o is True for o in outcomes) else None)
            return True if any(o is True for o in outcomes) else (
                False if all(o is False for o in outcomes) else None)
        return guarded(run)

    def c_function_def(self, tree: Node) -> Compiled:
        children = [child for child in tree.children if child is not None]
        if len(children) > 1 and isinstance(children[-2], Token) and str(children[-2]) == "external":
            return self.external_function(children)
        parameters = [name_of(child.children[0]) for child in children[:-1]]
        types = [type_text_of(child.children[1]) if len(child.children) > 1 and child.children[1] is not None
                 else None for child in children[:-1]]
        self.bound.update(parameters)
        body_code = self.compile(children[-1])

        def run(scope: Scope) -> Any:
            checks = model_types(scope)

            def call(*args: Any) -> Any:
                # a parameter left out is null, never a same-named variable from outside
                values = [*args, *[None] * (len(parameters) - len(args))]
                values = [value if kind is None else conform(value, kind, checks)
                          for value, kind in zip(values, types, strict=False)]
                inner = scope.child(dict(zip(parameters, values, strict=False)))
                return body_code(inner)
            return Function("function", parameters, call)
        return run

    def external_function(self, children: list[Any]) -> Compiled:
        """`function(x) external {java: {...}}`: a Java method of the known few; PMML is not supported."""
        parameters = [name_of(child.children[0]) for child in children[:-2]]
        body = self.compile(children[-1])

        def external(scope: Scope) -> Any:
            mapping = body(scope)
            if isinstance(mapping, dict) and "java" in mapping:
                return java_function(mapping, parameters)
            raise FeelError("external functions other than Java (PMML) are not supported")
        return guarded(external)

    def c_call(self, tree: Node) -> Compiled:
        callee_tree = tree.children[0]
        callee = self.compile(callee_tree)
        arguments = tree.children[1] if len(tree.children) > 1 else None
        named: list[tuple[str, Compiled]] | None = None
        positional: list[Compiled] = []
        if arguments is not None and arguments.data == "named":
            items = arguments.children
            named = [(name_of(items[i]), self.compile(items[i + 1])) for i in range(0, len(items), 2)]
        elif arguments is not None:
            positional = [self.compile(child) for child in arguments.children]
        label = name_of(callee_tree) if isinstance(callee_tree, Tree) and callee_tree.data == "name" else "function"

        def run(scope: Scope) -> Any:
            function = callee(scope)
            if not isinstance(function, Function):
                raise FeelError(f"{label} is not a function")
            if named is not None:
                values = {key: value(scope) for key, value in named}
                return call_function(function, values, scope.warn)
            return call_function(function, [argument(scope) for argument in positional], scope.warn)
        return guarded(run)

    def c_path(self, tree: Node) -> Compiled:
        target = self.compile(tree.children[0])
        key = name_of(tree.children[1])
        return guarded(lambda scope: path(target(scope), key))

    def c_filter(self, tree: Node) -> Compiled:
        target = self.compile(tree.children[0])
        condition = self.compile(tree.children[1])

        def run(scope: Scope) -> Any:
            items = target(scope)
            if items is None:
                return None
            if not isinstance(items, list):
                items = [items]
            return filter_list(scope, items, condition)
        return guarded(run)


def dotted_lookup(scope: Scope, name: str) -> Any:
    """A name with a dot that is not in scope (`Person.Age`, read as one name because the model also
    has a parameter called that) is a path: the longest leading part in scope, then its entries."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value = scope.lookup(".".join(parts[:cut]).strip())
        except KeyError:
            continue
        for key in parts[cut:]:
            value = path(value, key.strip())
        return value
    raise FeelError(f"no variable named {name!r}")


def model_types(scope: Scope) -> TypeChecks | None:
    """The DMN model's type checks in scope (`builtins.TYPES`), if any."""
    try:
        types = scope.lookup(TYPES)
    except KeyError:
        return None
    return types if isinstance(types, Mapping) else None


def type_text_of(tree: Node) -> str:
    if tree.data == "name":
        return name_of(tree)
    if tree.data == "type":
        head = name_of(tree.children[0])
        inner = [type_text_of(child) for child in tree.children[1:] if isinstance(child, Tree)]
        return head + ("<" + ", ".join(inner) + ">" if inner else "")
    if tree.data == "context_type":
        head = name_of(tree.children[0])
        entries = [f"{name_of(e.children[0])}: {type_text_of(e.children[1])}" for e in tree.children[1:]]
        return head + "<" + ", ".join(entries) + ">"
    if tree.data == "function_type":
        parts = [type_text_of(child) for child in tree.children if isinstance(child, Tree)]
        return "function<" + ", ".join(parts[:-1]) + ">->" + parts[-1]
    return str(tree)


__all__ = ["FEEL_CONTEXT", "Compiled", "Compiler", "Scope"]
