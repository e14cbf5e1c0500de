"""No known secret: the server refuses to start without a strong key, and a cookie signed with a
built-in or guessable key opens nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from pathways.app import create_app
from pathways.cli import main
from pathways.config import Config, InsecureConfig
from pathways.demo import demo_secret_key
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401 - fixtures
from tests.helpers import TEST_SECRET_KEY, WORKFLOWS
from tests.security.web import sign_in, signed_in

#: keys an attacker tries first: the old built-in default, the tests' old key, common words
GUESSABLE = ["dev-only-change-me", "test", "dev", "secret", "change-me", "changeme", "pathways", "demo", ""]


def test_create_app_refuses_a_missing_or_short_key(monkeypatch, tmp_path):
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(InsecureConfig, match="PATHWAYS_SECRET_KEY is not set"):
        create_app(Config(database_url=url, workflows_dir=WORKFLOWS, run_scheduler=False))
    for key in ("dev-only-change-me", "x" * 31, "ą" * 15):  # 30 bytes of UTF-8
        with pytest.raises(InsecureConfig, match="shorter than 32 bytes"):
            create_app(Config(database_url=url, workflows_dir=WORKFLOWS, run_scheduler=False, secret_key=key))
    app = create_app(Config(database_url=url, workflows_dir=WORKFLOWS, run_scheduler=False, secret_key="k" * 32))
    assert app.secret_key == "k" * 32


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
@pytest.mark.parametrize("key", [None, "short-key"])
def test_serve_and_worker_refuse_to_start_with_one_line(monkeypatch, tmp_path, command, key):
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("PATHWAYS_WORKFLOWS_DIR", str(WORKFLOWS))
    if key is None:
        monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("PATHWAYS_SECRET_KEY", key)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "PATHWAYS_SECRET_KEY" in lines[0] and "Traceback" not in result.output


def test_the_demo_key_is_random_private_and_kept(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    key = demo_secret_key(path)
    assert len(key.encode()) >= 32 and key not in GUESSABLE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_secret_key(path) == key  # the next run reuses it: sessions survive a restart
    assert demo_secret_key(tmp_path / "other" / "secret_key") != key


def test_the_default_config_has_no_built_in_key(monkeypatch):
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    assert Config().secret_key == ""
    source = (Path(__file__).resolve().parents[2] / "src" / "pathways" / "config.py").read_text()
    assert "dev-only-change-me" not in source


def _forge(app: Flask, key: str, data: dict[str, object]) -> str:
    """A session cookie signed as Flask would sign it with `key`."""
    forger = Flask("forger")
    forger.secret_key = key or "x"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps(data)


def test_a_cookie_forged_with_a_built_in_key_is_refused(any_app):  # noqa: F811 - fixture
    web = any_app.test_client()
    for key in [*GUESSABLE, "x" * 32]:
        for data in ({"user_id": 1}, {"user_id": 6, "_fresh": True}, {"sid": "made-up"}):
            web.set_cookie("session", _forge(any_app, key, data))
            assert not signed_in(web), (key, data)
            assert web.get("/api/v1/auth/me").status_code == 401


def test_even_the_real_key_cannot_make_a_session_without_the_server(any_app):  # noqa: F811 - fixture
    """The cookie carries a server-side session id; a user id signed with the real key is nothing."""
    web = any_app.test_client()
    web.set_cookie("session", _forge(any_app, TEST_SECRET_KEY, {"user_id": 1}))
    assert not signed_in(web)
    assert sign_in(web).status_code == 302 and signed_in(web)
