"""`pathways message send|list|deliver` and `pathways signal send`: messages and signals from the server.

An operator on the server may send to any case (as the `integration` role may over the API);
every send is audited as `cli:<os user>`. The answer lists the cases reached or started, or the
pending message that keeps it (`pathways.tasks.messages`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _located, _services, friendly, main


def _json_option(text: str | None, option: str) -> Any:
    if text is None:
        return None
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {text[1:]}: {exc.__class__.__name__}", param_hint=option) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                                 param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=option)
    return value


def _correlation(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    field, sep, value = text.partition("=")
    if not sep or not field.strip():
        raise click.BadParameter("FIELD=VALUE, e.g. beneficiary_pseudonym=B-0001-AB", param_hint="--correlation")
    return {field.strip(): value}


@main.group(help="Messages to cases: send one, list those kept for later, deliver kept ones now.")
def message() -> None:
    pass


@message.command("send", help="Send message NAME to the case(s) waiting for it (or start a case, or keep it).")
@click.argument("name")
@click.option("--key", help="The correlation value, matched against the field each waiting catch declares.")
@click.option("--correlation", help="FIELD=VALUE: the case field to match (case_id=N names the case).")
@click.option("--data", help="The payload as a JSON object; @FILE reads it from a file.")
@click.option("--all", "to_all", is_flag=True, help="Every waiting case (default: exactly one must wait).")
@click.option("--agency", "agencies", multiple=True, help="An agency code of a case the message starts (repeatable).")
@friendly
def send(name: str, key: str | None, correlation: str | None, data: str | None, to_all: bool,
         agencies: tuple[str, ...]) -> None:
    from pathways.tasks.messages import send_message

    pathways = _services()
    with _located():
        answer = send_message(pathways.store, pathways.engine, None, name, data=_json_option(data, "--data"),
                              correlation=_correlation(correlation), key=key, mode="all" if to_all else "single",
                              agencies=list(agencies), operator=_cli_actor())
    _echo_json(answer)


@message.command("list", help="Messages kept because no case waited for them yet (never their payload).")
@click.option("--name", help="Only messages of this name.")
@click.option("--all", "include_delivered", is_flag=True, help="Include delivered and expired ones.")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@friendly
def list_messages(name: str | None, include_delivered: bool, limit: int) -> None:
    from pathways.tasks.messages import list_pending

    with _located():
        page = list_pending(_services().store, None, name, include_delivered, limit, operator=_cli_actor())
    for item in page["items"]:
        state = "delivered" if item["delivered_at"] else f"expires {item['expires_at']:%Y-%m-%d %H:%M}"
        key = f" key {item['key_name'] or '(bare)'}" if item["keyed"] else ""
        tries = f", {item['attempts']} failed attempt(s) ({item['last_error']})" if item["attempts"] else ""
        click.echo(f"#{item['id']} {item['name']}{key} from {item['sender']}: {state}{tries}")
    click.echo(f"{page['total']} message(s)")


@message.command("deliver", help="Retry kept messages now and drop expired ones (the server does it every 5 minutes).")
@friendly
def deliver() -> None:
    from pathways.engine.messages import sweep

    dropped, delivered = sweep(_services().engine)
    click.echo(f"{delivered} kept message(s) delivered, {dropped} expired dropped")


@main.group(help="Signals: broadcast to every case waiting for them.")
def signal() -> None:
    pass


@signal.command("send", help="Broadcast signal NAME to every waiting case; start the pathways it starts.")
@click.argument("name")
@click.option("--data", help="Data of a case the signal starts, as a JSON object; @FILE reads it from a file.")
@click.option("--agency", "agencies", multiple=True, help="An agency code of a case the signal starts (repeatable).")
@friendly
def send_signal(name: str, data: str | None, agencies: tuple[str, ...]) -> None:
    from pathways.tasks.messages import send_signal as broadcast

    pathways = _services()
    with _located():
        answer = broadcast(pathways.store, pathways.engine, None, name, data=_json_option(data, "--data"),
                           agencies=list(agencies), operator=_cli_actor())
    _echo_json(answer)
