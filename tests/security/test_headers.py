"""Security headers on every response (pages, API, static files, errors), no-store on everything
but static files, and the session cookie's flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pathways.app import create_app
from pathways.http_security import CSP
from tests.e2e.api_fixtures import _template_db, api_app  # noqa: F401 - fixtures
from tests.helpers import TestConfig
from tests.security.web import sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pathways" / "web" / "templates"
STATIC = ["/static/web/pathways.css", "/static/web/task.js", "/api/v1/docs/assets/swagger-ui.css",
          "/api/v1/docs/static/swagger-init.js"]


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    return api_app.test_client()


def _assert_security_headers(response, path):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'", "form-action 'self'"):
        assert directive in csp, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") in {"no-referrer", "same-origin"}, path


def test_every_kind_of_response_carries_the_headers(web):
    def boom():
        raise RuntimeError("boom")

    web.application.add_url_rule("/boom", "boom", boom)
    sign_in(web)
    dynamic = ["/login", "/inbox", "/cases", "/cases/1", "/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs",
               "/api/v1/cases", "/no/such/page", "/api/v1/nothing", "/boom", "/static/web/missing.css"]
    for path in dynamic:
        response = web.get(path)
        _assert_security_headers(response, path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
    for path in STATIC:
        response = web.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response, path)
        assert "no-store" not in response.headers.get("Cache-Control", ""), path  # static files may be cached
    response = web.post("/login", data={"username": "x", "password": "y"})  # refused: no CSRF token
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    _assert_security_headers(response, "POST /login")


def test_api_answers_with_case_data_are_not_stored(web):
    token = web.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "demo"})
    assert token.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    for path in ("/api/v1/cases", "/api/v1/cases/1", "/api/v1/tasks"):
        response = web.get(path, headers=headers)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
        _assert_security_headers(response, path)


def test_the_policy_has_no_inline_script_allowance():
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP and "*" not in CSP


def test_no_template_holds_inline_script_or_handlers():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text and "style=" not in text, template.name


def test_the_docs_page_starts_swagger_ui_from_a_file(web):
    html = web.get("/api/v1/docs").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "<style" not in html


def test_session_cookie_flags(tmp_path, _template_db):  # noqa: F811 - fixture
    import shutil

    database = tmp_path / "flags.db"
    shutil.copyfile(_template_db, database)
    for secure in (True, False):
        app = create_app(TestConfig(database_url=f"sqlite:///{database}", secure_cookies=secure))
        web = app.test_client()
        response = sign_in(web)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
        app.extensions["pathways"].close()


def test_secure_cookies_are_on_unless_switched_off(monkeypatch):
    from pathways.config import Config

    monkeypatch.delenv("PATHWAYS_SECURE_COOKIES", raising=False)
    assert Config().secure_cookies is True
    for value, expected in (("0", False), ("false", False), ("1", True), ("on", True)):
        monkeypatch.setenv("PATHWAYS_SECURE_COOKIES", value)
        assert Config().secure_cookies is expected


def test_forms_post_over_https_with_the_referrer_policy(api_app):  # noqa: F811 - fixture
    """Flask-WTF checks the Referer over HTTPS; `same-origin` keeps it, so signing in works."""
    web = api_app.test_client()
    base = "https://localhost"
    token = csrf_on(web, base)
    response = web.post(f"{base}/login", data={"username": "anna.ops", "password": "demo", "csrf_token": token},
                        headers={"Referer": f"{base}/login"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def csrf_on(web, base):
    page = web.get(f"{base}/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
