"""`pathways serve --workers N` over real HTTP: waitress (1) or gunicorn's master and N workers.

The server runs as a subprocess on a free loopback port against a copy of the seeded SQLite
template; its output goes to files (a full pipe would block its logging). SIGTERM must stop it
with exit code 0, every worker gone, and no traceback on stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pathways.cli import main
from tests.e2e.api_fixtures import _template_db  # noqa: F401  (a fixture)
from tests.helpers import TEST_SECRET_KEY, WORKFLOWS, statute

IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}
PARTNERS = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rpartition(")")[2].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts worker processes in /proc (Linux)")
@pytest.mark.parametrize("workers", [2, 1])
def test_serve_workers_answers_and_stops_on_sigterm(workers, _template_db, tmp_path):  # noqa: F811
    if workers > 1:
        pytest.importorskip("gunicorn.app.base", reason="--workers > 1 needs gunicorn (Unix)")
    database = tmp_path / "serve.db"
    shutil.copyfile(_template_db, database)
    port = _free_port()
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{database}", "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS),
           "PATHWAYS_SECRET_KEY": TEST_SECRET_KEY}
    env.pop("PATHWAYS_WORKERS", None)
    out, err = (tmp_path / "stdout.txt").open("w+"), (tmp_path / "stderr.txt").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "pathways.cli", "serve", "--port", str(port),
                               "--workers", str(workers), "--threads", "4"],
                              env=env, cwd=tmp_path, stdout=out, stderr=err, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, health = _call(port, "GET", "/api/v1/health")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "stderr.txt").read_text()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        assert status == 200 and health == {"status": "ok", "database": "up"}  # nothing more for anyone
        expected = workers if workers > 1 else 0
        while len(workers_seen := _children(server.pid)) != expected and time.monotonic() < deadline:
            time.sleep(0.1)  # the first worker may answer before the master has forked the next
        assert len(workers_seen) == expected

        # Several requests, each on its own connection, so both workers take some.
        status, body = _call(port, "POST", "/api/v1/auth/token", {"username": "anna.ops", "password": "demo"})
        assert status == 201
        token = body["token"]
        for _ in range(3):
            status, case = _call(port, "POST", "/api/v1/cases", {
                "pathway": "intake_referral", "agencies": PARTNERS, "bases": statute(*PARTNERS)}, token)
            assert status == 201, case
            [task] = [t["id"] for t in case["open_tasks"] if t["element"] == "identify"]
            status, done = _call(port, "POST", f"/api/v1/tasks/{task}/complete", {"data": IDENTIFY}, token)
            assert status == 200, done
        status, page = _call(port, "GET", "/api/v1/tasks?view=all", token=token)
        assert status == 200 and page["total"] >= 1
        # an address over gunicorn's default 4,094-byte request line reaches the app: JSON 414
        status, refused = _call(port, "GET", "/api/v1/tasks?q=" + "x" * 5000, token=token)
        assert status == 414 and refused["code"] == "uri_too_long", refused
        status, body = _call(port, "POST", "/api/v1/auth/token", {"username": "admin", "password": "demo"})
        status, health = _call(port, "GET", "/api/v1/health", token=body["token"])
        assert health["dialect"] == "sqlite" and health["cases"]["active"] == 6
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    assert code == 0, stderr  # SIGTERM is a clean stop (exit 0) for waitress and for gunicorn
    assert "Traceback" not in stderr, stderr
    assert "pathways is serving on" in stdout and ("gunicorn" if workers > 1 else "waitress") in stdout
    assert not [pid for pid in workers_seen if Path(f"/proc/{pid}").exists()], "a worker outlived the master"


def test_serve_workers_without_gunicorn_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "gunicorn.app.base", None)  # as on Windows: the import fails
    monkeypatch.setenv("PATHWAYS_SECRET_KEY", TEST_SECRET_KEY)
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "needs gunicorn" in result.output and "--workers 1" in result.output
    assert "Traceback" not in result.output


def test_serve_workers_from_the_environment_must_be_positive(monkeypatch):
    monkeypatch.setenv("PATHWAYS_WORKERS", "0")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "PATHWAYS_WORKERS" in result.output
