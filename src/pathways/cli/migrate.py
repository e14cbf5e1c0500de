"""`pathways migrate KEY --from-version N --to-version M [--map OLD=NEW ...] --dry-run | --apply`.

The operator on the server moves a pathway's running cases to a corrected version: the dry run
lists, case by case, what would change or why a case cannot move; `--apply` moves them in
batches with a progress bar, each case in its own transaction, audited as `cli:<os user>`. An
interrupted run is resumed by running the same command again (the cases already moved are not
selected). Exit code 1 when a case could not move (refused, or changed meanwhile: run again).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _services, friendly, main

_VERSION = click.IntRange(1, 2**31 - 1)


@main.command("migrate", help="Move a pathway's running cases from one version to another (dry run first).")
@click.argument("key")
@click.option("--from-version", "from_version", type=_VERSION, required=True, help="The version the cases run.")
@click.option("--to-version", "to_version", type=_VERSION, required=True, help="The version to move them to.")
@click.option("--map", "pairs", multiple=True, metavar="OLD=NEW",
              help="An element of the old version that the new one replaces (repeat for more).")
@click.option("--dry-run", "mode", flag_value="dry-run", help="Only say what would happen (the default).")
@click.option("--apply", "mode", flag_value="apply", help="Move the cases.")
@click.option("--batch", type=click.IntRange(1, 1000), default=50, show_default=True, help="Cases read per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def migrate(key: str, from_version: int, to_version: int, pairs: tuple[str, ...], mode: str | None, batch: int,
            as_json: bool) -> None:
    from pathways.engine import migration
    from pathways.tasks import migrations

    request = migration.Request(key, from_version, to_version, migration.parse_mapping(list(pairs)))
    pathways = _services()
    if mode != "apply":
        result = migrations.dry_run(pathways.engine, None, request, actor=_cli_actor())
        if as_json:
            _echo_json(result)
        else:
            _echo_plan(result)
        if result["refused"]:
            raise click.exceptions.Exit(1)
        return
    total = len(migration.pending(pathways.engine, request, limit=10**9))
    if sys.stderr.isatty() and not as_json:
        with click.progressbar(length=total, label=f"moving {key} v{from_version} -> v{to_version}",
                               file=sys.stderr, show_pos=True) as bar:
            summary = migrations.apply(pathways.engine, None, request, actor=_cli_actor(), batch=batch,
                                       progress=lambda _r: bar.update(1))
    else:
        summary = migrations.apply(pathways.engine, None, request, actor=_cli_actor(), batch=batch)
    if as_json:
        _echo_json(summary)
    else:
        for item in summary["cases"]:
            if item["outcome"] != migration.MIGRATED_OK:
                click.echo(f"case {item['case_id']}: {item['outcome']}: {'; '.join(item['reasons'])}")
        click.echo(f"{summary['migrated']} moved, {summary['refused']} refused, {summary['conflict']} changed "
                   f"meanwhile, {summary['skipped']} skipped; {summary['remaining']} still on version {from_version}")
    if summary["refused"] or summary["conflict"]:
        raise click.exceptions.Exit(1)


def _echo_plan(result: dict[str, Any]) -> None:
    changes = result["changes"]
    click.echo(f"{result['key']}: version {result['from_version']} -> {result['to_version']}; "
               f"added {', '.join(changes['added']) or 'none'}; removed {', '.join(changes['removed']) or 'none'}; "
               f"renamed {', '.join(r['element'] for r in changes['renamed']) or 'none'}")
    for case in result["cases"]:
        if not case["movable"]:
            click.echo(f"case {case['case_id']}: cannot move: {'; '.join(case['reasons'])}")
            continue
        parts = [f"task {t['element']} {t['change']}" + _fields(t) for t in case["tasks"] if t["change"] != "kept"]
        parts += [f"timer {t['element']} {t['change']}" + (f" due {t['due_at']}" if t.get("due_at") else "")
                  for t in case["timers"] if t["change"] != "kept"]
        click.echo(f"case {case['case_id']}: can move" + (f": {'; '.join(parts)}" if parts else " (nothing changes)"))
    click.echo(f"{result['movable']} can move, {result['refused']} cannot")


def _fields(task: dict[str, Any]) -> str:
    added, removed = task.get("fields_added") or [], task.get("fields_removed") or []
    text = (f" +fields {', '.join(added)}" if added else "") + (f" -fields {', '.join(removed)}" if removed else "")
    return text
