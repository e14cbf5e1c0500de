"""Three agencies work one intake case over HTTP: each sees the tasks and fields meant for it.

Demo users: anna.ops (OPS social worker), piotr.ops (OPS psychologist), ewa.pup (PUP career
adviser), marek.ngo (NGO crisis interventionist + psychologist), teresa.sup (supervisor).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.engine.cases import Actor
from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, client, pg_app, token  # noqa: F401

Headers = Callable[[FlaskClient, str], dict[str, Any]]
THREE = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce"]


def start(app: Flask, beneficiary: str, agencies: list[str] = THREE) -> int:
    return services(app).engine.start_case(Actor("anna.ops"), "intake_referral", {}, agencies, beneficiary)


class Worker:
    """One logged-in user's view of the API."""

    def __init__(self, http: FlaskClient, headers: dict[str, Any]) -> None:
        self.client, self.headers = http, headers

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(f"/api/v1/tasks{path}", headers=self.headers, query_string=query)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1/tasks{path}", headers=self.headers, json=body)

    def inbox(self, case_id: int) -> dict[str, str]:
        response = self.get("", case_id=case_id)
        assert response.status_code == 200, response.get_json()
        return {t["element"]: t["id"] for t in response.get_json()["items"]}

    def form(self, task_id: str) -> dict[str, dict[str, Any]]:
        response = self.get(f"/{task_id}")
        assert response.status_code == 200, response.get_json()
        return {f["id"]: f for f in response.get_json()["form"]["fields"]}


