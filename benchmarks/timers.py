"""Timer precision: N timers due in the same minute, fired by W `pathways worker` processes.

Run: .venv/bin/python benchmarks/timers.py --url postgresql://postgres@127.0.0.1:5432/bench \
         [--timers 10000] [--workers 2] [--span 60]
The database's tables are emptied. Prints how many timers fired, how many fired more than once,
the time from the first due time to the last firing, the lag from due time (median, p95, max) and
the CPU time the workers used (per timer: what a quiet machine's figures hide). `--span 10` packs
the due times into 10 s, a load test. Figures, not assertions: machines are shared and noisy.

`--live`: the workers run first, and this process then plays a server (no scheduler of its own)
writing `--timers` cases one every `--interval` s, each due `--delay` s after it is written (a
PT10S-ish timer, shorter for the benchmark). The workers know of none of them until they are
woken (`pathways.engine.wake`: NOTIFY on PostgreSQL), so the lag shows how soon a timer written
by another process fires. The workers run with `PATHWAYS_TIMER_MAX_SLEEP=300`, so a missed wake
shows as a lag of minutes, not of the default 60 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from pathways.base import sealing
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.store import schema
from pathways.store.db import Store
from pathways.store.models import Base, CaseEvent, Timer

HERE = Path(__file__).resolve().parent
ROLES = HERE.parent / "workflows" / "roles.toml"


def keys() -> None:
    """A throwaway secret and data key unless the environment has them (the workers inherit them)."""
    import base64
    import secrets

    os.environ.setdefault("PATHWAYS_SECRET_KEY", secrets.token_urlsafe(32))
    if not {"PATHWAYS_DATA_KEYS", "PATHWAYS_DATA_KEY_FILE"} & set(os.environ):
        os.environ["PATHWAYS_DATA_KEYS"] = "bench:" + base64.b64encode(secrets.token_bytes(32)).decode()
    ring = sealing.load_ring()
    assert ring is not None
    sealing.configure(ring)


def prepare(store: Store) -> Engine:
    schema.upgrade(store.engine)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    roles = RoleVocabulary.load(ROLES)
    deploy(store, collect([HERE / "fixtures" / "timer_wait.bpmn"]), roles)
    return Engine(store, roles)


def create_cases(engine: Engine, count: int, lead: float, span: float) -> tuple[datetime, int]:
    """Start `count` cases whose timers fall due within `span` s starting `lead` s after creation ends.

    The first case (timed, to plan the due times) waits a day; returns the first due time and its id.
    """
    actor = Actor("bench")
    probe = time.perf_counter()
    far = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    probe_case = engine.start_case(actor, "timer_wait", {"wake_at": far})
    per_case = time.perf_counter() - probe
    first_due = datetime.now(UTC) + timedelta(seconds=per_case * count * 1.5 + lead)
    for i in range(count - 1):
        due = first_due + timedelta(seconds=span * i / count)
        engine.start_case(actor, "timer_wait", {"wake_at": due.isoformat()})
        if i % 1000 == 0:
            print(f"  created {i:,} cases", file=sys.stderr)
    return first_due, probe_case


def start_workers(url: str, count: int, max_sleep: str | None = None) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PATHWAYS_DATABASE_URL": url, "PATHWAYS_WORKFLOWS_DIR": str(ROLES.parent)}
    if max_sleep:
        env["PATHWAYS_TIMER_MAX_SLEEP"] = max_sleep
    return [subprocess.Popen([sys.executable, "-m", "pathways.cli", "worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=30)


def live(store: Store, engine: Engine, args: argparse.Namespace) -> None:
    """Workers first; then timers written here, each due `delay` s after it is written."""
    workers = start_workers(args.url, args.workers, max_sleep="300")
    try:
        time.sleep(5)  # the workers are up and listening
        actor = Actor("bench")
        began = time.monotonic()
        for _ in range(args.timers):
            due = datetime.now(UTC) + timedelta(seconds=args.delay)
            engine.start_case(actor, "timer_wait", {"wake_at": due.isoformat()})
            time.sleep(args.interval)
        written = time.monotonic() - began
        deadline = time.monotonic() + args.delay + 120
        while time.monotonic() < deadline:
            with store.unit_of_work(write=False) as uow:
                if not uow.session.scalar(select(func.count()).select_from(Timer)):
                    break
            time.sleep(0.5)
    finally:
        stop_workers(workers)
    report(store, args.timers + 1, written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (its tables are emptied)")
    parser.add_argument("--timers", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lead", type=float, default=20.0, help="seconds between creation and the first due time")
    parser.add_argument("--span", type=float, default=60.0, help="seconds the due times spread over")
    parser.add_argument("--live", action="store_true", help="write the timers while the workers run (see above)")
    parser.add_argument("--delay", type=float, default=3.0, help="--live: seconds from writing a timer to its due time")
    parser.add_argument("--interval", type=float, default=0.05, help="--live: seconds between two timers written")
    args = parser.parse_args()
    keys()
    store = Store(args.url)
    engine = prepare(store)
    if args.live:
        live(store, engine, args)
        return
    first_due, probe_case = create_cases(engine, args.timers, args.lead, args.span)
    print(f"first timer due at {first_due:%H:%M:%S}; starting {args.workers} worker(s)", file=sys.stderr)
    workers = start_workers(args.url, args.workers)
    try:
        deadline = first_due + timedelta(seconds=args.span + 120)
        while datetime.now(UTC) < deadline:
            with store.unit_of_work(write=False) as uow:
                waiting = uow.session.scalar(select(func.count()).select_from(Timer).where(
                    Timer.element_id == "wait", Timer.case_id != probe_case))
            if not waiting:
                break
            time.sleep(0.5)
    finally:
        stop_workers(workers)
    report(store, args.timers, args.span)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = cpu.ru_utime + cpu.ru_stime
    print(f"worker CPU time: {seconds:.1f} s ({seconds / max(args.timers - 1, 1) * 1000:.2f} ms per timer)")


def report(store: Store, expected: int, span: float) -> None:
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        started = {e.case_id: datetime.fromisoformat(e.after["data"]["wake_at"])
                   for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "CaseStarted"))}
        fired = list(s.execute(select(CaseEvent.case_id, CaseEvent.at).where(CaseEvent.kind == "TimerFired")))
    per_case: dict[int, int] = {}
    for case_id, _ in fired:
        per_case[case_id] = per_case.get(case_id, 0) + 1
    lags = sorted(((at if at.tzinfo else at.replace(tzinfo=UTC)) - started[case_id]).total_seconds()
                  for case_id, at in fired if started[case_id] < datetime.now(UTC) + timedelta(hours=1))
    due_cases = expected - 1  # the probe case waits a day
    first_due = min(v for v in started.values())
    last_fired = max((at if at.tzinfo else at.replace(tzinfo=UTC)) for _, at in fired) if fired else first_due
    print(f"timers due: {due_cases:,}; fired: {len(per_case):,}; fired more than once: "
          f"{sum(1 for n in per_case.values() if n > 1)}")
    print(f"first due -> last fired: {(last_fired - first_due).total_seconds():.1f} s "
          f"(the due times span {span:.1f} s)")
    if lags:
        p95 = lags[int(0.95 * (len(lags) - 1))]
        print(f"lag from due time: p50 {statistics.median(lags):.2f} s, p95 {p95:.2f} s, max {lags[-1]:.2f} s")


if __name__ == "__main__":
    main()
