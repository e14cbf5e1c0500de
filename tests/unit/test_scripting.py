"""The script engine of cases: trivial expressions in-process, the rest in script workers; the
values that cross (`wire`); a forked server process gets its own pool."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import time
import uuid
from typing import Any

import pytest

from pathways.engine import wire
from pathways.engine.budget import EngineLimits
from pathways.engine.errors import LimitExceeded, ScriptError, ScriptRaised
from pathways.engine.scripting import WorkerEnvironment, is_trivial
from pathways.engine.scriptpool import PoolLimits, ScriptPool


@pytest.fixture(scope="module")
def env() -> WorkerEnvironment:
    return WorkerEnvironment(EngineLimits())


@pytest.mark.parametrize("source", [
    "risk_level == 'high'", "x > 5 and status in ['open', 'new']", "not flags['urgent']", "-n < 0",
    "dmninputexpr >= 18", "plan['owner'] == 'ngo' or x is None", "True", "(1, 2) == pair",
])
def test_trivial_expressions(source: str) -> None:
    assert is_trivial(source)


@pytest.mark.parametrize("source", [
    "len(items) > 2", "x + 1", "'x' * 10**9", "10**10**8", "name.lower() == 'a'", "[i for i in x]",
    "items[0:10**9]", "_secret == 1", "{1, 2}", "'" + "a" * 2000 + "' == x", "lambda: 1", "x if y else z",
])
def test_anything_that_computes_is_not_trivial(source: str) -> None:
    assert not is_trivial(source)


def test_trivial_expressions_run_in_process_and_others_in_a_worker(env: WorkerEnvironment) -> None:
    jobs = env.pool.stats["jobs"]
    assert env.evaluate("x > 5 and name == 'Bob'", {"x": 6, "name": "Bob"}) is True
    assert env.pool.stats["jobs"] == jobs
    assert env.evaluate("len(flags) * 2", {"flags": ["a", "b"]}) == 4
    assert env.evaluate("dmninputexpr * 2", {}, external_context={"dmninputexpr": 4}) == 8
    assert env.pool.stats["jobs"] == jobs + 2
    with pytest.raises(NameError):  # as before: SpiffWorkflow reports it with its expression
        env.evaluate("undefined_name > 1", {})


def test_a_script_changes_the_task_data_in_place(env: WorkerEnvironment) -> None:
    data: dict[str, Any] = {"plan": {"items": ["a"]}, "n": 3, "gone": 1}
    same = data
    env.execute("plan['items'].append('b')\ntotal = n * 2 + 1\ndel gone\nwhen = datetime(2026, 1, 2, 3, 4)\n"
                "wait = timedelta(days=2)\npair = (1, 2)", data)
    assert same is data
    assert data == {"plan": {"items": ["a", "b"]}, "n": 3, "total": 7, "when": dt.datetime(2026, 1, 2, 3, 4),
                    "wait": dt.timedelta(days=2), "pair": [1, 2]}


def test_errors_of_a_script_are_located_script_errors(env: WorkerEnvironment) -> None:
    with pytest.raises(ScriptRaised, match=r"ZeroDivisionError: division by zero") as raised:
        env.execute("x = 1\ny = x / 0", {})  # its text may quote case values: runtime._located reports it
    assert (raised.value.type_name, raised.value.line) == ("ZeroDivisionError", 2)
    with pytest.raises(ScriptError, match="Import statements"):
        env.execute("import os", {})  # refused here, before any worker
    with pytest.raises(LimitExceeded, match=r"Script exceeded the time limit of 1.0 s \(line 1\)"):
        env.execute("while True: pass", {})


@pytest.mark.parametrize(("script", "kind"), [
    ("g = (i for i in [1])", "generator"), ("s = {1}", "set"), ("d = {'f': len}", "builtin_function_or_method"),
    ("fee = Decimal('1.5')", "Decimal"), ("day = date(2026, 1, 1)", "date"), ("k = {1: 'a'}", "dict key of type int"),
    ("x = []\nfor i in range(150):\n    x = [x]", "nested more than 100"),
])
def test_values_the_snapshot_cannot_save_are_a_script_error(env: WorkerEnvironment, script: str, kind: str) -> None:
    data = {"secret": "KOWALSKA"}
    with pytest.raises(ScriptError) as caught:
        env.execute(script, data)
    assert kind in caught.value.message and "KOWALSKA" not in caught.value.message
    assert data == {"secret": "KOWALSKA"}  # unchanged


def test_expression_results_may_be_dates_and_decimals(env: WorkerEnvironment) -> None:
    assert env.evaluate("date(2026, 1, 2) + timedelta(days=1)", {}) == dt.date(2026, 1, 3)
    assert env.evaluate("Decimal('1.10') * 2", {}) == decimal.Decimal("2.20")


def test_limits_name_the_limit_not_the_values() -> None:
    small = WorkerEnvironment(EngineLimits(max_state_bytes=1000))
    with pytest.raises(LimitExceeded, match="state size limit of 1,000 bytes") as caught:
        small.execute("big = secret * 100", {"secret": "KOWALSKA-7781"})
    assert "KOWALSKA" not in caught.value.message and caught.value.details["limit"] == "state_size"


def test_wire_round_trip() -> None:
    value = {"a": [1, 2.5, None, True, "ż"], "when": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
             "wait": dt.timedelta(days=1, seconds=5, microseconds=7), "id": uuid.UUID(int=5)}
    assert wire.loads(wire.dumps(wire.to_wire(value))) == value
    with pytest.raises(wire.Unsavable):
        wire.to_wire({wire.TAG: "decimal", "v": "1e999999"})  # a script cannot forge a tagged value


def test_a_forked_server_process_gets_its_own_pool(env: WorkerEnvironment) -> None:
    """gunicorn forks its workers from a master: a child must not use the parent's pool or fork server."""
    assert env.evaluate("len('ab')", {}) == 2  # the parent's pool and fork server are running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            child = WorkerEnvironment(EngineLimits())
            code = 0 if child.evaluate("len('abc')", {}) == 3 and child.pool is not env.pool else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"\x00"
    assert env.evaluate("len('abcd')", {}) == 4  # and the parent's pool still works


