"""Instance migration on the store (SQLite and PostgreSQL): dry run, apply, refusals, resuming.

The dry run's entry for each case must be what `--apply` then does to it, case by case; the
seed pathways' running cases (the demo's, and a case of each pathway) move to edited versions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pathways.base.clock import FrozenClock
from pathways.demo import load_demo
from pathways.engine import migration
from pathways.engine.actors import Actor
from pathways.engine.cases import Engine
from pathways.engine.definitions import SourceFile, collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.store.db import Store
from pathways.store.models import AuditEntry, Case, CaseEvent, HumanTask, PathwayVersion, TaskComment, TaskOffer, Timer
from pathways.tasks import migrations, work
from pathways.tasks.deployers import DeployPolicy
from tests.conftest import FIXTURES, WORKFLOWS
from tests.pathway_driver import PathwayDriver

KEY = "o18_migr"
OPERATOR = Actor("cli:test")


def _deploy_fixture(store: Store, engine: Engine, version: int) -> None:
    deploy(store, [SourceFile(f"{KEY}.bpmn", (FIXTURES / f"o18_migr_v{version}.bpmn").read_bytes())], engine.roles)


def _without_outcome(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "outcome"}


def _rows(store: Store, case_id: int) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = s.get(Case, case_id)
        assert case is not None
        tasks = {t.id: (t.element_id, t.name, t.claimed_by) for t in s.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.status == "open"))}
        timers = {t.id: (t.element_id, t.due_at.isoformat()[:19]) for t in s.scalars(select(Timer).where(
            Timer.case_id == case_id))}
        return {"version": case.pathway_version.version, "tasks": tasks, "timers": timers}


def _at(driver: PathwayDriver, frozen_clock: FrozenClock, point: str) -> int:
    """A case of the fixture pathway waiting at `point`."""
    case_id = driver.start(KEY)
    if point == "review":
        return case_id
    driver.complete(case_id, "review", {"score": 2})
    if point == "wait_day":
        return case_id
    driver.advance(hours=25)
    if point == "decide":
        return case_id
    driver.complete(case_id, "decide")
    return case_id


@pytest.fixture
def fixture_cases(engine: Engine, store: Store, frozen_clock: FrozenClock) -> tuple[PathwayDriver, dict[str, int]]:
    _deploy_fixture(store, engine, 1)
    driver = PathwayDriver(engine, store, frozen_clock)
    # the later points first: moving the clock for them fires no timer of the earlier ones
    cases = {point: _at(driver, frozen_clock, point) for point in ("call_back", "decide", "wait_day", "review")}
    _deploy_fixture(store, engine, 2)
    _deploy_fixture(store, engine, 3)
    return driver, cases


def test_the_dry_run_is_what_apply_does_case_by_case(engine: Engine, store: Store, fixture_cases: Any) -> None:
    driver, cases = fixture_cases
    worker = driver.user("ops.social_worker")
    review_task = driver.task(cases["review"], "review").id
    work.claim(engine, worker, review_task)
    work.add_comment(engine, worker, review_task, "Dzwoniłam, oddzwoni")
    before_rows = {point: _rows(store, case_id) for point, case_id in cases.items()}
    request = migration.Request(KEY, 1, 2, {"decide": "final_decision"})

    plan = migration.plan(engine, request)
    assert plan["changes"]["added"] == ["check", "final_decision"]
    assert plan["changes"]["removed"] == ["decide"]
    applied = migration.apply(engine, OPERATOR, request)

    assert [c["case_id"] for c in plan["cases"]] == sorted(cases.values())
    assert [_without_outcome(c) for c in applied["cases"]] == plan["cases"]
    assert applied["migrated"] == 4 and applied["refused"] == 0
    for entry in plan["cases"]:  # and the rows are what the plan said
        rows = _rows(store, entry["case_id"])
        assert rows["version"] == 2
        assert {t["task_id"]: (t["element"], t["name"]) for t in entry["tasks"]} == {
            task_id: (element, name) for task_id, (element, name, _) in rows["tasks"].items()}
        assert {t["timer_id"]: (t["element"], t["due_at"][:19]) for t in entry["timers"]} == rows["timers"]
    review = _rows(store, cases["review"])
    assert review["tasks"] == {review_task: ("review", "Review the file", worker.id)}  # the claim stays
    assert before_rows["review"]["tasks"].keys() == review["tasks"].keys()
    with store.unit_of_work(write=False) as uow:
        comments = list(uow.session.scalars(select(TaskComment.text).where(TaskComment.task_id == review_task)))
        assert comments == ["Dzwoniłam, oddzwoni"]
        assert not list(uow.session.scalars(select(TaskOffer).where(TaskOffer.task_id == review_task)))
        event = uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == cases["decide"],
                                                            CaseEvent.kind == "CaseMigrated")).one()
        assert (event.before, event.after, event.actor) == (
            {"version": 1}, {"version": 2, "map": {"decide": "final_decision"}}, "cli:test")
    assert _rows(store, cases["decide"])["tasks"].keys() == before_rows["decide"]["tasks"].keys()  # mapped: same row


def test_migrated_cases_run_on_in_the_new_version(engine: Engine, store: Store, fixture_cases: Any) -> None:
    driver, cases = fixture_cases
    migration.apply(engine, OPERATOR, migration.Request(KEY, 1, 2, {"decide": "final_decision"}))
    driver.complete(cases["review"], "review", {"score": 4, "checked_on": "2026-11-03"})
    assert set(driver.open_tasks(cases["review"])) == {"check"}  # the task added ahead
    driver.complete(cases["decide"], "final_decision")
    assert set(driver.open_tasks(cases["decide"])) == {"call_back"}
    driver.complete(cases["call_back"], "call_back")
    assert driver.case(cases["call_back"]).status == "completed"
    assert driver.advance(hours=24) == 0  # the moved timer (PT24H -> PT48H) waits on
    assert driver.advance(hours=24) == 1
    assert set(driver.open_tasks(cases["wait_day"])) == {"final_decision"}


def test_a_version_lacking_a_waiting_element_refuses_without_a_mapping(engine: Engine, store: Store,
                                                                       fixture_cases: Any) -> None:
    _, cases = fixture_cases
    before = {point: _rows(store, case_id) for point, case_id in cases.items()}
    request = migration.Request(KEY, 1, 3)
    plan = {c["case_id"]: c for c in migration.plan(engine, request)["cases"]}
    assert not plan[cases["review"]]["movable"]
    assert any("it waits at review, which the new version lacks" in r for r in plan[cases["review"]]["reasons"])
    assert not plan[cases["call_back"]]["movable"]  # its sub-process is gone
    assert plan[cases["wait_day"]]["movable"] and plan[cases["decide"]]["movable"]
    applied = {c["case_id"]: c for c in migration.apply(engine, OPERATOR, request)["cases"]}
    assert {c: r["outcome"] for c, r in applied.items()} == {
        cases["review"]: "refused", cases["wait_day"]: "migrated", cases["decide"]: "migrated",
        cases["call_back"]: "refused"}
    assert _rows(store, cases["review"]) == before["review"]  # nothing of a refused case changed
    assert _rows(store, cases["call_back"]) == before["call_back"]
    with store.unit_of_work(write=False) as uow:
        assert not list(uow.session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == cases["review"], CaseEvent.kind == "CaseMigrated")))


def test_an_interrupted_run_resumes_and_each_case_is_audited(engine: Engine, store: Store, fixture_cases: Any) -> None:
    _, cases = fixture_cases
    request = migration.Request(KEY, 1, 2, {"decide": "final_decision"})
    plan = migration.plan(engine, request)
    first = migrations.apply(engine, None, request, actor="cli:test", limit=2, batch=1)  # stopped after two
    assert [c["case_id"] for c in first["cases"]] == sorted(cases.values())[:2] and first["remaining"] == 2
    second = migrations.apply(engine, None, request, actor="cli:test")
    assert [c["case_id"] for c in second["cases"]] == sorted(cases.values())[2:] and second["remaining"] == 0
    assert [_without_outcome(c) for c in first["cases"] + second["cases"]] == plan["cases"]
    again = migration.migrate_case(engine, OPERATOR, cases["review"], request)
    assert (again["outcome"], again["reasons"]) == ("skipped", ["already on version 2"])
    with store.unit_of_work(write=False) as uow:
        entries = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.migrate")
                                           .order_by(AuditEntry.case_id)))
    assert [(e.case_id, e.username, e.detail["outcome"]) for e in entries] == [
        (c, "cli:test", "migrated") for c in sorted(cases.values())]


def test_bad_requests_change_nothing(engine: Engine, store: Store, fixture_cases: Any) -> None:
    with pytest.raises(InvalidData) as same:
        migration.plan(engine, migration.Request(KEY, 1, 1))
    assert "to_version" in same.value.details["fields"]
    with pytest.raises(InvalidData) as unknown:
        migration.apply(engine, OPERATOR, migration.Request(KEY, 1, 2, {"nope": "final_decision"}))
    assert "nope is no element of version 1" in unknown.value.details["fields"]["map"]
    with pytest.raises(NotFound):
        migration.plan(engine, migration.Request(KEY, 1, 9))
    with pytest.raises(InvalidData):
        migration.parse_mapping(["decide"])
    with store.unit_of_work(write=False) as uow:
        assert {c.pathway_version.version for c in uow.session.scalars(select(Case).where(
            Case.pathway_key == KEY))} == {1}


def test_who_may_migrate(engine: Engine, store: Store, fixture_cases: Any) -> None:
    driver, _ = fixture_cases
    request = migration.Request(KEY, 1, 2, {"decide": "final_decision"})
    worker = driver.user("ops.social_worker")
    with pytest.raises(NotAllowed):
        migrations.apply(engine, worker, request)
    designer = driver.user("designer")
    with pytest.raises(NotAllowed):  # deployers.toml: this pathway belongs to another agency's designers
        migrations.dry_run(engine, designer, request, policy=DeployPolicy({KEY: frozenset({"ngo-foreign"})}))
    plan = migrations.dry_run(engine, designer, request, policy=DeployPolicy({KEY: frozenset({"sup-test"})}))
    assert plan["movable"] == 4
    assert "Dzwoniłam" not in repr(plan) and "score" not in repr(plan["cases"])  # ids and names, no values
    with store.unit_of_work(write=False) as uow:
        denied = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")))
        assert [(e.username, e.detail["attempted"]) for e in denied] == [
            (worker.username, "case.migrate"), (designer.username, "migration.plan")]
        assert uow.session.scalar(select(AuditEntry.username).where(AuditEntry.action == "migration.plan")) == \
            designer.username


# -- the seed pathways ------------------------------------------------------------------------------
def _edited(files: list[SourceFile], waiting: dict[str, set[str]]) -> list[SourceFile]:
    """Every seed file with its waiting tasks renamed and each literal duration timer moved to P45D."""
    edited = []
    for source in files:
        text = source.content.decode()
        for element in sorted(set().union(*waiting.values())):
            text = re.sub(rf'(<bpmn:userTask id="{element}"[^>]*? name=")([^"]*)"', r'\1\2 (v2)"', text)
        text = re.sub(r"(<bpmn:timeDuration[^>]*>)\s*P[0-9A-Z]+\s*(</bpmn:timeDuration>)", r"\1P45D\2", text)
        edited.append(SourceFile(source.filename, text.encode()))
    return edited


def test_the_seed_pathways_running_cases_move_to_edited_versions(engine: Engine, store: Store,
                                                                  frozen_clock: FrozenClock) -> None:
    load_demo(store, engine)  # the demo's cases (one of them past its first task)
    driver = PathwayDriver(engine, store, frozen_clock)
    files = collect([WORKFLOWS])
    keys = sorted({p for p in _keys(store)})
    for key in keys:
        driver.start(key)
    with store.unit_of_work(write=False) as uow:
        waiting: dict[str, set[str]] = {}
        for key, element in uow.session.execute(select(Case.pathway_key, HumanTask.element_id).join(
                HumanTask, HumanTask.case_id == Case.id).where(HumanTask.status == "open")):
            waiting.setdefault(key, set()).add(element)
    deploy(store, _edited(files, waiting), engine.roles)
    assert len(keys) >= 7
    renamed = moved = 0
    for key in keys:
        request = migration.Request(key, 1, 2)
        plan = migration.plan(engine, request)
        assert plan["refused"] == 0 and plan["movable"] >= 1, key
        applied = migration.apply(engine, OPERATOR, request)
        assert [_without_outcome(c) for c in applied["cases"]] == plan["cases"], key
        for entry in plan["cases"]:
            rows = _rows(store, entry["case_id"])
            assert rows["version"] == 2
            assert {t["task_id"]: t["name"] for t in entry["tasks"]} == {i: n for i, (_, n, _) in rows["tasks"].items()}
            assert {t["timer_id"]: t["due_at"][:19] for t in entry["timers"]} == {
                i: due for i, (_, due) in rows["timers"].items()}
            renamed += sum(1 for t in entry["tasks"] if t["change"] == "renamed")
            moved += sum(1 for t in entry["timers"] if t["change"] == "rescheduled")
    assert renamed >= len(keys) and moved >= 1  # every pathway had a task renamed; the demo's timer moved


def _keys(store: Store) -> list[str]:
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(PathwayVersion.key).where(PathwayVersion.version == 1)))


def test_the_plan_names_no_case_value(engine: Engine, store: Store, frozen_clock: FrozenClock) -> None:
    load_demo(store, engine)
    files = [SourceFile(f.filename, f.content.replace(b"Identyfikacja i diagnoza", b"Identyfikacja, diagnoza"))
             for f in collect([WORKFLOWS]) if Path(f.filename).name == "intake_referral.bpmn"]
    deploy(store, files, engine.roles)
    plan = migration.plan(engine, migration.Request("intake_referral", 1, 2))
    assert plan["movable"] == 3
    text = repr(plan)
    for value in ("Zgłoszenie z punktu konsultacyjnego", "B-DEM", "high"):
        assert value not in text
