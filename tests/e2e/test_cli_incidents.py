"""`pathways incident list|retry|cancel-case`: the operator lists the incident a failing timer made,
retries it (it fails again: exit 1), corrects the value with `pathways privacy rectify`, retries
every incident of the element and the case goes on; usage errors and unknown ids in one line."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pathways.base import clock
from pathways.core import Pathways
from pathways.engine import firing, incidents
from pathways.engine.cases import Actor
from pathways.store.models import HumanTask
from pathways.tasks.accounts import add_agency, create_user
from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)
from tests.helpers import FIXTURES, TestConfig
from tests.incident_fixtures import KEY, SECRET


def _stuck_cases(tmp_path, households):  # type: ignore[no-untyped-def]
    """Cases whose timer failed into an incident; made on a clock ten days back, so the timers
    the CLI retries (on the real clock) are due for it too."""
    frozen = clock.FrozenClock(datetime.now(UTC) - timedelta(days=10)).install()
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.upgrade_db()
        pathways.deploy([FIXTURES / "i17_failing_timer.bpmn"])
        add_agency(pathways.store, "ops", "OPS", "MOPS", "Bartoszyce")
        create_user(pathways.store, pathways.roles, "anna", "ops", ["ops.social_worker"], "x", "Anna",
                    check_policy=False)
        cases = []
        for household in households:
            case_id = pathways.engine.start_case(Actor("cli"), KEY, {}, ["ops"])
            with pathways.store.unit_of_work(write=False) as uow:
                intake = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).one()
            pathways.engine.complete_task(Actor("cli"), intake, {"allowance": 1200, "household_size": household})
            cases.append(case_id)
        frozen.advance(days=7, seconds=1)
        for n in range(1, incidents.INCIDENT_ATTEMPTS + 1):
            pathways.engine.fire_due_timers()
            frozen.advance(seconds=firing.backoff(n).total_seconds())
        return cases
    finally:
        pathways.close()
        clock.set_source(None)


def test_list_retry_fix_and_retry_the_element(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    first, second = _stuck_cases(tmp_path, [SECRET, SECRET])

    listed = run("incident", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and all("at share: script_error ValueError · 3 attempts" in line for line in lines)
    assert SECRET not in listed.stdout + listed.stderr
    shown = json.loads(run("incident", "list", "--case", str(first), "--json").stdout)
    [incident] = shown
    assert (incident["case_id"], incident["status"], incident["element"]) == (first, "open", "share")

    again = run("incident", "retry", str(incident["id"]))  # not fixed yet
    assert again.returncode == 1 and "-> open" in again.stdout and "4 attempts" in again.stdout
    assert SECRET not in again.stdout + again.stderr

    for case_id in (first, second):
        fixed = run("privacy", "rectify", str(case_id), "household_size", '"2"', "--reason", "typed as words",
                    "--as", "anna")
        assert fixed.returncode == 0, fixed.stderr
    everything = run("incident", "retry", "--element", "share", "--pathway", KEY)
    assert everything.returncode == 0, everything.stderr
    assert "retried 2: 2 resolved, 0 still open, 0 cancelled" in everything.stdout
    assert run("incident", "list").stdout.strip() == "no open incidents"
    resolved = json.loads(run("incident", "list", "--status", "resolved", "--json").stdout)
    assert {i["case_id"] for i in resolved} == {first, second}
    assert all(i["closed_by"].startswith("cli") for i in resolved)
    with sqlite3.connect(tmp_path / "cli.db") as db:
        tasks = db.execute("select element_id from human_tasks where status = 'open' order by case_id").fetchall()
        actions = [a for (a,) in db.execute("select action from audit_log where action like 'incident.%'")]
    assert tasks == [("review",), ("review",)]
    assert actions.count("incident.retry") == 3 and "incident.list" in actions


def test_cancel_the_case_and_mistakes(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    [case_id] = _stuck_cases(tmp_path, [SECRET])
    assert run("incident", "retry").returncode == 2
    assert "--element needs --pathway" in run("incident", "retry", "--element", "share").stderr
    assert "does not exist" in one_line_error(run("incident", "retry", "99"))
    assert "Missing option '--reason'" in run("incident", "cancel-case", "1").stderr
    cancelled = run("incident", "cancel-case", "1", "--reason", "Pani wyprowadziła się")
    assert cancelled.returncode == 0 and "[cancelled]" in cancelled.stdout, cancelled.stderr
    assert "already cancelled" in one_line_error(run("incident", "retry", "1"))
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("select status from cases where id = ?", (case_id,)).fetchone() == ("cancelled",)
        details = [d for (d,) in db.execute("select detail from audit_log where action = 'incident.cancel_case'")]
    assert len(details) == 1 and "wyprowadzi" not in details[0]
