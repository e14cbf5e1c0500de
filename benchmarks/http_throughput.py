"""HTTP throughput: cases started and tasks completed through the REST API by several clients.

Run: .venv/bin/python benchmarks/http_throughput.py [--db sqlite|postgres] [--url URL] [--workers N]
         [--threads T] [--clients 4] [--tasks 3000] [--paced 1500] [--rate R] [--profile FILE]

A fresh database (a SQLite file in a temporary folder; or PostgreSQL `--url`, default
postgresql://postgres@127.0.0.1:5432/bench_b, emptied first) gets the schema, workflows/ and the
demo data; `pathways serve --workers N` (1: waitress, the default; more: gunicorn's master and N
worker processes) is started on 127.0.0.1 as a subprocess. Client processes
(multiprocessing, one keep-alive `http.client` connection each, bearer tokens from
POST /api/v1/auth/token) then:

1. start `intake_referral` cases (POST /api/v1/cases) as fast as they can;
2. complete each case's first task (POST /api/v1/tasks/{id}/complete) as fast as they can:
   the completions per second;
3. complete more first tasks at a fixed total rate (`--rate`, default half the target: 150/s on
   SQLite, 125/s on PostgreSQL): the latency of a completion at that load;
4. read the inbox (GET /api/v1/tasks) and its counts for a few seconds.

"server CPU" and memory count every server process (the process started and its children, the
gunicorn workers): user + system time from /proc/<pid>/stat ("cores busy": that per second of
the phase, beside the whole machine's busy time from /proc/stat, clients and database included);
VmRSS and VmHWM from /proc/<pid>/status summed (pages the workers share with the master count
once per process, and the summed peaks need not have coincided), and the proportional set size
(Pss, shared pages split between the processes sharing them, /proc/<pid>/smaps_rollup), which
adds up to what the server takes from the machine. Prints figures; asserts nothing: these machines are shared and noisy.
`--profile out.txt` records the server (with its workers) with py-spy during phase 2
(`pip install py-spy` in the venv; not a project dependency).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_b"
TARGETS = {"sqlite": 300.0, "postgresql": 250.0}
PARTNERS = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"]
IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}
USER, PASSWORD = "anna.ops", "demo"


# -- the database and the server ------------------------------------------------------------------
def prepare(url: str) -> None:
    """Empty the database, then schema, workflows/ and the demo data (as `pathways demo` does)."""
    from sqlalchemy import create_engine, text

    from pathways.config import Config
    from pathways.core import Pathways
    from pathways.demo import load_demo
    from pathways.store.db import normalise_url

    if url.startswith("postgres"):
        engine = create_engine(normalise_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    services = Pathways(Config(database_url=url, workflows_dir=WORKFLOWS, run_scheduler=False))
    services.upgrade_db()
    services.deploy()
    load_demo(services.store, services.engine)
    services.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(url: str, port: int, workers: int, threads: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PATHWAYS_DATABASE_URL": url, "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS),
           "PATHWAYS_SECRET_KEY": secrets.token_urlsafe(32), "PATHWAYS_SECURE_COOKIES": "0"}
    exe = Path(sys.executable).parent / "pathways"
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--threads", str(threads)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200 and _booted(proc.pid, workers):
                    break
                if time.monotonic() > deadline:
                    raise OSError("not every worker booted")
                time.sleep(0.2)
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start: " + (proc.stderr.read() or b"").decode()
                                     if proc.stderr else "") from None
                time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()  # fields from the 3rd (state) on


def server_pids(pid: int) -> list[int]:
    """The server process and its children (gunicorn's workers), those alive now."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return [pid, *sorted(children)]


def _booted(pid: int, workers: int) -> bool:
    """Every gunicorn worker is forked and has built its app (its timer scheduler thread runs)."""
    if workers == 1:
        return True
    children = server_pids(pid)[1:]
    try:
        return len(children) >= workers and all(len(os.listdir(f"/proc/{c}/task")) > 1 for c in children)
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server's processes have used so far.

    The server's own time, the time of its children it has reaped (cutime, cstime: a worker that
    exited), and the time of its live children."""
    fields = _stat(pid)
    ticks = sum(int(f) for f in fields[11:15])
    for child in server_pids(pid)[1:]:
        try:
            ticks += sum(int(f) for f in _stat(child)[11:13])
        except OSError:  # exited (and reaped, so counted in cutime) since the listing
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> dict[str, float]:
    """MB summed over the server's processes: VmRSS, VmHWM (peaks), Pss; and how many processes."""
    found = {"VmRSS": 0.0, "VmHWM": 0.0, "Pss": 0.0, "processes": 0.0}
    for each in server_pids(pid):
        try:
            with open(f"/proc/{each}/status") as status:
                for key, _, value in (line.partition(":") for line in status):
                    if key in ("VmRSS", "VmHWM"):
                        found[key] += int(value.split()[0]) / 1024
            with open(f"/proc/{each}/smaps_rollup") as rollup:
                for key, _, value in (line.partition(":") for line in rollup):
                    if key == "Pss":
                        found["Pss"] += int(value.split()[0]) / 1024
            found["processes"] += 1
        except OSError:
            continue
    return found


