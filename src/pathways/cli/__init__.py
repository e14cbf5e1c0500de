"""`pathways ...`: the command line. Each command is a thin call into the services.

This module holds the group, the shared helpers and the platform's commands (schema, lint, deploy,
serve, agencies, users, reports, audit, cases); `people.py` holds the people and sharing commands
(persons, legal bases, agencies of a case), `privacy.py` the data keys and the person's rights.

Errors are printed as one clear line on stderr (exit 1); nothing prints a traceback (`friendly`).
Usage mistakes (an unknown option, a missing argument) are click's usage message with exit 2.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from pathways.base.sealing import SealingError, cause_of
from pathways.config import Config, InsecureConfig, require_secret_key
from pathways.core import Pathways
from pathways.engine.errors import InvalidDefinition, PathwaysError

NOT_SET_UP = "the database is not set up: run `pathways db upgrade`"
BEHIND = "the database schema is older than this version of pathways: run `pathways db upgrade`"
NEWER = "the database was migrated by a newer version of pathways: run that version"
#: SQLSTATEs (PostgreSQL) whose advice is to migrate: undefined table, undefined column
_UNDEFINED_TABLE, _UNDEFINED_COLUMN = "42P01", "42703"


def _services() -> Pathways:
    return Pathways(Config())


def _require_secret(config: Config) -> None:
    """`serve` and `worker` never run with a missing or short secret key: one line, exit 1."""
    try:
        require_secret_key(config.secret_key)
    except InsecureConfig as exc:
        raise click.ClickException(str(exc)) from None


def _require_data_keys(config: Config) -> None:
    """`serve` and `worker` never run without a data key to seal with: one line, exit 1.

    A key file others may read is said, not refused (a container may mount it so)."""
    import os
    import stat

    from pathways.base.sealing import load_ring
    from pathways.config import NO_DATA_KEY

    try:
        ring = load_ring(config.data_key_env)
    except SealingError as exc:
        raise click.ClickException(str(exc)) from None
    if ring is None:
        raise click.ClickException(NO_DATA_KEY)
    path = config.data_key_env.get("PATHWAYS_DATA_KEY_FILE")
    if path and "PATHWAYS_DATA_KEYS" not in config.data_key_env:
        with contextlib.suppress(OSError):
            if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                click.echo(f"warning: others may read the data key file {path}: chmod 600 it", err=True)


def _cli_actor() -> str:
    """Who ran an account command, for the audit log: the operating-system user."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for the uid (a bare container)
        return "cli"


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every error a user sees is one line on stderr and exit code 1, never a traceback.

    Domain errors carry their own message; database errors are turned into advice by
    `database_problem` here, at the edge, so no command needs its own handling.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidDefinition as exc:
            for problem in exc.details.get("problems", []):  # type: ignore[attr-defined]
                click.echo(problem, err=True)
            raise click.ClickException(exc.message) from None
        except PathwaysError as exc:
            raise click.ClickException(exc.message) from None
        except SealingError as exc:  # no key, an unknown key id, a forged token: says which key, no value
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:
            sealing_error = cause_of(exc)  # a column type sealing or opening a value, inside SQLAlchemy
            if sealing_error is not None:
                raise click.ClickException(str(sealing_error)) from None
            raise click.ClickException(database_problem(exc, _configured_url())) from None
        except FileNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # last line of defence: a message, not a traceback
            raise click.ClickException(f"{type(exc).__name__}: {_first_line(exc)}".rstrip(": ")) from None

    return wrapper


