"""The cost of the script sandbox per evaluation: in-process vs script worker.

Run: PYTHONPATH=src .venv/bin/python benchmarks/sandbox_cost.py [--runs 300]
Prints medians (and min-max) in microseconds of: a trivial expression evaluated in the server
(the AST whitelist's fast path), the same in the old in-process sandbox with its tracer, a
non-trivial expression and a small script in a worker, a small script with 100 KB of case data,
starting a worker (after the fork server is up) and the fork server's own first start. Then what a
hostile script costs others: how long a trivial evaluation in another thread takes while a worker
runs a C call that only the wall clock stops, against the same C call in-process. Timings, not
assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import threading
import time
from collections.abc import Callable

from pathways.engine.budget import EngineLimits
from pathways.engine.errors import ScriptError
from pathways.engine.sandbox import SandboxEnvironment
from pathways.engine.scripting import WorkerEnvironment
from pathways.engine.scriptpool import PoolLimits, ScriptPool

DATA = {"risk_level": "high", "instruments": ["contract", "benefit", "training"], "amounts": [120, 80, 45],
        "n": 3}
BIG = {**DATA, "notes": ["x" * 100 for _ in range(1000)]}  # about 100 KB of case data
HOSTILE = "a = [0] * 999999\nb = [a] * 999999\nc = sorted(b)"


def timed(call: Callable[[], object], runs: int) -> list[float]:
    call()  # warm: compile caches, an idle worker
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1e6)
    return samples


def show(label: str, samples: list[float]) -> None:
    print(f"{label:<58} median {statistics.median(samples):>10,.0f} µs   "
          f"min-max {min(samples):,.0f}-{max(samples):,.0f} (n={len(samples)})")


def during(run_hostile: Callable[[], object], env: WorkerEnvironment) -> list[float]:
    """Rounds of (a trivial evaluation + a 1 ms sleep) in this thread while `run_hostile` runs in
    another, in µs: a round that cannot get the GIL back lasts as long as the other thread holds it."""
    thread = threading.Thread(target=run_hostile)
    samples, last = [], time.perf_counter()
    thread.start()  # (the new thread may run first: the first round counts from here)
    while thread.is_alive():
        env.evaluate("risk_level == 'high' and n >= 2", DATA)
        time.sleep(0.001)
        now = time.perf_counter()
        samples.append((now - last) * 1e6)
        last = now
    thread.join()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {runs} runs each")

    began = time.perf_counter()
    limits = EngineLimits()
    env = WorkerEnvironment(limits, ScriptPool(PoolLimits(limits.script_seconds, limits.script_memory_mb, 2)))
    env.evaluate("len(instruments)", DATA)
    first = (time.perf_counter() - began) * 1e3
    print(f"{'fork server and first worker start (once per process)':<58} {first:,.0f} ms")
    old = SandboxEnvironment(time_limit=1.0)

    show("trivial expression, in-process (whitelist)", timed(
        lambda: env.evaluate("risk_level == 'high' and n >= 2", DATA), runs))
    show("same expression, old in-process sandbox (tracer)", timed(
        lambda: old.evaluate("risk_level == 'high' and n >= 2", dict(DATA)), runs))
    show("expression in a worker: len(instruments) >= 2", timed(
        lambda: env.evaluate("len(instruments) >= 2", DATA), runs))
    show("small script in a worker", timed(
        lambda: env.execute("total = sum(amounts)\nok = total > 100", dict(DATA)), runs))
    show("same script, old in-process sandbox", timed(
        lambda: old.execute("total = sum(amounts)\nok = total > 100", dict(DATA)), runs))
    show("small script in a worker, 100 KB of case data", timed(
        lambda: env.execute("total = sum(amounts)", dict(BIG)), max(runs // 3, 10)))

    def start_worker() -> None:
        pool = ScriptPool(PoolLimits(1.0, 256, 1))
        pool.run({"op": "eval", "source": "1", "data": {}, "external": {}, "max_bytes": 100}, max_reply=1000)
        pool.close()

    show("worker start (fork, limits, warm-up) + one job + stop", timed(start_worker, max(runs // 10, 5)))

    def hostile_in_worker() -> None:
        with contextlib.suppress(ScriptError):
            env.execute(HOSTILE, {})

    began = time.perf_counter()
    latencies = during(hostile_in_worker, env)
    print(f"{'hostile C call in a worker: stopped after':<58} {(time.perf_counter() - began):.2f} s "
          f"(limit {limits.script_seconds} s + grace); worker killed: {env.pool.stats['killed']}")
    show("  meanwhile, rounds of another thread (evaluate + 1 ms sleep)", latencies)

    def hostile_in_process() -> None:  # what the old sandbox could not stop: one C call (cut short here)
        data: dict[str, object] = {}
        old.execute("a = [0] * 99999\nb = [a] * 2000", data)
        sorted(data["b"])  # type: ignore[call-overload]

    latencies = during(hostile_in_process, env)
    show("  the same kind of C call in-process (2,000 rows): rounds", latencies)


if __name__ == "__main__":
    main()
