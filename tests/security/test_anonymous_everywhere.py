"""Every API endpoint, read from the app's own routes (a new endpoint joins by itself): an anonymous
client gets 401 but for the few public ones, and a hostile body (a NUL byte, nesting too deep) is a
400 that writes nothing, whoever sends it."""

from __future__ import annotations

import re

import pytest

from pathways.base.values import BOUNDS
from tests.e2e.api_fixtures import _template_db, api_app, login  # noqa: F401 - fixtures

#: public by design: logging in, health for the load balancer, the API's own documentation
PUBLIC = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/health")}
DOCS = re.compile(r"^/api/v1/(openapi\.json|docs)")


def _path(rule: str) -> str:
    """A concrete address for a rule: 1 for numbers, a well-formed id or word for the rest."""
    rule = re.sub(r"<int[^>]*>", "1", rule)
    rule = re.sub(r"<(uuid[^>]*|string\(length=36\)[^>]*)>", "00000000-0000-4000-8000-000000000000", rule)
    rule = re.sub(r"<string\(length=(\d+)\)[^>]*>", lambda m: "x" * int(m.group(1)), rule)
    return re.sub(r"<[^>]+>", "x", rule)


def test_every_api_endpoint_refuses_an_anonymous_client(api_app):  # noqa: F811
    client = api_app.test_client()
    checked = 0
    for rule in api_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or DOCS.match(rule.rule):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in PUBLIC:
                continue
            response = client.open(_path(rule.rule), method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            body = response.get_json()
            assert set(body) >= {"code", "message", "status"} and "Traceback" not in response.get_data(as_text=True)
            checked += 1
    assert checked > 60  # the API has this many guarded endpoints; a broken route reader checks none


def _deep(levels: int) -> object:
    value: object = []
    for _ in range(levels):
        value = [value]
    return value


HOSTILE = {
    "a NUL byte": {"reason": "x\x00y", "note": "\x00", "name": "n\x00"},
    "a body too deep": {"data": _deep(BOUNDS.depth + 1)},
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_write_endpoint_refuses_a_hostile_body_and_writes_nothing(api_app, kind):  # noqa: F811
    """For an administrator, so that no endpoint stops the body at its door: the request bounds
    (`pathways.limits.check_request`) answer 400 before any endpoint runs, and nothing is written."""
    client = api_app.test_client()
    token = login(client, "admin")
    before = _counts(api_app)
    checked = 0
    for rule in api_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or DOCS.match(rule.rule):
            continue
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            if (method, rule.rule) in PUBLIC:
                continue
            response = client.open(_path(rule.rule), method=method, json=HOSTILE[kind],
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            assert response.get_json()["code"] == "invalid_data"
            assert "\x00" not in response.get_data(as_text=True)  # the value is never echoed
            checked += 1
    assert checked > 30
    assert _counts(api_app) == before


def _counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table but the audit log and sessions (logging in and refusals write those)."""
    from sqlalchemy import func, select

    from pathways.core import services
    from pathways.store.models import Base

    with services(app).store.unit_of_work(write=False) as uow:
        return {t.name: uow.session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables if t.name not in ("audit_entries", "sessions", "api_tokens")}
