"""Issue 17 over HTTP: a called pathway is a child of the case in the API and on the case page;
`camunda:candidateUsers` puts a task in the named users' inboxes only (not a foreign agency's user's)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.tasks.accounts import add_agency, create_user
from tests.e2e.api_fixtures import OUTSIDER, _template_db, api_app, bearer, client, person, token  # noqa: F401
from tests.helpers import FIXTURES

Headers = Callable[[FlaskClient, str], dict[str, Any]]
OPS = "mops-bartoszyce"


def upload(http: FlaskClient, headers: dict[str, Any], *files: tuple[str, bytes]) -> Any:
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return http.post("/api/v1/definitions", headers=headers, data=data, content_type="multipart/form-data")


def _call_case(api_app: Flask, client: FlaskClient, bearer: Headers) -> int:  # noqa: F811
    files = [(p.name, p.read_bytes()) for p in (FIXTURES / "k17_call_parent.bpmn", FIXTURES / "k17_call_child.bpmn")]
    deployed = upload(client, bearer(client, "admin"), *files)
    assert deployed.status_code == 201, deployed.get_json()
    anna = bearer(client, "anna.ops")
    started = client.post("/api/v1/cases", headers=anna, json={"pathway": "k17_call_parent",
                                                              "beneficiary": person(api_app, OPS)})
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    [intake] = client.get("/api/v1/tasks", headers=anna, query_string={"case_id": case_id}).get_json()["items"]
    done = client.post(f"/api/v1/tasks/{intake['id']}/complete", headers=anna,
                       json={"data": {"income": 1200, "household": 3}})
    assert done.status_code == 200, done.get_json()
    return int(case_id)


def test_a_called_pathway_is_a_child_of_the_case_in_the_api(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                            bearer: Headers) -> None:  # noqa: F811
    case_id = _call_case(api_app, client, bearer)
    anna = bearer(client, "anna.ops")
    body = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    [child] = body["calls"]
    assert (child["element"], child["key"], child["name"], child["state"]) == (
        "assess", "k17_call_child", "Ocena uprawnień", "active")
    assert child["version"] == 1  # the called pathway's own version 1 holds the files deployed with the caller
    [review] = child["open_tasks"]
    assert review["element"] == "review" and review["id"] in {t["id"] for t in body["open_tasks"]}
    done = client.post(f"/api/v1/tasks/{review['id']}/complete", headers=anna, json={"data": {"verdict": "yes"}})
    assert done.status_code == 200, done.get_json()
    after = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    assert [(c["key"], c["state"], c["open_tasks"]) for c in after["calls"]] == [("k17_call_child", "completed", [])]
    assert after["data"]["eligibility"] == "yes" and "verdict" not in after["data"]  # camunda:out only
    # a worker of an agency outside the case sees neither the case nor its child
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, OUTSIDER)).status_code == 404


def test_the_case_page_lists_the_called_pathway(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                bearer: Headers) -> None:  # noqa: F811
    case_id = _call_case(api_app, client, bearer)
    web = api_app.test_client()
    login = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    web.post("/login", data={"username": "anna.ops", "password": PASSWORD, "csrf_token": csrf})
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    calls = page[page.index('class="card case-calls"'):]
    calls = calls[:calls.index("</section>")]
    assert "Ocena uprawnień" in calls and "k17_call_child" in calls and "Weryfikacja" in calls


def test_candidate_users_see_the_task_and_a_foreign_agencys_user_does_not(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                                          bearer: Headers) -> None:  # noqa: F811
    pathways = services(api_app)
    add_agency(pathways.store, "mops-olsztyn", "OPS", "MOPS Olsztyn", "Olsztyn")
    create_user(pathways.store, pathways.roles, "zofia.olsztyn", "mops-olsztyn", ["ops.social_worker"], PASSWORD,
                "Zofia", check_policy=False)
    create_user(pathways.store, pathways.roles, "jan.ops", OPS, ["ops.social_worker"], PASSWORD, "Jan",
                check_policy=False)
    text = (FIXTURES / "k17_candidate_users.bpmn").read_bytes().replace(b'"anna, bogna, ewa"',
                                                                       b'"anna.ops, zofia.olsztyn"')
    deployed = upload(client, bearer(client, "admin"), ("k17_candidate_users.bpmn", text))
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post("/api/v1/cases", headers=bearer(client, "jan.ops"),
                          json={"pathway": "k17_candidate_users", "beneficiary": person(api_app, OPS)})
    case_id = started.get_json()["id"]

    def inbox(user: str) -> list[str]:
        found = client.get("/api/v1/tasks", headers=bearer(client, user), query_string={"case_id": case_id})
        return [t["element"] for t in found.get_json()["items"]]

    assert inbox("anna.ops") == ["interview"]
    assert inbox("zofia.olsztyn") == [] and inbox("jan.ops") == []  # foreign OPS; same role, not named
    [task_id] = [t["id"] for t in client.get("/api/v1/tasks", headers=bearer(client, "anna.ops"),
                                             query_string={"case_id": case_id}).get_json()["items"]]
    refused = client.post(f"/api/v1/tasks/{task_id}/claim", headers=bearer(client, "jan.ops"))
    assert refused.status_code == 403
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=bearer(client, "zofia.olsztyn")).status_code == 404
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "anna.ops")).get_json()["timeline"]
    [skipped] = [e for e in timeline if e["kind"] == "TaskCandidateNotApplied"]
    assert skipped["after"] == {"user": "zofia.olsztyn", "reason": "agency_not_in_case"}
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=bearer(client, "anna.ops")).status_code == 200


def test_an_unknown_candidate_user_is_a_located_problem_over_http(client: FlaskClient,  # noqa: F811
                                                                  bearer: Headers) -> None:  # noqa: F811
    text = (FIXTURES / "k17_candidate_users.bpmn").read_bytes().replace(b'"anna, bogna, ewa"', b'"anna.ops, nikt"')
    response = upload(client, bearer(client, "admin"), ("k17_candidate_users.bpmn", text))
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "invalid_definition"
    [problem] = body["problems"]
    assert problem["element"] == "interview" and problem["line"] == 13 and "'nikt'" in problem["message"]
