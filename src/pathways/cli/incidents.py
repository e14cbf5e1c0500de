"""`pathways incident ...`: background work that kept failing, for the operator on the server.

The operator reaches every incident (as `pathways case show` reaches every case); each list,
retry and cancellation is audited as `cli:<os user>` (`pathways.tasks.incidents`).
"""

from __future__ import annotations

from typing import Any

import click

from pathways.cli import _cli_actor, _echo_json, _iso, _services, friendly, main

_ID = click.IntRange(1, 2**31 - 1)


@main.group(help="Incidents: a case's background work (a timer firing, a message delivery) "
                 "that kept failing and waits for you.")
def incident() -> None:
    pass


@incident.command("list", help="List incidents, newest first (default: the open ones).")
@click.option("--status", type=click.Choice(["open", "resolved", "cancelled"]), default="open", show_default=True)
@click.option("--element", help="Only incidents of this element.")
@click.option("--pathway", help="Only incidents of cases of this pathway (its key).")
@click.option("--case", "case_id", type=_ID, help="Only incidents of this case.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def incident_list(status: str, element: str | None, pathway: str | None, case_id: int | None, as_json: bool) -> None:
    from pathways.tasks.incidents import IncidentQuery, list_incidents

    found = list_incidents(_services().store, None, IncidentQuery(status, element, pathway, case_id),
                           actor=_cli_actor())
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo(f"no {status} incidents")
    for item in found:
        _echo(item)


@incident.command("retry", help="Run an incident's failed work again now: ID, or every open incident of "
                                "--element of --pathway.")
@click.argument("incident_id", type=_ID, required=False)
@click.option("--element", help="Retry every open incident of this element...")
@click.option("--pathway", help="... of cases of this pathway (its key).")
@friendly
def incident_retry(incident_id: int | None, element: str | None, pathway: str | None) -> None:
    from pathways.tasks.incidents import retry_element, retry_incident

    if (incident_id is None) == (element is None):
        raise click.UsageError("give an incident ID, or --element with --pathway")
    if element is not None and not pathway:
        raise click.UsageError("--element needs --pathway (the pathway's key)")
    pathways = _services()
    if incident_id is not None:
        result = retry_incident(pathways.store, pathways.engine, None, incident_id, actor=_cli_actor())
        _echo(result)
        if result["outcome"] == "open":
            raise click.exceptions.Exit(1)
        return
    assert pathway is not None
    summary = retry_element(pathways.store, pathways.engine, None, element or "", pathway, actor=_cli_actor())
    for item in summary["incidents"]:
        _echo(item)
    click.echo(f"retried {summary['retried']}: {summary['resolved']} resolved, {summary['still_open']} still open, "
               f"{summary['cancelled']} cancelled")
    if summary["still_open"]:
        raise click.exceptions.Exit(1)


@incident.command("cancel-case", help="Cancel the case of an open incident, with a reason.")
@click.argument("incident_id", type=_ID)
@click.option("--reason", required=True, help="Why (sealed in the case's event).")
@friendly
def incident_cancel_case(incident_id: int, reason: str) -> None:
    from pathways.tasks.incidents import cancel_case

    pathways = _services()
    _echo(cancel_case(pathways.store, pathways.engine, None, incident_id, reason, actor=_cli_actor()))


def _echo(item: dict[str, Any]) -> None:
    outcome = f" -> {item['outcome']}" if "outcome" in item else ""
    click.echo(f"incident {item['id']} [{item['status']}]{outcome} case {item['case_id']} ({item['pathway']}) "
               f"at {item['element']}: {item['error_kind']} {item['error_class']} · {item['attempts']} attempts · "
               f"last {_iso(item['last_seen'])} · log reference {item['reference']}")
