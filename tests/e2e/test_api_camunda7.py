"""Camunda 7 files over HTTP: a pre-assigned task is in its assignee's "mine" inbox; an unknown assignee is refused."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from tests.e2e.api_fixtures import _template_db, api_app, bearer, client, person, token  # noqa: F401
from tests.helpers import FIXTURES

Headers = Callable[[FlaskClient, str], dict[str, Any]]
PREASSIGNED = (FIXTURES / "f17_preassigned.bpmn").read_bytes()
OPS = "mops-bartoszyce"


def upload(http: FlaskClient, headers: dict[str, Any], content: bytes) -> Any:
    data = {"file": [(io.BytesIO(content), "f17_preassigned.bpmn")]}
    return http.post("/api/v1/definitions", headers=headers, data=data, content_type="multipart/form-data")


def test_a_preassigned_task_is_in_the_assignees_mine_inbox(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                           bearer: Headers) -> None:  # noqa: F811
    deployed = upload(client, bearer(client, "admin"), PREASSIGNED.replace(b'"anna"', b'"anna.ops"'))
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post("/api/v1/cases", headers=bearer(client, "piotr.ops"),
                          json={"pathway": "f17_preassigned", "beneficiary": person(api_app, OPS)})
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    anna = bearer(client, "anna.ops")
    mine = client.get("/api/v1/tasks", headers=anna, query_string={"view": "mine", "case_id": case_id}).get_json()
    [task] = mine["items"]
    assert task["element"] == "interview" and task["claimed_by"] == "anna.ops"
    unclaimed = client.get("/api/v1/tasks", headers=anna, query_string={"view": "unclaimed", "case_id": case_id})
    assert unclaimed.get_json()["items"] == []
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["timeline"]
    assert any(e["kind"] == "TaskAssigned" for e in timeline)
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=anna, json={"data": {}})
    assert done.status_code == 200, done.get_json()


def test_an_assignee_who_is_no_user_is_a_located_problem_and_nothing_deploys(client: FlaskClient,  # noqa: F811
                                                                              bearer: Headers) -> None:  # noqa: F811
    response = upload(client, bearer(client, "admin"), PREASSIGNED.replace(b'"anna"', b'"nobody.here"'))
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "invalid_definition"
    [problem] = body["problems"]
    assert problem["element"] == "interview" and problem["line"] == 13 and "nobody.here" in problem["message"]
    assert client.get("/api/v1/definitions/f17_preassigned", headers=bearer(client, "admin")).status_code == 404


def test_a_preassignment_that_cannot_apply_is_on_the_case_page(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                               bearer: Headers) -> None:  # noqa: F811
    # ewa.pup exists but works for the PUP: the OPS task stays in the OPS queue, and the case says why
    assert upload(client, bearer(client, "admin"), PREASSIGNED.replace(b'"anna"', b'"ewa.pup"')).status_code == 201
    case_id = services(api_app).engine.start_case(Actor("anna.ops"), "f17_preassigned", {}, [OPS], "")
    anna = bearer(client, "anna.ops")
    [task] = client.get("/api/v1/tasks", headers=anna, query_string={"case_id": case_id}).get_json()["items"]
    assert task["claimed_by"] is None
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["timeline"]
    [skipped] = [e for e in timeline if e["kind"] == "TaskAssigneeNotApplied"]
    assert skipped["after"] == {"assignee": "ewa.pup", "reason": "agency_not_in_case"}


def test_the_case_page_says_why_a_preassignment_did_not_apply(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                              bearer: Headers) -> None:  # noqa: F811
    assert upload(client, bearer(client, "admin"), PREASSIGNED.replace(b'"anna"', b'"piotr.ops"')).status_code == 201
    case_id = services(api_app).engine.start_case(Actor("anna.ops"), "f17_preassigned", {}, [OPS], "")
    web = api_app.test_client()
    login = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    web.post("/login", data={"username": "anna.ops", "password": PASSWORD, "csrf_token": csrf})
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "piotr.ops" in page  # piotr is an OPS psychologist; the task is the social workers'
    assert "This user does not hold a role the task is offered to." in page or \
        "Ten użytkownik nie ma roli, której oferowane jest zadanie." in page
