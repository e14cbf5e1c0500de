"""`pathways timer list|fire|reschedule` and the timers in `pathways case show`: the operator sees a
case's waiting timer, moves it with a reason, fires it (the case goes on); malformed and past
times, unknown ids and a cancelled case's timer are one clear line, and change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pathways.core import Pathways
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, CaseEvent, HumanTask, Timer
from pathways.tasks.accounts import add_agency
from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)
from tests.helpers import FIXTURES, TestConfig, cli_rows
from tests.timer_fixtures import ELEMENT, KEY, REASON


def _cases(tmp_path, waits):  # type: ignore[no-untyped-def]
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.upgrade_db()
        pathways.deploy([FIXTURES / "o18_timer_wait.bpmn"])
        add_agency(pathways.store, "ops", "OPS", "MOPS", "Bartoszyce")
        cases = [pathways.engine.start_case(Actor("cli"), KEY, {"wait_for": wait}, ["ops"]) for wait in waits]
        with pathways.store.unit_of_work(write=False) as uow:
            timers = [uow.session.scalars(select(Timer.id).where(Timer.case_id == c)).one() for c in cases]
        return cases, timers
    finally:
        pathways.close()



def test_show_list_reschedule_and_fire(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    (case_id, later_case), (timer_id, later_timer) = _cases(tmp_path, ["P3D", "P10D"])

    shown = run("case", "show", str(case_id))
    assert shown.returncode == 0, shown.stderr
    assert f"timer {timer_id} at {ELEMENT}: due " in shown.stdout and "· active ·" in shown.stdout
    assert json.loads(run("case", "show", str(case_id), "--json").stdout)["timers"][0]["id"] == timer_id

    listed = run("timer", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines] == [timer_id, later_timer]  # earliest due first
    assert f"case {case_id} ({KEY}) at {ELEMENT}: due " in lines[0] and "OVERDUE" not in listed.stdout
    assert run("timer", "list", "--overdue").stdout.strip() == "no overdue timers"
    assert [t["id"] for t in json.loads(run("timer", "list", "--case", str(later_case), "--json").stdout)] == [
        later_timer]

    new_due = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    moved = run("timer", "reschedule", timer_id, "--at", new_due.isoformat(), "--reason", REASON)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith(f"rescheduled: timer {timer_id}") and new_due.isoformat() in moved.stdout
    assert [t["id"] for t in json.loads(run("timer", "list", "--json").stdout)] == [later_timer, timer_id]

    fired = run("timer", "fire", timer_id)
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.strip() == f"fired {ELEMENT} of case {case_id}: the case is active"
    assert cli_rows(tmp_path, select(HumanTask.element_id).where(HumanTask.case_id == case_id)) == [("review",)]
    kinds = [k for (k,) in cli_rows(tmp_path, select(CaseEvent.kind).where(CaseEvent.case_id == case_id))]
    assert kinds[-3:] == ["TimerRescheduled", "TimerFiredByHand", "TaskOpened"]
    audited = cli_rows(tmp_path, select(AuditEntry.action, AuditEntry.username, AuditEntry.detail).where(
        AuditEntry.action.in_(["timer.fire", "timer.reschedule"])).order_by(AuditEntry.id))
    assert [a for a, _, _ in audited] == ["timer.reschedule", "timer.fire"]
    assert all(user.startswith("cli") for _, user, _ in audited) and REASON not in repr(audited)


def test_refusals_are_one_line_and_change_nothing(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    (case_id,), (timer_id,) = _cases(tmp_path, ["P3D"])
    before = cli_rows(tmp_path, select(Timer.due_at))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert "must be in the future" in one_line_error(run("timer", "reschedule", timer_id, "--at", past,
                                                         "--reason", "x"))
    assert "not a date and time" in one_line_error(run("timer", "reschedule", timer_id, "--at", "jutro",
                                                       "--reason", "x"))
    assert "reason" in one_line_error(run("timer", "reschedule", timer_id, "--at", future, "--reason", " "))
    assert "does not exist" in one_line_error(run("timer", "fire", "nope"))
    assert "not waiting" in one_line_error(run("timer", "fire", "00000000-0000-4000-8000-000000000000"))
    assert run("timer", "reschedule", timer_id, "--reason", "x").returncode == 2  # --at is required
    assert cli_rows(tmp_path, select(Timer.due_at)) == before

    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.engine.cancel_case(Actor("cli"), case_id, "rezygnacja")
    finally:
        pathways.close()
    assert "not waiting" in one_line_error(run("timer", "fire", timer_id))
    assert run("timer", "list").stdout.strip() == "no waiting timers"
