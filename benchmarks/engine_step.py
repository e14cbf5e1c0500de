"""Engine overhead: a persisted task completion vs SpiffWorkflow completing the same task in memory.

Run: .venv/bin/python benchmarks/engine_step.py [--cases 200] [--url sqlite:///...]
Prints medians in milliseconds and the ratio. Timings, not assertions: machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import DocumentIndex, build_spec, collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.engine.sandbox import make_script_engine
from pathways.store import schema
from pathways.store.db import Store
from pathways.store.models import HumanTask

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}


def in_memory(cases: int) -> list[float]:
    files = collect([WORKFLOWS])
    index = DocumentIndex.build(files)
    spec, subs = build_spec([d.source for d in index.dependencies("intake_referral")], "intake_referral")
    timings = []
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
        wf.do_engine_steps()
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        started = time.perf_counter()
        task.data.update(IDENTIFY)
        task.run()
        wf.do_engine_steps()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def persisted(url: str, cases: int) -> list[float]:
    store = Store(url)
    schema.upgrade(store.engine)
    roles = RoleVocabulary.load(WORKFLOWS / "roles.toml")
    deploy(store, collect([WORKFLOWS]), roles)
    engine = Engine(store, roles)
    actor = Actor("bench")
    ids = [engine.start_case(actor, "intake_referral", {}) for _ in range(cases)]
    with store.unit_of_work(write=False) as uow:
        tasks = dict(uow.session.execute(select(HumanTask.case_id, HumanTask.id).where(
            HumanTask.case_id.in_(ids), HumanTask.element_id == "identify")).all())
    timings = []
    for case_id in ids:
        started = time.perf_counter()
        engine.complete_task(actor, tasks[case_id], IDENTIFY)
        timings.append((time.perf_counter() - started) * 1000)
    store.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        memory = statistics.median(in_memory(args.cases))
        stored = statistics.median(persisted(url, args.cases))
    print(f"cases: {args.cases}  database: {url.split(':', 1)[0]}")
    print(f"SpiffWorkflow in memory, complete + engine steps: median {memory:.2f} ms")
    print(f"pathways persisted complete_task (load, run, sync rows, commit): median {stored:.2f} ms")
    print(f"ratio: {stored / memory:.1f}x")


if __name__ == "__main__":
    main()
