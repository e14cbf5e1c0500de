"""The access matrix: every endpoint x every kind of caller -> the expected status, and no leak.

Callers: anonymous, each demo user (one per role), and `olga.far`, a user of an agency that takes
part in no demo case. Case 2 of the demo has a sensitive value (a shelter address) recorded by the
NGO crisis interventionist; no response to anyone else may contain it, and a case or task of
other agencies is 404 (never 403: its existence is not told). The task endpoints (engineer B's
blueprint) are read from the OpenAPI document, so new ones join the matrix by themselves.
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.store.models import HumanTask
from tests.e2e.api_fixtures import OUTSIDER, login
from tests.e2e.test_api_cases import SHELTER, _complete_crisis
from tests.helpers import WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]

ANON = "anonymous"
WORKERS = ["anna.ops", "piotr.ops", "ewa.pup", "marek.ngo"]
USERS = [ANON, *WORKERS, "teresa.sup", "admin", OUTSIDER]
SEES_SHELTER = {"marek.ngo"}
INTAKE = (WORKFLOWS / "intake_referral.bpmn").read_bytes()


def _all(status):
    return dict.fromkeys(USERS[1:], status)


# (method, path, request kwargs, {user: expected status}); anonymous is 401 everywhere
MATRIX = [
    ("DELETE", "/api/v1/auth/token", {}, _all(204)),
    ("GET", "/api/v1/auth/me", {}, _all(200)),
    ("GET", "/api/v1/definitions", {}, _all(200)),
    ("GET", "/api/v1/definitions/intake_referral", {}, _all(200)),
    ("GET", "/api/v1/definitions/intake_referral?version=7", {}, _all(404)),
    ("GET", "/api/v1/definitions/intake_referral/diagram.svg", {}, _all(200)),
    ("POST", "/api/v1/definitions", {"upload": True}, {**_all(403), "admin": 201}),
    ("POST", "/api/v1/cases", {"json": {"pathway": "intake_referral"}},
     {**_all(201), "teresa.sup": 403, "admin": 403}),
    ("GET", "/api/v1/cases", {}, _all(200)),
    ("GET", "/api/v1/cases?agency=ngo-bartoszyce", {}, _all(200)),
    ("GET", "/api/v1/cases/2", {}, {**_all(200), OUTSIDER: 404}),
    ("GET", "/api/v1/cases/999", {}, _all(404)),
    ("POST", "/api/v1/cases/2/messages", {"json": {"name": "not_waited_for"}},
     {**_all(409), "teresa.sup": 403, "admin": 403, OUTSIDER: 404}),
    ("GET", "/api/v1/incidents", {}, {**_all(403), "teresa.sup": 200, "admin": 200}),
    ("POST", "/api/v1/incidents/999/retry", {}, {**_all(403), "admin": 404}),
    ("POST", "/api/v1/incidents/retry", {"json": {"element": "x", "key": "intake_referral"}},
     {**_all(403), "admin": 200}),
    ("GET", "/api/v1/timers", {}, {**_all(403), "admin": 200}),
    ("POST", "/api/v1/timers/00000000-0000-4000-8000-000000000000/fire", {}, {**_all(403), "admin": 404}),
    ("POST", "/api/v1/timers/00000000-0000-4000-8000-000000000000/reschedule",
     {"json": {"at": "2030-01-01T09:00:00+00:00", "reason": "x"}}, {**_all(403), "admin": 404}),
]


def _call(client, method, path, kwargs, headers):
    kwargs = dict(kwargs)
    if kwargs.pop("upload", False):
        kwargs.update(content_type="multipart/form-data",
                      data={"file": [(io.BytesIO(INTAKE.replace(b"Uwagi", b"Notatki")), "intake_referral.bpmn")]})
    return client.open(path, method=method, headers=headers, **kwargs)


def _headers(client, user):
    return {} if user == ANON else {"Authorization": f"Bearer {login(client, user)}"}


def _check_no_leak(response, user):
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    if user not in SEES_SHELTER:
        assert SHELTER not in text, f"{user} saw the shelter address"


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(("method", "path", "kwargs", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_platform_endpoints(api_app, user, method, path, kwargs, expected):
    _complete_crisis(api_app)
    client = api_app.test_client()
    response = _call(client, method, path, kwargs, _headers(client, user))
    want = 401 if user == ANON else expected[user]
    assert response.status_code == want, (user, response.get_json(silent=True))
    if response.status_code >= 400:
        body = response.get_json()
        assert body["status"] == want and body["code"] and body["message"]
    _check_no_leak(response, user)
    if user == OUTSIDER and method == "GET" and path == "/api/v1/cases":
        assert response.get_json()["total"] == 0


def _task_operations(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in spec["paths"].items():
        if path.startswith("/api/v1/tasks"):
            for method, operation in operations.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    found.append((method.upper(), path, _minimal_body(spec, operation)))
    return found


def _minimal_body(spec, operation):
    """A body with every required property filled in (so validation does not answer first)."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    samples = {"string": "x", "integer": 1, "number": 1, "boolean": False, "object": {}, "array": []}
    properties = schema.get("properties", {})
    return {name: samples.get(properties.get(name, {}).get("type"), "x") for name in schema.get("required", [])}


def test_task_endpoints(api_app):
    """B's task endpoints: anonymous 401, no 5xx, no leak; for the outsider a task of a case it
    cannot see answers exactly as a task that does not exist (404, or the same validation error)."""
    _complete_crisis(api_app)
    with services(api_app).store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == 2, HumanTask.element_id == "psych_diagnosis")).one()
    missing = "00000000-0000-4000-8000-000000000000"
    client = api_app.test_client()
    headers = {user: _headers(client, user) for user in USERS}
    operations = _task_operations(api_app)
    assert operations, "the task blueprint documents no operation"
    for method, template, body in operations:
        kwargs = {} if body is None else {"json": body}
        for user in USERS:
            path = re.sub(r"\{[^}]*\}", task_id, template)
            response = client.open(path, method=method, headers=headers[user], **kwargs)
            assert response.status_code < 500, (method, template, user, response.get_data(as_text=True)[:300])
            _check_no_leak(response, user)
            if user == ANON:
                assert response.status_code == 401, (method, template)
            elif user == OUTSIDER and "{" in template:
                other = client.open(re.sub(r"\{[^}]*\}", missing, template), method=method, headers=headers[user],
                                    **kwargs)
                assert response.status_code in (400, 404), (method, template, response.get_json(silent=True))
                assert (response.status_code, response.get_json()["code"]) == (
                    other.status_code, other.get_json()["code"]), (method, template)
            elif user == OUTSIDER and method == "GET":
                assert task_id not in response.get_data(as_text=True), (method, template)
