"""The timer scheduler wakes at the due time it is given, not on a polling interval."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from pathways.base import clock
from pathways.scheduler import TimerScheduler


class FakeEngine:
    """Records when the scheduler asks it to fire; reports a queue of upcoming due times."""

    def __init__(self, upcoming=None):
        self.on_timers_changed = None
        self.fired_at: list[float] = []
        self.upcoming = list(upcoming or [])
        self.woke = threading.Event()

    def fire_due_timers(self) -> int:
        self.fired_at.append(time.monotonic())
        self.woke.set()
        return 1

    def next_due(self):
        return self.upcoming.pop(0) if self.upcoming else None


def test_notify_wakes_at_due_time_and_rearms():
    engine = FakeEngine()
    scheduler = TimerScheduler(engine, max_sleep=30)
    assert engine.on_timers_changed == scheduler.notify  # commands in this process re-arm it
    scheduler.start()
    engine.woke.wait(2)  # the start-up wake fires anything already due
    engine.woke.clear()
    try:
        started = time.monotonic()
        engine.upcoming = [clock.now() + timedelta(seconds=0.4)]
        scheduler.notify(clock.now() + timedelta(seconds=0.3))
        assert engine.woke.wait(3)
        first = engine.fired_at[-1] - started
        assert 0.2 <= first < 2.0, first  # woke near its due time, not at once and not 30 s later
        engine.woke.clear()
        assert engine.woke.wait(3)  # re-armed itself for the next due time the engine reported
        assert len(engine.fired_at) >= 3
    finally:
        scheduler.shutdown()


def test_later_notification_does_not_delay_an_earlier_wake():
    engine = FakeEngine()
    scheduler = TimerScheduler(engine, max_sleep=30)
    scheduler.start()
    engine.woke.wait(2)
    engine.woke.clear()
    try:
        scheduler.notify(clock.now() + timedelta(seconds=0.3))
        scheduler.notify(clock.now() + timedelta(hours=5))  # must not replace the earlier wake
        assert engine.woke.wait(3)
    finally:
        scheduler.shutdown()
