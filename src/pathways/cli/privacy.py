"""`pathways privacy ...`: the data keys and the person's rights (access, rectification, erasure,
retention) and the records of processing."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from pathways.cli import _cli_actor, _iso, _services, _write_out, friendly, main


@main.group(help="Data protection: data keys, the person's rights (access, erasure), retention, the register.")
def privacy() -> None:
    pass


# -- privacy: data keys (pathways.base.sealing; docs/privacy.md, "Keys") ---------------------------
@privacy.command("new-key", help="Print a line for a key file holding a new random data key: <id>:<base64>. "
                                 "Append it to the key file (mode 0600), restart, then run `rotate-key`.")
def privacy_new_key() -> None:
    from pathways.base.sealing import KeyRing

    click.echo(KeyRing.new_line())


@privacy.command("keys", help="Which data key ids seal how many values; which are in the key ring.")
@friendly
def privacy_keys() -> None:
    from pathways.base import sealing
    from pathways.privacy import keys

    services = _services()
    found = keys.usage(services.store)
    _echo_key_usage(sealing.ring(), found)


def _echo_key_usage(ring: Any, found: Any) -> None:
    from pathways.privacy.keys import PLAIN

    for kid in dict.fromkeys([*ring.keys, *sorted(found.by_key)]):
        if kid == PLAIN:
            continue
        where = "current" if kid == ring.current else ("in the ring" if kid in ring.keys else "NOT IN THE RING")
        click.echo(f"{kid}\t{found.by_key.get(kid, 0)} values\t{where}")
    if found.by_key.get(PLAIN):
        click.echo(f"{PLAIN}\t{found.by_key[PLAIN]} values not sealed yet: run `pathways privacy rotate-key`")
    old = [kid for kid in found.keys_in_use() if kid != ring.current]
    click.echo(f"still in use besides the current key: {', '.join(old)}" if old else
               f"only the current key ({ring.current}) is in use: older keys can leave the ring")


@privacy.command("rotate-key", help="Seal every value again under the key ring's current (last) key, and seal "
                                    "values written before sealing. Safe to run again after an interruption.")
@friendly
def privacy_rotate_key() -> None:
    from pathways.base import sealing
    from pathways.privacy import keys

    services = _services()
    ring = sealing.ring()

    def fields_of(s: Any, version_id: int) -> frozenset[str]:
        return services.engine.definition(s, version_id).sealed_fields

    if sys.stderr.isatty():
        with click.progressbar(length=keys.total_rows(services.store), label=f"re-sealing under {ring.current}",
                               file=sys.stderr) as bar:
            done = keys.rotate(services.store, fields_of, progress=bar.update)
    else:
        done = keys.rotate(services.store, fields_of)
    for table in ("case_states", "task_comments", "case_events", "identities"):
        click.echo(f"{table}: {done.rows[table]} rows, {done.resealed[table]} values re-sealed, "
                   f"{done.sealed[table]} sealed for the first time")
    _echo_key_usage(ring, keys.usage(services.store))



# -- privacy: the person's rights, retention, the register (pathways.privacy) --------------------


@privacy.command("export", short_help="Everything held about one person (art. 15).",
                  help="Everything held about one person (GDPR art. 15), by pseudonym, as JSON or a "
                       "printable HTML document in Polish. Audited as privacy.export.")
@click.argument("pseudonym")
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write to this file.")
@friendly
def privacy_export(pseudonym: str, fmt: str, out: str | None) -> None:
    from pathways.base.values import jsonable
    from pathways.privacy import export_html
    from pathways.privacy.export import export_person

    pathways = _services()
    found = export_person(pathways.store, pathways.engine, None, pseudonym, fmt=fmt, actor=_cli_actor())
    if fmt == "html":
        data = export_html.render(found).encode("utf-8")
    else:
        data = (json.dumps(jsonable(found), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    _write_out(data, out, f"export of {found['person']['pseudonym']}")


@privacy.command("rectify", short_help="Correct one stored value of a case (art. 16).",
                  help="Correct one stored value of a case (GDPR art. 16) on behalf of USERNAME, "
                       "under that user's rules (a role collecting the field). VALUE is JSON "
                       "(\"text\", 12, true) or plain text.")
@click.argument("case_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("field")
@click.argument("value")
@click.option("--reason", required=True, help="Why the value is corrected (recorded, sealed).")
@click.option("--as", "username", required=True, help="The case worker making the correction.")
@friendly
def privacy_rectify(case_id: int, field: str, value: str, reason: str, username: str) -> None:
    from sqlalchemy import select

    from pathways.engine.errors import NotFound
    from pathways.privacy.rectify import rectify
    from pathways.store.models import User

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    pathways = _services()
    with pathways.store.unit_of_work(write=False) as uow:
        user = uow.session.scalars(select(User).where(User.username == username, User.active)).first()
        if user is None:
            raise NotFound(f"no active user {username[:64]!r}")
        user.agency  # noqa: B018 - loaded before the session closes
    result = rectify(pathways.store, pathways.engine, user, case_id, field, parsed, reason)
    click.echo(f"case {result['case_id']}: {result['field']} corrected (version {result['version']})")


@privacy.command("retention", short_help="List or anonymise the cases past retention.",
                  help="Cases past their retention (ISO 8601 `retention` of the pathway, default "
                       "P5Y, from the end of the year the case ended): list them, or anonymise them.")
@click.option("--dry-run", "mode", flag_value="dry-run", default=True, help="Only list them (the default).")
@click.option("--apply", "mode", flag_value="apply", help="Anonymise them: irreversible, audited.")
@friendly
def privacy_retention(mode: str) -> None:
    from pathways.privacy.retention import apply_retention, due_cases

    pathways = _services()
    due = due_cases(pathways.store)
    for case in due:
        click.echo(f"case {case.case_id} {case.pathway} {case.beneficiary or '-'}: ended {_iso(case.ended_at)}, "
                   f"kept until {case.kept_until} ({case.obligation})")
    if mode != "apply":
        click.echo(f"{len(due)} case(s) past retention; run with --apply to anonymise them", err=True)
        return
    with click.progressbar(length=len(due), label="Anonymising", file=sys.stderr, show_pos=True) as bar:
        done = apply_retention(pathways.store, pathways.engine, [c.case_id for c in due], actor=_cli_actor(),
                               progress=bar.update)
    click.echo(f"{done} case(s) anonymised", err=True)


@privacy.command("erase", short_help="Erase a person on request (art. 17).",
                  help="Erase a person on request (GDPR art. 17): anonymise every case and delete the "
                       "identity. Refused while a case is active or under its retention obligation.")
@click.argument("pseudonym")
@click.option("--reason", required=True, help="The request it answers (only its length is recorded).")
@friendly
def privacy_erase(pseudonym: str, reason: str) -> None:
    from pathways.privacy.retention import erase_person

    pathways = _services()
    result = erase_person(pathways.store, pathways.engine, None, pseudonym, reason, actor=_cli_actor())
    click.echo(f"{result['pseudonym']} erased: {len(result['cases'])} case(s) anonymised, identity deleted")


@privacy.command("register", short_help="The records of processing annex (art. 30).",
                  help="The records of processing annex (GDPR art. 30) from the deployed pathways.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write to this file.")
@friendly
def privacy_register(fmt: str, out: str | None) -> None:
    from pathways.base.values import jsonable
    from pathways.privacy.register import build_register, register_markdown

    pathways = _services()
    found = build_register(pathways.store, pathways.engine)
    text = register_markdown(found) if fmt == "md" else json.dumps(jsonable(found), ensure_ascii=False, indent=2)
    _write_out((text + "\n").encode("utf-8"), out, "register")
