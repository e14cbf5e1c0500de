"""`pathways case cancel|close|suspend|resume|stuck`: a case's lifecycle, for the operator on the server.

The operator reaches every case (as `pathways case show` does); each command is audited as
`cli:<os user>` (`pathways.tasks.lifecycle`). Refusals print one line and exit 1: a case that is
not running, a reason not on the list, an outcome the pathway does not allow.
"""

from __future__ import annotations

from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _iso, _located, _services, case, friendly
from pathways.engine.lifecycle import CANCEL_REASONS, RESUME_MODES

_ID = click.IntRange(1, 2**31 - 1)


@case.command("cancel", help="Cancel a running case: its open tasks leave every inbox, its timers are removed.")
@click.argument("case_id", type=_ID)
@click.option("--reason", required=True, type=click.Choice(CANCEL_REASONS), help="Why the case is cancelled.")
@click.option("--note", default="", help="More about why (sealed in the case's event; required with `other`).")
@friendly
def case_cancel(case_id: int, reason: str, note: str) -> None:
    from pathways.tasks.lifecycle import cancel_case

    pathways = _services()
    with _located():
        _echo(cancel_case(pathways.store, pathways.engine, None, case_id, reason, note, actor=_cli_actor()))


@case.command("close", help="Close a running case early with an OUTCOME its pathway allows (`close_outcomes`).")
@click.argument("case_id", type=_ID)
@click.option("--outcome", required=True, help="The outcome key (the reports count it).")
@click.option("--note", default="", help="More about why (sealed in the case's event).")
@friendly
def case_close(case_id: int, outcome: str, note: str) -> None:
    from pathways.tasks.lifecycle import close_case

    pathways = _services()
    with _located():
        _echo(close_case(pathways.store, pathways.engine, None, case_id, outcome, note, actor=_cli_actor()))


@case.command("suspend", help="Suspend an active case: its tasks can be neither claimed nor completed, its "
                              "timers wait.")
@click.argument("case_id", type=_ID)
@click.option("--note", default="", help="Why (sealed in the case's event).")
@friendly
def case_suspend(case_id: int, note: str) -> None:
    from pathways.tasks.lifecycle import suspend_case

    pathways = _services()
    with _located():
        _echo(suspend_case(pathways.store, pathways.engine, None, case_id, note, actor=_cli_actor()))


@case.command("resume", help="Resume a suspended case. Its timers shift by the suspension's length or the "
                             "overdue ones fire at once (default: PATHWAYS_RESUME_TIMERS).")
@click.argument("case_id", type=_ID)
@click.option("--timers", "mode", type=click.Choice(RESUME_MODES), help="shift or fire (this resume only).")
@friendly
def case_resume(case_id: int, mode: str | None) -> None:
    from pathways.tasks.lifecycle import resume_case

    pathways = _services()
    with _located():
        result = resume_case(pathways.store, pathways.engine, None, case_id, mode or pathways.config.resume_timers,
                             actor=_cli_actor())
    _echo(result)
    resumed = result["resumed"]
    click.echo(f"  suspended {resumed['suspended_seconds']} s; timers {resumed['timers_mode']}: " + (", ".join(
        f"{t['element']} {_iso(t['due_at'])}" for t in resumed["timers"]) or "none"))


@case.command("stuck", help="List the cases with an open task no agency taking part can take, and why.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def case_stuck(as_json: bool) -> None:
    from pathways.tasks.stuck import operator_stuck

    pathways = _services()
    found = operator_stuck(pathways.store, pathways.engine.roles, actor=_cli_actor())
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo("no stuck cases")
    for item in found:
        click.echo(f"case {item['case_id']} ({item['pathway']}) [{item['status']}] since {_iso(item['since'])}: "
                   + "; ".join(t["reason"] for t in item["tasks"]))


def _echo(result: dict[str, Any]) -> None:
    suspended = result.get("suspended")
    since = f" since {_iso(suspended['since'])} by {suspended['by']}" if suspended else ""
    click.echo(f"case {result['case_id']}: {result['status']}{since}")
