"""Inbox at scale, part 1: fill a PostgreSQL database with 100,000 cases and 1,000,000 task rows.

Run: .venv/bin/python benchmarks/scale_generate.py [--url postgresql://postgres@127.0.0.1:5432/bench_b]
         [--cases 100000] [--tasks 1000000] [--seed 7]

The database is emptied, migrated (`pathways db upgrade`) and workflows/ deployed. Then, with COPY:
12 towns, each with an OPS, a PUP, two NGOs and a supervising partnership (60 agencies); users for
every role the pathways' lanes name, more in the larger towns (one password hash, `demo`); cases of
every pathway, larger towns and the intake pathway more often, started over the last two years,
55% active, 30% completed, 8% cancelled, 7% closed; each case with the agencies its lanes need,
its snapshot (a real one of its pathway, so the rows, not the snapshots, are what is measured), a
history of completed tasks going through the pathway's user tasks in order (loops repeat them),
its open tasks (active cases; a third in parallel pairs; 40% claimed by a user of a case agency
holding the task's role; due dates from 20 days ago to 20 days ahead, a quarter with none), the
candidate role rows of every task, the inbox rows (`task_offers`) of the unclaimed open ones, the
stage visits its history went through, and measures (service
hours on a fifth of completed tasks, an outcome per completed case). Prints a progress bar per
table and the time taken; then `benchmarks/scale_queries.py` measures the queries.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, select, text
from werkzeug.security import generate_password_hash

from pathways.config import Config
from pathways.core import Pathways
from pathways.engine.cases import Actor
from pathways.store.db import normalise_url
from pathways.store.models import CaseState, PathwayVersion
from pathways.tasks.definitions import definition_detail

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_b"
#: towns and their share of the cases
TOWNS = [("olsztyn", 0.22), ("elblag", 0.14), ("elk", 0.10), ("ostroda", 0.08), ("ilawa", 0.07),
         ("gizycko", 0.07), ("ketrzyn", 0.06), ("bartoszyce", 0.06), ("szczytno", 0.05), ("mragowo", 0.05),
         ("pisz", 0.05), ("braniewo", 0.05)]
#: how often each pathway is started (others: 1)
PATHWAY_WEIGHT = {"intake_referral": 5, "social_contract": 3, "senior_care": 2}
STATUSES = [("active", 55), ("completed", 30), ("cancelled", 8), ("closed", 7)]
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class TaskSpec:
    element: str
    name: str
    lane: str | None
    roles: tuple[str, ...]
    kinds: tuple[str, ...]
    stage: str | None


@dataclass(frozen=True)
class PathwayPlan:
    key: str
    version_id: int
    tasks: tuple[TaskSpec, ...]
    snapshot: str


@dataclass(frozen=True)
class CasePlan:
    id: int
    town: int
    pathway: PathwayPlan
    status: str
    created_at: datetime
    agencies: tuple[int, ...]
    task_count: int


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, name: str, total: int) -> None:
        self.name, self.total, self.done, self.started, self.shown = name, total, 0, time.monotonic(), 0.0

    def add(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.shown > 0.5 or (n == 0 and self.done >= self.total):
            self.shown = now
            share = min(1.0, self.done / max(1, self.total))
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.name:<16} [{bar:<30}] {share:6.1%} {self.done:>9,}/{self.total:,} "
                             f"{now - self.started:6.1f} s")
            sys.stderr.flush()

    def close(self) -> float:
        self.add(0)
        sys.stderr.write("\n")
        return time.monotonic() - self.started


# -- the plan -----------------------------------------------------------------------------------
def prepare(url: str) -> tuple[Pathways, list[PathwayPlan]]:
    """Empty the database, migrate, deploy workflows/, and read each pathway's user tasks."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    services = Pathways(Config(database_url=url, workflows_dir=ROOT / "workflows", run_scheduler=False))
    services.upgrade_db()
    services.deploy()
    plans = []
    with services.store.unit_of_work(write=False) as uow:
        versions = list(uow.session.scalars(select(PathwayVersion).order_by(PathwayVersion.key)))
    for version in versions:
        detail = definition_detail(services.store, services.engine, version.key, version.version)
        tasks = tuple(TaskSpec(t["id"], t["name"], t["lane"], tuple(t["roles"]), tuple(t["agency_kinds"]), t["stage"])
                      for t in detail["user_tasks"] if t["roles"])
        if tasks:
            plans.append(PathwayPlan(version.key, version.id, tasks, ""))
    return services, plans


