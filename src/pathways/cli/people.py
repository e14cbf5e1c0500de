"""`pathways person ...`, `pathways legal-basis ...`, `pathways case agencies ...`: people and sharing."""

from __future__ import annotations

import json

import click

from pathways.cli import _cli_actor, _echo_json, _iso, _located, _services, case, friendly, main

# -- people: registering and finding beneficiaries (pathways.privacy.beneficiaries) ---------------


@main.group(help="People (beneficiaries): pseudonyms, identities, their cases.")
def person() -> None:
    pass


@person.command("show", help="Show the person with PSEUDONYM (B-XXXX-XX): registration and every case; audited.")
@click.argument("pseudonym")
@click.option("--identity", "with_identity", is_flag=True,
              help="Also print the identity (name, PESEL, contact); the read is audited as person.identity.read.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def person_show(pseudonym: str, with_identity: bool, as_json: bool) -> None:
    from pathways.privacy.beneficiaries import operator_person

    shown = operator_person(_services().store, pseudonym, actor=_cli_actor(), with_identity=with_identity)
    if as_json:
        click.echo(json.dumps(shown, default=_iso, indent=2, ensure_ascii=False))
        return
    click.echo(f"{shown['pseudonym']}: registered {_iso(shown['registered_at'])} by {shown['agency']} · "
               f"{shown['status']} · identity {'recorded' if shown['has_identity'] else 'not given'}")
    for name, value in (shown["identity"] or {}).items():
        click.echo(f"  {name}: {value}")
    for item in shown["cases"]:
        click.echo(f"  case {item['id']}: {item['pathway']} · {item['status']} · stage: {item['stage'] or '-'}")


# -- sharing: legal bases, consent, agencies on a case (pathways.privacy.sharing) -----------------


@main.group("legal-basis", help="The statutory legal bases agencies may share a case on (the admin's list).")
def legal_basis() -> None:
    pass


@legal_basis.command("list", help="List the legal bases (retired ones marked).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def legal_basis_list(as_json: bool) -> None:
    from pathways.privacy.legal_bases import list_bases

    found = list_bases(_services().store, None, actor=_cli_actor())
    if as_json:
        _echo_json(found)
        return
    for basis in found:
        click.echo(f"{basis['code']}\t{'active' if basis['active'] else 'retired'}\t{basis['title']}"
                   f"\t{basis['reference']}\t{basis['gdpr']}")


@legal_basis.command("add", help="Add a statutory basis with the unique CODE (a-z, 0-9, _).")
@click.argument("code")
@click.option("--title", required=True, help="Its name, e.g. the act.")
@click.option("--reference", default="", help="The act and article.")
@click.option("--gdpr", default="", help="The GDPR provisions it rests on, e.g. art. 6(1)(c), art. 9(2)(b).")
@friendly
def legal_basis_add(code: str, title: str, reference: str, gdpr: str) -> None:
    from pathways.privacy.legal_bases import add_basis

    with _located():
        add_basis(_services().store, None, code, title, reference, gdpr, actor=_cli_actor())
    click.echo(f"added legal basis {code}")


@legal_basis.command("retire", help="Retire a basis: no new sharing on it; cases using it keep it.")
@click.argument("code")
@friendly
def legal_basis_retire(code: str) -> None:
    from pathways.privacy.legal_bases import retire_basis

    retire_basis(_services().store, None, code, actor=_cli_actor())
    click.echo(f"retired legal basis {code}")


@case.group("agencies", help="Agencies taking part in a case: add one on a legal basis, remove one.")
def case_agencies() -> None:
    pass


@case_agencies.command("add", help="Let AGENCY take part in case CASE_ID on a legal basis.")
@click.argument("case_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("agency_code")
@click.option("--basis", required=True, metavar="statute:CODE|consent:ID", help="Its legal basis.")
@click.option("--reason", default="", help="Why (shown on the case's timeline).")
@friendly
def case_agencies_add(case_id: int, agency_code: str, basis: str, reason: str) -> None:
    from pathways.privacy.participation import add_agency, parse_basis_option

    pathways = _services()
    with _located():
        done = add_agency(pathways.store, pathways.engine, None, case_id, agency_code, parse_basis_option(basis),
                          reason, actor=_cli_actor())
    click.echo(f"case {case_id}: {agency_code} added; tasks offered to it: {len(done['offered'])}")


@case_agencies.command("remove", help="End AGENCY's part in case CASE_ID (its claims go back or wait).")
@click.argument("case_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("agency_code")
@click.option("--reason", required=True, help="Why (shown on the case's timeline).")
@friendly
def case_agencies_remove(case_id: int, agency_code: str, reason: str) -> None:
    from pathways.privacy.participation import remove_agency

    pathways = _services()
    with _located():
        done = remove_agency(pathways.store, pathways.engine, None, case_id, agency_code, reason, actor=_cli_actor())
    click.echo(f"case {case_id}: {agency_code} removed; tasks given back: {len(done['returned'])}, "
               f"waiting for an agency: {len(done['waiting'])}")
