"""The timer scheduler wakes at the due time it is given, not on a polling interval.

Most tests drive the scheduler's arming rules on a frozen clock with a stand-in for APScheduler
that records the one armed wake and runs it when told, so no assertion depends on how busy the
machine is. One test runs real APScheduler threads, with bounds only a broken rule can miss.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from pathways.base import clock
from pathways.config import Config
from pathways.scheduler import JOB_ID, TimerScheduler

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeEngine:
    """Counts how often the scheduler fires; reports a queue of upcoming due times."""

    def __init__(self, upcoming=None, fails: bool = False):
        self.on_timers_changed = None
        self.fired_at: list[datetime] = []
        self.upcoming = list(upcoming or [])
        self.fails = fails
        self.woke = threading.Event()

    def fire_due_timers(self) -> int:
        self.fired_at.append(clock.now())
        self.woke.set()
        if self.fails:
            raise RuntimeError("the database went away")
        return 1

    def next_due(self):
        return self.upcoming.pop(0) if self.upcoming else None


class ManualScheduler:
    """APScheduler's surface that TimerScheduler uses: one date job per id, run by `run_due`."""

    running = False

    def __init__(self, now: clock.FrozenClock):
        self.now = now
        self.jobs: dict[str, tuple[object, datetime]] = {}

    def add_job(self, func, trigger, run_date, id, replace_existing, **_options):  # noqa: A002
        assert trigger == "date" and replace_existing
        self.jobs[id] = (func, run_date)

    def start(self) -> None:
        self.running = True

    def shutdown(self, wait: bool = True) -> None:
        self.running = False

    @property
    def armed_for(self) -> datetime:
        return self.jobs[JOB_ID][1]

    def run_due(self) -> None:
        """Move the clock to the armed time and run the job, as APScheduler would then."""
        func, when = self.jobs.pop(JOB_ID)
        self.now.current = max(self.now.current, when)
        func()


@pytest.fixture
def frozen():
    now = clock.FrozenClock(START).install()
    yield now
    clock.set_source(None)


def scheduler_for(engine: FakeEngine, frozen: clock.FrozenClock, max_sleep: float = 60.0):
    manual = ManualScheduler(frozen)
    timers = TimerScheduler(engine, max_sleep=max_sleep, scheduler=manual)  # type: ignore[arg-type]
    timers.start()
    return timers, manual


def test_start_fires_what_is_due_then_sleeps_until_the_next_due_time(frozen):
    engine = FakeEngine(upcoming=[START + timedelta(seconds=30)])
    timers, manual = scheduler_for(engine, frozen)
    assert engine.on_timers_changed == timers.notify  # commands in this process re-arm it
    assert manual.armed_for == START  # the start-up wake fires anything already due
    manual.run_due()
    assert engine.fired_at == [START]
    assert manual.armed_for == START + timedelta(seconds=30)


def test_without_a_known_timer_it_still_wakes_every_max_sleep(frozen):
    engine = FakeEngine()
    _, manual = scheduler_for(engine, frozen, max_sleep=45)
    manual.run_due()
    for wake in range(1, 4):  # timers written by other processes are found on these wakes
        assert manual.armed_for == START + timedelta(seconds=45 * wake)
        manual.run_due()
    assert len(engine.fired_at) == 4


def test_a_due_time_later_than_max_sleep_is_not_waited_for(frozen):
    engine = FakeEngine(upcoming=[START + timedelta(hours=5)])
    _, manual = scheduler_for(engine, frozen, max_sleep=60)
    manual.run_due()
    assert manual.armed_for == START + timedelta(seconds=60)


def test_notify_arms_an_earlier_wake_and_never_a_later_one(frozen):
    engine = FakeEngine()
    timers, manual = scheduler_for(engine, frozen, max_sleep=30)
    manual.run_due()
    timers.notify(START + timedelta(seconds=10))
    assert manual.armed_for == START + timedelta(seconds=10)
    timers.notify(START + timedelta(hours=5))  # must not replace the earlier wake
    assert manual.armed_for == START + timedelta(seconds=10)


def test_wakes_are_at_least_min_gap_apart(frozen):
    engine = FakeEngine(upcoming=[START])  # already due again when the wake ends
    timers, manual = scheduler_for(engine, frozen)
    manual.run_due()
    assert manual.armed_for == START + timedelta(seconds=timers.min_gap)


