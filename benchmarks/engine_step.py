"""Engine overhead: a persisted task completion vs SpiffWorkflow completing the same task in memory.

Run: .venv/bin/python benchmarks/engine_step.py [--cases 200] [--url postgresql://...]
Without --url a fresh SQLite file is used; a PostgreSQL database's tables are emptied first.
Prints the median and min-max in milliseconds (wall clock, and the CPU time of this process, which a
busy shared machine disturbs less) and the ratio of the medians. Timings, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, text

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import DocumentIndex, build_spec, collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.engine.sandbox import make_script_engine
from pathways.store import schema
from pathways.store.db import Store
from pathways.store.models import Base, HumanTask

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}


Timings = tuple[list[float], list[float]]  # wall clock, CPU time (ms)


def in_memory(cases: int) -> Timings:
    files = collect([WORKFLOWS])
    index = DocumentIndex.build(files)
    spec, subs = build_spec([d.source for d in index.dependencies("intake_referral")], "intake_referral")
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
        wf.do_engine_steps()
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        started, started_cpu = time.perf_counter(), time.process_time()
        task.data.update(IDENTIFY)
        task.run()
        wf.do_engine_steps()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def persisted(url: str, cases: int, keep: bool) -> Timings:
    """`keep`: the process kept each case's workflow from its previous command (the engine's runtime
    cache); otherwise every command restores the snapshot, as a process that never saw the case does."""
    store = Store(url)
    schema.upgrade(store.engine)
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} CASCADE"))
    roles = RoleVocabulary.load(WORKFLOWS / "roles.toml")
    deploy(store, collect([WORKFLOWS]), roles)
    engine = Engine(store, roles, runtime_cache_size=cases if keep else 0)
    actor = Actor("bench")
    ids = [engine.start_case(actor, "intake_referral", {}) for _ in range(cases)]
    with store.unit_of_work(write=False) as uow:
        tasks = dict(uow.session.execute(select(HumanTask.case_id, HumanTask.id).where(
            HumanTask.case_id.in_(ids), HumanTask.element_id == "identify")).all())
    wall: list[float] = []
    cpu: list[float] = []
    for case_id in ids:
        started, started_cpu = time.perf_counter(), time.process_time()
        engine.complete_task(actor, tasks[case_id], IDENTIFY)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    store.dispose()
    return wall, cpu


def describe(timings: list[float]) -> str:
    return f"median {statistics.median(timings):.2f} ms (min {min(timings):.2f}, max {max(timings):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        memory, memory_cpu = in_memory(args.cases)
        runs = {kind: persisted(url, args.cases, keep=kind == "kept workflow")
                for kind in ("restored from the snapshot", "kept workflow")}
    print(f"cases: {args.cases}  database: {url.split(':', 1)[0]}")
    print(f"SpiffWorkflow in memory, complete + engine steps: {describe(memory)}; CPU {describe(memory_cpu)}")
    for kind, (stored, stored_cpu) in runs.items():
        print(f"pathways persisted complete_task, {kind} (load, run, sync rows, commit): {describe(stored)}; "
              f"CPU {describe(stored_cpu)}")
        print(f"  ratio of medians: {statistics.median(stored) / statistics.median(memory):.1f}x "
              f"(CPU {statistics.median(stored_cpu) / statistics.median(memory_cpu):.1f}x)")


if __name__ == "__main__":
    main()
