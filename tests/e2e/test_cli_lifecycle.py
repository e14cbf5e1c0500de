"""`pathways case stuck|suspend|resume|close|cancel`: the operator sees the stuck case, suspends,
resumes, closes or cancels it; refusals in one line, exit 1; each command audited as `cli:<os user>`."""

from __future__ import annotations

import json

from sqlalchemy import select

from pathways.core import Pathways
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, Case, CaseEvent
from pathways.tasks.accounts import add_agency
from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)
from tests.helpers import TestConfig, cli_rows
from tests.life_fixtures import FILE, KEY, NOTE, task


def _case(tmp_path):  # type: ignore[no-untyped-def]
    """A case of the lanes pathway past its intake, for an OPS alone: its PUP task is stuck."""
    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        pathways.upgrade_db()
        pathways.deploy([FILE])
        add_agency(pathways.store, "ops", "OPS", "MOPS", "Bartoszyce")
        case_id = pathways.engine.start_case(Actor("cli"), KEY, {}, ["ops"])
        pathways.engine.complete_task(Actor("cli"), task(pathways.store, case_id, "intake").id, {"notes": "ok"})
        return case_id
    finally:
        pathways.close()



def test_the_operator_runs_a_case_through_its_lifecycle(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    case_id = _case(tmp_path)
    stuck = run("case", "stuck")
    assert stuck.returncode == 0, stuck.stderr
    assert f"case {case_id} ({KEY}) [active]" in stuck.stdout
    assert "task Indywidualny plan działania needs a PUP; no PUP takes part" in stuck.stdout
    assert [c["case_id"] for c in json.loads(run("case", "stuck", "--json").stdout)] == [case_id]

    suspended = run("case", "suspend", str(case_id), "--note", NOTE)
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout.startswith(f"case {case_id}: suspended since ")
    assert "only an active case can be suspended" in one_line_error(run("case", "suspend", str(case_id)))
    resumed = run("case", "resume", str(case_id), "--timers", "fire")
    assert resumed.returncode == 0, resumed.stderr
    assert f"case {case_id}: active" in resumed.stdout and "timers fire: wait_week" in resumed.stdout

    refused = one_line_error(run("case", "close", str(case_id), "--outcome", "employed"))
    assert "does not allow closing a case early with this outcome" in refused and "exited, moved_away" in refused
    assert one_line_error(run("case", "cancel", str(case_id), "--reason", "other")).endswith("(note: required)")
    bad = run("case", "cancel", str(case_id), "--reason", "bored")
    assert bad.returncode == 2 and "bored" in bad.stderr and "Traceback" not in bad.stderr

    cancelled = run("case", "cancel", str(case_id), "--reason", "duplicate", "--note", NOTE)
    assert cancelled.returncode == 0 and cancelled.stdout.strip() == f"case {case_id}: cancelled", cancelled.stderr
    again = one_line_error(run("case", "cancel", str(case_id), "--reason", "duplicate"))
    assert "is cancelled: only an active or suspended case can be cancelled" in again
    assert "does not exist" in one_line_error(run("case", "cancel", "999999", "--reason", "duplicate"))

    [(status,)] = cli_rows(tmp_path, select(Case.status).where(Case.id == case_id))
    assert status == "cancelled"
    kinds = [k for (k,) in cli_rows(tmp_path, select(CaseEvent.kind).where(CaseEvent.case_id == case_id))]
    assert {"CaseSuspended", "CaseResumed", "CaseCancelled"} <= set(kinds)
    entries = cli_rows(tmp_path, select(AuditEntry.action, AuditEntry.username, AuditEntry.detail)
                    .where(AuditEntry.action.like("case.%")))
    actions = [(a, u.startswith("cli:")) for a, u, _ in entries]
    assert ("case.suspend", True) in actions and ("case.resume", True) in actions and ("case.cancel", True) in actions
    assert NOTE not in repr(entries)
