"""Over HTTP: "the person left the programme" (a message) starts an interrupting event sub-process,
and the scope's open tasks leave the inboxes of the social worker and the psychologist; who may
send it, and what a message nobody waits for gives."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.api_fixtures import OUTSIDER, _template_db, api_app, bearer, client, person, token  # noqa: F401
from tests.helpers import FIXTURES

Headers = Callable[[FlaskClient, str], dict[str, Any]]
OPS = "mops-bartoszyce"


def _deploy_and_start(api_app: Flask, client: FlaskClient, bearer: Headers) -> int:  # noqa: F811
    data = {"file": [(io.BytesIO((FIXTURES / "v17_esp_message.bpmn").read_bytes()), "v17_esp_message.bpmn")]}
    deployed = client.post("/api/v1/definitions", headers=bearer(client, "admin"), data=data,
                           content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post("/api/v1/cases", headers=bearer(client, "anna.ops"),
                          json={"pathway": "v17_esp_message", "beneficiary": person(api_app, OPS)})
    assert started.status_code == 201, started.get_json()
    return int(started.get_json()["id"])


def _inbox(client: FlaskClient, headers: dict[str, Any], case_id: int) -> list[str]:  # noqa: F811
    response = client.get("/api/v1/tasks", headers=headers, query_string={"case_id": case_id})
    assert response.status_code == 200, response.get_json()
    return sorted(task["element"] for task in response.get_json()["items"])


def test_an_interrupting_event_sub_process_removes_tasks_from_inboxes(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                                       bearer: Headers) -> None:  # noqa: F811
    case_id = _deploy_and_start(api_app, client, bearer)
    anna, piotr = bearer(client, "anna.ops"), bearer(client, "piotr.ops")
    assert _inbox(client, anna, case_id) == ["assess"]
    assert _inbox(client, piotr, case_id) == ["counselling"]

    sent = client.post(f"/api/v1/cases/{case_id}/messages", headers=anna, json={"name": "person_left"})
    assert sent.status_code == 200, sent.get_json()
    assert _inbox(client, anna, case_id) == ["close_file"]
    assert _inbox(client, piotr, case_id) == []  # the psychologist's counselling left the inbox
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["timeline"]
    cancelled = sorted(e["element"] for e in timeline if e["kind"] == "TaskCancelled")
    assert cancelled == ["assess", "counselling"]


def test_a_non_interrupting_one_leaves_the_inboxes_as_they_were(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                                bearer: Headers) -> None:  # noqa: F811
    case_id = _deploy_and_start(api_app, client, bearer)
    anna = bearer(client, "anna.ops")
    sent = client.post(f"/api/v1/cases/{case_id}/messages", headers=anna, json={"name": "note_added"})
    assert sent.status_code == 200, sent.get_json()
    assert _inbox(client, anna, case_id) == ["assess"]


def test_a_stranger_cannot_interrupt_a_case_and_a_message_nobody_waits_for_changes_nothing(
        api_app: Flask, client: FlaskClient, bearer: Headers) -> None:  # noqa: F811
    case_id = _deploy_and_start(api_app, client, bearer)
    anna = bearer(client, "anna.ops")
    stranger = client.post(f"/api/v1/cases/{case_id}/messages", headers=bearer(client, OUTSIDER),
                           json={"name": "person_left"})
    assert stranger.status_code in (403, 404)
    assert client.post(f"/api/v1/cases/{case_id}/messages", json={"name": "person_left"}).status_code == 401
    unknown = client.post(f"/api/v1/cases/{case_id}/messages", headers=anna, json={"name": "no_such_message"})
    assert unknown.status_code == 409
    assert _inbox(client, anna, case_id) == ["assess"]
