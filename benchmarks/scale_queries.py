"""Inbox at scale, part 2: the daily queries against the database scale_generate.py filled.

Run: .venv/bin/python benchmarks/scale_queries.py [--url postgresql://postgres@127.0.0.1:5432/bench_b]
         [--users 12] [--repeat 15] [--explain]

Times the service functions exactly as the API and pages call them, for a sample of case workers
(the busiest of the largest towns' agencies and a spread of others):

- the inbox, `pathways.tasks.inbox.list_tasks` (a page of 25 and the total) for the views mine,
  unclaimed, overdue and due_today, and `count_tasks` (every view's count in one query);
- case search, `pathways.tasks.cases.list_cases`: a beneficiary text, text + status, pathway +
  stage, agency + status, sorted by last update (audited, as the API runs it);
- the supervisor's stage dashboard, `pathways.reports.build(..., ["stages"])` (cases per stage per
  pathway of the partnership's cases), for each town's supervisor, and for the whole database.

Prints p50/p95/max per query in milliseconds; `--explain` also prints EXPLAIN ANALYZE of each
statement the busiest user's calls send. Figures, not assertions: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import joinedload

from pathways.config import Config
from pathways.core import Pathways
from pathways.store.models import Case, HumanTask, User, UserRole
from pathways.tasks import cases, inbox

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_b"
TARGETS = {"inbox": 30.0, "search": 100.0, "stage": 300.0}  # p95, by the query name's first word


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm: plans and caches, as in a running server
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def load_users(services: Pathways, count: int, rng: random.Random) -> tuple[list[User], list[User]]:
    """Case workers (the busiest first, then a random spread) and every town's supervisor."""
    with services.store.unit_of_work(write=False) as uow:
        s = uow.session
        busiest = list(s.scalars(select(HumanTask.claimed_by).where(HumanTask.status == "open",
                                                                    HumanTask.claimed_by.is_not(None))
                                 .group_by(HumanTask.claimed_by).order_by(func.count().desc(), HumanTask.claimed_by)
                                 .limit(count // 2)))
        workers = list(s.scalars(select(UserRole.user_id).where(UserRole.role != "supervision.supervisor")))
        rest = rng.sample(sorted(set(workers) - set(busiest)), count - len(busiest))
        supervisors = list(s.scalars(select(UserRole.user_id).where(UserRole.role == "supervision.supervisor")
                                     .order_by(UserRole.user_id)))[::2]
        chosen = s.scalars(select(User).options(joinedload(User.agency))
                           .where(User.id.in_([*busiest, *rest, *supervisors]))).unique().all()
        by_id = {u.id: u for u in chosen}
    return [by_id[i] for i in [*busiest, *rest]], [by_id[i] for i in supervisors]


def stage_dashboard(services: Pathways) -> Callable[[User | None], Any]:
    """`pathways.reports` (engineer R's) when present; else the same GROUP BY, by hand."""
    try:
        from pathways import reports
    except ImportError:
        reports = None  # type: ignore[assignment]

    def run(user: User | None) -> Any:
        if reports is not None:
            return reports.build(services.store, services.engine, user, ["stages"], reports.Scope())
        with services.store.unit_of_work(write=False) as uow:
            query = select(Case.pathway_key, Case.stage, Case.status, func.count()).group_by(
                Case.pathway_key, Case.stage, Case.status)
            if user is not None:
                query = query.where(cases.case_visible_to(user))
            return uow.session.execute(query).all()

    return run


def explain(services: Pathways, calls: dict[str, Callable[[], Any]]) -> None:
    """EXPLAIN ANALYZE of every SELECT each call sends."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not statement.lstrip().upper().startswith("SELECT 1"):
            captured.append((statement, params))

    for name, call in calls.items():
        captured.clear()
        event.listen(services.store.engine, "before_cursor_execute", capture)
        try:
            call()
        finally:
            event.remove(services.store.engine, "before_cursor_execute", capture)
        for statement, params in list(captured):
            with services.store.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                with raw.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan = "\n".join(row[0] for row in cur.fetchall())
            print(f"\n--- {name}\n{' '.join(statement.split())[:400]}\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG_URL)
    parser.add_argument("--users", type=int, default=12, help="case workers to run the inbox and searches as")
    parser.add_argument("--repeat", type=int, default=15, help="timed calls per user and query")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the busiest user's queries")
    args = parser.parse_args()
    rng = random.Random(11)
    services = Pathways(Config(database_url=args.url, workflows_dir=ROOT / "workflows", run_scheduler=False))
    store, roles = services.store, services.roles
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        totals = {name: s.scalar(text(f"SELECT count(*) FROM {name}")) for name in ("cases", "human_tasks")}
        open_tasks = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
    workers, supervisors = load_users(services, args.users, rng)
    print(f"{totals['cases']:,} cases, {totals['human_tasks']:,} tasks ({open_tasks:,} open); "
          f"{len(workers)} case workers, {len(supervisors)} supervisors; {args.repeat} calls each")

    def read(call: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with store.unit_of_work(write=False) as uow:
                return call(uow.session)
        return run

    results: dict[str, list[float]] = {}
    sizes: dict[str, list[int]] = {}
    for user in workers:
        for view in ("mine", "unclaimed", "overdue", "due_today"):
            query = inbox.InboxQuery(view=view)
            results.setdefault(f"inbox {view}", []).extend(
                timed(read(lambda s, q=query, u=user: inbox.list_tasks(s, u, roles, q)), args.repeat))
            sizes.setdefault(f"inbox {view}", []).append(read(lambda s, q=query, u=user: inbox.list_tasks(
                s, u, roles, q))().total)
        results.setdefault("inbox count_tasks", []).extend(
            timed(read(lambda s, u=user: inbox.count_tasks(s, u, roles, inbox.InboxQuery())), args.repeat))
        with store.unit_of_work(write=False) as uow:  # a case this user sees, as a worker would search
            pathway, stage, beneficiary = uow.session.execute(
                select(Case.pathway_key, Case.stage, Case.beneficiary).where(
                    cases.case_visible_to(user), Case.stage.is_not(None)).order_by(Case.id)
                .offset(rng.randrange(500)).limit(1)).one()
        searches = {
            "search text": cases.CaseQuery(q=beneficiary[4:12].lower()),  # e.g. "ols-0123"
            "search text+status": cases.CaseQuery(q=beneficiary[4:11], status="active"),
            "search pathway+stage": cases.CaseQuery(pathway=pathway, stage=stage),
            "search agency+status": cases.CaseQuery(agency=user.agency.code, status="active", sort="-created"),
        }
        for name, case_query in searches.items():
            results.setdefault(name, []).extend(
                timed(lambda q=case_query, u=user: cases.list_cases(store, u, q), args.repeat))
            sizes.setdefault(name, []).append(cases.list_cases(store, user, case_query)["total"])
    dashboard = stage_dashboard(services)
    for user in supervisors:
        results.setdefault("stage dashboard (town)", []).extend(timed(lambda u=user: dashboard(u), args.repeat))
    results["stage dashboard (all cases)"] = timed(lambda: dashboard(None), args.repeat)

    print(f"{'query':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  {'rows found (median)':>20}  target p95")
    for name, timings in results.items():
        target = TARGETS[name.split()[0]]
        found = f"{int(statistics.median(sizes[name])):,}" if name in sizes else ""
        print(f"{name:<30} {statistics.median(timings):8.1f} {pct(timings, 95):8.1f} {max(timings):8.1f}  "
              f"{found:>20}  <= {target:.0f} ms")
    if args.explain:
        user = workers[0]
        explain(services, {
            **{f"inbox {v}": read(lambda s, v=v: inbox.list_tasks(s, user, roles, inbox.InboxQuery(view=v)))
               for v in ("mine", "unclaimed", "overdue", "due_today")},
            "inbox count_tasks": read(lambda s: inbox.count_tasks(s, user, roles, inbox.InboxQuery())),
            "search text": lambda: cases.list_cases(store, user, cases.CaseQuery(q=beneficiary[4:12].lower())),
            "search agency+status": lambda: cases.list_cases(store, user, cases.CaseQuery(
                agency=user.agency.code, status="active", sort="-created")),
            "stage dashboard": lambda: dashboard(supervisors[0]),
        })
    services.close()


if __name__ == "__main__":
    main()
