"""A timer written by one process is fired by another at its due time, not at that one's next wake.

A `pathways worker` subprocess runs with a periodic wake (`PATHWAYS_TIMER_MAX_SLEEP`) of 300 s;
this process (no scheduler of its own, as a server's request or `pathways case start`) then
starts a case whose timer is due a few seconds later. The worker can only fire it in time if it
was woken: by NOTIFY on PostgreSQL, by `PRAGMA data_version` on SQLite (`pathways.engine.wake`).
The bound (20 s after the due time) is loose for a loaded machine and far below the 300 s a
missing wake would take.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import CaseEvent, Timer
from tests.helpers import FIXTURES, TEST_SECRET_KEY, WORKFLOWS
from tests.timer_fixtures import waiting_case

pytest_plugins = ["tests.e2e.api_fixtures"]


def _worker(url: str, tmp_path) -> tuple[subprocess.Popen[str], object]:
    env = {**os.environ, "PATHWAYS_DATABASE_URL": url, "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS),
           "PATHWAYS_SECRET_KEY": TEST_SECRET_KEY, "PATHWAYS_TIMER_MAX_SLEEP": "300"}
    out = (tmp_path / "worker.txt").open("w+")
    worker = subprocess.Popen([sys.executable, "-m", "pathways.cli", "worker"], env=env, cwd=tmp_path,
                              stdout=out, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while "firing timers" not in (tmp_path / "worker.txt").read_text():
        assert worker.poll() is None, (tmp_path / "worker.txt").read_text()
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.1)
    time.sleep(1.5)  # its first wake is over: it now sleeps for the periodic 300 s, unless woken
    return worker, out


def test_a_timer_written_elsewhere_fires_at_its_due_time(any_app, tmp_path):
    pathways = services(any_app)
    url = pathways.store.engine.url.render_as_string(hide_password=False)
    pathways.deploy([FIXTURES / "o18_timer_wait.bpmn"])  # before the worker starts: it finds the version
    worker, out = _worker(url, tmp_path)
    try:
        case_id, timer_id = waiting_case(any_app, "PT3S")
        with pathways.store.unit_of_work(write=False) as uow:
            due = uow.session.get(Timer, timer_id).due_at.replace(tzinfo=UTC)
        deadline = time.monotonic() + 60
        fired = None
        while fired is None and time.monotonic() < deadline:
            time.sleep(0.2)
            with pathways.store.unit_of_work(write=False) as uow:
                fired = uow.session.scalar(select(CaseEvent.at).where(
                    CaseEvent.case_id == case_id, CaseEvent.kind == "TimerFired"))
        assert fired is not None, (tmp_path / "worker.txt").read_text()
        lag = (fired.replace(tzinfo=UTC) - due).total_seconds()
        assert 0 <= lag < 20, lag
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        out.close()  # type: ignore[attr-defined]