def database_problem(exc: SQLAlchemyError, url: str) -> str:
    """What to do about a database error, in one line without the statement or its parameters.

    SQLAlchemy's own text quotes both, and parameters can be case data. PostgreSQL errors are told
    apart by SQLSTATE; SQLite has no SQLSTATE and one code (SQLITE_ERROR) for most failures, so
    its missing tables and columns are recognised by the start of its message.
    """
    if isinstance(exc, ArgumentError):  # a malformed URL or an unknown dialect: no data in the text
        return f"PATHWAYS_DATABASE_URL is not a usable database URL: {_first_line(exc)}"
    if not isinstance(exc, DBAPIError):  # a StatementError's text quotes the statement
        return f"database error: {type(exc).__name__}"
    sqlstate: str | None = getattr(exc.orig, "sqlstate", None)
    sqlite_code: str | None = getattr(exc.orig, "sqlite_errorname", None)
    reason = _first_line(exc.orig)
    if exc.statement is None or (sqlstate or "").startswith("08") or sqlite_code == "SQLITE_CANTOPEN":
        # no statement: the error came while connecting, so its text is the driver's reason
        return f"cannot connect to the database {_safe_url(url)}: {reason or type(exc.orig).__name__}"
    if sqlstate == _UNDEFINED_TABLE or (sqlite_code == "SQLITE_ERROR" and reason.startswith("no such table")):
        return _migration_advice(url, NOT_SET_UP)
    if sqlstate == _UNDEFINED_COLUMN or (sqlite_code == "SQLITE_ERROR" and "no such column" in reason):
        return _migration_advice(url, BEHIND)
    if sqlite_code == "SQLITE_NOTADB":
        return f"{_safe_url(url)} is not an SQLite database"
    if sqlite_code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return "the database is locked by another process: try again"
    return f"database error: {type(exc).__name__} ({sqlstate or sqlite_code or type(exc.orig).__name__})"


def _configured_url() -> str:
    try:
        return Config().database_url
    except ValueError:  # another variable is wrong: the database error still gets its line
        return "(PATHWAYS_DATABASE_URL)"


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else ""


def _migration_advice(url: str, fallback: str) -> str:
    """Say whether the schema is missing, older or newer, from Alembic's table when it can be read."""
    from pathways.store import schema
    from pathways.store.db import make_engine

    engine = make_engine(url)
    try:
        state = schema.state(engine)
    except SQLAlchemyError:
        return fallback
    finally:
        engine.dispose()
    return {"missing": NOT_SET_UP, "behind": BEHIND, "unknown": NEWER}.get(state, fallback)


def _safe_url(url: str) -> str:
    from pathways.store.db import normalise_url

    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(PATHWAYS_DATABASE_URL)"


def _require_schema(config: Config) -> None:
    """Refuse to start a server or worker on a schema it cannot use: it would fail on every wake."""
    from pathways.store import schema
    from pathways.store.db import make_engine

    engine = make_engine(config.database_url)
    try:
        state = schema.state(engine)
    finally:
        engine.dispose()  # no connection of this process may outlive it in a forked server worker
    if state != "current":
        raise click.ClickException({"missing": NOT_SET_UP, "behind": BEHIND}.get(state, NEWER))


