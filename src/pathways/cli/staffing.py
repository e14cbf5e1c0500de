"""`pathways tasks ...`, `pathways substitute ...`: handing on a user's work, for the operator on the server.

The operator reaches every task (as `pathways case show` reaches every case); each run is audited as
`cli:<os user>` (`pathways.tasks.reassign`, `.released`, `.substitutes`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _iso, _located, _services, friendly, main

_ID = click.IntRange(1, 2**31 - 1)


@main.group(help="Human tasks: hand on a user's open tasks, release disabled users' claims.")
def tasks() -> None:
    pass


@tasks.command("reassign", help="Hand every open task claimed by USER (--from) to another user (--to: each task "
                                "they may claim) or back to the queue (--to-queue). --dry-run lists, --apply does.")
@click.option("--from", "source", required=True, metavar="USER", help="The user leaving or going on leave.")
@click.option("--to", "target", metavar="USER", help="The user to hand the tasks to.")
@click.option("--to-queue", is_flag=True, help="Give the tasks back to their roles' queues.")
@click.option("--dry-run/--apply", "dry_run", default=None, help="List what would happen / do it (one is required).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def tasks_reassign(source: str, target: str | None, to_queue: bool, dry_run: bool | None, as_json: bool) -> None:
    if bool(target) == to_queue:
        raise click.UsageError("give either --to USER or --to-queue")
    if dry_run is None:
        raise click.UsageError("give --dry-run (list what would happen) or --apply (do it)")
    from pathways.tasks.reassign import operator_reassign

    with _located():
        done = operator_reassign(_services().engine, _cli_actor(), source, target, apply=not dry_run)
    if as_json:
        _echo_json(done)
        return
    verb = {"assigned": f"-> {done['to']}", "queued": "-> queue", "refused": "stays"}
    for item in done["tasks"]:
        why = f" ({item['reason']})" if item["reason"] else ""
        click.echo(f"  case {item['case_id']} · {item['name']} · {item['id']}: {verb[item['outcome']]}{why}")
    head = "moved" if not dry_run else "would move"
    movable = done["moved"] if not dry_run else len(done["tasks"]) - done["refused"]
    click.echo(f"{done['from']}: {len(done['tasks'])} open task(s); {head} {movable}, refused {done['refused']}"
               + ("" if not dry_run else " (dry run: nothing changed; --apply to do it)"))


@tasks.command("release-disabled", help="Give disabled users' claimed tasks back to their roles' queues once "
                                        "PATHWAYS_RELEASE_DISABLED_AFTER_HOURS have passed (run it from cron).")
@click.option("--after-hours", type=click.FloatRange(0, 24 * 3660), default=None,
              help="Use this grace period instead of the configured one (also when release is off).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def tasks_release_disabled(after_hours: float | None, as_json: bool) -> None:
    from pathways.tasks.released import release_due

    pathways = _services()
    grace = timedelta(hours=after_hours) if after_hours is not None else pathways.config.release_grace
    if grace is None:
        raise click.ClickException("automatic release is off: set PATHWAYS_RELEASE_DISABLED_CLAIMS=true, "
                                   "or give --after-hours")
    done = release_due(pathways.engine, grace)
    if as_json:
        _echo_json(done)
        return
    for item in done:
        click.echo(f"  case {item['case_id']} · {item['id']}: released from {item['user']}")
    click.echo(f"released {len(done)} task(s)")


def release_on_disable(username: str) -> None:
    """`pathways user disable`'s hook: with release on and no grace period, the claims go back at once."""
    from pathways.tasks.released import release_due

    pathways = _services()
    grace = pathways.config.release_grace
    if grace is not None and grace == timedelta(0):
        done = [t for t in release_due(pathways.engine, grace) if t["user"] == username]
        if done:
            click.echo(f"released {len(done)} claimed task(s) of {username} to their queues")


# -- substitutes ----------------------------------------------------------------------------------
@main.group(help="Substitutes: a colleague works an absent user's claimed tasks for a period.")
def substitute() -> None:
    pass


def _when(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a time as YYYY-MM-DDTHH:MM+01:00", param_hint=option) from None
    if moment.tzinfo is None:
        raise click.BadParameter("needs its time zone (e.g. +01:00 or Z)", param_hint=option)
    return moment


@substitute.command("add", help="SUBSTITUTE (of ABSENT's agency) works ABSENT's claimed tasks from --start to --end.")
@click.argument("absent")
@click.argument("substitute_name", metavar="SUBSTITUTE")
@click.option("--start", "starts", required=True, help="From (ISO 8601 with time zone).")
@click.option("--end", "ends", required=True, help="Until (ISO 8601 with time zone).")
@friendly
def substitute_add(absent: str, substitute_name: str, starts: str, ends: str) -> None:
    from pathways.tasks.substitutes import operator_name_substitute

    with _located():
        made = operator_name_substitute(_services().store, _cli_actor(), absent, substitute_name,
                                        _when(starts, "--start"), _when(ends, "--end"))
    click.echo(f"substitution {made['id']}: {made['substitute']} for {made['absent']}, "
               f"{_iso(made['starts_at'])} -> {_iso(made['ends_at'])}")


@substitute.command("list", help="List substitutions (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def substitute_list(as_json: bool) -> None:
    from pathways.tasks.substitutes import operator_substitutions

    found: list[dict[str, Any]] = operator_substitutions(_services().store)
    if as_json:
        _echo_json(found)
        return
    for row in found:
        state = "active" if row["active"] else ("ended" if row["ended_at"] else "not running")
        click.echo(f"{row['id']}: {row['substitute']} for {row['absent']}, {_iso(row['starts_at'])} -> "
                   f"{_iso(row['ends_at'])} · {state}")


@substitute.command("end", help="End substitution ID now.")
@click.argument("substitution_id", type=_ID)
@friendly
def substitute_end(substitution_id: int) -> None:
    from pathways.tasks.substitutes import operator_end_substitution

    operator_end_substitution(_services().store, _cli_actor(), substitution_id)
    click.echo(f"ended substitution {substitution_id}")
