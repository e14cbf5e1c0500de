"""`pathways user ...`: disable, enable, set-password, revoke, list, and the policy on `user add`;
every change audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pathways.cli import main
from pathways.core import services
from pathways.store.models import AuditEntry
from tests.e2e.api_fixtures import _template_db, any_app, api_app, login, pg_app  # noqa: F401 - fixtures
from tests.helpers import WORKFLOWS
from tests.security.web import sign_in, signed_in

NEW_PASSWORD = "cedar-window-river-58"


@pytest.fixture
def cli(any_app):  # noqa: F811 - fixture
    env = {"PATHWAYS_DATABASE_URL": services(any_app).store.engine.url.render_as_string(hide_password=False),
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, env=env)

    return run


def _actions(app, username):
    with services(app).store.unit_of_work(write=False) as uow:
        return [(e.action, e.detail) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.username == username, AuditEntry.action.like("account.%"))
            .order_by(AuditEntry.id))]


def test_disable_and_enable(any_app, cli):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web, "ewa.pup")
    token = login(any_app.test_client(), "ewa.pup")
    result = cli("user", "disable", "ewa.pup")
    assert result.exit_code == 0 and "disabled ewa.pup" in result.output, result.output
    assert not signed_in(web)
    me = any_app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert sign_in(web, "ewa.pup").status_code == 401
    assert cli("user", "enable", "ewa.pup").exit_code == 0
    assert sign_in(web, "ewa.pup").status_code == 302 and signed_in(web)
    actions = _actions(any_app, "ewa.pup")
    assert [a for a, _ in actions] == ["account.disabled", "account.enabled"]
    assert actions[0][1]["sessions_ended"] == 1 and actions[0][1]["tokens_revoked"] == 1
    assert actions[0][1]["by"].startswith("cli")


def test_set_password_checks_the_policy_and_ends_sessions(any_app, cli):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web, "marek.ngo")
    weak = cli("user", "set-password", "marek.ngo", "--password-stdin", stdin="password2026!\n")
    assert weak.exit_code == 1 and "too weak" in weak.output and "Traceback" not in weak.output
    assert signed_in(web)  # a refused change changes nothing
    done = cli("user", "set-password", "marek.ngo", "--password-stdin", stdin=f"{NEW_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert not signed_in(web)
    assert sign_in(web, "marek.ngo", NEW_PASSWORD).status_code == 302
    assert [a for a, _ in _actions(any_app, "marek.ngo")] == ["account.password_set"]


def test_revoke_and_list(any_app, cli):  # noqa: F811 - fixture
    browsers = [any_app.test_client() for _ in range(2)]
    for web in browsers:
        sign_in(web, "teresa.sup")
    login(any_app.test_client(), "teresa.sup")
    result = cli("user", "revoke", "teresa.sup")
    assert result.exit_code == 0 and "2 session(s) ended, 1 token(s) revoked" in result.output, result.output
    assert not any(signed_in(web) for web in browsers)
    cli("user", "disable", "piotr.ops")
    listed = cli("user", "list")
    assert listed.exit_code == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.output.strip().splitlines()}
    assert rows["teresa.sup"][1:4] == ["partnership", "supervision.supervisor", "active"]
    assert rows["teresa.sup"][4] != "never"  # she signed in above
    assert rows["piotr.ops"][3] == "disabled" and rows["piotr.ops"][4] == "never"
    assert rows["ewa.pup"][2] == "pup.career_adviser,pup.job_broker"
    assert [a for a, _ in _actions(any_app, "teresa.sup")] == ["account.revoked"]


def test_unknown_users_are_one_line(cli):
    for command in (["disable"], ["enable"], ["revoke"]):
        result = cli("user", *command, "nobody")
        assert result.exit_code == 1 and "no user 'nobody'" in result.output and "Traceback" not in result.output


def test_user_add_applies_the_policy_and_is_audited(any_app, cli):  # noqa: F811 - fixture
    base = ["user", "add", "zofia.ngo", "--agency", "ngo-bartoszyce", "--role", "ngo.lawyer", "--password-stdin"]
    for weak in ("demo", "pathways-2026!", "zofia.ngo-is-me", "qwertyuiop123"):
        result = cli(*base, stdin=f"{weak}\n")
        assert result.exit_code == 1 and "too weak" in result.output, (weak, result.output)
    assert cli(*base, stdin=f"{NEW_PASSWORD}\n").exit_code == 0
    assert login(any_app.test_client(), "zofia.ngo", NEW_PASSWORD)
    (action, detail), = _actions(any_app, "zofia.ngo")
    assert action == "account.created" and detail["roles"] == ["ngo.lawyer"] and detail["by"].startswith("cli")
