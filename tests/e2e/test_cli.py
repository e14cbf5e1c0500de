"""The `pathways` command line, run as a user would (a real subprocess, real files)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.helpers import WORKFLOWS


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS), "PATHWAYS_SECRET_KEY": secrets.token_urlsafe(32)}

    def call(*args: str, **more_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathways.cli", *args], capture_output=True, text=True,
                              env={**env, **more_env}, cwd=tmp_path, timeout=120)

    return call


def test_help_on_every_command(run):
    for command in ([], ["demo"], ["serve"], ["worker"], ["lint"], ["deploy"], ["db", "upgrade"],
                    ["case", "start"], ["case", "show"]):
        result = run(*command, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout, command


def test_lint_clean_and_dirty(run, tmp_path):
    clean = run("lint")
    assert clean.returncode == 0, clean.stderr
    files = len([*WORKFLOWS.glob("*.bpmn"), *WORKFLOWS.glob("*.dmn")])
    assert f"{files} file(s), 0 error(s)" in clean.stderr
    bad = tmp_path / "bad.bpmn"
    bad.write_text((WORKFLOWS / "intake_referral.bpmn").read_text().replace("PT72H", "PT72"))
    dirty = run("lint", str(bad))
    assert dirty.returncode == 1
    assert f"{bad}:" in dirty.stdout and "crisis_overdue" in dirty.stdout and "hint:" in dirty.stdout
    missing = run("lint", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_lint_says_when_roles_toml_is_missing(run, tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "intake.bpmn").write_text((WORKFLOWS / "intake_referral.bpmn").read_text())
    result = run("lint", str(tmp_path / "flows" / "intake.bpmn"), PATHWAYS_WORKFLOWS_DIR=str(tmp_path / "flows"))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(str(tmp_path / "flows" / "roles.toml")) and "roles.toml not found" in first
    assert "PATHWAYS_WORKFLOWS_DIR" in first


def test_lint_conformance_without_traceback(run, conformance):
    result = run("lint", str(conformance / "files"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "113 file(s)" in result.stderr


def test_deploy_start_show(run):
    assert run("db", "upgrade").returncode == 0
    first = run("deploy")
    assert first.returncode == 0 and "deployed intake_referral version 1" in first.stdout
    again = run("deploy")
    assert "unchanged intake_referral (version 1)" in again.stdout
    assert run("agency", "add", "ops", "--kind", "OPS", "--name", "OPS").returncode == 0
    started = run("case", "start", "intake_referral", "--agency", "ops")
    assert started.returncode == 0 and "started case 1" in started.stdout, started.stderr
    shown = run("case", "show", "1", "--json")
    summary = json.loads(shown.stdout)
    assert summary["stage"] == "Identyfikacja" and summary["tasks"][0]["roles"] == ["ops.social_worker"]
    text = run("case", "show", "1").stdout
    assert "stage: Identyfikacja" in text and "CaseStarted" in text


def test_clear_errors_not_tracebacks(run):
    run("deploy")
    for args, fragment in [
        (("case", "show", "99"), "case 99 does not exist"),
        (("case", "start", "nope"), "no deployed pathway 'nope'"),
        (("case", "start", "intake_referral", "--data", "[1"), "not JSON"),
        (("case", "start", "intake_referral", "--agency", "x"), "unknown agencies"),
    ]:
        result = run(*args)
        assert result.returncode != 0 and fragment in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_demo_prepares_data_idempotently(run):
    first = run("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "demo cases: 1, 2, 3" in first.stdout
    second = run("demo", "--no-serve")
    pathways = len(list(WORKFLOWS.glob("*.bpmn")))
    assert f"0 new, {pathways} unchanged" in second.stdout and "demo cases: 1, 2, 3" in second.stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command, after checking it leaks no SQL and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, (result.returncode, result.stderr)
    for leak in ("Traceback", "SELECT", "[SQL", "[parameters", "sqlalche.me"):
        assert leak not in result.stderr, result.stderr
    return lines[0]


def test_every_command_on_an_unmigrated_database_says_so_in_one_line(run, tmp_path):
    (tmp_path / "cli.db").touch()  # an empty SQLite file: no tables at all
    for args in [("case", "show", "5"), ("case", "show", "5", "--json"),
                 ("case", "start", "intake_referral", "--beneficiary", "BEN-7"), ("report", "stages"),
                 ("report", "esf", "--format", "csv"), ("worker",), ("serve", "--port", "1")]:
        line = one_line_error(run(*args))
        assert line == "Error: the database is not set up: run `pathways db upgrade`", (args, line)
        assert "BEN-7" not in line


def test_a_schema_of_an_older_version_asks_for_an_upgrade(run, tmp_path):
    from pathways.store import schema
    from pathways.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    schema.upgrade(engine, "0005")
    engine.dispose()
    line = one_line_error(run("worker"))
    assert "older than this version of pathways: run `pathways db upgrade`" in line


def test_an_unreachable_database_is_one_line(run):
    url = "postgresql://someone:secret-pw@127.0.0.1:1/pathways"  # nothing listens on port 1
    for args in [("case", "show", "5"), ("db", "upgrade"), ("worker",)]:
        line = one_line_error(run(*args, PATHWAYS_DATABASE_URL=url))
        assert line.startswith("Error: cannot connect to the database "
                               "postgresql+psycopg://someone:***@127.0.0.1:1/"), line
        assert "secret-pw" not in line
