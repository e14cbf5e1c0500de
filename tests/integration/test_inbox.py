"""The inbox query on SQLite and PostgreSQL: who sees which task, views, counts, filters, order, pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import joinedload

from pathways.base import clock
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidData
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Agency, HumanTask, User, UserRole
from pathways.tasks import accounts, inbox, work
from pathways.tasks.inbox import InboxQuery
from tests.helpers import WORKFLOWS

INTAKE = WORKFLOWS / "intake_referral.bpmn"

AGENCIES = [("ops", "OPS"), ("pup", "PUP"), ("ngo", "NGO"), ("ngo2", "NGO"), ("sup", "SUPERVISION")]
USERS = {
    "anna": ("ops", ["ops.social_worker"]),
    "adam": ("ops", ["ops.social_worker"]),
    "piotr": ("ops", ["ops.psychologist"]),
    "ewa": ("pup", ["pup.career_adviser", "pup.job_broker"]),
    "marek": ("ngo", ["ngo.crisis_interventionist", "ngo.psychologist"]),
    "olga": ("ngo2", ["ngo.crisis_interventionist"]),  # her agency is in no case
    "misfit": ("ngo", ["ops.social_worker"]),  # an OPS role in an NGO: never offered OPS tasks
    "teresa": ("sup", ["supervision.supervisor"]),
}
#: users holding a role of another agency kind (an old account, a hand-edited database)
MISFITS = ("misfit",)
CASE_AGENCIES = ["ops", "pup", "ngo", "sup"]
IDENTIFY = {"needs_crisis_support": True, "risk_level": "high", "intake_date": "2026-11-02", "notes": "n"}


@dataclass
class World:
    store: Store
    engine: Engine
    users: dict[str, User]

    def start(self, beneficiary: str, agencies: list[str] | None = None) -> int:
        return self.engine.start_case(Actor("anna"), "intake_referral", {}, agencies or CASE_AGENCIES, beneficiary)

    def task(self, case_id: int, element: str) -> str:
        with self.store.unit_of_work(write=False) as uow:
            return uow.session.scalars(select(HumanTask.id).where(
                HumanTask.case_id == case_id, HumanTask.element_id == element, HumanTask.status == "open")).one()

    def row(self, task_id: str) -> HumanTask:
        with self.store.unit_of_work(write=False) as uow:
            found = uow.session.get(HumanTask, task_id)
            assert found is not None
            return found

    def identify(self, case_id: int) -> None:
        work.complete(self.engine, self.users["anna"], self.task(case_id, "identify"), IDENTIFY)

    def page(self, name: str, **query: object) -> inbox.InboxPage:
        return inbox.inbox(self.store, self.users[name], self.engine.roles, InboxQuery(**query))  # type: ignore[arg-type]

    def ids(self, name: str, **query: object) -> list[tuple[int, str]]:
        return [(t["case_id"], t["element"]) for t in self.page(name, **query).items]

    def counts(self, name: str) -> dict[str, int]:
        return inbox.counts(self.store, self.users[name], self.engine.roles)


def build_world(store: Store, engine: Engine) -> World:
    for code, kind in AGENCIES:
        accounts.add_agency(store, code, kind, code)
    users = {name: accounts.create_user(store, engine.roles, name, agency, [] if name in MISFITS else roles, "pw",
                                        name.title(), check_policy=False)
             for name, (agency, roles) in USERS.items()}
    for name in MISFITS:  # a role of another agency kind: refused by create_user, so written past it
        with store.unit_of_work() as uow:
            uow.session.add_all(UserRole(user_id=users[name].id, role=r) for r in USERS[name][1])
            uow.commit()
        with store.unit_of_work(write=False) as uow:
            users[name] = uow.session.scalars(select(User).options(joinedload(User.agency))
                                              .where(User.id == users[name].id)).one()
    return World(store, engine, users)


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> Engine:
    """Only the intake pathway (the other pathways of workflows/ change while they are written)."""
    deploy(store, collect([INTAKE]), roles)
    return Engine(store, roles)


@pytest.fixture
def world(store: Store, engine: Engine) -> World:
    return build_world(store, engine)


def test_a_task_is_seen_by_its_role_in_a_participating_agency_of_the_right_kind(world: World) -> None:
    case = world.start("BEN-001")
    assert world.ids("anna") == world.ids("adam") == [(case, "identify")]
    for name in ("piotr", "ewa", "marek", "olga", "misfit", "teresa"):
        assert world.ids(name) == [], name
    world.identify(case)
    assert world.ids("marek") == [(case, "crisis_intervention")]
    assert world.ids("piotr") == [(case, "psych_diagnosis")]
    assert world.ids("anna") == [] and world.ids("olga") == [] and world.ids("ewa") == []


def test_a_case_without_the_users_agency_is_invisible(world: World) -> None:
    ops_only = world.start("BEN-OPS", ["ops"])
    shared = world.start("BEN-ALL")
    assert {c for c, _ in world.ids("anna")} == {ops_only, shared}
    world.identify(ops_only)
    world.identify(shared)
    assert world.ids("marek") == [(shared, "crisis_intervention")]  # the NGO is not in ops_only


def test_views_mine_unclaimed_and_claimed_by_someone_else(world: World) -> None:
    first, second = world.start("BEN-1"), world.start("BEN-2")
    work.claim(world.engine, world.users["anna"], world.task(first, "identify"))
    assert world.ids("anna", view="mine") == [(first, "identify")]
    assert world.ids("anna", view="unclaimed") == [(second, "identify")]
    assert sorted(world.ids("anna")) == [(first, "identify"), (second, "identify")]
    assert world.ids("adam") == [(second, "identify")]  # anna's claim is not in adam's inbox
    mine = world.page("anna", view="mine").items[0]
    assert mine["claimed_by"] == "anna" and mine["claimed_at"] is not None
    assert world.counts("anna") == {"all": 2, "mine": 1, "unclaimed": 1, "overdue": 0, "due_today": 0}
    assert world.counts("adam") == {"all": 1, "mine": 0, "unclaimed": 1, "overdue": 0, "due_today": 0}


def test_a_claimed_task_stays_in_the_claimers_inbox_after_losing_the_role(world: World) -> None:
    case = world.start("BEN-1")
    work.assign(world.engine, world.users["anna"], world.task(case, "identify"), "adam")
    assert world.ids("adam", view="mine") == [(case, "identify")]


def test_overdue_and_due_today(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    case = world.start("BEN-1")
    world.identify(case)  # crisis intervention: due in 72 h (2026-11-05 08:00 UTC), priority 80
    row = world.page("marek").items[0]
    assert row["due_at"].isoformat() == "2026-11-05T08:00:00+00:00" and row["overdue"] is False
    assert world.counts("marek")["due_today"] == 0
    frozen_clock.advance(hours=64)  # 2026-11-05 00:00 UTC = 01:00 in Warsaw: the due day has begun
    assert world.counts("marek") == {"all": 1, "mine": 0, "unclaimed": 1, "overdue": 0, "due_today": 1}
    assert world.ids("marek", view="due_today") == [(case, "crisis_intervention")]
    frozen_clock.advance(hours=9)
    assert world.counts("marek")["overdue"] == 1
    assert world.page("marek", view="overdue").items[0]["overdue"] is True
    frozen_clock.advance(hours=24)
    assert world.counts("marek")["due_today"] == 0 and world.counts("marek")["overdue"] == 1


def _five_cases(world: World, frozen_clock) -> list[str]:  # type: ignore[no-untyped-def]
    tasks = []
    for n in range(5):
        tasks.append(world.task(world.start(f"BEN-{n}"), "identify"))
        frozen_clock.advance(minutes=1)
    due = [frozen_clock.current + timedelta(days=d) for d in (3, 1, 2)]
    with world.store.unit_of_work() as uow:  # give the tasks distinct priorities and due times
        for task_id, priority, due_at in zip(tasks, (10, 90, 50, 70, 30), [*due, None, None], strict=True):
            uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(
                priority=priority, due_at=due_at, name=f"Task {'ECADB'[tasks.index(task_id)]}"))
        uow.commit()
    return tasks


def test_sorting(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    t = _five_cases(world, frozen_clock)

    def order(**query: object) -> list[str]:
        return [item["id"] for item in world.page("anna", **query).items]

    assert order() == [t[1], t[2], t[0], t[3], t[4]]  # by due date, no due date last
    assert order(sort="due", order="desc") == [t[0], t[2], t[1], t[4], t[3]]
    assert order(sort="priority") == [t[1], t[3], t[2], t[4], t[0]]  # highest first by default
    assert order(sort="priority", order="asc") == [t[0], t[4], t[2], t[3], t[1]]
    assert order(sort="created") == t and order(sort="created", order="desc") == t[::-1]
    assert order(sort="name") == [t[2], t[4], t[1], t[3], t[0]]  # A B C D E


def test_paging_and_total(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    t = _five_cases(world, frozen_clock)
    pages = [world.page("anna", sort="created", page=n, per_page=2) for n in (1, 2, 3, 4)]
    assert [[i["id"] for i in p.items] for p in pages] == [t[0:2], t[2:4], t[4:], []]
    assert {p.total for p in pages} == {5}
    for bad in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"view": "everything"}, {"sort": "x"},
                {"order": "up"}):
        with pytest.raises(InvalidData) as error:
            world.page("anna", **bad)
        assert set(error.value.details["fields"]) == set(bad)  # type: ignore[arg-type]


def test_filters(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    t = _five_cases(world, frozen_clock)
    rows = {item["id"]: item for item in world.page("anna").items}
    assert world.page("anna", q="ben-3").total == 1 and world.page("anna", q="BEN-3").items[0]["id"] == t[3]
    assert world.page("anna", q="task a").items[0]["id"] == t[2]
    assert world.page("anna", q="100%").total == 0 and world.page("anna", q="_").total == 0
    assert {i["id"] for i in world.page("anna", priority_min=50).items} == {t[1], t[2], t[3]}
    assert world.page("anna", case_id=rows[t[4]]["case_id"]).items[0]["id"] == t[4]
    assert world.page("anna", pathway="intake_referral").total == 5
    assert world.page("anna", pathway="other").total == 0
    assert world.page("anna", stage="Identyfikacja").total == 5 and world.page("anna", stage="x").total == 0


def test_a_row_has_what_the_inbox_shows(world: World) -> None:
    case = world.start("BEN-9")
    row = world.page("anna").items[0]
    assert row["case_id"] == case and row["beneficiary"] == "BEN-9" and row["pathway"] == "intake_referral"
    assert row["pathway_name"] == "Przyjęcie i skierowanie" and row["stage"] == "Identyfikacja"
    assert row["roles"] == ["ops.social_worker"] and row["priority"] == 50 and row["due_at"] is None
    assert row["name"] == "Identyfikacja i diagnoza wstępna" and row["element"] == "identify"
    assert row["claimed_by"] is None and row["overdue"] is False and row["created_at"].tzinfo is not None


def test_one_query_per_page_and_one_count(world: World) -> None:
    for n in range(3):
        world.identify(world.start(f"BEN-{n}"))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    marek = world.users["marek"]  # loaded with its agency, as the API's current user is
    event.listen(world.store.engine, "before_cursor_execute", count)
    try:
        with world.store.unit_of_work(write=False) as uow:
            page = inbox.list_tasks(uow.session, marek, world.engine.roles, InboxQuery(per_page=100))
            assert len(page.items) == 3 and page.total == 3
            assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
            statements.clear()
            inbox.count_tasks(uow.session, marek, world.engine.roles)
            assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    finally:
        event.remove(world.store.engine, "before_cursor_execute", count)


def test_listing_the_inbox_is_audited(world: World) -> None:
    from pathways.store.models import AuditEntry

    case = world.start("BEN-1")
    world.page("anna", view="all")
    with world.store.unit_of_work(write=False) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "task.list")).one()
    assert entry.username == "anna" and entry.detail is not None and entry.detail["cases"] == [case]


# -- task_offers: the inbox's queue stays exactly the offer rule ---------------------------------
def _offer_rows(world: World) -> set[tuple[str, str, str, object, int]]:
    from pathways.store.models import TaskOffer

    with world.store.unit_of_work(write=False) as uow:
        return {(agency, o.task_id, o.role, clock.aware(o.due_at), o.priority)
                for o, agency in uow.session.execute(select(TaskOffer, Agency.code).join(
                    Agency, Agency.id == TaskOffer.agency_id))}


def _offers_by_rule(world: World) -> set[tuple[str, str, str, object, int]]:
    """What the rule says, worked out row by row in Python from tasks, case agencies and the vocabulary."""
    from pathways.store.models import CaseAgency

    roles = world.engine.roles
    with world.store.unit_of_work(write=False) as uow:
        s = uow.session
        agencies: dict[int, list[tuple[str, str]]] = {}
        for case_id, code, kind in s.execute(select(CaseAgency.case_id, Agency.code, Agency.kind).join(
                Agency, Agency.id == CaseAgency.agency_id)):
            agencies.setdefault(case_id, []).append((code, kind))
        return {(code, t.id, role, clock.aware(t.due_at), t.priority)
                for t in s.scalars(select(HumanTask).where(HumanTask.status == "open", HumanTask.claimed_by.is_(None)))
                for role in t.roles for code, kind in agencies.get(t.case_id, []) if roles.agency_kind(role) == kind}


def test_task_offers_follow_every_change_of_a_task(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    def check() -> None:
        assert _offer_rows(world) == _offers_by_rule(world)

    first, second, ops_only = world.start("BEN-1"), world.start("BEN-2"), world.start("BEN-3", ["ops", "pup"])
    assert {(a, r) for a, _, r, _, _ in _offer_rows(world)} == {("ops", "ops.social_worker")}
    assert len(_offer_rows(world)) == 3
    check()
    world.identify(first)  # three tasks open in parallel, one with a due time and priority 80
    assert ("ngo", world.task(first, "crisis_intervention"), "ngo.crisis_interventionist") in {
        (a, t, r) for a, t, r, _, _ in _offer_rows(world)}
    check()
    crisis = world.task(first, "crisis_intervention")
    work.claim(world.engine, world.users["marek"], crisis)
    assert crisis not in {t for _, t, _, _, _ in _offer_rows(world)}
    check()
    work.unclaim(world.engine, world.users["marek"], crisis)
    assert crisis in {t for _, t, _, _, _ in _offer_rows(world)}
    check()
    work.assign(world.engine, world.users["anna"], world.task(second, "identify"), "adam")
    work.unclaim(world.engine, world.users["teresa"], world.task(second, "identify"))  # a supervisor gives it back
    check()
    world.identify(ops_only)  # no NGO in this case: its crisis task waits in no inbox
    assert world.task(ops_only, "crisis_intervention") not in {t for _, t, _, _, _ in _offer_rows(world)}
    check()
    world.engine.cancel_case(Actor("teresa"), second, "moved away")
    check()
    frozen_clock.advance(hours=73)  # the crisis SLA: an escalation task for the supervisor
    assert world.engine.fire_due_timers() >= 1
    assert ("sup", "supervision.supervisor") in {(a, r) for a, _, r, _, _ in _offer_rows(world)}
    check()
    escalation = world.task(first, "escalate_overdue")
    work.complete(world.engine, world.users["teresa"], escalation, {})
    check()
    assert escalation not in {t for _, t, _, _, _ in _offer_rows(world)}


def test_the_task_offers_migration_fills_the_queue_of_tasks_already_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Upgrading a database with open tasks (claimed, unclaimed, closed) to 0006 offers exactly the waiting ones."""
    from sqlalchemy import insert, text

    from pathways.store import schema
    from pathways.store.models import Case, CaseAgency, PathwayVersion, TaskCandidate

    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    schema.upgrade(store.engine, "0005")
    now = clock.now()
    with store.engine.begin() as conn:
        conn.execute(insert(Agency.__table__), [
            {"id": 1, "code": "ops", "kind": "OPS", "name": "OPS", "city": ""},
            {"id": 2, "code": "ngo", "kind": "NGO", "name": "NGO", "city": ""},
            {"id": 3, "code": "pup", "kind": "PUP", "name": "PUP", "city": ""}])
        conn.execute(insert(User.__table__), [{"id": 1, "username": "u", "full_name": "U", "agency_id": 1,
                                               "password_hash": "", "active": True}])
        conn.execute(insert(PathwayVersion.__table__), [{"id": 1, "key": "p", "version": 1, "name": "P",
                                                         "bundle_hash": "x", "files": [], "deployed_at": now}])
        conn.execute(insert(Case.__table__), [{"id": 1, "pathway_version_id": 1, "pathway_key": "p", "beneficiary": "",
                                               "status": "active", "created_at": now, "updated_at": now, "version": 1}])
        conn.execute(insert(CaseAgency.__table__), [{"case_id": 1, "agency_id": a} for a in (1, 2)])
        tasks = [("waiting", "open", None, ["ops.social_worker", "ngo.psychologist", "pup.job_broker"]),
                 ("claimed", "open", 1, ["ops.social_worker"]), ("done", "completed", None, ["ops.social_worker"])]
        conn.execute(insert(HumanTask.__table__), [
            {"id": tid, "case_id": 1, "element_id": tid, "name": tid, "lane": None, "roles": roles, "stage": None,
             "status": status, "priority": 70, "due_at": now, "created_at": now, "claimed_by": claimer}
            for tid, status, claimer, roles in tasks])
        conn.execute(insert(TaskCandidate.__table__), [{"task_id": tid, "role": r} for tid, _, _, roles in tasks
                                                       for r in roles])
    schema.upgrade(store.engine)
    with store.engine.connect() as conn:
        rows = set(conn.execute(text("SELECT task_id, agency_id, role, priority FROM task_offers")))
    store.dispose()
    assert rows == {("waiting", 1, "ops.social_worker", 70), ("waiting", 2, "ngo.psychologist", 70)}


def test_a_role_key_must_start_with_its_agency_kind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathways.engine.errors import InvalidDefinition

    bad = tmp_path / "roles.toml"
    bad.write_text('[roles."social_worker"]\nagency = "OPS"\npl = "Pracownik socjalny"\n', encoding="utf-8")
    with pytest.raises(InvalidDefinition, match="'social_worker'.*ops\\."):
        RoleVocabulary.load(bad)


def test_completing_a_task_reads_the_case_row_once(world: World) -> None:
    """The engine's own load is the only read of the case: `within` gets the row as written."""
    case = world.start("BEN-1")
    task = world.task(case, "identify")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(world.store.engine, "before_cursor_execute", count)
    try:
        result = work.complete(world.engine, world.users["anna"], task, IDENTIFY)
    finally:
        event.remove(world.store.engine, "before_cursor_execute", count)
    assert result["stage"] == "Interwencja kryzysowa" and result["case_status"] == "active"
    assert [s for s in statements if s.startswith("SELECT cases.")] == []