def real_snapshots(services: Pathways, plans: list[PathwayPlan]) -> list[PathwayPlan]:
    """A snapshot of a freshly started case of each pathway (that case is removed afterwards)."""
    found = []
    for plan in plans:
        case_id = services.engine.start_case(Actor("generator"), plan.key, {})
        with services.store.unit_of_work() as uow:
            state = uow.session.get(CaseState, case_id)
            snapshot = state.state if state is not None else "{}"
            uow.session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": case_id})
            uow.commit()
        found.append(PathwayPlan(plan.key, plan.version_id, plan.tasks, snapshot))
    return found


def agencies() -> list[tuple[int, str, str, str, str]]:
    rows = []
    for t, (town, _) in enumerate(TOWNS):
        base = t * 5
        name = town.capitalize()
        rows += [(base + 1, f"ops-{town}", "OPS", f"Ośrodek Pomocy Społecznej w {name}", name),
                 (base + 2, f"pup-{town}", "PUP", f"Powiatowy Urząd Pracy w {name}", name),
                 (base + 3, f"ngo-{town}-1", "NGO", f"Fundacja Wsparcie {name}", name),
                 (base + 4, f"ngo-{town}-2", "NGO", f"Stowarzyszenie Razem {name}", name),
                 (base + 5, f"partnership-{town}", "SUPERVISION", f"Partnerstwo Lokalne {name}", name)]
    return rows


AGENCY_KIND = {row[0]: row[2] for row in agencies()}


def agency_of(town: int, kind: str, rng: random.Random) -> int:
    offset = {"OPS": 1, "PUP": 2, "SUPERVISION": 5}.get(kind) or rng.choice((3, 4))  # NGO: one of two
    return town * 5 + offset


def users(plans: list[PathwayPlan], kinds: dict[str, str]) -> tuple[list[tuple[Any, ...]], list[tuple[int, str]]]:
    """Users per town agency and role: 1 to 9 per role, by the town's size; plus a supervisor each."""
    roles = sorted({r for p in plans for t in p.tasks for r in t.roles})
    password = generate_password_hash("demo")
    rows: list[tuple[Any, ...]] = []
    role_rows: list[tuple[int, str]] = []
    for t, (town, share) in enumerate(TOWNS):
        per_role = max(1, round(share * 40))
        for role in sorted({*roles, "supervision.supervisor"}):
            kind = kinds.get(role) or "SUPERVISION"
            for n in range(per_role if role != "supervision.supervisor" else 2):
                agency = agency_of(town=t, kind=kind, rng=random.Random(n))
                uid = len(rows) + 1
                username = f"{role.replace('.', '_')}.{n + 1}.{town}"
                rows.append((uid, username, f"{role} {n + 1} ({town})", agency, password, True))
                role_rows.append((uid, role))
    return rows, role_rows


def case_plans(count: int, tasks: int, plans: list[PathwayPlan], rng: random.Random) -> list[CasePlan]:
    weights = [PATHWAY_WEIGHT.get(p.key, 1) for p in plans]
    towns = [share for _, share in TOWNS]
    statuses, status_weights = zip(*STATUSES, strict=True)
    mean = tasks / count
    found = []
    for case_id in range(1, count + 1):
        town = rng.choices(range(len(TOWNS)), towns)[0]
        plan = rng.choices(plans, weights)[0]
        kinds = sorted({k for t in plan.tasks for k in t.kinds} | {"OPS", "SUPERVISION"})
        members = tuple(sorted({agency_of(town, k, rng) for k in kinds}))
        age = timedelta(days=730 * rng.random() ** 1.5, seconds=rng.randrange(86400))
        found.append(CasePlan(case_id, town, plan, rng.choices(statuses, status_weights)[0], NOW - age, members,
                              max(1, round(rng.uniform(0.2, 1.8) * mean))))
    # exactly `tasks` rows in all: the last cases absorb the rounding
    surplus = sum(c.task_count for c in found) - tasks
    i = len(found) - 1
    while surplus and i >= 0:
        c = found[i]
        change = min(surplus, c.task_count - 1) if surplus > 0 else surplus
        found[i] = CasePlan(c.id, c.town, c.pathway, c.status, c.created_at, c.agencies, c.task_count - change)
        surplus -= change
        i -= 1
    return found


