"""The cost of sealing at rest: seal/unseal per snapshot size, and a persisted task completion with
the real key ring vs a pass-through ring that stores everything in plain text.

Run: .venv/bin/python benchmarks/sealing.py [--cases 200] [--runs 5] [--url postgresql://...]
Without --url a fresh SQLite file is used; a PostgreSQL database's tables are emptied first.
Each completion restores the case from its stored snapshot (no workflow kept in memory), so it
opens one sealed snapshot and seals one again, plus the sensitive value of its event (the worst
case; a kept workflow skips the opening). Prints medians of the runs' medians. Timings, not
assertions.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

from pathways.base import sealing
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.store import schema
from pathways.store.db import Store
from pathways.store.models import Base, CaseState, HumanTask

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
# `psych_notes` is a sensitive field of the pathway: the TaskCompleted event carries it sealed
IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02",
            "psych_notes": "Notatka psychologa " * 10}
RING = sealing.KeyRing.parse(sealing.KeyRing.new_line("bench"))


class PassThrough(sealing.KeyRing):
    """A ring that seals nothing: what the same step costs without encryption."""

    def seal(self, plaintext: str, context: str = "") -> str:
        return plaintext


class Timed(sealing.KeyRing):
    """The real ring, adding up the time spent in it: the sealing work itself, which the noise of a
    busy machine hides in the step's total."""

    spent = 0.0

    def seal(self, plaintext: str, context: str = "") -> str:
        started = time.perf_counter()
        try:
            return super().seal(plaintext, context)
        finally:
            Timed.spent += time.perf_counter() - started

    def unseal(self, token: str, context: str = "") -> str:
        started = time.perf_counter()
        try:
            return super().unseal(token, context)
        finally:
            Timed.spent += time.perf_counter() - started


def seal_costs(sizes: list[int], repeat: int) -> dict[int, tuple[float, float]]:
    """Median µs to seal and to unseal a text of each size (JSON-like, as a snapshot is)."""
    found = {}
    for size in sizes:
        plain = ('{"data": "' + secrets.token_hex(size // 2))[:size]
        sealed_times, opened_times = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            token = RING.seal(plain)
            sealed_times.append((time.perf_counter() - started) * 1e6)
            started = time.perf_counter()
            RING.unseal(token)
            opened_times.append((time.perf_counter() - started) * 1e6)
        found[size] = (statistics.median(sealed_times), statistics.median(opened_times))
    return found


def persisted(url: str, cases: int, ring: sealing.KeyRing) -> tuple[float, float, float, int]:
    """Medians of a persisted `complete_task` restored from its snapshot (ms wall clock, ms CPU),
    the µs spent in the ring per completion (a `Timed` ring), and the snapshot's size."""
    sealing.configure(ring)
    store = Store(url)
    schema.upgrade(store.engine)
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name != "alembic_version":
                    conn.execute(table.delete())
    roles = RoleVocabulary.load(WORKFLOWS / "roles.toml")
    deploy(store, collect([WORKFLOWS]), roles)
    engine = Engine(store, roles, runtime_cache_size=0)
    actor = Actor("bench")
    ids = [engine.start_case(actor, "intake_referral", {}) for _ in range(cases)]
    with store.unit_of_work(write=False) as uow:
        tasks = dict(uow.session.execute(select(HumanTask.case_id, HumanTask.id).where(
            HumanTask.case_id.in_(ids), HumanTask.element_id == "identify")).all())
    wall, cpu = [], []
    Timed.spent = 0.0
    for case_id in ids:
        started, started_cpu = time.perf_counter(), time.process_time()
        engine.complete_task(actor, tasks[case_id], IDENTIFY)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    in_ring = Timed.spent / cases * 1e6
    with store.unit_of_work(write=False) as uow:
        size = len(uow.session.scalar(select(CaseState.state).where(CaseState.case_id == ids[0])) or "")
    store.dispose()
    return statistics.median(wall), statistics.median(cpu), in_ring, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    sizes = [1_000, 10_000, 30_000, 100_000, 1_000_000]
    costs = [seal_costs(sizes, 200) for _ in range(args.runs)]
    print(f"runs: {args.runs}  (medians of the runs' medians)")
    for size in sizes:
        seal_us = statistics.median(c[size][0] for c in costs)
        open_us = statistics.median(c[size][1] for c in costs)
        print(f"  {size:>9,} bytes: seal {seal_us:8.1f} µs   unseal {open_us:8.1f} µs")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        kinds = {"pass-through ring": PassThrough(RING.keys), "real ring (AES-256-GCM)": Timed(RING.keys)}
        timings: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in kinds}
        persisted(url, min(args.cases, 20), RING)  # warm up: imports, the file, the first parse
        size = 0
        for _ in range(args.runs):  # interleaved, so a busy moment of the machine hits both
            for kind, ring in kinds.items():
                wall, cpu, in_ring, size = persisted(url, args.cases, ring)
                timings[kind].append((wall, cpu, in_ring))
    print(f"persisted complete_task restored from the snapshot ({args.cases} cases, "
          f"{url.split(':', 1)[0]}, snapshot {size:,} bytes):")
    for kind, runs in timings.items():
        print(f"  {kind}: median {statistics.median(r[0] for r in runs):.2f} ms, CPU "
              f"{statistics.median(r[1] for r in runs):.2f} ms (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})")
    plain, sealed = (statistics.median(r[1] for r in runs) for runs in timings.values())
    in_ring = statistics.median(r[2] for r in timings["real ring (AES-256-GCM)"])
    print(f"  time inside the ring per completion (open the snapshot, seal it and the event's value): "
          f"{in_ring:.0f} µs; CPU difference of the medians {sealed - plain:+.2f} ms")


if __name__ == "__main__":
    main()
