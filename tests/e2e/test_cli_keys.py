"""Data keys on the command line: a new key, which keys are in use, a rotation an admin follows
step by step (docs/privacy.md, "Keys"), and servers that refuse to start without a key."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pathways.base import sealing
from pathways.base.sealing import KeyRing
from pathways.cli import main
from pathways.store.db import Store
from pathways.store.models import CaseEvent
from tests.conftest import TEST_DATA_KEYS
from tests.helpers import FIXTURES, WORKFLOWS

ADDRESS = "Schronisko Przystań, ul. Ukryta 12"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.keys"
    path.write_text(TEST_DATA_KEYS + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def run(tmp_path: Path, key_file: Path):
    env = {k: v for k, v in os.environ.items() if k != "PATHWAYS_DATA_KEYS"}
    env.update({"PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS),
                "PATHWAYS_SECRET_KEY": secrets.token_urlsafe(32), "PATHWAYS_DATA_KEY_FILE": str(key_file)})

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathways.cli", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    return call


def test_new_key_prints_one_fresh_key_line() -> None:
    first, second = (CliRunner().invoke(main, ["privacy", "new-key"]) for _ in range(2))
    assert first.exit_code == 0 and len(first.output.splitlines()) == 1
    assert re.fullmatch(r"k\d{8}[0-9a-f]{4}:[A-Za-z0-9+/]{43}=", first.output.strip())
    assert first.output != second.output
    ring = KeyRing.parse(first.output)
    assert len(ring.keys[ring.current]) == 32


def test_a_rotation_step_by_step(run, key_file: Path, tmp_path: Path) -> None:
    assert run("db", "upgrade").returncode == 0
    assert run("deploy", str(FIXTURES / "sensitive_start.bpmn")).returncode == 0
    assert run("agency", "add", "ngo1", "--kind", "NGO", "--name", "Fundacja").returncode == 0
    started = run("case", "start", "sensitive_start", "--agency", "ngo1",
                  "--data", json.dumps({"shelter_address": ADDRESS}))
    assert started.returncode == 0, started.stderr
    case_id = re.search(r"\d+", started.stdout).group(0)  # type: ignore[union-attr]

    usage = run("privacy", "keys")
    assert usage.returncode == 0, usage.stderr
    assert re.search(r"^test1\t[1-9]\d* values\tcurrent$", usage.stdout, re.M), usage.stdout

    new = run("privacy", "new-key").stdout.strip()  # 1. a new key, appended: it seals from now on
    key_file.write_text(key_file.read_text() + new + "\n")
    new_id = new.split(":")[0]
    mid = run("privacy", "keys").stdout
    assert re.search(rf"^{new_id}\t0 values\tcurrent$", mid, re.M)
    assert "still in use besides the current key: test1" in mid

    rotated = run("privacy", "rotate-key")  # 2. everything re-sealed under it
    assert rotated.returncode == 0, rotated.stderr
    assert re.search(r"^case_states: 1 rows, 1 values re-sealed", rotated.stdout, re.M), rotated.stdout
    assert "case_events:" in rotated.stdout and f"only the current key ({new_id}) is in use" in rotated.stdout
    assert "Traceback" not in rotated.stderr

    key_file.write_text(new + "\n")  # 3. the old key leaves the ring: the case still opens
    shown = run("case", "show", case_id, "--json")  # reads the case's events, opening their tokens
    assert shown.returncode == 0, shown.stderr
    assert _started_with(tmp_path / "cli.db", new) == ADDRESS and ADDRESS not in shown.stdout

    key_file.write_text(KeyRing.new_line("stranger") + "\n")  # a ring without the case's key: one clear line
    refused = run("case", "show", case_id, "--json")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"data key '{new_id}', which is not in the key ring" in refused.stderr and ADDRESS not in refused.stderr


def _started_with(path: Path, key_line: str) -> object:
    """The shelter address of the case's CaseStarted event, opened with the key ring `key_line` alone."""
    kept = sealing.ring()
    store = Store(f"sqlite:///{path}")
    try:
        sealing.configure(KeyRing.parse(key_line))
        with store.unit_of_work(write=False) as uow:
            after = uow.session.scalars(select(CaseEvent.after).where(CaseEvent.kind == "CaseStarted")).one()
        return after["data"]["shelter_address"]
    finally:
        sealing.configure(kept)
        store.dispose()


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_serve_and_worker_refuse_to_start_without_a_data_key(monkeypatch, tmp_path: Path, command) -> None:
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("PATHWAYS_WORKFLOWS_DIR", str(WORKFLOWS))
    monkeypatch.setenv("PATHWAYS_SECRET_KEY", secrets.token_urlsafe(32))
    monkeypatch.delenv("PATHWAYS_DATA_KEYS", raising=False)
    monkeypatch.delenv("PATHWAYS_DATA_KEY_FILE", raising=False)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "PATHWAYS_DATA_KEY_FILE" in lines[0] and "Traceback" not in result.output

    broken = tmp_path / "broken.keys"  # a key file that is not one: its line, one line
    broken.write_text("k1:not base64!\n")
    monkeypatch.setenv("PATHWAYS_DATA_KEY_FILE", str(broken))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        "Error: data keys, line 1: the key is not base64"]

    monkeypatch.setenv("PATHWAYS_DATA_KEY_FILE", str(tmp_path / "missing.keys"))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "cannot read the data key file" in result.output
