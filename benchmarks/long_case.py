"""Long cases: the cost of one persisted step as a case's history grows.

One case of tests/fixtures/measures.bpmn goes round its loop (`placement` -> `employed_gate` ->
`placement` while found_job is false) N times through `Engine.complete_task`. The step cost should
not grow with the number of completed tasks behind it.

Run: .venv/bin/python benchmarks/long_case.py [--steps 400] [--repeat 3] [--window 5] [--url sqlite:///...]
Prints the median step time (ms; wall clock, and this process's CPU time, which a busy shared
machine disturbs less) around the 10th, 50th, 100th, 200th and 400th completion, the ratio
200th/10th and the snapshot size. With --repeat R, R cases go round one after another and each
figure is the median of their R medians, so a burst of load on a shared machine skews one case
only. Timings, not assertions: machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.store import schema
from pathways.store.db import Store
from pathways.store.models import Base, CaseState, HumanTask

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "measures.bpmn"
ROLES = ROOT / "workflows" / "roles.toml"
MARKS = (10, 50, 100, 200, 400)


def prepare(url: str) -> tuple[Store, Engine]:
    store = Store(url)
    schema.upgrade(store.engine)
    if store.engine.dialect.name == "postgresql":  # --url may point at a used database: start empty
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    roles = RoleVocabulary.load(ROLES)
    deploy(store, collect([FIXTURE]), roles)
    return store, Engine(store, roles)


def open_task(store: Store, case_id: int) -> str:
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")).one()


def snapshot_size(store: Store, case_id: int) -> int:
    with store.unit_of_work(write=False) as uow:
        state = uow.session.scalars(select(CaseState.state).where(CaseState.case_id == case_id)).one()
    return len(state.encode())


def run(store: Store, engine: Engine, steps: int) -> tuple[list[float], list[float], dict[int, int]]:
    """Wall and CPU ms of each completion (index + 1 = completed tasks); snapshot sizes at the marks."""
    actor = Actor("bench")
    case_id = engine.start_case(actor, "measures", {})
    timings: list[float] = []
    cpu: list[float] = []
    sizes = {}
    for step in range(1, steps + 1):
        task_id = open_task(store, case_id)  # not timed: the inbox read a user would do
        data = {"hours": 1} if step == 1 else {"hours": 1, "found_job": False}
        started, started_cpu = time.perf_counter(), time.process_time()
        engine.complete_task(actor, task_id, data)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if step in MARKS or step == steps:
            sizes[step] = snapshot_size(store, case_id)
    return timings, cpu, sizes


def around(timings: list[float], mark: int, window: int) -> float:
    """Median of the steps within `window` of the mark-th completion."""
    lo, hi = max(0, mark - 1 - window), min(len(timings), mark + window)
    return statistics.median(timings[lo:hi])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="completions in the case (default 400)")
    parser.add_argument("--repeat", type=int, default=3, help="cases run one after another (default 3)")
    parser.add_argument("--window", type=int, default=5, help="steps either side of a mark in its median")
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        store, engine = prepare(url)
        try:
            runs = [run(store, engine, args.steps) for _ in range(args.repeat)]
        finally:
            store.dispose()
    sizes = runs[-1][2]

    def figure(mark: int, column: int) -> float:
        return statistics.median(around(r[column], mark, args.window) for r in runs)

    print(f"steps: {args.steps}  repeat: {args.repeat}  window: +-{args.window}  database: {url.split(':', 1)[0]}")
    for mark in (m for m in MARKS if m <= args.steps):
        size = f"  snapshot {sizes[mark] / 1024:.1f} KB" if mark in sizes else ""
        print(f"step {mark:>4}: median {figure(mark, 0):6.2f} ms  (cpu {figure(mark, 1):6.2f} ms){size}")
    if args.steps >= 200:
        print(f"ratio 200th/10th: {figure(200, 0) / figure(10, 0):.2f}x  (cpu {figure(200, 1) / figure(10, 1):.2f}x)")
    print(f"snapshot after {args.steps} completions: {sizes[args.steps] / 1024:.1f} KB")


if __name__ == "__main__":
    main()
