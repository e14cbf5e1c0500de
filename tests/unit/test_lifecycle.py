"""Unit tests of the lifecycle's pure parts: PATHWAYS_RESUME_TIMERS, a process's own properties,
a stuck task's reason, shifting a workflow's timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pathways.base import clock
from pathways.config import Config
from pathways.engine import lifecycle, timer_control
from pathways.engine.roles import RoleVocabulary
from pathways.engine.runtime import CaseRuntime
from pathways.tasks import stuck
from tests.helpers import WORKFLOWS, load_definition
from tests.life_fixtures import FILE, KEY


def test_resume_timers_is_shift_by_default_and_refuses_anything_but_shift_or_fire(monkeypatch):
    monkeypatch.delenv("PATHWAYS_RESUME_TIMERS", raising=False)
    assert Config().resume_timers == "shift"
    monkeypatch.setenv("PATHWAYS_RESUME_TIMERS", "FIRE")
    assert Config().resume_timers == "fire"
    monkeypatch.setenv("PATHWAYS_RESUME_TIMERS", "later")
    with pytest.raises(ValueError, match="PATHWAYS_RESUME_TIMERS must be shift or fire, not 'later'"):
        Config()


def test_process_properties_are_the_processs_own_not_its_elements():
    props = lifecycle.process_properties(FILE.read_text(encoding="utf-8"), KEY)
    assert props == {"close_outcomes": "exited, moved_away"}  # not the tasks' `stage`
    assert lifecycle.process_properties(FILE.read_text(encoding="utf-8"), "another_process") == {}


def test_a_stuck_tasks_reason_names_the_kind_it_needs():
    roles = RoleVocabulary.load(WORKFLOWS / "roles.toml")
    assert stuck.needed_kinds(roles, ["pup.career_adviser", "ngo.career_counsellor"]) == ["NGO", "PUP"]
    assert stuck.reason("Plan", ["PUP"]) == "task Plan needs a PUP; no PUP takes part"
    assert stuck.reason("Plan", ["NGO", "PUP"]) == "task Plan needs a NGO or PUP; no NGO or PUP takes part"
    assert "no agency can take it" in stuck.reason("Plan", [])


def test_shifting_timers_moves_each_waiting_timers_due_time():
    frozen = clock.FrozenClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC)).install()
    try:
        runtime = CaseRuntime.start(load_definition(KEY, FILE), {})
        [intake] = runtime.open_tasks(None)
        runtime.complete(intake.id, {"notes": "ok"})
        [before] = runtime.waiting_timers()
        assert len(timer_control.shift_runtime(runtime, timedelta(days=3))) == 1
        [after] = runtime.waiting_timers()
        assert after.due_at - before.due_at == timedelta(days=3)
        frozen.advance(days=9)
        assert runtime.fire_due_timers() == []  # due on day 10 now, not day 7
        frozen.advance(days=1)
        assert runtime.fire_due_timers() == ["wait_week"]
    finally:
        clock.set_source(None)
