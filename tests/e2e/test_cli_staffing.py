"""`pathways tasks reassign|release-disabled`, `pathways substitute add|list|end`, and `user disable`'s release."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pathways.core import Pathways
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, HumanTask
from pathways.tasks import work
from pathways.tasks.accounts import add_agency, create_user
from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)
from tests.helpers import WORKFLOWS, TestConfig


def _world(tmp_path):  # type: ignore[no-untyped-def]
    """Two OPS social workers, a psychologist; two intake cases whose tasks anna claimed."""
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.upgrade_db()
        pathways.deploy([WORKFLOWS / "intake_referral.bpmn"])
        add_agency(pathways.store, "ops", "OPS", "MOPS", "Bartoszyce")
        users = {name: create_user(pathways.store, pathways.roles, name, "ops", [role], "x", name,
                                   check_policy=False)
                 for name, role in (("anna", "ops.social_worker"), ("adam", "ops.social_worker"),
                                    ("piotr", "ops.psychologist"))}
        tasks = []
        for _ in range(2):
            case_id = pathways.engine.start_case(Actor("cli"), "intake_referral", {}, ["ops"])
            with pathways.store.unit_of_work(write=False) as uow:
                task = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).one()
            work.claim(pathways.engine, users["anna"], task)
            tasks.append(task)
        return tasks
    finally:
        pathways.close()


def _claimers(tmp_path, tasks):  # type: ignore[no-untyped-def]
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        with pathways.store.unit_of_work(write=False) as uow:
            return [uow.session.get(HumanTask, t).claimed_by for t in tasks]  # type: ignore[union-attr]
    finally:
        pathways.close()


def test_reassign_dry_run_then_apply(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    tasks = _world(tmp_path)
    before = _claimers(tmp_path, tasks)
    dry = run("tasks", "reassign", "--from", "anna", "--to", "adam", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would move 2, refused 0 (dry run" in dry.stdout and _claimers(tmp_path, tasks) == before
    refused = json.loads(run("tasks", "reassign", "--from", "anna", "--to", "piotr", "--apply", "--json").stdout)
    assert refused["moved"] == 0 and {t["reason"] for t in refused["tasks"]} == {"no_role"}
    done = run("tasks", "reassign", "--from", "anna", "--to", "adam", "--apply")
    assert done.returncode == 0 and "moved 2, refused 0" in done.stdout
    assert len(set(_claimers(tmp_path, tasks))) == 1 and _claimers(tmp_path, tasks) != before
    queued = run("tasks", "reassign", "--from", "adam", "--to-queue", "--apply")
    assert "moved 2" in queued.stdout and _claimers(tmp_path, tasks) == [None, None]


def test_reassign_usage_and_errors(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    _world(tmp_path)
    assert run("tasks", "reassign", "--from", "anna", "--to", "adam").returncode == 2  # neither --dry-run nor --apply
    assert run("tasks", "reassign", "--from", "anna", "--dry-run").returncode == 2  # no target
    assert run("tasks", "reassign", "--from", "anna", "--to", "adam", "--to-queue", "--apply").returncode == 2
    assert "no such user (from)" in one_line_error(run("tasks", "reassign", "--from", "nobody", "--to-queue",
                                                        "--apply"))
    assert "same user" in one_line_error(run("tasks", "reassign", "--from", "anna", "--to", "anna", "--apply"))


def test_disable_releases_at_once_when_so_configured(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    tasks = _world(tmp_path)
    kept = run("user", "disable", "anna")
    assert kept.returncode == 0 and "released" not in kept.stdout and None not in _claimers(tmp_path, tasks)
    assert "automatic release is off" in one_line_error(run("tasks", "release-disabled"))
    waiting = run("tasks", "release-disabled", PATHWAYS_RELEASE_DISABLED_CLAIMS="true",
                  PATHWAYS_RELEASE_DISABLED_AFTER_HOURS="24")
    assert "released 0 task(s)" in waiting.stdout
    done = run("tasks", "release-disabled", "--after-hours", "0")
    assert "released 2 task(s)" in done.stdout and _claimers(tmp_path, tasks) == [None, None]
    run("user", "enable", "anna")


def test_disable_with_immediate_release(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    tasks = _world(tmp_path)
    done = run("user", "disable", "anna", PATHWAYS_RELEASE_DISABLED_CLAIMS="true")
    assert "released 2 claimed task(s) of anna" in done.stdout and _claimers(tmp_path, tasks) == [None, None]
    assert "PATHWAYS_RELEASE_DISABLED_AFTER_HOURS" in one_line_error(
        run("tasks", "release-disabled", PATHWAYS_RELEASE_DISABLED_AFTER_HOURS="soon"))


def test_substitutes(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    _world(tmp_path)
    now = datetime.now(UTC)
    start, end = now.isoformat(), (now + timedelta(days=3)).isoformat()
    made = run("substitute", "add", "anna", "adam", "--start", start, "--end", end)
    assert made.returncode == 0 and made.stdout.startswith("substitution 1: adam for anna"), made.stderr
    assert "already has a substitute" in one_line_error(run("substitute", "add", "anna", "piotr", "--start", start,
                                                            "--end", end))
    assert "time zone" in run("substitute", "add", "anna", "adam", "--start", "2026-12-01T08:00",
                              "--end", end).stderr
    assert "active" in run("substitute", "list").stdout
    assert run("substitute", "end", "1").returncode == 0
    assert json.loads(run("substitute", "list", "--json").stdout)[0]["active"] is False
    assert "does not exist" in one_line_error(run("substitute", "end", "99"))
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        with pathways.store.unit_of_work(write=False) as uow:
            actions = [a.action for a in uow.session.scalars(select(AuditEntry).where(
                AuditEntry.username.like("cli%")))]
        assert "substitution.create" in actions and "substitution.end" in actions
    finally:
        pathways.close()
