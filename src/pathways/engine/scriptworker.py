"""The script worker: a child process that runs scripts and expressions for the server.

It runs the same RestrictedPython sandbox as before (`pathways.engine.sandbox`), with its time
tracer and size guards, but in a process of its own under hard limits the kernel enforces:
`RLIMIT_AS` (its address space: the worker's size at start plus the configured megabytes) and
`RLIMIT_CPU` (reset before each job to the CPU seconds used so far plus the budget), no core
files and no child processes. A C call the tracer cannot interrupt (`str()` of a huge list) is
stopped by the server's wall clock (`pathways.engine.scriptpool`), which kills the worker; a
memory bomb meets `MemoryError` or the kernel. Requests and replies are JSON (`wire`); the
server never unpickles what a worker sends.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from pathways.engine import wire
from pathways.engine.errors import LimitExceeded, ScriptError
from pathways.engine.sandbox import SandboxEnvironment

_PAGE = os.sysconf("SC_PAGE_SIZE")
READY = b'{"ready":true}'
_FILENAME = "<string>"


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _limit_resources(memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which stops us
    os.environ.clear()  # the server's secrets (PATHWAYS_SECRET_KEY, the database URL) are not the script's
    base = _address_space()
    if memory_mb > 0 and base:
        limit = base + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no fork (ignored for root)


def _cpu_budget(seconds: float) -> None:
    """Let this job use `seconds` more CPU (RLIMIT_CPU counts the process's whole life)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = math.ceil(used + seconds) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _line(exc: BaseException) -> int | None:
    found = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == _FILENAME]
    return found[-1] if found else None


def answer(env: SandboxEnvironment, request: dict[str, Any]) -> dict[str, Any]:
    """One job: `{"op": "exec"|"eval", "source", "data", "external", "max_bytes"}` -> a reply."""
    data, external = request["data"], request.get("external") or {}
    if request["op"] == "eval":
        result = env.evaluate(request["source"], data, external)
        return {"ok": True, "value": wire.to_wire(result, savable=False)}
    env.execute(request["source"], data, external)
    return {"ok": True, "data": wire.data_to_wire(data)}


def _reply(env: SandboxEnvironment, raw: bytes, seconds: float) -> tuple[str, bool]:
    """The reply (JSON text) to one raw request, and whether the worker must stop after sending it."""
    failure: dict[str, Any]
    try:
        request = wire.loads(raw)
        _cpu_budget(seconds)
        text = wire.dumps(answer(env, request))
        if request["op"] == "exec" and len(text.encode("utf-8")) > int(request["max_bytes"]):
            failure = {"kind": "state_size"}
        else:
            return text, False
    except MemoryError:
        return '{"ok":false,"kind":"memory"}', True
    except RecursionError as exc:
        failure = {"kind": "recursion", "line": _line(exc)}
    except wire.Unsavable as exc:
        failure = {"kind": "unsavable", "type": exc.kind, "key": exc.key}
    except ScriptError as exc:
        failure = {"kind": "script", "message": exc.message, "line": exc.details.get("line"),
                   "limit": exc.details.get("limit") if isinstance(exc, LimitExceeded) else None}
    except Exception as exc:  # the script's own error (ZeroDivisionError...), reported as SpiffWorkflow would
        message = str(exc.args[0]) if exc.args else ""
        failure = {"kind": "error", "type": type(exc).__name__, "message": message[:1000], "line": _line(exc)}
    return wire.dumps({"ok": False, **failure}), False


def serve(conn: Connection, memory_mb: int, seconds: float) -> None:
    """The worker's loop: one request at a time until the server closes the pipe."""
    _limit_resources(memory_mb)
    env = SandboxEnvironment(time_limit=seconds)
    env.evaluate("1", {})  # warm up before saying ready: a job's time limit counts the job only
    try:
        conn.send_bytes(READY)
    except OSError:
        return
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            text, stop = _reply(env, raw, seconds)
        except MemoryError:  # even building the reply failed
            text, stop = '{"ok":false,"kind":"memory"}', True
        try:
            conn.send_bytes(text.encode("utf-8"))
        except (OSError, MemoryError):
            return
        if stop:
            return
