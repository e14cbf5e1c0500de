"""`pathways migrate`: the operator dry-runs moving the demo's cases to a corrected version, then
applies (a progress bar on a terminal, one summary line), runs it again (nothing left), and a
version lacking a waiting task is refused without `--map` and moves with it; errors in one line."""

from __future__ import annotations

import json

from sqlalchemy import select

from pathways.core import Pathways
from pathways.demo import load_demo
from pathways.store.models import AuditEntry, Case
from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)
from tests.helpers import WORKFLOWS, TestConfig


def _demo(tmp_path, *edits):  # type: ignore[no-untyped-def]
    """The demo's database with workflows/ deployed and the edited intake pathway as versions 2, 3, ..."""
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.upgrade_db()
        pathways.deploy()
        load_demo(pathways.store, pathways.engine)
        for n, edit in enumerate(edits):
            folder = tmp_path / f"v{n + 2}"
            folder.mkdir()
            (folder / "intake_referral.bpmn").write_text(edit((WORKFLOWS / "intake_referral.bpmn").read_text()))
            pathways.deploy([folder / "intake_referral.bpmn", *WORKFLOWS.glob("*.dmn")])
    finally:
        pathways.close()


def _renamed(text: str) -> str:
    return text.replace('name="Identyfikacja i diagnoza wstępna"', 'name="Identyfikacja"')


def _without_identify(text: str) -> str:
    return text.replace('"identify"', '"identify_new"').replace(">identify<", ">identify_new<")


def _versions(tmp_path):  # type: ignore[no-untyped-def]
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        with pathways.store.unit_of_work(write=False) as uow:
            versions = [c.pathway_version.version for c in uow.session.scalars(select(Case).order_by(Case.id))]
            audited = list(uow.session.scalars(select(AuditEntry.username).where(AuditEntry.action == "case.migrate")))
        return versions, audited
    finally:
        pathways.close()


def test_dry_run_then_apply_then_nothing_left(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    _demo(tmp_path, _renamed)
    dry = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "renamed identify" in dry.stdout and "3 can move, 0 cannot" in dry.stdout
    assert dry.stdout.count("task identify renamed") == 2
    assert "B-DEM" not in dry.stdout and "Zgłoszenie" not in dry.stdout
    plan = json.loads(run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--json").stdout)
    assert _versions(tmp_path)[0] == [1, 1, 1]

    applied = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--apply", "--json")
    assert applied.returncode == 0, applied.stderr
    done = json.loads(applied.stdout)
    assert [{k: v for k, v in c.items() if k != "outcome"} for c in done["cases"]] == plan["cases"]
    versions, audited = _versions(tmp_path)
    assert versions == [2, 2, 2] and len(audited) == 3 and all(a.startswith("cli:") for a in audited)
    again = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--apply")
    assert again.returncode == 0 and "0 moved, 0 refused, 0 changed meanwhile, 0 skipped; 0 still on version 1" \
        in again.stdout


def test_a_missing_waiting_task_is_refused_until_mapped(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    _demo(tmp_path, _without_identify)
    dry = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2")
    assert dry.returncode == 1
    assert dry.stdout.count("cannot move: it waits at identify, which the new version lacks: map it with --map "
                            "identify=NEW_ID") == 2
    refused = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--apply")
    assert refused.returncode == 1 and "1 moved, 2 refused" in refused.stdout
    mapped = run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2", "--apply",
                 "--map", "identify=identify_new")
    assert mapped.returncode == 0, mapped.stdout + mapped.stderr
    assert "2 moved, 0 refused" in mapped.stdout
    assert _versions(tmp_path)[0] == [2, 2, 2]


def test_errors_are_one_line(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    _demo(tmp_path, _renamed)
    assert "has no version 9" in one_line_error(run("migrate", "intake_referral", "--from-version", "1",
                                                    "--to-version", "9"))
    assert "mapping" in one_line_error(run("migrate", "intake_referral", "--from-version", "1", "--to-version", "2",
                                           "--map", "identify"))
    assert "unknown elements" in one_line_error(run("migrate", "intake_referral", "--from-version", "1",
                                                    "--to-version", "2", "--map", "nope=identify"))
    assert "same" in one_line_error(run("migrate", "intake_referral", "--from-version", "2", "--to-version", "2"))
    assert _versions(tmp_path)[0] == [1, 1, 1]
