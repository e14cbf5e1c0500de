"""People operations over HTTP: reassigning a user's tasks, substitutions, saved filters (issue 18).

Demo users: anna.ops and piotr.ops (OPS), marek.ngo (NGO), teresa.sup (the partnership's supervisor),
olga.far (an agency in no case); zofia.ops, a second OPS social worker, is added here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pathways.base import clock
from pathways.core import services
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import PASSWORD, _template_db, any_app, api_app, bearer, client, pg_app, token  # noqa: F401
from tests.e2e.test_api_tasks import THREE, Headers, Worker, start


def _zofia(app: Flask) -> None:
    pathways = services(app)
    create_user(pathways.store, pathways.roles, "zofia.ops", "mops-bartoszyce", ["ops.social_worker"], PASSWORD,
                "Zofia", check_policy=False)


def _claimed(app: Flask, anna: Worker, count: int = 2) -> list[str]:
    tasks = []
    for i in range(count):
        task = anna.inbox(start(app, f"BEN-S{i}", [*THREE, "partnership"]))["identify"]
        assert anna.post(f"/{task}/claim").status_code == 200
        tasks.append(task)
    return tasks


def _call(http: FlaskClient, headers: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    return http.open(f"/api/v1{path}", method=method, headers=headers, json=body)


def test_reassign_dry_run_then_apply(any_app: Flask, bearer: Headers) -> None:  # noqa: F811
    """On SQLite and PostgreSQL."""
    _zofia(any_app)
    http = any_app.test_client()
    anna, zofia = Worker(http, bearer(http, "anna.ops")), Worker(http, bearer(http, "zofia.ops"))
    tasks = _claimed(any_app, anna)
    teresa = bearer(http, "teresa.sup")
    plan = _call(http, teresa, "POST", "/users/anna.ops/reassign", {"to": "zofia.ops"})
    assert plan.status_code == 200, plan.get_json()
    body = plan.get_json()
    assert body["from"] == "anna.ops" and body["applied"] is False
    assert {t["id"]: t["outcome"] for t in body["tasks"]} == dict.fromkeys(tasks, "assigned")
    assert body["hidden"] == 0
    assert [t["claimed_by"] for t in (anna.get(f"/{t}").get_json() for t in tasks)] == ["anna.ops"] * 2
    refused = _call(http, teresa, "POST", "/users/anna.ops/reassign", {"to": "piotr.ops", "apply": True}).get_json()
    assert refused["moved"] == 0 and {t["reason"] for t in refused["tasks"]} == {"no_role"}
    done = _call(http, teresa, "POST", "/users/anna.ops/reassign", {"to": "zofia.ops", "apply": True}).get_json()
    assert done["moved"] == 2
    assert {t["id"] for t in zofia.get("", view="mine").get_json()["items"]} == set(tasks)
    assert _call(http, teresa, "POST", "/users/zofia.ops/reassign", {"to_queue": True, "apply": True}
                 ).get_json()["moved"] == 2
    assert anna.get("", view="mine").get_json()["total"] == 0


def test_reassign_refusals(api_app: Flask, client: FlaskClient, bearer: Headers) -> None:  # noqa: F811
    anna = bearer(client, "anna.ops")
    assert _call(client, anna, "POST", "/users/piotr.ops/reassign", {"to_queue": True}).status_code == 403
    assert _call(client, bearer(client, "admin"), "POST", "/users/anna.ops/reassign",
                 {"to_queue": True}).status_code == 404  # the partnership's admin: not anna's agency
    teresa = bearer(client, "teresa.sup")
    for body in ({}, {"to": "piotr.ops", "to_queue": True}, {"to_queue": True, "extra": 1}):
        assert _call(client, teresa, "POST", "/users/anna.ops/reassign", body).status_code == 400
    assert _call(client, teresa, "POST", "/users/nobody/reassign", {"to_queue": True}).status_code == 404
    assert client.post("/api/v1/users/anna.ops/reassign", json={"to_queue": True}).status_code == 401
    assert _call(client, anna, "GET", "/users/disabled-claims").status_code == 403
    assert _call(client, teresa, "GET", "/users/disabled-claims").get_json() == []


def test_a_substitute_completes_on_behalf(any_app: Flask, bearer: Headers) -> None:  # noqa: F811
    """On SQLite and PostgreSQL."""
    _zofia(any_app)
    http = any_app.test_client()
    anna, zofia = Worker(http, bearer(http, "anna.ops")), Worker(http, bearer(http, "zofia.ops"))
    [task] = _claimed(any_app, anna, 1)
    now = clock.now()
    period = {"substitute": "zofia.ops", "starts_at": now.isoformat(),
              "ends_at": (now + timedelta(days=7)).isoformat()}
    assert _call(http, bearer(http, "marek.ngo"), "POST", "/substitutions",
                 {**period, "absent": "anna.ops"}).status_code == 403
    assert _call(http, anna.headers, "POST", "/substitutions",
                 {**period, "substitute": "marek.ngo"}).status_code == 400  # another agency
    made = _call(http, anna.headers, "POST", "/substitutions", period)
    assert made.status_code == 201, made.get_json()
    assert _call(http, anna.headers, "POST", "/substitutions", period).status_code == 409
    [row] = zofia.get("", view="mine").get_json()["items"]
    assert row["id"] == task and row["claimed_by"] == "anna.ops"
    detail = zofia.get(f"/{task}").get_json()
    assert detail["can"]["complete"] is True and detail["on_behalf_of"] == "anna.ops"
    done = zofia.post(f"/{task}/complete", {"data": {"intake_date": "2026-11-02"}})
    assert done.status_code == 200, done.get_json()
    assert [s["substitute"] for s in _call(http, zofia.headers, "GET", "/substitutions").get_json()] == ["zofia.ops"]
    ended = _call(http, anna.headers, "POST", f"/substitutions/{made.get_json()['id']}/end").get_json()
    assert ended["active"] is False
    assert _call(http, bearer(http, "piotr.ops"), "POST",
                 f"/substitutions/{made.get_json()['id']}/end").status_code == 404


def test_saved_filters_shared_in_the_agency_only(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                  bearer: Headers) -> None:  # noqa: F811
    _zofia(api_app)
    anna, zofia, marek = (bearer(client, n) for n in ("anna.ops", "zofia.ops", "marek.ngo"))
    before = Worker(client, anna).get("/count").get_json()["unclaimed"]
    start(api_app, "BEN-F1")
    saved = _call(client, anna, "POST", "/saved-filters",
                  {"name": "Intake", "filter": {"role": "ops.social_worker", "view": "unclaimed"}, "shared": True})
    assert saved.status_code == 201, saved.get_json()
    filter_id = saved.get_json()["id"]
    [seen] = _call(client, zofia, "GET", "/saved-filters").get_json()
    assert seen["name"] == "Intake" and seen["owner"] == "anna.ops" and seen["count"] == before + 1
    assert _call(client, marek, "GET", "/saved-filters").get_json() == []
    assert _call(client, marek, "GET", f"/saved-filters/{filter_id}/tasks").status_code == 404
    assert _call(client, marek, "POST", f"/saved-filters/{filter_id}/bulk", {"action": "claim"}).status_code == 404
    assert _call(client, zofia, "DELETE", f"/saved-filters/{filter_id}").status_code == 403
    page = _call(client, zofia, "GET", f"/saved-filters/{filter_id}/tasks?per_page=100").get_json()
    assert page["total"] == before + 1
    bulk = _call(client, zofia, "POST", f"/saved-filters/{filter_id}/bulk", {"action": "claim"}).get_json()
    assert bulk["done"] == before + 1 and bulk["refused"] == 0
    assert _call(client, anna, "GET", "/saved-filters").get_json()[0]["count"] == 0
    for body in ({"name": "x", "filter": {"view": "nope"}}, {"name": "x", "filter": {"owner": "a"}},
                 {"name": "", "filter": {}}, {"name": "x", "filter": {}, "agency_id": 3}):
        assert _call(client, anna, "POST", "/saved-filters", body).status_code == 400, body
    assert _call(client, anna, "DELETE", f"/saved-filters/{filter_id}").status_code == 204
    assert _call(client, zofia, "GET", "/saved-filters").get_json() == []