def test_server_threads_share_the_pool() -> None:
    """waitress runs requests in threads: they take workers in turn, each answer to its asker."""
    import threading

    pool = ScriptPool(PoolLimits(workers=2))
    env = WorkerEnvironment(EngineLimits(), pool)

    answers: dict[int, list[int]] = {}

    def ask(n: int) -> None:
        answers[n] = [env.evaluate("len(s) + k", {"s": "x" * n, "k": k}) for k in range(10)]

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == {n: [n + k for k in range(10)] for n in range(8)}
    assert pool.stats["started"] <= 2 and pool.stats["jobs"] == 80  # never more workers than allowed
    pool.close()


EXITING = """
import os, sys
from multiprocessing import forkserver
from pathways.engine.scripting import WorkerEnvironment
from pathways.engine.budget import EngineLimits

if __name__ == "__main__":
    env = WorkerEnvironment(EngineLimits())
    assert env.evaluate("len('ab')", {}) == 2
    print(forkserver._forkserver._forkserver_pid, *env.pool.pids())
    sys.exit(0)  # a normal exit: atexit kills the workers, the fork server sees its pipe close
"""


def test_no_worker_outlives_its_server(tmp_path: Any) -> None:
    import subprocess
    import sys
    import time

    script = tmp_path / "exiting.py"
    script.write_text(EXITING)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2  # the fork server and one worker
    deadline = time.monotonic() + 30
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid)]
        time.sleep(0.1)
    assert pids == []


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="script_workers"):
        EngineLimits(script_workers=0)


def test_a_worker_killed_from_outside_fails_one_job_and_is_replaced() -> None:
    import signal

    pool = ScriptPool(PoolLimits(workers=1))
    job = {"op": "eval", "source": "1 + 1", "data": {}, "external": {}, "max_bytes": 100}
    assert pool.run(job, max_reply=1000) == {"ok": True, "value": 2}
    (pid,) = pool.pids()
    os.kill(pid, signal.SIGKILL)  # the OOM killer, say
    time.sleep(0.2)
    assert pool.run(job, max_reply=1000)["ok"] is False
    assert pool.run(job, max_reply=1000) == {"ok": True, "value": 2} and pool.pids() != [pid]
    pool.close()