def test_three_agencies_work_one_case(any_app: Flask, bearer: Headers) -> None:  # noqa: F811
    """On SQLite and PostgreSQL."""
    http = any_app.test_client()
    anna, piotr, ewa, marek, olga = (Worker(http, bearer(http, name)) for name in
                                     ("anna.ops", "piotr.ops", "ewa.pup", "marek.ngo", "olga.far"))
    case = start(any_app, "BEN-E2E")

    # 1. Identification: only the OPS social worker has it.
    identify = anna.inbox(case)["identify"]
    assert [w.inbox(case) for w in (piotr, ewa, marek, olga)] == [{}, {}, {}, {}]
    fields = anna.form(identify)
    assert [(f["id"], f["type"], f["required"]) for f in fields.values()] == [
        ("needs_crisis_support", "boolean", False), ("risk_level", "enum", False), ("intake_date", "date", True),
        ("notes", "string", False)]
    assert [o["id"] for o in fields["risk_level"]["options"]] == ["low", "medium", "high"]

    # Invalid values: 400 with a message per field, and nothing changes.
    response = anna.post(f"/{identify}/complete", {"data": {"risk_level": "extreme", "intake_date": "2026-02-30",
                                                            "needs_crisis_support": "maybe", "hours": 3}})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_data" and body["fields"] == {
        "risk_level": "must be one of: low, medium, high", "intake_date": "must be a date as YYYY-MM-DD",
        "needs_crisis_support": "must be true or false", "hours": "unknown field"}
    response = anna.post(f"/{identify}/complete", {"data": {}})
    assert response.status_code == 400 and response.get_json()["fields"] == {"intake_date": "required"}
    detail = anna.get(f"/{identify}").get_json()
    assert detail["status"] == "open" and detail["claimed_by"] is None and detail["case"]["stage"] == "Identyfikacja"
    assert ewa.post(f"/{identify}/complete", {"data": {"intake_date": "2026-11-02"}}).status_code == 403

    response = anna.post(f"/{identify}/complete", {"data": {"needs_crisis_support": True, "risk_level": "high",
                                                            "intake_date": "2026-11-02"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stage"] == "Interwencja kryzysowa"
    assert anna.post(f"/{identify}/complete", {"data": {"intake_date": "2026-11-02"}}).status_code == 409

    # 2. Parallel support: the NGO crisis interventionist and the OPS psychologist.
    assert set(marek.inbox(case)) == {"crisis_intervention"} and set(piotr.inbox(case)) == {"psych_diagnosis"}
    assert anna.inbox(case) == {} and ewa.inbox(case) == {}
    crisis, psych = marek.inbox(case)["crisis_intervention"], piotr.inbox(case)["psych_diagnosis"]
    assert marek.post(f"/{crisis}/claim").get_json()["claimed_by"] == "marek.ngo"
    response = marek.post(f"/{crisis}/complete", {"data": {"hours": 41, "outcome": "referred"}})
    assert response.status_code == 400 and response.get_json()["fields"] == {"hours": "must be at most 40"}
    assert marek.post(f"/{crisis}/complete", {"data": {"hours": 6, "shelter_location": "ul. Tajna 7",
                                                       "outcome": "referred"}}).status_code == 200
    assert piotr.post(f"/{psych}/complete", {"data": {"hours": "2", "psych_notes": "PTSD, praca z traumą",
                                                      "recommendation": "positive"}}).status_code == 200

    # 3. Activation at the labour office: the PUP adviser sees neither notes nor shelter.
    career = ewa.inbox(case)["career_plan"]
    detail = ewa.get(f"/{career}").get_json()
    assert "psych_notes" not in detail["case"]["data"] and "shelter_location" not in detail["case"]["data"]
    assert detail["case"]["data"]["recommendation"] == "positive"
    assert detail["can"] == {"claim": True, "unclaim": False, "assign": True, "complete": True}
    assert ewa.form(psych)["psych_notes"] | {"label": None} == {
        **ewa.form(psych)["psych_notes"], "value": None, "redacted": True, "sensitive": True, "label": None}
    assert ewa.form(crisis)["shelter_location"]["value"] is None
    assert "PTSD" not in ewa.get(f"/{psych}").get_data(as_text=True)
    assert "Tajna" not in ewa.get(f"/{crisis}").get_data(as_text=True)
    assert marek.form(psych)["psych_notes"]["redacted"] is True  # an NGO psychologist did not write them
    assert piotr.form(psych)["psych_notes"]["value"] == "PTSD, praca z traumą"
    assert marek.form(crisis)["shelter_location"]["value"] == "ul. Tajna 7"

    response = ewa.post(f"/{career}/complete", {"data": {"registered_unemployed": True}})
    assert response.status_code == 400 and response.get_json()["fields"] == {"plan_items": "required"}
    response = ewa.post(f"/{career}/complete", {"data": {"registered_unemployed": True, "hours": 2,
                                                         "plan_items": "Kurs opiekunki, staż od marca"}})
    assert response.status_code == 200 and response.get_json()["case_status"] == "completed"
    assert ewa.inbox(case) == {}


def test_an_ngo_only_case_is_invisible_to_the_labour_office(api_app: Flask, client: FlaskClient,  # noqa: F811
                                                            bearer: Headers) -> None:  # noqa: F811
    case = start(api_app, "BEN-NGO", ["ngo-bartoszyce", "mops-bartoszyce"])
    anna, ewa = Worker(client, bearer(client, "anna.ops")), Worker(client, bearer(client, "ewa.pup"))
    identify = anna.inbox(case)["identify"]
    for response in (ewa.get(f"/{identify}"), ewa.post(f"/{identify}/claim"), ewa.get(f"/{identify}/comments"),
                     ewa.post(f"/{identify}/comments", {"text": "?"}),
                     ewa.post(f"/{identify}/complete", {"data": {"intake_date": "2026-11-02"}}),
                     ewa.get("/00000000-0000-0000-0000-000000000000")):
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert ewa.get("", q="BEN-NGO").get_json()["total"] == 0


def test_inbox_views_counts_paging_and_errors(api_app: Flask, client: FlaskClient,  # noqa: F811
                                              bearer: Headers) -> None:  # noqa: F811
    anna = Worker(client, bearer(client, "anna.ops"))
    before = anna.get("/count").get_json()
    first = start(api_app, "BEN-A")
    start(api_app, "BEN-B")
    task = anna.inbox(first)["identify"]
    assert anna.post(f"/{task}/claim").status_code == 200
    counts = anna.get("/count").get_json()
    assert counts["all"] == before["all"] + 2 and counts["mine"] == before["mine"] + 1
    assert anna.get("/count", q="BEN-A").get_json() == {"all": 1, "mine": 1, "unclaimed": 0, "overdue": 0,
                                                         "due_today": 0}
    mine = anna.get("", view="mine").get_json()
    assert [t["id"] for t in mine["items"]] == [task] and mine["items"][0]["claimed_by"] == "anna.ops"
    page = anna.get("", per_page=1, page=2, sort="-created").get_json()
    assert page["page"] == 2 and page["per_page"] == 1 and len(page["items"]) == 1 and page["total"] >= 2
    for query, field in (({"per_page": 101}, "per_page"), ({"view": "x"}, "view"), ({"sort": "size"}, "sort"),
                         ({"page": "one"}, "page")):
        response = anna.get("", **query)
        assert response.status_code == 400 and field in response.get_json()["fields"], response.get_json()
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks/count").status_code == 401


def test_assign_unclaim_and_comments(api_app: Flask, client: FlaskClient, bearer: Headers) -> None:  # noqa: F811
    anna, teresa, ewa = (Worker(client, bearer(client, n)) for n in ("anna.ops", "teresa.sup", "ewa.pup"))
    case = start(api_app, "BEN-C", [*THREE, "partnership"])
    task = anna.inbox(case)["identify"]
    response = anna.post(f"/{task}/assign", {"username": "ewa.pup"})
    assert response.status_code == 400 and set(response.get_json()["fields"]) == {"username"}
    assert anna.post(f"/{task}/assign", {}).status_code == 400
    assert anna.post(f"/{task}/assign", {"username": "anna.ops", "x": 1}).status_code == 400
    assert anna.post(f"/{task}/assign", {"username": "anna.ops"}).get_json()["claimed_by"] == "anna.ops"
    assert ewa.post(f"/{task}/unclaim").status_code == 403
    assert teresa.post(f"/{task}/unclaim").get_json()["claimed_by"] is None
    response = ewa.post(f"/{task}/comments", {"text": "Klientka zarejestrowana w PUP od 2026-10-01"})
    assert response.status_code == 201 and response.get_json()["agency"] == "pup-bartoszyce"
    assert anna.post(f"/{task}/comments", {"text": ""}).status_code == 400
    comments = anna.get(f"/{task}/comments").get_json()
    assert [(c["user"], c["text"][:8]) for c in comments] == [("ewa.pup", "Klientka")]
    assert anna.get(f"/{task}").get_json()["comments"] == comments


def test_the_openapi_document_describes_the_task_api(client: FlaskClient) -> None:  # noqa: F811
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/tasks", "/api/v1/tasks/count", "/api/v1/tasks/{task_id}",
                 "/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/complete",
                 "/api/v1/tasks/{task_id}/comments"):
        assert path in paths, path
    assert "400" in paths["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
