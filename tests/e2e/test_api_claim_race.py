"""Twenty case workers claim one task at the same moment through a real HTTP server: one wins.

The server is waitress on 127.0.0.1 (a free port) in a thread, with as many worker threads as
clients, so the claims really run in parallel; each client is a different social worker of the
same agency, all offered the task. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from waitress.server import create_server

from pathways.core import services
from pathways.engine.cases import Actor
from pathways.store.models import CaseEvent, HumanTask, User
from pathways.tasks import accounts
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401

CLIENTS = 20


@pytest.fixture
def server_url(any_app: Flask) -> Iterator[str]:  # noqa: F811
    server = create_server(any_app, host="127.0.0.1", port=0, threads=CLIENTS + 2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        server.close()
        thread.join(timeout=10)


def _post(url: str, token: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, method="POST", data=b"", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_twenty_simultaneous_claims_one_winner(any_app: Flask, server_url: str) -> None:  # noqa: F811
    pathways = services(any_app)
    workers = [accounts.create_user(pathways.store, pathways.roles, f"sw{n:02}.ops", "mops-bartoszyce",
                                    ["ops.social_worker"], "pw", check_policy=False) for n in range(CLIENTS)]
    tokens = [accounts.issue_token(pathways.store, user).token for user in workers]
    case = pathways.engine.start_case(Actor("anna.ops"), "intake_referral", {}, ["mops-bartoszyce"], "BEN-RACE")
    with pathways.store.unit_of_work(write=False) as uow:
        task = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case)).one()

    results: list[tuple[int, dict[str, object]]] = []
    barrier = threading.Barrier(CLIENTS)

    def claim(token: str) -> None:
        barrier.wait()
        results.append(_post(f"{server_url}/api/v1/tasks/{task}/claim", token))

    threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (CLIENTS - 1), results
    winner = next(body for status, body in results if status == 200)["claimed_by"]
    assert all(body["code"] == "conflict" for status, body in results if status == 409)
    with pathways.store.unit_of_work(write=False) as uow:
        s = uow.session
        claimer = s.scalar(select(User.username).join(HumanTask, HumanTask.claimed_by == User.id)
                           .where(HumanTask.id == task))
        events = list(s.scalars(select(CaseEvent.actor).where(CaseEvent.kind == "TaskClaimed",
                                                              CaseEvent.task_id == task)))
    assert claimer == winner and events == [winner]
