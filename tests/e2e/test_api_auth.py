"""Authentication, the error contract and the API's documents, over the Flask test client."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import ApiToken, AuditEntry
from tests.e2e.api_fixtures import login, make_app
from tests.helpers import WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]


def _error(response, status, code):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["status"] == status and body["code"] == code and body["message"], body
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_log_in_use_the_token_and_log_out(client):
    response = client.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "demo"})
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["token"]) >= 40 and body["expires_at"]
    assert body["user"]["username"] == "anna.ops" and body["user"]["agency"]["code"] == "mops-bartoszyce"
    assert body["user"]["roles"] == ["ops.social_worker"] and "password" not in body["user"]
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["full_name"] == "Anna Kowalska"
    with services(client.application).store.unit_of_work(write=False) as uow:
        hashes = list(uow.session.scalars(select(ApiToken.token_hash)))
        logins = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.username == "anna.ops")))
    assert body["token"] not in hashes and len(hashes) == 1 and logins == ["auth.login"]
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    _error(client.get("/api/v1/auth/me", headers=headers), 401, "unauthorized")


def test_bad_credentials_and_missing_tokens_are_401(client):
    wrong = _error(client.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "nope"}),
                   401, "unauthorized")
    unknown = _error(client.post("/api/v1/auth/token", json={"username": "nobody", "password": "demo"}),
                     401, "unauthorized")
    assert wrong["message"] == unknown["message"]  # no hint which part was wrong
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YWRtaW46ZGVtbw=="},
                    {"Authorization": "Bearer made-up-token"}):
        response = client.get("/api/v1/cases", headers=headers)
        _error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_validation_errors_are_400_with_fields(client, bearer):
    body = _error(client.post("/api/v1/auth/token", json={"username": 5, "extra": 1}), 400, "invalid_data")
    assert set(body["fields"]) == {"username", "password", "extra"}
    body = _error(client.get("/api/v1/cases?per_page=500&page=0", headers=bearer(client, "anna.ops")),
                  400, "invalid_data")
    assert set(body["fields"]) == {"per_page", "page"}
    _error(client.post("/api/v1/auth/token", data="{not json", content_type="application/json"), 400, "invalid_data")


def test_http_errors_share_the_json_shape(client, bearer):
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")
    page = client.get("/no/such/page")  # outside /api/v1: the pages' HTML error page (tests/e2e/test_web_errors.py)
    assert (page.status_code, page.mimetype) == (404, "text/html")
    response = client.put("/api/v1/auth/token")
    _error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    headers = bearer(client, "admin")
    _error(client.post("/api/v1/definitions", headers=headers, json={"file": "x"}), 415, "unsupported_media_type")
    big = b"<x/>" + b" " * (5 * 1024 * 1024)
    _error(client.post("/api/v1/definitions", headers=headers, data={"file": (io.BytesIO(big), "a.bpmn")}),
           413, "too_large")


def test_unexpected_errors_are_a_generic_500(api_app, caplog):
    def boom():
        raise RuntimeError("secret detail from deep inside")

    api_app.add_url_rule("/api/v1/boom", "boom", boom)
    response = api_app.test_client().get("/api/v1/boom")
    body = _error(response, 500, "internal_error")
    assert "secret detail" not in response.get_data(as_text=True) and "RuntimeError" not in body["message"]
    assert "secret detail" in caplog.text  # logged for the operator


def test_openapi_document_and_docs_page_without_cdn(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "pathways API"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    paths = spec["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/definitions", "/api/v1/definitions/{key}",
                 "/api/v1/definitions/{key}/diagram.svg", "/api/v1/cases", "/api/v1/cases/{case_id}",
                 "/api/v1/cases/{case_id}/messages"):
        assert path in paths, path
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    assert paths["/api/v1/cases"]["get"]["security"] == [{"bearerAuth": []}]
    assert "422" not in str(spec["paths"])  # validation answers 400
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-spec-url="/api/v1/openapi.json"' in html
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "<script>" not in html and "swagger-init.js" in html  # no inline script (the CSP forbids it)
    assert "SwaggerUIBundle(" in client.get("/api/v1/docs/static/swagger-init.js").get_data(as_text=True)
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/api/v1/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000, asset


def test_login_helper_gives_a_token_per_user(client, token):
    assert token(client, "ewa.pup") == token(client, "ewa.pup") != login(client, "ewa.pup")


def test_accounts_made_on_the_command_line_log_in_over_http(tmp_path):
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}

    def run(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "pathways.cli", *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    added = run("agency", "add", "ngo-nowa", "--kind", "ngo", "--name", "Fundacja Nowa", "--city", "Ełk")
    assert added.returncode == 0 and "added agency ngo-nowa (NGO)" in added.stdout, added.stderr
    user = run("user", "add", "zofia", "--agency", "ngo-nowa", "--role", "ngo.lawyer", "--role", "designer",
               "--full-name", "Zofia Prawnik", "--password-stdin", stdin="s3cret-pass-Zofii\n")
    assert user.returncode == 0 and "designer, ngo.lawyer" in user.stdout, user.stderr
    bad = run("user", "add", "zenon", "--agency", "ngo-nowa", "--role", "ngo.wizard", "--password-stdin", stdin="x\n")
    assert bad.returncode == 1 and "unknown role(s): ngo.wizard" in bad.stderr and "Traceback" not in bad.stderr
    assert run("agency", "add", "ngo-nowa", "--kind", "NGO", "--name", "again").returncode == 1
    for command in (["agency", "add"], ["user", "add"]):
        assert "Usage:" in run(*command, "--help").stdout
    app = make_app(env["PATHWAYS_DATABASE_URL"])
    me = app.test_client().get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {login(app.test_client(), 'zofia', 's3cret-pass-Zofii')}"}).get_json()
    assert me["full_name"] == "Zofia Prawnik" and me["roles"] == ["designer", "ngo.lawyer"]
    services(app).close()
