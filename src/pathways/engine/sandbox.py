"""A sandbox for the Python in BPMN/DMN files: scripts, conditions, decision-table expressions.

Definitions are uploaded by users, so their code is untrusted, and SpiffWorkflow's default environment
runs it with bare eval/exec. Here it is compiled by RestrictedPython with a stricter policy, sees only a
few helpers, and runs under a per-call time limit (a `sys.settrace` tracer: the engine runs in server
threads, where signals cannot interrupt it). A tracer cannot stop a single C call, so every operation
that can build a huge result in one call (`*`, `**`, `<<`, `+`, `%`, format widths, padding and
joining str methods, `range`, `sum`, Decimal exponents) is size-checked before it runs.
`print` is allowed and its output discarded.
"""

from __future__ import annotations

import ast
import builtins
import datetime as dt
import decimal
import functools
import operator
import re
import sys
import time
from collections.abc import Callable
from types import CodeType, FrameType, TracebackType
from typing import Any, NoReturn, TypeVar

import RestrictedPython as rp
from RestrictedPython import Guards
from RestrictedPython.transformer import IOPERATOR_TO_STR
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from pathways.engine.errors import LimitExceeded, ScriptError

MAX_SOURCE_BYTES = 64 * 1024
MAX_ITEMS = 1_000_000  # list/tuple/range length
MAX_CHARS = 10_000_000  # str/bytes length
MAX_INT_BITS = 10_000
MAX_DECIMAL_EXPONENT = 4_300  # int(Decimal('1e999999')) takes ~25 s in one C call
_FILENAME = "<string>"  # SpiffWorkflow looks for this name in tracebacks to report the failing line
_T = TypeVar("_T")

# None of these is in scope anyway; refusing them at compile time gives authors a clear message.
REFUSED_NAMES = frozenset({"open", "eval", "exec", "compile", "globals", "locals", "vars", "getattr",
                           "setattr", "delattr", "hasattr", "type", "input", "breakpoint", "dir"})
# Only Exception subclasses: the timeout is a BaseException that scripts must not be able to catch.
EXCEPTIONS = {n: v for n, v in rp.safe_builtins.items() if isinstance(v, type) and issubclass(v, Exception)}
_SEQUENCES = (str, bytes, list, tuple)
_GROWING_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join"})
_GUARDED_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
# The binary operators we guard, and every in-place operator (`_inplacevar_` receives them all).
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
    **{symbol: getattr(operator, "i" + name) for symbol, name in (
        ("+=", "add"), ("-=", "sub"), ("*=", "mul"), ("/=", "truediv"), ("//=", "floordiv"), ("%=", "mod"),
        ("**=", "pow"), ("<<=", "lshift"), (">>=", "rshift"), ("&=", "and"), ("|=", "or"), ("^=", "xor"),
        ("@=", "matmul"))}}


class _Timeout(BaseException):
    """Raised by the tracer; a BaseException so that `except Exception:` in a script cannot swallow it."""


def _refuse(what: str) -> NoReturn:
    raise ScriptError(f"Refused: {what}")


def _limit(size: int, seq: object = None) -> None:
    """Refuse a result of `size` items of sequence `seq`, or of `size` bits when `seq` is None."""
    limit, unit = ((MAX_INT_BITS, "bits") if seq is None else
                   (MAX_CHARS, "characters") if isinstance(seq, str | bytes) else (MAX_ITEMS, "items"))
    if size > limit:
        _refuse(f"the result would have about {size:,} {unit} (the limit is {limit:,})")


def _check_format(spec: str, pattern: str = r"\d{8,}") -> None:
    """Refuse format widths big enough to build a huge string (`f'{x:>9999999999}'`)."""
    if re.search(pattern, spec):
        # never quote the spec: a nested `{...}` in it is evaluated, and may be a case value
        _refuse(f"a format specification of {len(spec)} characters is too large or takes its width from an "
                "argument")


