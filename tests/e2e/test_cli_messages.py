"""`pathways message send|list|deliver` and `pathways signal send`, run as an operator would (a subprocess)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.helpers import FIXTURES, WORKFLOWS


@pytest.fixture
def run(tmp_path):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copy(WORKFLOWS / "roles.toml", workflows)
    for path in FIXTURES.glob("m17_*.bpmn"):
        shutil.copy(path, workflows)
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(workflows), "PATHWAYS_SECRET_KEY": secrets.token_urlsafe(32)}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathways.cli", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    assert call("db", "upgrade").returncode == 0
    assert call("deploy").returncode == 0
    assert call("agency", "add", "ops", "--kind", "OPS", "--name", "OPS").returncode == 0
    return call


def test_send_a_message_to_a_case_keep_one_list_it_and_broadcast_a_signal(run):
    assert "started case 1" in run("case", "start", "m17_boundary", "--agency", "ops").stdout
    sent = run("message", "send", "m17_document", "--correlation", "case_id=1", "--data", '{"doc": "umowa"}')
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["reached"] == [1]
    kept = run("message", "send", "m17_plain", "--all", "--data", '{"note": "tajne"}')
    assert kept.returncode == 0 and json.loads(kept.stdout)["kept"]["id"] == 1
    listed = run("message", "list")
    assert listed.returncode == 0 and "#1 m17_plain from cli" in listed.stdout and "tajne" not in listed.stdout
    assert "1 message(s)" in listed.stdout
    assert "0 kept message(s) delivered, 0 expired dropped" in run("message", "deliver").stdout
    for _ in range(2):
        run("case", "start", "m17_signal_wait", "--agency", "ops")
    signal = run("signal", "send", "m17_call_closed", "--agency", "ops")
    assert signal.returncode == 0, signal.stderr
    answer = json.loads(signal.stdout)
    assert answer["count"] == 2 and answer["reached"] == [2, 3] and len(answer["started"]) == 1


@pytest.mark.parametrize(("args", "fragment"), [
    (("message", "send", "m17_document", "--key", "nobody"), "no case waits for message 'm17_document'"),
    (("message", "send", "m17_document", "--data", "[1"), "not JSON"),
    (("message", "send", "m17_document", "--data", "[1]"), "must be a JSON object"),
    (("message", "send", "m17_document", "--correlation", "no-equals"), "FIELD=VALUE"),
    (("message", "send", "bad\tname"), "name is not valid"),
    (("message", "list", "--name", "a<b"), "name is not valid"),
])
def test_clear_errors_not_tracebacks(run, args, fragment):
    result = run(*args)
    assert result.returncode != 0 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