def memory_text(mem: dict[str, float]) -> str:
    return (f"VmRSS {mem['VmRSS']:.1f} MB (peak VmHWM {mem['VmHWM']:.1f} MB, Pss {mem['Pss']:.1f} MB, "
            f"{mem['processes']:.0f} process(es))")


# -- the clients --------------------------------------------------------------------------------
class Client:
    """One keep-alive connection with a bearer token."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = json.dumps(body) if body is not None else None
        self.conn.request(method, path, body=payload, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)

    def login(self) -> None:
        status, body = self.call("POST", "/api/v1/auth/token", {"username": USER, "password": PASSWORD})
        assert status == 201, (status, body)
        self.headers["Authorization"] = f"Bearer {body['token']}"


def _start_cases(port: int, first: int, count: int, start_at: float) -> tuple[list[float], int, list[str]]:
    client = Client(port)
    client.login()
    time.sleep(max(0.0, start_at - time.time()))
    timings, tasks, errors = [], [], 0
    for n in range(first, first + count):
        ben = f"BEN-H{n:06d}"
        began = time.perf_counter()
        status, body = client.call("POST", "/api/v1/cases", {"pathway": "intake_referral", "beneficiary": ben,
                                                               "data": {"beneficiary_pseudonym": ben},
                                                               "agencies": PARTNERS})
        timings.append((time.perf_counter() - began) * 1000)
        if status != 201:
            errors += 1
            continue
        tasks += [t["id"] for t in body["open_tasks"] if t["element"] == "identify"]
    return timings, errors, tasks


def _complete(port: int, tasks: list[str], interval: float, start_at: float) -> tuple[list[float], int, list[str]]:
    """Complete `tasks`; with `interval` > 0, one every `interval` seconds (a fixed schedule)."""
    client = Client(port)
    client.login()
    time.sleep(max(0.0, start_at - time.time()))
    timings, errors = [], 0
    for i, task_id in enumerate(tasks):
        if interval:
            time.sleep(max(0.0, start_at + i * interval - time.time()))
        began = time.perf_counter()
        status, _ = client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": IDENTIFY})
        timings.append((time.perf_counter() - began) * 1000)
        errors += status != 200
    return timings, errors, []


def _read(port: int, seconds: float, start_at: float) -> tuple[list[float], int, list[str]]:
    client = Client(port)
    client.login()
    time.sleep(max(0.0, start_at - time.time()))
    timings, errors = [], 0
    paths = ["/api/v1/tasks?view=all&sort=due", "/api/v1/tasks/count"]
    while time.time() < start_at + seconds:
        began = time.perf_counter()
        status, _ = client.call("GET", paths[len(timings) % 2])
        timings.append((time.perf_counter() - began) * 1000)
        errors += status != 200
    return timings, errors, []


def _split(items: list[str], parts: int) -> list[list[str]]:
    return [items[i::parts] for i in range(parts)]


def machine_busy() -> float:
    """CPU seconds the whole machine (every core, every process) has been busy, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def run_phase(pool: Any, pid: int, func: Any,
              args: list[tuple[Any, ...]]) -> tuple[list[Any], float, float, float]:
    """Run one call per client, all starting together.

    Returns (results, server CPU seconds, wall seconds, machine busy CPU seconds). CPU time is
    counted from the common start (logins happen before it)."""
    start_at = time.time() + 2.0  # after every client has connected and logged in
    pending = pool.starmap_async(func, [(*a, start_at) for a in args])
    time.sleep(max(0.0, start_at - time.time()))
    cpu, busy = cpu_seconds(pid), machine_busy()
    results = pending.get()
    return results, cpu_seconds(pid) - cpu, time.time() - start_at, machine_busy() - busy


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(name: str, timings: list[float], cpu: float, wall: float, errors: int, pid: int, busy: float) -> str:
    mem = memory(pid)
    return (f"{name:<33} {len(timings):5d} in {wall:6.2f} s = {len(timings) / wall:6.1f}/s  "
            f"p50 {statistics.median(timings):6.2f} ms  p95 {pct(timings, 95):6.2f} ms  "
            f"p99 {pct(timings, 99):6.2f} ms  max {max(timings):7.2f} ms  "
            f"server CPU {cpu * 1000 / len(timings):5.2f} ms/request  errors {errors}  "
            f"RSS {mem['VmRSS']:.1f} MB (peak {mem['VmHWM']:.1f}, Pss {mem['Pss']:.1f})  "
            f"cores busy: server {cpu / wall:4.2f}, machine {busy / wall:4.2f} of {os.cpu_count()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", help=f"the PostgreSQL database to empty and use (default {PG_URL})")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (`pathways serve --workers`; 1: waitress, more: gunicorn)")
    parser.add_argument("--threads", type=int, default=8, help="request threads per server process")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--tasks", type=int, default=3000, help="completions at full speed")
    parser.add_argument("--paced", type=int, default=1500, help="completions at the fixed rate")
    parser.add_argument("--rate", type=float, help="completions per second in the paced phase (default: target / 2)")
    parser.add_argument("--read-seconds", type=float, default=5.0)
    parser.add_argument("--profile", help="py-spy output file (.txt: top functions; .svg: flame graph)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pathways-http-")
    url = f"sqlite:///{tmp}/bench.db" if args.db == "sqlite" else (args.url or PG_URL)
    dialect = "sqlite" if args.db == "sqlite" else "postgresql"
    rate = args.rate or TARGETS[dialect] / 2
    clients = args.clients
    try:
        prepare(url)
        port = free_port()
        with server(url, port, args.workers, args.threads) as proc, mp.get_context("fork").Pool(clients) as pool:
            kind = "waitress" if args.workers == 1 else f"gunicorn, {args.workers} workers"
            print(f"database: {dialect}  server: pathways serve ({kind} x {args.threads} threads) pid {proc.pid}  "
                  f"clients: {clients}  cpus: {os.cpu_count()}  load average: {_load()}")
            print(f"server memory after start: {memory_text(memory(proc.pid))}")

            def phase(name: str, func: Any, calls: list[tuple[Any, ...]]) -> list[str]:
                results, cpu, wall, busy = run_phase(pool, proc.pid, func, calls)
                timings = [t for r in results for t in r[0]]
                print(summary(name, timings, cpu, wall, sum(r[1] for r in results), proc.pid, busy))
                return [x for r in results for x in r[2]]

            per = -(-(args.tasks + args.paced) // clients)
            tasks = phase("start case (full speed)", _start_cases, [(port, i * per, per) for i in range(clients)])
            fast, paced = tasks[:args.tasks], tasks[args.tasks:]
            spy = _profile(proc.pid, args.profile) if args.profile else None
            phase("complete task (full speed)", _complete, [(port, part, 0.0) for part in _split(fast, clients)])
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
            phase(f"complete task (paced {rate:.0f}/s)", _complete,
                  [(port, part, clients / rate) for part in _split(paced, clients)])
            phase("inbox page + counts (full speed)", _read, [(port, args.read_seconds)] * clients)
            print(f"server memory after the run: {memory_text(memory(proc.pid))}")
            print(f"load average: {_load()}")
            print(f"targets: >= {TARGETS[dialect]:.0f} completions/s; at {rate:.0f}/s p50 <= 5 ms, p95 <= 20 ms; "
                  "VmRSS <= 150 MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _profile(pid: int, out: str) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    fmt = ["--format", "flamegraph"] if out.endswith(".svg") else ["--format", "raw"]
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--output", out, *fmt,
                             "--nonblocking", "--gil", "--subprocesses"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