@click.group(help="pathways: BPMN reintegration pathways for OPS, PUP and NGO partnerships.")
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine and scheduler do.")
def main(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the database schema to the latest version.")
@friendly
def db_upgrade() -> None:
    services = _services()
    services.upgrade_db()
    click.echo(f"database is up to date ({services.store.engine.url.render_as_string(hide_password=True)})")


@main.command(help="Check BPMN/DMN files (default: workflows/) and report every problem; exit 1 if any.")
@click.argument("paths", nargs=-1, type=click.Path())
@friendly
def lint(paths: tuple[str, ...]) -> None:
    from pathways.engine.definitions import collect
    from pathways.engine.lint import lint as run_lint
    from pathways.engine.problems import Problem
    from pathways.engine.roles import RoleVocabulary

    config = Config()
    roles = RoleVocabulary.load(config.roles_file)
    files = collect(paths or [config.workflows_dir])
    with click.progressbar(length=len(files), label="Linting", file=sys.stderr, show_pos=True) as bar:
        problems = run_lint(files, roles, on_file=lambda _name: bar.update(1))
    if not config.roles_file.exists():  # every lane and candidate group would read as unknown
        problems.insert(0, Problem(str(config.roles_file), None, None, "roles.toml not found, so lanes and "
                                   "candidate groups cannot be checked against the roles",
                                   "run from the folder that holds workflows/, or set PATHWAYS_WORKFLOWS_DIR "
                                   "to the folder with roles.toml"))
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    bad_files = len({p.file for p in problems if p.severity == "error"})
    click.echo(f"{len(files)} file(s), {errors} error(s) in {bad_files} file(s), "
               f"{len(problems) - errors} warning(s)", err=True)
    if errors:
        sys.exit(1)


@main.command(help="Draw BPMN files as SVG from their own layout (one file: stdout or -o; several: --out-dir).")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the SVG to this file (one input only).")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Write <stem>.svg per input into this folder.")
@click.option("--process", "process_id", help="Id of the process to draw (default: the first executable one).")
@click.option("--highlight", default="", help="Element ids to emphasise, comma-separated.")
@friendly
def diagram(files: tuple[str, ...], out: str | None, out_dir: str | None, process_id: str | None,
            highlight: str) -> None:
    from pathlib import Path

    from pathways.diagram import render_svg
    from pathways.diagram.files import bpmn_sources, svg_name

    sources = bpmn_sources(files)
    marked = [h.strip() for h in highlight.split(",") if h.strip()]
    if out and (out_dir or len(sources) != 1):
        raise click.UsageError("-o/--out takes exactly one input file and no --out-dir")
    if out_dir is None:
        if len(sources) != 1:
            raise click.UsageError(f"{len(sources)} files to draw: give --out-dir DIR (one <stem>.svg each)")
        svg = render_svg(sources[0].content, process_id=process_id, highlight=marked, filename=sources[0].filename)
        if out:
            Path(out).write_text(svg, encoding="utf-8")
        else:
            click.echo(svg, nl=False)
        return
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with click.progressbar(sources, label="Drawing", file=sys.stderr, show_pos=True) as bar:
        for source in bar:
            try:
                svg = render_svg(source.content, process_id=process_id, highlight=marked, filename=source.filename)
            except PathwaysError as exc:
                failures.append(exc.message)
                continue
            (Path(out_dir) / svg_name(source.filename)).write_text(svg, encoding="utf-8")
    for failure in failures:
        click.echo(failure, err=True)
    click.echo(f"{len(sources) - len(failures)} diagram(s) written to {out_dir}, {len(failures)} not drawn", err=True)
    if failures:
        sys.exit(1)


@main.command(help="Deploy BPMN/DMN files (default: workflows/): one new version per changed pathway.")
@click.argument("paths", nargs=-1, type=click.Path())
@friendly
def deploy(paths: tuple[str, ...]) -> None:
    services = _services()
    services.upgrade_db()
    report = services.deploy(list(paths) or None, deployed_by=_cli_actor())
    for key, version in report.created:
        click.echo(f"deployed {key} version {version}")
    for key, version in report.unchanged:
        click.echo(f"unchanged {key} (version {version})")


@main.command(help="Serve the web application and fire timers in its process(es). One worker: waitress; "
                    "several: gunicorn (Unix only), e.g. as many as cores on PostgreSQL.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1),
              help="Server processes [default: PATHWAYS_WORKERS, else 1]. 1 is waitress in this process; "
                   "more are gunicorn gthread workers, each with its own timer scheduler.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1),
              help="Request threads per process.")
@click.pass_context
@friendly
def serve(ctx: click.Context, host: str, port: int, workers: int | None, threads: int) -> None:
    from pathways.server import ServerUnavailable, check_gunicorn, serve_gunicorn, serve_waitress

    config = Config()
    workers = workers or config.workers
    if workers < 1:
        raise click.BadParameter(f"must be at least 1, not {workers}", param_hint="PATHWAYS_WORKERS")
    _require_secret(config)
    _require_data_keys(config)
    try:
        if workers > 1:
            check_gunicorn()
        _require_schema(config)
        if workers == 1:
            serve_waitress(config, host, port, threads)
            return
        serve_gunicorn(config, host, port, workers, threads, verbose=bool(ctx.find_root().params.get("verbose")))
    except ServerUnavailable as exc:
        raise click.ClickException(str(exc)) from None


