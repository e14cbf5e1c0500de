"""The server over real HTTP: `pathways serve` in a subprocess, requests on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from tests.helpers import WORKFLOWS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_server_answers(tmp_path):
    port = _free_port()
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'http.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}
    server = subprocess.Popen([sys.executable, "-m", "pathways.cli", "demo", "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    body = json.load(response)
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None, server.stderr.read() if server.poll() is not None else "server did not answer"
        assert body == {"status": "ok", "database": "up"}  # anonymous: nothing more (docs/api.md)
        login = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
                                       data=json.dumps({"username": "admin", "password": "demo"}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=5) as response:
            token = json.load(response)["token"]
        as_admin = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/health",
                                          headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(as_admin, timeout=5) as response:  # an admin sees what is deployed
            body = json.load(response)
        deployed = {p["key"]: p["version"] for p in body["pathways"]}
        assert deployed == {path.stem: 1 for path in WORKFLOWS.glob("*.bpmn")}
        assert body["cases"] == {"active": 3} and body["open_tasks"] == 4
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # -> /login
            page = response.read().decode()
            assert response.url.endswith("/login")
        assert '<html lang="pl">' in page and "Zaloguj się" in page
    finally:
        server.terminate()
        server.wait(timeout=10)
