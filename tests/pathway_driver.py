"""Drive cases of a deployed pathway through the real engine and store, as the agencies' staff would.

Used by the pathway tests (tests/integration/test_pathway_*.py) on SQLite and PostgreSQL:

    driver = PathwayDriver(engine, store, frozen_clock)
    case_id = driver.start("social_contract", {"entry_date": "2026-11-02"})
    assert driver.offered(case_id, "draft_contract") == {("ops.social_worker", "OPS")}
    driver.complete(case_id, "draft_contract", {...})
    driver.advance(days=183)                 # moves the clock and fires due timers
    assert driver.totals("hours") == {("ops.social_worker", "OPS"): Decimal("2.5")}

Users are created on demand: one per (role, agency), named `<role>@<agency code>`, in the test
partnership's agency of the role's kind (OPS, PUP, NGO, SUPERVISION). A foreign NGO
(`ngo-foreign`) exists but takes part in no case unless a test says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from pathways.base.clock import FrozenClock
from pathways.engine.cases import Actor, Engine
from pathways.engine.runtime import CaseRuntime
from pathways.store.db import Store
from pathways.store.models import Agency, Case, CaseState, HumanTask, Measure, StageVisit, User, UserRole
from pathways.tasks.offers import offered_usernames

AGENCIES = {"OPS": "ops-test", "PUP": "pup-test", "NGO": "ngo-test", "SUPERVISION": "sup-test"}
FOREIGN = ("ngo-foreign", "NGO")


class PathwayDriver:
    def __init__(self, engine: Engine, store: Store, clock: FrozenClock) -> None:
        self.engine, self.store, self.clock = engine, store, clock
        self.roles = engine.roles
        with store.unit_of_work() as uow:
            s = uow.session
            existing = set(s.scalars(select(Agency.code)))
            for code, kind in [*((c, k) for k, c in AGENCIES.items()), FOREIGN]:
                if code not in existing:
                    s.add(Agency(code=code, kind=kind, name=f"Test {kind} {code}", city="Testowo"))
            uow.commit()

    # -- people ----------------------------------------------------------------------------
    def user(self, role: str, agency: str | None = None) -> User:
        """The user holding `role` in `agency` (default: the test agency of the role's kind)."""
        kind = self.roles.agency_kind(role) or "SUPERVISION"
        code = agency or AGENCIES[kind]
        username = f"{role}@{code}"
        with self.store.unit_of_work() as uow:
            s = uow.session
            found = s.scalars(select(User).where(User.username == username)).first()
            if found is None:
                agency_id = s.scalars(select(Agency.id).where(Agency.code == code)).one()
                found = User(username=username, full_name=username, agency_id=agency_id,
                             role_rows=[UserRole(role=role)])
                s.add(found)
                uow.commit()
            found.agency  # noqa: B018 - load before the session closes
            return found

    # -- cases -----------------------------------------------------------------------------
    def start(self, key: str, data: dict[str, Any] | None = None, agencies: Iterable[str] | None = None,
              beneficiary: str = "BEN-TEST") -> int:
        """Start a case; by default every test agency (not the foreign one) takes part."""
        codes = list(agencies) if agencies is not None else list(AGENCIES.values())
        return self.engine.start_case(Actor("driver"), key, data or {}, codes, beneficiary)

    def open_tasks(self, case_id: int) -> dict[str, HumanTask]:
        """Open human tasks of a case, keyed by BPMN element id (fails if one element has two open)."""
        with self.store.unit_of_work(write=False) as uow:
            rows = list(uow.session.scalars(select(HumanTask).where(
                HumanTask.case_id == case_id, HumanTask.status == "open")))
        found: dict[str, HumanTask] = {}
        for row in rows:
            assert row.element_id not in found, f"two open tasks for {row.element_id} in case {case_id}"
            found[row.element_id] = row
        return found

    def task(self, case_id: int, element_id: str) -> HumanTask:
        tasks = self.open_tasks(case_id)
        assert element_id in tasks, f"{element_id} is not open in case {case_id}; open: {sorted(tasks)}"
        return tasks[element_id]

    def offered(self, case_id: int, element_id: str) -> set[tuple[str, str]]:
        """(role, agency kind) of the users the open task is offered to, checked by the real offer rule."""
        task = self.task(case_id, element_id)
        users = {self.user(role).username: role for role in task.roles if role in self.roles}
        with self.store.unit_of_work(write=False) as uow:
            offered = offered_usernames(uow.session, task.id, self.roles)
        return {(users[name], self.roles.agency_kind(users[name]) or "") for name in offered if name in users}

    def complete(self, case_id: int, element_id: str, data: dict[str, Any] | None = None,
                 role: str | None = None) -> HumanTask:
        """Complete an open task as a user it is offered to (holding `role`, default its first role)."""
        task = self.task(case_id, element_id)
        role = role or task.roles[0]
        assert role in task.roles, f"{element_id} is offered to {task.roles}, not {role}"
        user = self.user(role)
        with self.store.unit_of_work(write=False) as uow:
            assert user.username in offered_usernames(uow.session, task.id, self.roles), \
                f"{element_id} is not offered to {user.username}"
        self.engine.complete_task(Actor(user.username, user.id), task.id, data or {})
        return task

    def advance(self, **delta: float) -> int:
        """Move the clock and fire every timer now due; returns how many cases advanced."""
        self.clock.advance(**delta)
        return self.engine.fire_due_timers()

    # -- what was recorded -----------------------------------------------------------------
    def case(self, case_id: int) -> Case:
        with self.store.unit_of_work(write=False) as uow:
            found = uow.session.get(Case, case_id)
            assert found is not None
            return found

    def stages(self, case_id: int) -> list[str]:
        """The stage history, in order of entry."""
        with self.store.unit_of_work(write=False) as uow:
            return list(uow.session.scalars(select(StageVisit.stage).where(
                StageVisit.case_id == case_id).order_by(StageVisit.id)))

    def data(self, case_id: int) -> dict[str, Any]:
        """The case's current data (also for finished cases), from its stored snapshot."""
        with self.store.unit_of_work(write=False) as uow:
            s = uow.session
            case = s.get(Case, case_id)
            snapshot = s.get(CaseState, case_id)
            assert case is not None and snapshot is not None
            runtime = CaseRuntime.restore(self.engine.definition(s, case.pathway_version_id), snapshot.state)
        return runtime.data()

    def measures(self, case_id: int | None = None) -> list[Measure]:
        """Measure rows (hours, benefits, outcomes), of one case or of all, in the order recorded."""
        query = select(Measure).order_by(Measure.id)
        if case_id is not None:
            query = query.where(Measure.case_id == case_id)
        with self.store.unit_of_work(write=False) as uow:
            return list(uow.session.scalars(query))

    def totals(self, kind: str, case_id: int | None = None) -> dict[tuple[str, str | None], Decimal]:
        """Sum of `value` per (key, agency kind) for one kind of measure."""
        sums: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
        for m in self.measures(case_id):
            if m.kind == kind:
                sums[(m.key, m.agency_kind)] += Decimal(m.value)
        return dict(sums)

    def outcomes(self, case_id: int | None = None) -> list[str]:
        """Outcome names recorded, in order."""
        return [m.key for m in self.measures(case_id) if m.kind == "outcome"]