@main.command(help="Fire timers at their due time, without serving HTTP (one per host or several).")
@friendly
def worker() -> None:
    from pathways.scheduler import TimerScheduler

    config = Config()
    _require_secret(config)
    _require_data_keys(config)
    _require_schema(config)
    services = Pathways(config)
    click.echo("pathways worker: firing timers at their due time (Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        TimerScheduler(services.engine, blocking=True, max_sleep=config.timer_max_sleep,
                       housekeeping=services.housekeeping()).start()


@main.command(help="Set up the database, deploy workflows/, load demo data, and serve (plain http, demo users "
                    "with the password 'demo': never for real data).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare everything but do not start the server.")
@click.pass_context
@friendly
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    import os

    from pathways.demo import PASSWORD, USERS, demo_data_keys, demo_secret_key, load_demo

    # A demo serves plain http on loopback: a random key kept in instance/ (so sessions survive a
    # restart), and cookies without the Secure flag, unless the environment says otherwise.
    if "PATHWAYS_SECRET_KEY" not in os.environ:
        os.environ["PATHWAYS_SECRET_KEY"] = demo_secret_key()
    if not {"PATHWAYS_DATA_KEYS", "PATHWAYS_DATA_KEY_FILE"} & set(os.environ):
        os.environ["PATHWAYS_DATA_KEY_FILE"] = str(demo_data_keys())
    os.environ.setdefault("PATHWAYS_SECURE_COOKIES", "0")
    services = _services()
    services.upgrade_db()
    report = services.deploy(deployed_by=_cli_actor())
    click.echo(f"deployed {len(report.created)} new, {len(report.unchanged)} unchanged pathway version(s)")
    cases = load_demo(services.store, services.engine)
    click.echo(f"demo cases: {', '.join(map(str, cases))}; users: "
               f"{', '.join(u[0] for u in USERS)} (password '{PASSWORD}')")
    services.close()  # no connection of this process may outlive it in a forked server worker
    if not no_serve:
        ctx.invoke(serve, host=host, port=port)


@main.group(help="Agencies taking part in pathways.")
def agency() -> None:
    pass


@agency.command("add", help="Add an agency with the unique CODE.")
@click.argument("code")
@click.option("--kind", required=True, type=click.Choice(["OPS", "PUP", "NGO", "SUPERVISION"], case_sensitive=False))
@click.option("--name", required=True, help="The agency's full name.")
@click.option("--city", default="", help="Where it is.")
@friendly
def agency_add(code: str, kind: str, name: str, city: str) -> None:
    from pathways.tasks.accounts import add_agency

    services = _services()
    services.upgrade_db()
    found = add_agency(services.store, code, kind, name, city)
    click.echo(f"added agency {found.code} ({found.kind})")


@main.group(help="User accounts.")
def user() -> None:
    pass


@user.command("add", help="Add a user of an agency with one or more roles (prompts for the password).")
@click.argument("username")
@click.option("--agency", "agency_code", required=True, help="Code of the user's agency.")
@click.option("--role", "roles", multiple=True, required=True,
              help="A role key from roles.toml, or a built-in role: admin, designer, auditor.")