def _operate(op: str, a: Any, b: Any) -> Any:
    """`a op b` (`op` as in `+` or `+=`), refused first if its result would be huge."""
    kind, ints = op.rstrip("="), isinstance(a, int) and isinstance(b, int)
    seq, n = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
    if kind == "*" and ints:
        _limit(a.bit_length() + b.bit_length())
    elif kind == "*" and isinstance(seq, _SEQUENCES) and isinstance(n, int):
        _limit(len(seq) * n, seq)
    elif kind == "+" and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _limit(len(a) + len(b), a)
    elif kind == "**" and ints and b > 0:
        _limit((abs(a).bit_length() - 1) * b)
    elif kind == "<<" and ints and a:
        _limit(a.bit_length() + b)
    elif kind == "%" and isinstance(a, str | bytes):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for spec in re.findall(r"%%|%(?:\([^)]*\))?([^a-zA-Z%]*)", text):  # skips '%(key)' mapping keys
            _check_format(spec, r"\d{8,}|\*")  # '%*d' % (10**10, 1) takes the width from the arguments
    return _OPERATORS[op](a, b)


def _augitem(container: Any, key: Any, op: str, value: Any) -> None:
    """`container[key] op= value`, which plain RestrictedPython refuses."""
    Guards.full_write_guard(container)[key] = _operate(op, container[key], value)


def _format(value: Any, conversion: int, spec: str) -> str:
    _check_format(spec)
    conversions: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
    convert = conversions.get(conversion)
    return format(convert(value) if convert else value, spec)