# -- the rows of one case -------------------------------------------------------------------------
@dataclass
class CaseRows:
    tasks: list[tuple[Any, ...]]
    candidates: list[tuple[str, str]]
    offers: list[tuple[Any, ...]]
    visits: list[tuple[Any, ...]]
    measures: list[tuple[Any, ...]]
    stage: str | None
    updated_at: datetime


def case_rows(case: CasePlan, holders: dict[tuple[int, str], list[int]], kinds: dict[str, str]) -> CaseRows:
    """Every row of one case, the same each time (its own random generator)."""
    rng = random.Random(case.id * 7919)
    specs = case.pathway.tasks
    opened = 0 if case.status != "active" else min(case.task_count, 2 if rng.random() < 0.33 else 1)
    done = case.task_count - opened
    span = max(60.0, (NOW - case.created_at).total_seconds() * (0.9 if case.status == "active" else 0.6))
    step = span / max(1, case.task_count + 1)
    at = case.created_at
    rows, candidates, offers, visits, measures = [], [], [], [], []
    stage: str | None = None
    for n in range(case.task_count):
        spec = specs[n % len(specs)]  # through the user tasks in order; a long history loops
        created = at
        at = created + timedelta(seconds=step * rng.uniform(0.5, 1.5))
        task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        priority = 80 if rng.random() < 0.15 else 50
        users = [u for r in spec.roles for a in case.agencies for u in holders.get((a, r), [])]
        if spec.stage and spec.stage != stage:
            if visits:
                visits[-1] = (*visits[-1][:3], created)
            visits.append((case.id, spec.stage, created, None))
            stage = spec.stage
        if n < done:
            status = "completed" if case.status in ("active", "completed") or n < done - 1 else "cancelled"
            by = rng.choice(users) if users and status == "completed" else None
            due = created + timedelta(days=rng.choice((3, 7, 14))) if rng.random() < 0.5 else None
            rows.append((task_id, case.id, spec.element, spec.name, spec.lane, json.dumps(list(spec.roles)),
                         spec.stage, status, priority, due, created, by, created if by else None,
                         at if status == "completed" else None, by))
            if by is not None and rng.random() < 0.2:
                role = spec.roles[0]
                measures.append((case.id, "hours", role, rng.randint(1, 8), kinds.get(role),
                                 by_agency(by, case, holders, spec.roles), by, spec.element, task_id, at))
        else:
            due = NOW + timedelta(days=rng.uniform(-20, 20)) if rng.random() < 0.75 else None
            claimer = rng.choice(users) if users and rng.random() < 0.4 else None
            rows.append((task_id, case.id, spec.element, spec.name, spec.lane, json.dumps(list(spec.roles)),
                         spec.stage, "open", priority, due, created, claimer,
                         created + timedelta(hours=1) if claimer else None, None, None))
            if claimer is None:  # waiting in the inbox of each role, in each case agency of its kind
                offers += [(task_id, a, role, due, priority, created) for role in spec.roles for a in case.agencies
                           if AGENCY_KIND[a] == kinds.get(role)]
        candidates += [(task_id, role) for role in spec.roles]
    if case.status != "active" and visits:
        visits[-1] = (*visits[-1][:3], at)
    if case.status == "completed":
        measures.append((case.id, "outcome", rng.choice(("employment", "education", "stabilised")), 1, None, None,
                         None, "end", None, at))
    return CaseRows(rows, candidates, offers, visits, measures, stage, at)


def by_agency(user: int, case: CasePlan, holders: dict[tuple[int, str], list[int]], roles: Iterable[str]) -> int:
    return next((a for a in case.agencies for r in roles if user in holders.get((a, r), [])), case.agencies[0])


# -- writing ------------------------------------------------------------------------------------
def copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[tuple[Any, ...]],
         progress: Progress, per_unit: int = 1) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        for n, row in enumerate(rows, start=1):
            out.write_row(row)
            if n % per_unit == 0:
                progress.add(1)


