"""The back-off of a case that keeps failing to advance on its timers (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pathways.engine import firing


@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 60), (1, 60), (2, 120), (3, 240), (9, 60 * 256), (10, 6 * 3600), (1000, 6 * 3600)])
def test_backoff_doubles_per_failure_up_to_the_cap(failures, seconds):
    assert firing.backoff(failures) == timedelta(seconds=seconds)


def test_the_event_count_reads_just_far_enough_to_reach_the_cap():
    past = firing._COUNTED  # failures before this one that the event query can see
    assert firing.backoff(past) < timedelta(seconds=firing.TIMER_RETRY_MAX_SECONDS)
    assert firing.backoff(past + 1) == timedelta(seconds=firing.TIMER_RETRY_MAX_SECONDS)
