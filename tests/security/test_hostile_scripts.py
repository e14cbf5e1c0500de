"""Hostile scripts, each deployed as a BPMN and run over HTTP: each fails with a clean error at its
element, the case stays readable and unchanged, and the server neither stalls nor grows.

Scripts run in script workers (`pathways.engine.scriptpool`); what a limit stops is asserted on
the pool's counters (the worker was killed, or died, or answered a refusal), not on timings a busy
machine could break. Timings are in `benchmarks/sandbox_cost.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pathways.core import services
from pathways.engine import scriptpool
from pathways.store.models import Case, CaseEvent
from tests.e2e.api_fixtures import login
from tests.security.hostile import SECRET, open_task, pathway, start, upload

#: script -> (error code, words of the message, what the pool saw: None, "killed" or "died")
RUNS_AND_FAILS = {
    "infinite loop": ("while True:\n    pass", "limit_exceeded", "time limit", None),
    "swallowed timeout": ("while True:\n    try:\n        while True:\n            pass\n    except Exception:\n"
                          "        pass", "limit_exceeded", "time limit", None),
    "one C call over a big list": ("a = [0] * 999999\nb = [a] * 999999\nc = sorted(b)", "limit_exceeded",
                                   "time limit", "killed"),
    "max over a big list": ("a = [0] * 999999\nb = [a] * 999999\nc = max(b)", "limit_exceeded", "time limit",
                            "killed"),
    "memory bomb by extend": ("a = [0] * 999999\nb = []\nfor i in range(100000):\n    b.extend(a)",
                              "limit_exceeded", "memory limit", None),
    "str of a big structure": ("a = ['x' * 1000] * 999999\nb = [a] * 1000\ns = str(b)", "limit_exceeded",
                               "exceeded", None),  # the time or the memory limit, whichever comes first
    "str.translate": ("s = 'x' * 9000000\nt = s.translate({120: 'y' * 1000000})", "limit_exceeded",
                      "memory limit", None),
    "huge string literal": ("x = 'x' * 10**9", "script_error", "Refused", None),
    "huge power": ("x = 10**10**8", "script_error", "Refused", None),
    "deep recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "limit_exceeded", "recursion limit", None),
    "string beyond the state size": ("big = 'x' * 9000000", "limit_exceeded", "state size", None),
    "generator": ("g = (i for i in [1, 2])", "script_error", "cannot be saved (generator)", None),
    "set": ("s = {1, 2}", "script_error", "cannot be saved (set)", None),
    "function in a dict": ("d = {'f': len}", "script_error", "cannot be saved", None),
    "decimal": ("fee = Decimal('1.50')", "script_error", "cannot be saved (Decimal)", None),
    "a case value in an error": ("x = {}[secret]", "script_error", "KeyError", None),
}
REFUSED_AT_UPLOAD = {
    "import": "import os\nos.system('id')",
    "fork bomb": "import os\nwhile True:\n    os.fork()",
    "__import__": "os = __import__('os')",
    "dunder access": "x = ().__class__.__bases__[0].__subclasses__()",
    "open": "data = open('/etc/passwd').read()",
    "eval": "eval('1')",
    "getattr": "getattr(secret, 'upper')",
}


def _pool(app: Flask) -> scriptpool.ScriptPool:
    return scriptpool.shared_pool(_limits(app))


def _limits(app: Flask) -> scriptpool.PoolLimits:
    limits = services(app).engine.limits
    return scriptpool.PoolLimits(limits.script_seconds, limits.script_memory_mb, limits.script_workers)


def _deployed(client: FlaskClient, bearer: Any, script: str) -> tuple[dict[str, Any], dict[str, Any]]:
    admin, ewa = bearer(client, "admin"), bearer(client, "ewa.pup")
    uploaded = upload(client, admin, pathway(script))
    assert uploaded.status_code == 201, uploaded.get_json()
    return start(client, ewa), ewa


def _events(app: Flask, case_id: int) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case_id)) or 0)


def _version(app: Flask, case_id: int) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(Case.version).where(Case.id == case_id)) or 0)


def _fails_cleanly(app: Flask, client: FlaskClient, ewa: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """Complete `prepare` (which runs the script): 400 at `hostile`, and nothing of the command written."""
    events, version = _events(app, case["id"]), _version(app, case["id"])
    response = client.post(f"/api/v1/tasks/{open_task(case, 'prepare')}/complete", headers=ewa,
                           json={"data": {"secret": SECRET}})
    assert response.status_code == 400, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert "hostile" in body["message"], body
    again = client.get(f"/api/v1/cases/{case['id']}", headers=ewa)
    assert again.status_code == 200  # the case stays readable
    detail = again.get_json()
    assert detail["status"] == "active" and [t["element"] for t in detail["open_tasks"]] == ["prepare"]
    assert (_events(app, case["id"]), _version(app, case["id"])) == (events, version)  # nothing committed
    return body


@pytest.mark.parametrize("name", list(RUNS_AND_FAILS))
def test_hostile_script_fails_cleanly_at_its_element(api_app: Flask, client: FlaskClient, bearer: Any,
                                                     name: str) -> None:
    script, code, words, pool_saw = RUNS_AND_FAILS[name]
    case, ewa = _deployed(client, bearer, script)
    pool = _pool(api_app)
    before = dict(pool.stats)
    body = _fails_cleanly(api_app, client, ewa, case)
    assert body["code"] == code and words in body["message"], body
    assert SECRET not in json.dumps(body)  # a script's own error names its class, never the value
    if pool_saw:
        assert pool.stats[pool_saw] == before.get(pool_saw, 0) + 1
    # the next script runs normally: a killed worker was replaced
    assert services(api_app).engine.limits.script_seconds == 1.0


@pytest.mark.parametrize("name", list(REFUSED_AT_UPLOAD))
def test_hostile_script_is_refused_at_upload_with_its_element(client: FlaskClient, bearer: Any, name: str) -> None:
    response = upload(client, bearer(client, "admin"), pathway(REFUSED_AT_UPLOAD[name]))
    assert response.status_code == 400, response.get_json()
    problems = response.get_json()["problems"]
    assert problems and all(p["element"] == "hostile" for p in problems), problems
    assert client.get("/api/v1/definitions/hostile_pathway", headers=bearer(client, "admin")).status_code == 404


def test_a_script_after_a_killed_worker_runs_normally(api_app: Flask, client: FlaskClient, bearer: Any) -> None:
    case, ewa = _deployed(client, bearer, "a = [0] * 999999\nb = [a] * 999999\nc = sorted(b)")
    _fails_cleanly(api_app, client, ewa, case)
    admin = bearer(client, "admin")
    assert upload(client, admin, pathway("doubled = len(secret) * 2", "kind_pathway")).status_code == 201
    kind = start(client, ewa, "kind_pathway")
    done = client.post(f"/api/v1/tasks/{open_task(kind, 'prepare')}/complete", headers=ewa,
                       json={"data": {"secret": SECRET}})
    assert done.status_code == 200, done.get_json()
    detail = client.get(f"/api/v1/cases/{kind['id']}", headers=ewa).get_json()
    assert [t["element"] for t in detail["open_tasks"]] == ["after"]


def _rss_peak_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def test_other_requests_go_on_while_a_hostile_script_runs(any_app: Flask) -> None:
    """The hostile request waits on a pipe, without the GIL: others are answered meanwhile.

    On PostgreSQL nothing else waits. SQLite has one writer at a time and every read of a case is
    audited (a write), so there a read waits for the hostile command's transaction to end: bounded
    by the script's limit, not by the script (docs/security.md, "Script sandbox")."""
    app = any_app
    client = app.test_client()
    tokens = {name: {"Authorization": f"Bearer {login(client, name)}"} for name in ("admin", "ewa.pup")}
    case, ewa = _deployed(client, lambda _client, name: tokens[name],
                          "a = [0] * 999999\nb = [a] * 999999\nc = sorted(b)")
    other = start(client, ewa)  # a second case to read while the first one's script runs
    pool = _pool(app)
    killed = pool.stats["killed"]
    answer: dict[str, Any] = {}

    def hostile() -> None:
        answer["response"] = app.test_client().post(
            f"/api/v1/tasks/{open_task(case, 'prepare')}/complete", headers=ewa, json={"data": {"secret": SECRET}})

    thread = threading.Thread(target=hostile)
    thread.start()
    latencies = []
    while thread.is_alive():
        began = time.monotonic()
        assert client.get(f"/api/v1/cases/{other['id']}", headers=ewa).status_code == 200
        latencies.append(time.monotonic() - began)
    thread.join()
    assert answer["response"].status_code == 400
    assert pool.stats["killed"] == killed + 1  # stopped by the wall clock, in the worker
    if services(app).store.engine.dialect.name == "postgresql":
        assert len(latencies) >= 2, latencies  # answered while the script ran (it lasts 1.5 s)
        assert max(latencies) < 2.0, latencies  # generous: a read takes milliseconds