def test_a_failing_wake_rearms_for_max_sleep(frozen):
    engine = FakeEngine(fails=True)
    _, manual = scheduler_for(engine, frozen, max_sleep=20)
    manual.run_due()
    assert manual.armed_for == START + timedelta(seconds=20)


def test_max_sleep_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PATHWAYS_TIMER_MAX_SLEEP", "7.5")
    assert Config().timer_max_sleep == 7.5
    monkeypatch.delenv("PATHWAYS_TIMER_MAX_SLEEP")
    assert Config().timer_max_sleep == 60.0
    monkeypatch.setenv("PATHWAYS_TIMER_MAX_SLEEP", "a minute")
    with pytest.raises(ValueError, match="PATHWAYS_TIMER_MAX_SLEEP must be a number of seconds"):
        Config()
    with pytest.raises(ValueError, match="PATHWAYS_TIMER_MAX_SLEEP"):
        TimerScheduler(FakeEngine(), max_sleep=0)  # type: ignore[arg-type]


def test_real_apscheduler_wakes_on_notify_not_before_the_due_time():
    engine = FakeEngine()
    timers = TimerScheduler(engine, max_sleep=600)  # type: ignore[arg-type]
    timers.start()
    try:
        assert engine.woke.wait(60)  # the start-up wake
        engine.woke.clear()
        due = clock.now() + timedelta(seconds=0.3)
        timers.notify(due)
        # without the notification the next wake would be 600 s away
        assert engine.woke.wait(60)
        assert engine.fired_at[-1] >= due  # a date job never runs early, however busy the machine
    finally:
        timers.shutdown()


def test_kept_messages_are_swept_every_few_minutes(frozen, monkeypatch):
    from pathways import scheduler as module
    from pathways.engine import messages

    swept = []
    monkeypatch.setattr(messages, "sweep", lambda engine: swept.append(clock.now()) or (0, 0))
    _, manual = scheduler_for(FakeEngine(), frozen)
    func, when = manual.jobs[module.MESSAGES_JOB_ID]
    assert when == START + timedelta(seconds=module.MESSAGE_SWEEP_SECONDS)
    frozen.current = when
    func()
    assert swept == [when] and manual.jobs[module.MESSAGES_JOB_ID][1] == when + timedelta(
        seconds=module.MESSAGE_SWEEP_SECONDS)


def test_a_timer_written_elsewhere_re_arms_the_scheduler_earlier(frozen):
    engine = FakeEngine()
    manual = ManualScheduler(frozen)
    timers = TimerScheduler(engine, max_sleep=60, scheduler=manual)  # type: ignore[arg-type]
    timers.start()
    manual.run_due()  # the start-up wake: nothing due, next wake in 60 s
    assert manual.armed_for == START + timedelta(seconds=60)
    soon = START + timedelta(seconds=5)
    engine.upcoming = [soon]
    timers.changed_elsewhere(None)  # SQLite's watcher: "something changed", the due time is re-read
    assert manual.armed_for == soon
    timers.changed_elsewhere(START + timedelta(seconds=2))  # PostgreSQL's: the notification's due time
    assert manual.armed_for == START + timedelta(seconds=2)
    timers.changed_elsewhere(START + timedelta(seconds=30))  # later than armed: no change
    assert manual.armed_for == START + timedelta(seconds=2)


def test_housekeeping_runs_with_each_sweep_and_a_failing_job_stops_nothing(frozen, monkeypatch):
    from pathways import scheduler as module
    from pathways.engine import messages

    monkeypatch.setattr(messages, "sweep", lambda engine: (0, 0))
    ran: list[str] = []

    def failing() -> None:
        ran.append("failing")
        raise RuntimeError("boom")

    manual = ManualScheduler(frozen)
    timers = TimerScheduler(FakeEngine(), max_sleep=60, scheduler=manual,  # type: ignore[arg-type]
                            watch=False, housekeeping=[failing, lambda: ran.append("release")])
    timers.start()
    func, when = manual.jobs[module.MESSAGES_JOB_ID]
    frozen.current = when
    func()
    assert ran == ["failing", "release"]  # the second job ran although the first failed
    assert manual.jobs[module.MESSAGES_JOB_ID][1] == when + timedelta(seconds=module.MESSAGE_SWEEP_SECONDS)