def _sized_str_call(text: Any, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one of _GROWING_STR_METHODS on str/bytes `text` after estimating the length of its result."""
    kind, given = type(text), args
    args = (*args, *kwargs.values())  # only expandtabs(tabsize=) and replace(count=) take keywords
    if name == "join" and args:
        args = given = (list(args[0]),)  # may be a generator: materialise it once, measure, then join
        try:  # map() runs in C, so it is fast even under the tracer
            size = sum(map(len, args[0])) + len(text) * len(args[0])
        except TypeError:  # not all strings: join() itself raises the usual error
            size = 0
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], kind) and isinstance(args[1], kind):
        hits = text.count(args[0]) if args[0] else len(text) + 1
        hits = min(hits, args[2]) if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0 else hits
        size = len(text) + hits * len(args[1])
    elif name == "expandtabs":
        tabs = text.count("\t" if kind is str else b"\t")
        size = len(text) + tabs * (args[0] if args and isinstance(args[0], int) else 8)
    else:
        size = args[0] if args and isinstance(args[0], int) else 0
    _limit(size, text)
    return method(*given, **kwargs)


def _getattr(obj: Any, name: str) -> Any:
    try:
        value = Guards.safer_getattr_raise(obj, name)
    except NotImplementedError as exc:  # str.format() could reach attributes behind the guards' back
        raise ScriptError(f"Refused: {exc}") from None
    if isinstance(obj, str | bytes) and name in _GROWING_STR_METHODS:
        def sized(*args: Any, **kwargs: Any) -> Any:  # not a partial: `.args` would give the raw method
            return _sized_str_call(obj, name, value, *args, **kwargs)
        return sized
    return value


def _range(*args: int) -> range:
    """range() capped, because list(range(10**10)) runs inside one C call the tracer cannot stop."""
    result = range(*args)
    _limit(len(result) if abs(result.stop - result.start) < sys.maxsize else MAX_ITEMS + 1, result)
    return result


def _sum(items: Any, start: Any = 0) -> Any:
    if not isinstance(start, int | float | decimal.Decimal | dt.timedelta):
        _refuse("sum() only adds numbers here; use a comprehension to concatenate")
    return sum(items, start)


def _import(name: str, *args: Any, **kwargs: Any) -> Any:
    """datetime's C code imports `time`/`_strptime` through the caller's builtins (strftime, strptime);
    scripts themselves cannot name `__import__`."""
    if name not in ("time", "_strptime"):
        _refuse(f"import of {name!r}")
    return builtins.__import__(name, *args, **kwargs)


class _AnyDecimal(type):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, decimal.Decimal)


class SafeDecimal(decimal.Decimal, metaclass=_AnyDecimal):
    """`Decimal` for scripts: refuses huge exponents (arithmetic is bounded by the context set in
    `_run`), and still answers `isinstance(x, Decimal)` for every decimal."""

    def __new__(cls, value: Any = "0", context: Any = None) -> decimal.Decimal:  # type: ignore[misc]
        result = decimal.Decimal(value, context)
        if result.is_finite() and abs(result.adjusted()) > MAX_DECIMAL_EXPONENT:
            _refuse(f"Decimal exponent {result.adjusted():,} is beyond ±{MAX_DECIMAL_EXPONENT:,}")
        return result


_HELPERS = ("len", "min", "max", "sorted", "any", "all", "abs", "round", "int", "float", "str", "bool",
            "list", "dict", "set", "tuple", "enumerate", "zip", "isinstance")
BUILTINS: dict[str, Any] = {
    **EXCEPTIONS, **{n: getattr(builtins, n) for n in _HELPERS}, "range": _range, "sum": _sum,
    "datetime": dt.datetime, "date": dt.date, "timedelta": dt.timedelta, "Decimal": SafeDecimal,
    "_getattr_": _getattr, "_getitem_": operator.getitem, "_getiter_": iter, "_write_": Guards.full_write_guard,
    "_iter_unpack_sequence_": Guards.guarded_iter_unpack_sequence, "_apply_": lambda f, *a, **k: f(*a, **k),
    "_unpack_sequence_": Guards.guarded_unpack_sequence, "_inplacevar_": _operate, "_pw_op_": _operate,
    "_print_": rp.PrintCollector, "_pw_augitem_": _augitem, "_pw_format_": _format, "_pw_tick_": None,
    "__import__": _import,
}


def _call(name: str, node: ast.AST, *args: ast.expr) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, node))


class SandboxPolicy(rp.RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's policy plus our refusals, with size guards around the growing operators."""

    # "Import statements are not allowed.", etc. No context managers or classes are in scope anyway.
    visit_Import = visit_ImportFrom = visit_ClassDef = visit_With = rp.RestrictingNodeTransformer.not_allowed

    def check_name(self, node: ast.AST, name: str | None, allow_magic_methods: bool = False) -> None:
        super().check_name(node, name, allow_magic_methods)
        if name in REFUSED_NAMES:
            self.error(node, f'"{name}" is not allowed in scripts.')
        elif name in EXCEPTIONS and not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            self.error(node, f'"{name}" is a built-in exception and cannot be redefined.')

    def visit_Try(self, node: ast.Try) -> ast.AST:
        """Only `except <BuiltinError>:` clauses and no `finally`, so no script code outlives a timeout."""
        if node.finalbody:
            self.error(node, '"finally" blocks are not allowed.')
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if not all(isinstance(k, ast.Name) and k.id in EXCEPTIONS for k in kinds):
                self.error(handler, "except clauses must name built-in exceptions ('except ValueError:').")
        return self.node_contents_visit(node)  # type: ignore[no-any-return]

    def visit_While(self, node: ast.While) -> ast.AST:
        """CPython 3.11 compiles `while True: pass` to a jump to itself, which raises no line event;
        a name lookup at the top of the body makes every iteration a traced backward jump."""
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Name("_pw_tick_", ast.Load()))
        node.body.insert(0, ast.fix_missing_locations(ast.copy_location(tick, node)))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        op = _GUARDED_BINOPS.get(type(node.op))
        return _call("_pw_op_", node, ast.Constant(op), node.left, node.right) if op else node

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Slice):
            return super().visit_AugAssign(node)  # names: `_inplacevar_`; attributes and slices: refused
        op = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
        call = _call("_pw_augitem_", node, self.visit(target.value), self.visit(target.slice), op,
                     self.visit(node.value))
        return ast.fix_missing_locations(ast.copy_location(ast.Expr(call), node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        value = _call("_pw_format_", node, node.value, ast.Constant(node.conversion), node.format_spec)
        return ast.copy_location(ast.FormattedValue(value, -1, None), node)


@functools.lru_cache(maxsize=512)
def _compile(source: str, mode: str) -> tuple[CodeType | None, tuple[str, ...]]:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return None, (f"the source is longer than {MAX_SOURCE_BYTES // 1024} KiB.",)
    compiler = rp.compile_restricted_eval if mode == "eval" else rp.compile_restricted_exec
    try:
        result = compiler(source, filename=_FILENAME, policy=SandboxPolicy)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return None, (f"cannot compile: {exc}",)
    return result.code, tuple(result.errors)


def check_source(source: str, mode: str) -> list[str]:
    """Problems with `source` ("Line N: ..."), found without running it; [] when it may run."""
    return list(_compile(source, mode)[1])


def _compiled(source: str, mode: str) -> CodeType:
    code, problems = _compile(source, mode)
    if code is None or problems:
        found = re.match(r"Line (\d+)", problems[0]) if problems else None
        raise ScriptError("Script refused: " + "; ".join(problems), problems=list(problems),
                          line=int(found.group(1)) if found else None)
    return code


def _script_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        line = tb.tb_lineno if tb.tb_frame.f_code.co_filename == _FILENAME else line
        tb = tb.tb_next
    return line


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """TaskDataEnvironment's semantics (task data as globals), but restricted, time-limited, size-guarded."""

    def __init__(self, time_limit: float = 1.0, environment_globals: dict[str, Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` is read on every traced event; tests pass one that counts steps instead of seconds."""
        super().__init__(environment_globals)
        self.time_limit = float(time_limit)
        self.clock = clock

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = _compiled(expression, "eval")
        scope = {**self.globals, **(external_context or {}), **context, "__builtins__": BUILTINS}
        return self._run(lambda: eval(code, scope))

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        code, external = _compiled(script, "exec"), external_context or {}
        clash = (set(self.globals) | set(external)) & set(context)
        if clash:
            raise ValueError(f"Task data overwrites predefined names; rename {sorted(clash)}")
        before = set(context)
        context.update({**self.globals, **external, "__builtins__": BUILTINS})
        try:
            self._run(lambda: exec(code, context))
        finally:  # like TaskDataEnvironment: drop helpers, functions and our own `_print` names
            for key in list(context):
                if (key == "__builtins__" or callable(context[key]) or key in self.globals or key in external
                        or (key.startswith("_") and key not in before)):
                    del context[key]
        return True

    def _run(self, call: Callable[[], _T]) -> _T:
        """Run `call` with a tracer (this thread only) that raises _Timeout once the deadline has passed."""
        clock = self.clock
        deadline = clock() + self.time_limit

        def tracer(frame: FrameType, event: str, arg: Any) -> Any:
            if clock() > deadline:
                raise _Timeout
            # Returned on 'call', it becomes the frame's tracer for 'line' events: only in script code
            # (our guards and the stdlib functions in reach are bounded; every call is still checked).
            return tracer if frame.f_code.co_filename == _FILENAME else None

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            with decimal.localcontext() as context:
                context.Emax, context.Emin = MAX_DECIMAL_EXPONENT, -MAX_DECIMAL_EXPONENT
                return call()
        except _Timeout as exc:
            line = _script_line(exc.__traceback__)
            error = LimitExceeded(f"Script exceeded the time limit of {self.time_limit} s"
                                  + (f" (line {line})" if line else ""), line=line, limit="time")
            raise error.with_traceback(exc.__traceback__) from None
        except ScriptError as exc:  # a size guard refused: say where
            line = _script_line(exc.__traceback__)
            if line and "line" not in exc.details:
                exc.details["line"], exc.message = line, f"{exc.message} (line {line})"
                exc.args = (exc.message,)
            raise
        finally:
            sys.settrace(previous)


def make_script_engine(time_limit: float = 1.0) -> PythonScriptEngine:
    """This sandbox as a whole script engine, in-process: what a script worker runs, and the
    baseline of the benchmarks. Cases use `pathways.engine.scripting.script_engine`, which sends
    scripts to workers (never SpiffWorkflow's default engine, which uses bare eval/exec)."""
    return PythonScriptEngine(environment=SandboxEnvironment(time_limit=time_limit))