def per_case(cases: list[CasePlan], holders: dict[tuple[int, str], list[int]], kinds: dict[str, str],
             part: str, progress: Progress) -> Iterator[tuple[Any, ...]]:
    for case in cases:
        yield from getattr(case_rows(case, holders, kinds), part)
        progress.add()


def _agency_rows(cases: list[CasePlan], progress: Progress) -> Iterator[tuple[int, int]]:
    for case in cases:
        yield from ((case.id, agency) for agency in case.agencies)
        progress.add()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG_URL, help="the PostgreSQL database to empty and fill")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()
    rng = random.Random(args.seed)

    services, plans = prepare(args.url)
    plans = real_snapshots(services, plans)
    kinds = {role: services.roles.agency_kind(role) or "SUPERVISION"
             for role in {r for p in plans for t in p.tasks for r in t.roles} | {"supervision.supervisor"}}
    services.close()
    agency_rows = agencies()
    user_rows, role_rows = users(plans, kinds)
    holders: dict[tuple[int, str], list[int]] = {}
    for (uid, *_rest), (_, role) in zip(user_rows, role_rows, strict=True):
        holders.setdefault((_rest[2], role), []).append(uid)
    cases = case_plans(args.cases, args.tasks, plans, rng)
    print(f"{len(plans)} pathways, {len(agency_rows)} agencies, {len(user_rows)} users, {len(cases):,} cases, "
          f"{sum(c.task_count for c in cases):,} tasks")

    with psycopg.connect(args.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SELECT setval('cases_id_seq', 1, false)")  # the snapshot cases were removed
        small = Progress("agencies, users", 3)
        copy(conn, "agencies", "id, code, kind, name, city", agency_rows, small, len(agency_rows))
        copy(conn, "users", "id, username, full_name, agency_id, password_hash, active", user_rows, small,
             len(user_rows))
        copy(conn, "user_roles", "user_id, role", role_rows, small, len(role_rows))
        small.close()
        summary = {}

        def case_row(c: CasePlan) -> tuple[Any, ...]:
            rows = case_rows(c, holders, kinds)
            return (c.id, c.pathway.version_id, c.pathway.key, f"BEN-{TOWNS[c.town][0][:3].upper()}-{c.id:06d}",
                    c.status, rows.stage, c.created_at, rows.updated_at, 1)

        progress = Progress("cases", len(cases))
        copy(conn, "cases", "id, pathway_version_id, pathway_key, beneficiary, status, stage, created_at, "
             "updated_at, version", (case_row(c) for c in cases), progress)
        summary["cases"] = progress.close()
        progress = Progress("case_agencies", len(cases))
        copy(conn, "case_agencies", "case_id, agency_id", _agency_rows(cases, progress), progress, 10**12)
        summary["case_agencies"] = progress.close()
        progress = Progress("case_states", len(cases))
        copy(conn, "case_states", "case_id, state", ((c.id, c.pathway.snapshot) for c in cases), progress)
        summary["case_states"] = progress.close()
        for table, part, columns in (
            ("human_tasks", "tasks", "id, case_id, element_id, name, lane, roles, stage, status, priority, due_at, "
                                     "created_at, claimed_by, claimed_at, completed_at, completed_by"),
            ("task_candidates", "candidates", "task_id, role"),
            ("task_offers", "offers", "task_id, agency_id, role, due_at, priority, created_at"),
            ("stage_visits", "visits", "case_id, stage, entered_at, left_at"),
            ("measures", "measures", "case_id, kind, key, value, agency_kind, agency_id, user_id, element_id, "
                                     "task_id, at"),
        ):
            progress = Progress(table, len(cases))
            copy(conn, table, columns, per_case(cases, holders, kinds, part, progress), progress, 10**12)
            summary[table] = progress.close()
        for table in ("agencies", "users", "cases", "stage_visits", "measures"):
            conn.execute(f"SELECT setval('{table}_id_seq', (SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        analyze = time.monotonic()
        conn.execute("VACUUM ANALYZE")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                  for t in ("cases", "human_tasks", "task_candidates", "task_offers", "stage_visits", "measures",
                            "case_agencies")}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("COPY seconds: " + ", ".join(f"{t} {s:.1f}" for t, s in summary.items())
          + f"; VACUUM ANALYZE {time.monotonic() - analyze:.1f}")
    print(f"database size {size}; total {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
