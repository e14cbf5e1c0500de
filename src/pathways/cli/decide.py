"""`pathways decide`: evaluate a decision on given inputs, from DMN files or a deployed pathway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pathways.cli import _services, friendly, main


@main.command(help="Evaluate a decision on inputs and show which rules matched. SOURCE is a DMN file or "
                   "folder (not yet deployed) or the key of a deployed pathway.")
@click.argument("source")
@click.option("--decision", required=True, help="The decision's id (or name).")
@click.option("--input", "input_text", default="{}", show_default=True,
              help="The inputs as a JSON object, by input data name; @FILE reads it from a file.")
@click.option("--version", type=click.IntRange(min=1), help="A deployed pathway's version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@friendly
def decide(source: str, decision: str, input_text: str, version: int | None, as_json: bool) -> None:
    from pathways.engine.deciding import read_files
    from pathways.engine.definitions import collect
    from pathways.tasks.bounds import check_json
    from pathways.tasks.decisions import version_decisions

    inputs = _inputs(input_text)
    check_json("input", inputs)
    if Path(source).exists():
        trial, where = read_files(collect([source])).trial(decision, inputs), source
    else:
        number, found = version_decisions(_services().store, source, version)
        trial, where = found.trial(decision, inputs), f"{source} version {number}"
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps({**asdict(trial), "source": where}, ensure_ascii=False, indent=2))
    else:
        _echo(trial, where)
    if trial.error is not None:
        raise click.exceptions.Exit(1)


def _inputs(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                                 param_hint="--input") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object of input names and values", param_hint="--input")
    return value


def _echo(trial: Any, where: str) -> None:
    click.echo(f"decision {trial.decision} ({trial.name}) in {trial.file} [{trial.version}], {where}")
    if trial.error is not None:
        click.echo(f"no result: {trial.error}", err=True)
    else:
        click.echo(f"value: {json.dumps(trial.value, ensure_ascii=False)}")
        for name, value in trial.outputs.items():
            click.echo(f"  {name} = {json.dumps(value, ensure_ascii=False)}")
    for hit in trial.hits:
        rules = ", ".join(str(n) for n in hit["rules"]) or "none"
        click.echo(f"rules matched in {hit['decision']}: {rules}")
    for warning in trial.warnings:
        click.echo(f"warning: {warning}", err=True)