@click.option("--full-name", default="", help="The user's full name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@friendly
def user_add(username: str, agency_code: str, roles: tuple[str, ...], full_name: str, password_stdin: bool) -> None:
    from pathways.tasks.accounts import create_user

    password = _read_password(password_stdin)
    services = _services()
    services.upgrade_db()
    created = create_user(services.store, services.roles, username, agency_code, roles, password, full_name,
                          by=_cli_actor())
    click.echo(f"added user {created.username} of {created.agency.code} "
               f"with role(s) {', '.join(sorted(created.roles))}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("disable", help="Disable a user: they cannot log in, and every session and token of theirs ends.")
@click.argument("username")
@friendly
def user_disable(username: str) -> None:
    from pathways.tasks.accounts import set_active

    set_active(_services().store, username, False, by=_cli_actor())
    click.echo(f"disabled {username}; their sessions and tokens have ended")
    staffing.release_on_disable(username)


@user.command("enable", help="Enable a disabled user again.")
@click.argument("username")
@friendly
def user_enable(username: str) -> None:
    from pathways.tasks.accounts import set_active

    set_active(_services().store, username, True, by=_cli_actor())
    click.echo(f"enabled {username}")


@user.command("set-password", help="Set a user's password (prompts for it); their sessions and tokens end.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@friendly
def user_set_password(username: str, password_stdin: bool) -> None:
    from pathways.tasks.accounts import set_password

    set_password(_services().store, username, _read_password(password_stdin), by=_cli_actor())
    click.echo(f"password of {username} set; their sessions and tokens have ended")


@user.command("revoke", help="End every page session and revoke every API token of a user (a lost device).")
@click.argument("username")
@friendly
def user_revoke(username: str) -> None:
    from pathways.tasks.accounts import revoke_access

    ended, revoked = revoke_access(_services().store, username, by=_cli_actor())
    click.echo(f"{username}: {ended} session(s) ended, {revoked} token(s) revoked")


@user.command("list", help="List users: agency, roles, active or disabled, last login.")
@friendly
def user_list() -> None:
    from pathways.tasks.accounts import list_users

    for account in list_users(_services().store):
        last = _iso(account.last_login_at) or "never"
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username}\t{account.agency}\t{','.join(account.roles)}\t{state}\t{last}")


@main.command(help="Export a report FIGURE (stages, funnel, stage-times, activities, open-tasks, workload, hours, "
                    "hours-by-role, benefits, outcomes, esf) as JSON, CSV or XLSX; for scheduled exports.")
@click.argument("figure")
@click.option("--pathway", help="Only this pathway (its key).")
@click.option("--agency", help="Only cases this agency (its code) takes part in.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day of the period (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True)
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True,
              help="Language of titles, column labels and names.")
@click.option("--user", "username", help="Count only the cases this supervisor may see (default: every case).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write to this file (needed for xlsx).")
@friendly
def report(figure: str, pathway: str | None, agency: str | None, date_from: datetime | None,
           date_to: datetime | None, fmt: str, lang: str, username: str | None, out: str | None) -> None:
    from pathlib import Path

    from pathways import reports
    from pathways.reports.export import render

    if fmt == "xlsx" and not out:
        raise click.UsageError("an xlsx export needs -o/--out FILE")
    services = _services()
    user = reports.user_named(services.store, username) if username else None
    scope = reports.Scope(pathway, agency, date_from.date() if date_from else None, date_to.date() if date_to else None)
    found = reports.build(services.store, services.engine, user, [figure], scope, lang, export=fmt,
                          actor=_cli_actor())[figure]
    if fmt == "json":
        data = (json.dumps(found.as_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        data = render(found, fmt)
    if out:
        Path(out).write_bytes(data)
        click.echo(f"{figure}: {len(found.rows)} row(s) written to {out}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command("audit", help="Export the audit log (newest first; every matching entry), as JSON or CSV. "
                            "The read is itself audited.")
@click.option("--user", "username", help="Only this username (exact; `cli:<os user>` for commands).")
@click.option("--case", "case_id", type=click.IntRange(1, 2**31 - 1), help="Only entries about this case.")
@click.option("--action", help="Only this action (case.read), or a prefix ending in a dot (auth.).")
@click.option("--from", "date_from", help="From this day (YYYY-MM-DD, Warsaw) or ISO 8601 time.")
@click.option("--to", "date_to", help="Up to this day (included) or before this ISO 8601 time.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write to this file.")
@friendly
def audit_log(username: str | None, case_id: int | None, action: str | None, date_from: str | None,
              date_to: str | None, fmt: str, out: str | None) -> None:
    from pathlib import Path

    from pathways.reports.audit_log import audit_csv
    from pathways.tasks import audit

    query = audit.AuditQuery(user=username, case=case_id, action=action,
                             since=audit.parse_time(date_from, field="from"),
                             until=audit.parse_time(date_to, field="to", end=True))
    entries = audit.export_log(_services().store, None, query, fmt=fmt, actor=_cli_actor())
    if fmt == "csv":
        data = audit_csv(entries)
    else:
        data = (json.dumps(entries, default=_iso, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if out:
        Path(out).write_bytes(data)
        click.echo(f"audit: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} written to {out}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.group(help="Work with cases.")
def case() -> None:
    pass


@case.command("start", help="Start a case of pathway KEY. The first --agency starts it on its own mandate; "
                             "every other needs --basis AGENCY=statute:CODE or AGENCY=consent:ID.")
@click.argument("key")
@click.option("--data", default="{}", help="Initial case data as a JSON object.")
@click.option("--agency", "agencies", multiple=True, help="Code of a participating agency (repeat; the starting "
                                                          "one first).")
@click.option("--beneficiary", default="", help="The registered person's pseudonym (B-XXXX-XX).")
@click.option("--basis", "bases", multiple=True, metavar="AGENCY=statute:CODE|consent:ID",
              help="The legal basis of an agency other than the first (repeat).")
@friendly
def case_start(key: str, data: str, agencies: tuple[str, ...], beneficiary: str, bases: tuple[str, ...]) -> None:
    try:
        initial = json.loads(data)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    if not isinstance(initial, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--data")
    from pathways.privacy.participation import parse_bases_options
    from pathways.privacy.sharing import operator_start_case

    pathways = _services()
    with _located():
        case_id = operator_start_case(pathways.store, pathways.engine, _cli_actor(), key, initial, agencies,
                                      beneficiary, parse_bases_options(list(bases)))
    click.echo(f"started case {case_id}")


@case.command("show", help="Show a case: status, stage, stage history, open tasks, waiting timers and events.")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@friendly
def case_show(case_id: int, as_json: bool) -> None:
    from pathways.tasks.cases import operator_case

    summary = operator_case(_services().store, case_id, actor=_cli_actor())
    if as_json:
        click.echo(json.dumps(summary, default=_iso, indent=2, ensure_ascii=False))
        return
    click.echo(f"case {summary['id']}: {summary['pathway']} v{summary['version']} · {summary['status']} · "
               f"stage: {summary['stage'] or '-'} · agencies: {', '.join(summary['agencies'])}")
    for visit in summary["stages"]:
        click.echo(f"  stage {visit['stage']}: {_iso(visit['entered_at'])} -> {_iso(visit['left_at']) or 'now'}")
    for task in summary["tasks"]:
        click.echo(f"  task {task['id']} [{task['status']}] {task['name']} -> {', '.join(task['roles'])}")
    for waiting in summary["timers"]:
        click.echo(f"  timer {waiting['id']} at {waiting['element']}: due {_iso(waiting['due_at'])}")
    for event in summary["events"]:
        click.echo(f"  {_iso(event['at'])} {event['actor']}: {event['kind']} {event['element'] or ''}")


# -- helpers the command modules share --------------------------------------------------------------

def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else ("" if value is None else str(value))


@contextlib.contextmanager
def _located() -> Iterator[None]:
    """Invalid input names the option or field at fault: `message (field: problem; ...)`."""
    from pathways.engine.errors import InvalidData

    try:
        yield
    except InvalidData as exc:
        fields = exc.details.get("fields")
        where = "; ".join(f"{k}: {v}" for k, v in fields.items()) if isinstance(fields, dict) else ""
        raise click.ClickException(f"{exc.message} ({where})" if where else exc.message) from None


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, default=_iso, indent=2, ensure_ascii=False))


def _write_out(data: bytes, out: str | None, what: str) -> None:
    from pathlib import Path

    if out:
        Path(out).write_bytes(data)
        click.echo(f"{what} written to {out}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


# The command families register themselves on `main` when imported.
from pathways.cli import decide, incidents, lifecycle, messages, migrate, people, privacy, staffing, timers  # noqa: E402,F401