def test_a_memory_bomb_does_not_grow_the_server(api_app: Flask, client: FlaskClient, bearer: Any) -> None:
    case, ewa = _deployed(client, bearer, "a = [0] * 999999\nb = []\nfor i in range(100000):\n    b.extend(a)")
    peak = _rss_peak_kib()
    body = _fails_cleanly(api_app, client, ewa, case)
    assert "memory limit" in body["message"]
    assert _rss_peak_kib() - peak < 64 * 1024  # the bomb reached its worker's 256 MB, not the server


def test_workers_are_children_that_end_with_the_pool(api_app: Flask) -> None:
    pool = scriptpool.ScriptPool(scriptpool.PoolLimits(1.0, 256, 1))
    reply = pool.run({"op": "eval", "source": "x + 1", "data": {"x": 1}, "external": {}, "max_bytes": 1000},
                     max_reply=10_000)
    assert reply == {"ok": True, "value": 2}
    pids = pool.pids()
    assert len(pids) == 1
    pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            _signal_zero(pid)


def _signal_zero(pid: int) -> None:
    import os

    os.kill(pid, 0)


_READ_WORKER_ENVIRONMENTS = """
from pathways.engine.scriptpool import PoolLimits, shared_pool
from multiprocessing import forkserver
if __name__ == "__main__":
    pool = shared_pool(PoolLimits())
    pool.run({"op": "eval", "source": "1 + 1", "data": {}, "external": {}, "max_bytes": 1000}, max_reply=10_000)
    pids = pool.pids() + [forkserver._forkserver._forkserver_pid]
    print(sum(b"TOPSECRET" in open(f"/proc/{pid}/environ", "rb").read() for pid in pids), len(pids))
"""


def test_workers_and_their_fork_server_never_hold_the_servers_secrets(tmp_path) -> None:
    """A sandbox escape would read /proc/self/environ: the secret key and database URL are not there."""
    script = tmp_path / "read_environ.py"
    script.write_text(_READ_WORKER_ENVIRONMENTS)
    env = {**os.environ, "PATHWAYS_SECRET_KEY": "TOPSECRET" + "k" * 32,
           "PATHWAYS_DATABASE_URL": "postgresql://u:TOPSECRET@db/x"}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    holding, processes = map(int, result.stdout.split())
    assert processes >= 2 and holding == 0
