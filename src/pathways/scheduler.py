"""Firing timers at their due time with APScheduler, not by polling.

The scheduler keeps one date job armed for the earliest due timer. Commands in this process
that create an earlier timer re-arm it at once (`Engine.on_timers_changed`). Timers created by
*other* processes (another server or worker, `pathways case start`) reach it through a watcher
(`pathways.engine.wake`: LISTEN/NOTIFY on PostgreSQL, `PRAGMA data_version` polled on SQLite),
which re-arms it for the new due time within a fraction of a second. `max_sleep` is the safety
net: with no timer due sooner the scheduler still wakes every `max_sleep` seconds (default 60,
`PATHWAYS_TIMER_MAX_SLEEP` through `Config.timer_max_sleep`), so a notification lost with a
dropped connection delays a timer by at most that.

When timers fall due close together (thousands in a minute), waking for each one costs more
than firing it: every wake claims, looks for the next due time and re-arms, and every worker
wakes for the same timer. So after a wake the next one comes no sooner than `min_gap` (0.1 s)
later, and each wake fires the batch that fell due meanwhile. A timer therefore fires at most
`min_gap` late because of it; one due after a quiet spell still fires on time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from pathways.base import clock
from pathways.engine import messages, wake
from pathways.engine.cases import Engine

log = logging.getLogger(__name__)
JOB_ID = "pathways-fire-timers"
MESSAGES_JOB_ID = "pathways-messages"
#: how often kept messages are retried and expired ones dropped (`pathways.engine.messages.sweep`)
MESSAGE_SWEEP_SECONDS = 300


class TimerScheduler:
    def __init__(self, engine: Engine, blocking: bool = False, max_sleep: float = 60.0,
                 min_gap: float = 0.1, scheduler: BaseScheduler | None = None, watch: bool = True,
                 housekeeping: Sequence[Callable[[], object]] = ()) -> None:
        """`scheduler` replaces APScheduler's own (tests pass one they trigger by hand); `watch`:
        listen for timers other processes write (`pathways.engine.wake`); `housekeeping`: more work
        run with each message sweep (e.g. releasing disabled users' claims, `Pathways.housekeeping`)."""
        if not max_sleep > 0:
            raise ValueError(f"the timer scheduler's longest sleep must be above 0 s, not {max_sleep} "
                             "(PATHWAYS_TIMER_MAX_SLEEP)")
        self.engine = engine
        self.housekeeping = list(housekeeping)
        self.max_sleep = max_sleep
        self.min_gap = min_gap
        if scheduler is None:
            scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=UTC)
        self.scheduler: BaseScheduler = scheduler
        self._armed_for: datetime | None = None
        self._lock = threading.Lock()
        engine.on_timers_changed = self.notify
        store = getattr(engine, "store", None)
        self.watcher = wake.watcher_for(store, self.changed_elsewhere) if watch and store is not None else None

    def start(self) -> None:
        self._arm(clock.now())
        self._arm_sweep()
        if self.watcher is not None:
            self.watcher.start()
        self.scheduler.start()

    def _arm_sweep(self) -> None:
        self.scheduler.add_job(self._sweep_messages, "date", id=MESSAGES_JOB_ID, replace_existing=True,
                               run_date=clock.now() + timedelta(seconds=MESSAGE_SWEEP_SECONDS),
                               misfire_grace_time=None, coalesce=True)

    def _sweep_messages(self) -> None:
        """Retry kept messages and drop expired ones, then arm the next sweep."""
        try:
            dropped, delivered = messages.sweep(self.engine)
            if dropped or delivered:
                log.info("messages: %d expired dropped, %d kept delivered", dropped, delivered)
        except Exception:  # keep the scheduler alive; the next sweep retries
            log.exception("delivering kept messages failed")
        for job in self.housekeeping:
            try:
                job()
            except Exception:  # the same: the next sweep runs it again
                log.exception("housekeeping job failed")
        self._arm_sweep()

    def shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def notify(self, due_at: datetime) -> None:
        """A command created a timer due at `due_at`: wake earlier if needed."""
        with self._lock:
            if self._armed_for is None or due_at < self._armed_for:
                self._arm(due_at)

    def changed_elsewhere(self, due_at: datetime | None) -> None:
        """Another process wrote a timer due at `due_at` (None: unknown, re-read the earliest)."""
        if due_at is None:
            due_at = self.engine.next_due()
        if due_at is not None:
            self.notify(due_at)

    def _arm(self, when: datetime) -> None:
        self._armed_for = when
        self.scheduler.add_job(self._wake, "date", run_date=when, id=JOB_ID, replace_existing=True,
                               misfire_grace_time=None, coalesce=True)

    def _wake(self) -> None:
        woke = clock.now()
        try:
            fired = self.engine.fire_due_timers()
            if fired:
                log.info("advanced %d case(s) on due timers", fired)
            upcoming = self.engine.next_due()
        except Exception:  # keep the scheduler alive; the next wake retries
            log.exception("firing timers failed")
            upcoming = None
        limit = clock.now() + timedelta(seconds=self.max_sleep)
        when = min(upcoming, limit) if upcoming else limit
        with self._lock:
            self._arm(max(when, woke + timedelta(seconds=self.min_gap)))
