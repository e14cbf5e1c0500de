"""The script engine cases run with: trivial expressions in-process, everything else in a worker.

Most conditions and DMN cells are a comparison of a few names and literals (`risk == 'high'`,
`dmninputexpr >= 18`). An AST whitelist (`is_trivial`) recognises those: no calls, no
attributes, no arithmetic, no comprehensions, only bounded literals, so they take time
proportional to the case data (itself bounded by the state limit) and cannot build anything.
They run here, compiled by the same RestrictedPython policy. Every script and every other
expression runs in a script worker process (`pathways.engine.scriptpool`) under kernel limits;
data crosses as JSON (`pathways.engine.wire`), and what a script leaves in the case data must be
something the snapshot can save.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from pathways.engine import feel_conditions, wire
from pathways.engine.budget import EngineLimits
from pathways.engine.errors import LimitExceeded, ScriptError, ScriptRaised
from pathways.engine.sandbox import BUILTINS, _compiled
from pathways.engine.scriptpool import PoolLimits, ScriptPool, shared_pool

MAX_TRIVIAL_SOURCE = 2_000
MAX_TRIVIAL_NODES = 200
MAX_TRIVIAL_CONSTANT = 1_000  # characters of a string literal, digits of a number
_TRIVIAL_NODES = (ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
                  ast.List, ast.Tuple, ast.Subscript, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.cmpop)
_LIMIT_WORDS = {
    "time": "its time limit", "cpu": "its CPU limit", "memory": "its memory limit",
    "crashed": "the script worker stopped", "too_big": "the largest reply a script worker may send",
    "state_size": "the case state size limit", "busy": "the wait for a free script worker",
    "recursion": "the recursion limit",
}


@functools.lru_cache(maxsize=2048)
def is_trivial(source: str) -> bool:
    """True for an expression safe to evaluate in the server: names, literals, subscripts by a
    literal, comparisons, `and`/`or`/`not`, unary minus; nothing that calls or computes."""
    if len(source) > MAX_TRIVIAL_SOURCE:
        return False
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_TRIVIAL_NODES:
        return False
    for node in nodes:
        if not isinstance(node, _TRIVIAL_NODES):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes | int) and not isinstance(
                node.value, bool) and len(str(node.value)) > MAX_TRIVIAL_CONSTANT:
            return False
    return True


class WorkerEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's environment interface over the worker pool (task data as the script's globals)."""

    def __init__(self, limits: EngineLimits, pool: ScriptPool | None = None) -> None:
        super().__init__({})
        self.limits = limits
        self.pool = pool or shared_pool(PoolLimits(limits.script_seconds, limits.script_memory_mb,
                                                   limits.script_workers))

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        if isinstance(expression, feel_conditions.FeelCondition):
            return feel_conditions.evaluate(expression, {**(external_context or {}), **context})
        code = _compiled(expression, "eval")  # refusals are found here, without a worker
        if is_trivial(expression):
            return eval(code, {**(external_context or {}), **context, "__builtins__": BUILTINS})
        return self._ask("eval", expression, context, external_context).get("value")

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        _compiled(script, "exec")
        data = self._ask("exec", script, context, external_context).get("data")
        if not isinstance(data, dict):
            raise LimitExceeded("the script worker sent no case data", limit="crashed")
        context.clear()
        context.update(data)
        return True

    def _ask(self, op: str, source: str, context: dict[str, Any],
             external_context: dict[str, Any] | None) -> dict[str, Any]:
        try:
            request = {"op": op, "source": source, "data": wire.data_to_wire(context),
                       "external": wire.data_to_wire(external_context or {}), "max_bytes": self.limits.max_state_bytes}
        except wire.Unsavable as exc:
            raise ScriptError(f"the case data holds a value the script worker cannot take ({exc.kind})") from None
        reply = self.pool.run(request, max_reply=self.limits.max_state_bytes * 2 + 65_536)
        if reply.get("ok"):
            return reply
        raise _failure(reply, self.limits)


def _failure(reply: dict[str, Any], limits: EngineLimits) -> ScriptError | ScriptRaised:
    """The error for a worker's failed reply; limits name the limit and the line, never a value."""
    kind, line = str(reply.get("kind")), reply.get("line")
    at = f" (line {line})" if isinstance(line, int) else ""
    if kind == "script":  # the sandbox's own refusal or time limit, worded without values
        limit = reply.get("limit")
        if isinstance(limit, str):
            return LimitExceeded(str(reply.get("message")), line=line, limit=limit)
        return ScriptError(str(reply.get("message")), line=line)
    if kind == "error":
        return ScriptRaised(str(reply.get("type")), str(reply.get("message")), line if isinstance(line, int) else None)
    if kind == "unsavable":
        key = reply.get("key")
        where = f" in {key!r}" if isinstance(key, str) and key.isidentifier() else ""
        return ScriptError(f"the script left a value that cannot be saved ({reply.get('type')}){where}: "
                           "case data may hold text, numbers, true/false, lists, dicts, datetimes and timedeltas",
                           limit="unsavable")
    if kind == "state_size":
        return LimitExceeded(f"the script's data would exceed the case state size limit of "
                             f"{limits.max_state_bytes:,} bytes", limit="state_size")
    words = _LIMIT_WORDS.get(kind, "a limit of the script sandbox")
    seconds = f" of {limits.script_seconds} s" if kind in ("time", "cpu") else (
        f" of {limits.script_memory_mb} MB" if kind == "memory" else "")
    return LimitExceeded(f"the script exceeded {words}{seconds}{at}", limit=kind, line=line)


def script_engine(limits: EngineLimits | None = None, pool: ScriptPool | None = None) -> PythonScriptEngine:
    """The script engine every case runs with (never SpiffWorkflow's default, which uses bare eval)."""
    limits = limits or EngineLimits()
    engine = PythonScriptEngine(environment=WorkerEnvironment(limits, pool))
    engine.limits = limits  # read by the multi-instance bound (`budget`)
    return engine
