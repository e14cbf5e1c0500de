"""An anonymous client gets 401 from every API endpoint but the few that are public, with the one
JSON error shape and nothing else: read from the app's own routes, so a new endpoint joins by itself."""

from __future__ import annotations

import re

from tests.e2e.api_fixtures import _template_db, api_app  # noqa: F401 - fixtures

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
