"""Script workers for one server process: a small, thread-safe pool of child processes.

Each worker (`pathways.engine.scriptworker`) runs one job at a time. A server thread takes an
idle worker (or starts one, up to `workers`), sends the job as JSON and waits on the pipe, which
releases the GIL: other requests go on while a script runs, whatever the script does. If no
answer comes within the time limit plus `GRACE`, the worker is killed and forgotten, and the next
job starts a new one. Workers are forked by multiprocessing's fork server (started once per
server process, single-threaded, so no lock held by a server thread is copied into a worker).

Pools are per process: after a fork (gunicorn's workers) the child starts its own, and at exit
every worker is killed (`close_all`, registered with atexit; the workers are daemonic too).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing import forkserver
from typing import Any

from pathways.engine import scriptworker, wire

#: how much longer than the time limit the server waits before it kills a worker: the worker's own
#: tracer stops ordinary loops at the limit, so only a C call that cannot be interrupted meets this
GRACE = 0.5
#: how long a new worker may take to start (the first one also starts the fork server)
START_SECONDS = 30.0
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["pathways.engine.scriptworker"])


@dataclass(frozen=True)
class PoolLimits:
    seconds: float = 1.0
    memory_mb: int = 256
    workers: int = 2


#: what the fork server (and so every worker) keeps of the server's environment: nothing secret
_KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV")
_KEPT_PREFIXES = ("LC_", "PYTHON")
_environment_lock = threading.Lock()


def _start_fork_server() -> None:
    """Start the fork server, once per process, with a scrubbed environment.

    The fork server is a new interpreter started with the server's environment, and workers fork
    from it: a worker's `os.environ.clear()` does not clear the process's original environment
    block (`/proc/<pid>/environ`), which would still hold `PATHWAYS_SECRET_KEY` and the database
    URL. So the variables are taken out of this process's environment while it starts.
    """
    server = getattr(forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) is not None:
        return  # running (a dead one is restarted by multiprocessing, with this process's environment)
    with _environment_lock:
        removed = {k: v for k, v in os.environ.items()
                   if k not in _KEPT_ENVIRONMENT and not k.startswith(_KEPT_PREFIXES)}
        for key in removed:
            del os.environ[key]
        try:
            forkserver.ensure_running()
        finally:
            os.environ.update(removed)


class _Worker:
    def __init__(self, limits: PoolLimits) -> None:
        _start_fork_server()  # a no-op once it runs
        ours, theirs = _CONTEXT.Pipe(duplex=True)
        self.process = _CONTEXT.Process(target=scriptworker.serve, args=(theirs, limits.memory_mb, limits.seconds),
                                        daemon=True, name="pathways-script-worker")
        self.process.start()
        theirs.close()
        self.conn = ours
        # a new worker first says it is ready: starting (the fork server's first start, importing
        # the sandbox) is not part of any job's time limit
        if not ours.poll(START_SECONDS) or ours.recv_bytes(1024) != scriptworker.READY:
            self.stop()
            raise RuntimeError("a script worker did not start")

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(2)


class ScriptPool:
    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self.stats: Counter[str] = Counter()  # started, jobs, killed (wall clock), died
        self._idle: list[_Worker] = []
        self._count = 0
        self._closed = False
        self._cond = threading.Condition()

    def run(self, request: dict[str, Any], max_reply: int, wait: float = 30.0) -> dict[str, Any]:
        """Send one job, return the worker's reply (`{"ok": False, "kind": ...}` when a limit stopped it)."""
        worker = self._acquire(wait)
        if worker is None:
            return {"ok": False, "kind": "busy"}
        reply: dict[str, Any] = {"ok": False, "kind": "crashed"}
        try:
            reply = self._ask(worker, request, max_reply)
            return reply
        finally:
            self._release(worker, healthy=reply.get("ok") is True or reply.get("kind") not in
                          ("time", "memory", "cpu", "crashed", "too_big"))

    def _ask(self, worker: _Worker, request: dict[str, Any], max_reply: int) -> dict[str, Any]:
        self._count_stat("jobs")
        try:
            worker.conn.send_bytes(wire.dumps(request).encode("utf-8"))
        except OSError:  # an idle worker killed from outside (the OOM killer)
            self._count_stat("died")
            return {"ok": False, "kind": "crashed"}
        if not worker.conn.poll(self.limits.seconds + GRACE):
            self._count_stat("killed")
            return {"ok": False, "kind": "time"}
        try:
            raw = worker.conn.recv_bytes(max_reply)
        except OSError:  # longer than any reply may be
            return {"ok": False, "kind": "too_big"}
        except EOFError:  # the worker died: the kernel's CPU limit, the OOM killer, a crash
            self._count_stat("died")
            worker.process.join(1)
            code = worker.process.exitcode
            return {"ok": False, "kind": "cpu" if code == -signal.SIGXCPU else
                    "memory" if code == -signal.SIGKILL else "crashed"}
        try:
            reply = wire.loads(raw)
        except ValueError:  # not what a worker writes: treat it as a crashed one
            reply = None
        return reply if isinstance(reply, dict) else {"ok": False, "kind": "crashed"}

    def _count_stat(self, name: str) -> None:
        with self._cond:
            self.stats[name] += 1

    def _acquire(self, wait: float) -> _Worker | None:
        deadline = time.monotonic() + wait
        with self._cond:
            while not self._idle and self._count >= self.limits.workers and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            if self._closed:
                raise RuntimeError("the script pool is closed")
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            worker = _Worker(self.limits)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self._count_stat("started")
        return worker

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed and worker.process.is_alive():
                self._idle.append(worker)
                self._cond.notify()
                return
            self._count -= 1
            self._cond.notify()
        worker.stop()

    def close(self) -> None:
        """Kill every idle worker now; busy ones are killed as their jobs end."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.stop()

    def pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._idle if w.process.pid is not None]


_pools: dict[PoolLimits, ScriptPool] = {}
_lock = threading.Lock()


def shared_pool(limits: PoolLimits) -> ScriptPool:
    """This process's pool for `limits` (one per configuration, made on first use)."""
    with _lock:
        pool = _pools.get(limits)
        if pool is None:
            pool = _pools[limits] = ScriptPool(limits)
        return pool


def close_all() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def _forget_after_fork() -> None:
    """In a forked child (a gunicorn worker) the parent's workers and fork server are the parent's:
    drop them, unkilled, and let the child start its own on first use."""
    global _lock
    _lock = threading.Lock()
    _pools.clear()
    # multiprocessing's fork server is a module-level singleton that knows no fork: in the child it
    # would ask the kernel about the parent's server (ChildProcessError). Reset it in place (its
    # bound methods are what multiprocessing calls), closing our copy of the parent's alive pipe.
    server = getattr(forkserver, "_forkserver", None)
    if server is None or getattr(server, "_forkserver_pid", None) is None:
        return
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:
        with contextlib.suppress(OSError):
            os.close(alive)
    server._forkserver_alive_fd = None
    server._forkserver_address = None
    server._forkserver_pid = None
    server._inherited_fds = None
    server._lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(close_all)
