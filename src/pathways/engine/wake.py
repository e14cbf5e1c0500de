"""Waking the timer schedulers of other processes when a timer is written that falls due sooner.

A scheduler arms itself for the earliest due timer it knows of (`pathways.scheduler`). A timer
written by another process (a server's request, `pathways case start`, another worker) would
otherwise be seen only at the next periodic wake (`PATHWAYS_TIMER_MAX_SLEEP`, 60 s).

- **PostgreSQL: LISTEN/NOTIFY.** A command that writes a timer row due sooner than the rows it
  had (`Engine._save`, which knows the earliest new or moved due time) sends
  `pg_notify('pathways_timers', <due time>)` in the same transaction (`announce`). PostgreSQL
  delivers it at commit, and only then: a rolled-back command wakes nobody, and a woken worker
  always finds the row. `PostgresWatcher` holds one extra connection per process that LISTENs and
  hands each due time to the scheduler. After the connection drops it reconnects (with back-off)
  and asks the scheduler to re-read the earliest due time, since notifications sent meanwhile
  were lost.
- **SQLite: `PRAGMA data_version`.** SQLite has no notifications between processes. The value of
  `PRAGMA data_version` on a connection changes whenever *another* connection (of any process)
  commits to the file; reading it touches no table and takes no lock (microseconds). So
  `SqliteWatcher` polls it every `poll` seconds (0.2 by default) on its own connection and, when it
  changed, asks the scheduler to re-read the earliest due time (one indexed `MIN`). A poll costs
  next to nothing, the re-read happens only after a commit, and no file or table of our own is
  needed (a touched file or a counter row would add a write to every command). An in-memory
  database is one process's: it needs no watcher.

Either way the watcher only wakes the scheduler earlier; it never fires anything itself, so a
lost notification costs at most the periodic wake, not a timer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, text

from pathways.base import clock
from pathways.store.db import Store

log = logging.getLogger("pathways.engine")

CHANNEL = "pathways_timers"
#: called with the due time a notification named, or None: "re-read the earliest due time"
OnChange = Callable[[datetime | None], None]


def announce(conn: Connection, due: datetime) -> None:
    """Tell other processes, at this transaction's commit, that a timer falls due at `due`."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :due)"), {"channel": CHANNEL, "due": due.isoformat()})


class Watcher:
    """A daemon thread that calls `on_change` when another process may have written an earlier timer."""

    def __init__(self, on_change: OnChange) -> None:
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"pathways-{type(self).__name__}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self.watch()
                pause = 0.5
            except Exception:  # the database went away: try again, and never stop the scheduler
                log.warning("timer watcher lost its connection; retrying in %.1f s", pause, exc_info=True)
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)
                self._tell(None)  # what was sent meanwhile is lost: re-read

    def _tell(self, due: datetime | None) -> None:
        try:
            self.on_change(due)
        except Exception:
            log.exception("the timer scheduler could not be woken")

    def watch(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PostgresWatcher(Watcher):
    """LISTEN on `CHANNEL` on a connection of its own (outside the pool, in autocommit)."""

    def __init__(self, store: Store, on_change: OnChange, timeout: float = 1.0) -> None:
        super().__init__(on_change)
        self.store = store
        self.timeout = timeout

    def watch(self) -> None:
        import psycopg

        url = self.store.engine.url.set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._tell(None)  # timers written before LISTEN took effect
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=self.timeout):
                    self._tell(_due(notice.payload))
                    if self._stop.is_set():
                        break


class SqliteWatcher(Watcher):
    """Poll `PRAGMA data_version` of the database file every `poll` seconds."""

    def __init__(self, path: str, on_change: OnChange, poll: float = 0.2) -> None:
        super().__init__(on_change)
        self.path = path
        self.poll = poll

    def watch(self) -> None:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        try:
            last = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(self.poll):
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                if version != last:
                    last = version
                    self._tell(None)
        finally:
            conn.close()


def watcher_for(store: Store, on_change: OnChange) -> Watcher | None:
    """The watcher of the store's database, or None where no other process can write (in-memory SQLite)."""
    url = store.engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresWatcher(store, on_change)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:" and "mode=memory" not in str(url):
        return SqliteWatcher(database, on_change)
    return None


def _due(payload: str) -> datetime | None:
    try:
        return clock.aware(datetime.fromisoformat(payload))
    except ValueError:
        return None
