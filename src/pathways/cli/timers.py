"""`pathways timer ...`: the waiting timers of every case, for the operator on the server.

The operator reaches every timer (as `pathways case show` reaches every case); each list, fire
and reschedule is audited as `cli:<os user>` (`pathways.tasks.timers`).
"""

from __future__ import annotations

from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _iso, _located, _services, friendly, main

_ID = click.IntRange(1, 2**31 - 1)


@main.group(help="Waiting timers of cases: list them, fire one now, reschedule one.")
def timer() -> None:
    pass


@timer.command("list", help="List waiting timers, earliest due first.")
@click.option("--pathway", help="Only timers of cases of this pathway (its key).")
@click.option("--element", help="Only timers of this element.")
@click.option("--overdue", is_flag=True, help="Only timers whose due time has passed.")
@click.option("--case", "case_id", type=_ID, help="Only timers of this case.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def timer_list(pathway: str | None, element: str | None, overdue: bool, case_id: int | None, as_json: bool) -> None:
    from pathways.tasks.timers import TimerQuery, list_timers

    found = list_timers(_services().store, None, TimerQuery(pathway, element, True if overdue else None, case_id),
                        actor=_cli_actor())
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo("no overdue timers" if overdue else "no waiting timers")
    for item in found:
        click.echo(line(item))


@timer.command("fire", help="Fire a waiting timer now (TIMER_ID: from `pathways timer list`).")
@click.argument("timer_id")
@friendly
def timer_fire(timer_id: str) -> None:
    from pathways.tasks.timers import fire_timer

    pathways = _services()
    result = fire_timer(pathways.store, pathways.engine, None, timer_id, actor=_cli_actor())
    click.echo(f"fired {result['fired']['element']} of case {result['case_id']}: the case is "
               f"{result['case_status']}" + (f" at stage {result['stage']}" if result["stage"] else ""))
    for item in result["timers"]:
        click.echo("  still waiting: " + line(item))


@timer.command("reschedule", help="Move a waiting timer to a new due time in the future, with a reason.")
@click.argument("timer_id")
@click.option("--at", "at", required=True, help="The new due time, ISO 8601, e.g. 2026-12-24T09:00+01:00 "
                                               "(without a zone: UTC).")
@click.option("--reason", required=True, help="Why (sealed in the case's timeline).")
@friendly
def timer_reschedule(timer_id: str, at: str, reason: str) -> None:
    from pathways.tasks.timers import reschedule_timer

    pathways = _services()
    with _located():
        item = reschedule_timer(pathways.store, pathways.engine, None, timer_id, at, reason, actor=_cli_actor())
    click.echo("rescheduled: " + line(item))


def line(item: dict[str, Any]) -> str:
    """One timer in one line: id, case, pathway, element, due time (and whether it is overdue)."""
    state = " OVERDUE" if item.get("overdue") else ""
    held = " (being fired)" if item.get("being_fired") else ""
    return (f"timer {item['id']} case {item['case_id']} ({item['pathway']}) at {item['element']}: "
            f"due {_iso(item['due_at'])}{state}{held}")
