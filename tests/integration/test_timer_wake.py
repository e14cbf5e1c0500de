"""Waking other processes (`pathways.engine.wake`), on SQLite and PostgreSQL.

The watcher of a store must call back after another connection commits a timer (NOTIFY with
the due time on PostgreSQL, a changed `PRAGMA data_version` on SQLite) and must not for a
command that rolled back. Waits are bounded generously (loaded machines); nothing asserts speed.
"""

from __future__ import annotations

import queue
from datetime import timedelta

import pytest

from pathways.base import clock
from pathways.engine import wake
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidData
from pathways.store.db import Store
from tests.helpers import FIXTURES

KEY = "o18_timer_wait"


def _drain(calls: queue.Queue, seconds: float) -> list:
    found = []
    try:
        found.append(calls.get(timeout=seconds))
        while True:
            found.append(calls.get(timeout=0.5))
    except queue.Empty:
        return found


@pytest.fixture
def watched(store, roles, frozen_clock):
    clock.set_source(None)  # the watcher's thread and the database agree on real time here
    deploy(store, collect([FIXTURES / "o18_timer_wait.bpmn"]), roles)
    calls: queue.Queue = queue.Queue()
    watcher = wake.watcher_for(store, calls.put)
    assert watcher is not None
    watcher.start()
    _drain(calls, 3)  # the start-up re-read (PostgreSQL) and the deploy's commits
    yield Engine(store, roles), calls
    watcher.stop()


def test_a_timer_written_by_another_connection_wakes_the_watcher(watched, store):
    engine, calls = watched
    engine.start_case(Actor("cli"), KEY, {"wait_for": "PT1H"})
    found = _drain(calls, 20)
    assert found, "the watcher was not woken"
    if store.engine.dialect.name == "postgresql":  # the notification names the due time
        named = [due for due in found if due is not None]
        assert named and abs(named[0] - (clock.now() + timedelta(hours=1))) < timedelta(minutes=1)


def test_a_rolled_back_command_wakes_nobody_on_postgresql(watched, store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's data_version changes only on commit anyway: nothing to notify")
    engine, calls = watched

    def refuse(_s, _case_id):
        raise InvalidData("refused inside the transaction")

    with pytest.raises(InvalidData):
        engine.start_case(Actor("cli"), KEY, {"wait_for": "PT1H"}, within=refuse)
    assert _drain(calls, 3) == []


def test_an_in_memory_database_needs_no_watcher():
    store = Store("sqlite://")
    try:
        assert wake.watcher_for(store, lambda _due: None) is None
    finally:
        store.dispose()
