"""Cases over HTTP: start, list, read (redacted), messages, visibility and the audit trail."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from pathways.core import services
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, Case, HumanTask, User
from tests.e2e.api_fixtures import person
from tests.helpers import FIXTURES, statute

pytest_plugins = ["tests.e2e.api_fixtures"]

SHELTER = "Schronisko przy ul. Tajnej 7"


def _audit(app, username, action=None):
    with services(app).store.unit_of_work(write=False) as uow:
        query = select(AuditEntry).where(AuditEntry.username == username)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(uow.session.scalars(query.order_by(AuditEntry.id)))


def _complete_crisis(app, case_id=2):
    pathways = services(app)
    with pathways.store.unit_of_work(write=False) as uow:
        s = uow.session
        task_id = s.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                       HumanTask.element_id == "crisis_intervention")).one()
        marek = s.scalars(select(User).where(User.username == "marek.ngo")).one()
    pathways.engine.complete_task(Actor(marek.username, marek.id), task_id,
                                  {"hours": 3, "shelter_location": SHELTER, "outcome": "stabilised"})


def test_start_a_case_on_both_databases(any_app):
    client = any_app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "demo"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    ben = person(any_app)
    response = client.post("/api/v1/cases", headers=headers, json={
        "pathway": "intake_referral", "beneficiary": ben, "data": {"beneficiary_pseudonym": ben},
        "agencies": ["mops-bartoszyce", "ngo-bartoszyce"], "bases": statute("ngo-bartoszyce")})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["status"] == "active" and case["stage"] == "Identyfikacja" and case["beneficiary"] == ben
    assert [a["code"] for a in case["agencies"]] == ["mops-bartoszyce", "ngo-bartoszyce"]
    assert [t["element"] for t in case["open_tasks"]] == ["identify"]
    assert case["open_tasks"][0]["roles"] == ["ops.social_worker"]
    assert case["data"] == {"beneficiary_pseudonym": ben}
    assert [e["kind"] for e in case["timeline"]][:1] == ["CaseStarted"]
    started = _audit(any_app, "anna.ops", "case.start")
    assert len(started) == 1 and started[0].case_id == case["id"]
    listed = client.get(f"/api/v1/cases?q={ben.lower()}", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == case["id"]
    # PUP takes no part in the new case
    pup = client.post("/api/v1/auth/token", json={"username": "ewa.pup", "password": "demo"}).get_json()["token"]
    assert client.get(f"/api/v1/cases/{case['id']}", headers={"Authorization": f"Bearer {pup}"}).status_code == 404


def test_start_case_rules(client, bearer):
    anna = bearer(client, "anna.ops")
    response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral",
                                                                "agencies": ["pup-bartoszyce"]})
    assert response.status_code == 400 and "agencies" in response.get_json()["fields"]
    response = client.post("/api/v1/cases", headers=anna, json={"pathway": "nope"})
    assert response.status_code == 400 and "pathway" in response.get_json()["fields"]
    response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral",
                                                                "agencies": ["mops-bartoszyce", "ghost"]})
    assert response.status_code == 400 and "ghost" in response.get_json()["fields"]["agencies"]
    # a name typed where the pseudonym goes, or a pseudonym nobody registered, starts nothing
    for typed in ("Anna Kowalska", "B-2222-22"):
        response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral", "beneficiary": typed})
        assert response.status_code == 400 and "beneficiary" in response.get_json()["fields"]
        response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral",
                                                                    "data": {"beneficiary_pseudonym": typed}})
        assert response.status_code == 400 and "data.beneficiary_pseudonym" in response.get_json()["fields"]
    # another agency takes part only on a recorded legal basis
    response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral",
                                                                "agencies": ["mops-bartoszyce", "ngo-bartoszyce"]})
    assert response.status_code == 400 and "bases.ngo-bartoszyce" in response.get_json()["fields"]
    for basis in ({"basis": "statute", "statute": "no_such_act"}, {"basis": "consent", "consent": 1},
                  {"basis": "own"}, "statute"):
        response = client.post("/api/v1/cases", headers=anna, json={
            "pathway": "intake_referral", "agencies": ["mops-bartoszyce", "ngo-bartoszyce"],
            "bases": {"ngo-bartoszyce": basis}})
        assert response.status_code in (400, 422), (basis, response.get_json())
    for user in ("teresa.sup", "admin"):
        assert client.post("/api/v1/cases", headers=bearer(client, user),
                           json={"pathway": "intake_referral"}).status_code == 403
    response = client.post("/api/v1/cases", headers=anna, json={"pathway": "intake_referral", "data": [1]})
    assert response.status_code == 400 and "data" in response.get_json()["fields"]
    with services(client.application).store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 3  # nothing was written


def test_list_filters_paging_and_sorting(client, bearer):
    headers = bearer(client, "anna.ops")
    page = client.get("/api/v1/cases?per_page=2&sort=id", headers=headers).get_json()
    assert page["total"] == 3 and [c["id"] for c in page["items"]] == [1, 2] and page["per_page"] == 2
    assert [c["id"] for c in client.get("/api/v1/cases?per_page=2&page=2&sort=id",
                                        headers=headers).get_json()["items"]] == [3]
    assert [c["id"] for c in client.get("/api/v1/cases?sort=-id", headers=headers).get_json()["items"]] == [3, 2, 1]
    crisis = client.get("/api/v1/cases?stage=Interwencja kryzysowa", headers=headers).get_json()
    assert [c["id"] for c in crisis["items"]] == [2] and crisis["items"][0]["open_tasks"] == 2
    assert client.get("/api/v1/cases?q=B-DEM4-K4", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/cases?q=skierowanie", headers=headers).get_json()["total"] == 3  # pathway name
    assert client.get("/api/v1/cases?q=%25", headers=headers).get_json()["total"] == 0  # LIKE wildcards are text
    assert client.get("/api/v1/cases?status=completed", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/cases?agency=ngo-bartoszyce&pathway=intake_referral",
                      headers=headers).get_json()["total"] == 3
    item = page["items"][0]
    assert item["agencies"] == ["mops-bartoszyce", "ngo-bartoszyce", "partnership", "pup-bartoszyce"]
    assert client.get("/api/v1/cases?sort=beneficiary;drop", headers=headers).status_code == 400
    assert _audit(client.application, "anna.ops", "case.list")


def test_outsiders_see_nothing(client, bearer):
    headers = bearer(client, "olga.far")
    assert client.get("/api/v1/cases", headers=headers).get_json() == {"items": [], "total": 0, "page": 1,
                                                                      "per_page": 25}
    for case_id in (1, 2, 999):
        response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
        assert response.status_code == 404 and response.get_json()["message"] == f"case {case_id} does not exist"
        response = client.post(f"/api/v1/cases/{case_id}/messages", headers=headers, json={"name": "x"})
        assert response.status_code == 404


def test_case_detail_redacts_sensitive_fields(client, bearer, api_app):
    _complete_crisis(api_app)
    marek = client.get("/api/v1/cases/2", headers=bearer(client, "marek.ngo")).get_json()
    assert marek["data"]["shelter_location"] == SHELTER and marek["hidden_fields"] == []
    completed = next(e for e in marek["timeline"] if e["kind"] == "TaskCompleted" and e["actor"] == "marek.ngo")
    assert completed["after"]["shelter_location"] == SHELTER
    for user in ("ewa.pup", "anna.ops", "teresa.sup", "piotr.ops"):
        response = client.get("/api/v1/cases/2", headers=bearer(client, user))
        body = response.get_json()
        assert response.status_code == 200 and SHELTER not in response.get_data(as_text=True), user
        assert "shelter_location" not in body["data"] and body["hidden_fields"] == ["shelter_location"]
        assert body["data"]["risk_level"] == "high"
    assert [m["key"] for m in marek["measures"]] == ["ngo.crisis_interventionist"]
    assert marek["measures"][0]["value"] == 3.0 and marek["measures"][0]["kind"] == "hours"
    reads = _audit(api_app, "ewa.pup", "case.read")
    assert [(r.case_id, r.action) for r in reads] == [(2, "case.read")]


def test_case_detail_shows_stage_history_and_open_tasks(client, bearer):
    body = client.get("/api/v1/cases/2", headers=bearer(client, "piotr.ops")).get_json()
    assert [v["stage"] for v in body["stages"]] == ["Identyfikacja", "Interwencja kryzysowa"]
    assert body["stages"][0]["left_at"] and body["stages"][1]["left_at"] is None
    tasks = {t["element"]: t for t in body["open_tasks"]}
    assert set(tasks) == {"psych_diagnosis", "crisis_intervention"}
    assert tasks["crisis_intervention"]["due_at"] and tasks["crisis_intervention"]["roles"] == [
        "ngo.crisis_interventionist"]
    assert json.loads(json.dumps(body))["timeline"][0]["kind"] == "CaseStarted"


def test_messages(client, bearer, api_app):
    admin = bearer(client, "admin")
    upload = client.post("/api/v1/definitions", headers=admin, content_type="multipart/form-data",
                         data={"file": [(io.BytesIO((FIXTURES / "message_wait.bpmn").read_bytes()),
                                                  "message_wait.bpmn")]})
    assert upload.status_code == 201, upload.get_json()
    ewa = bearer(client, "ewa.pup")
    case = client.post("/api/v1/cases", headers=ewa,
                       json={"pathway": "message_wait", "beneficiary": person(api_app, "pup-bartoszyce")}).get_json()
    wrong = client.post(f"/api/v1/cases/{case['id']}/messages", headers=ewa, json={"name": "nope"})
    assert wrong.status_code == 409 and "employment_confirmed" in wrong.get_json()["message"]
    delivered = client.post(f"/api/v1/cases/{case['id']}/messages", headers=ewa,
                            json={"name": "employment_confirmed", "payload": {"employer": "Stolarnia"}})
    assert delivered.status_code == 200, delivered.get_json()
    assert [t["element"] for t in delivered.get_json()["open_tasks"]] == ["record_employment"]
    assert [a.action for a in _audit(api_app, "ewa.pup", "case.message")] == ["case.message"]
    assert client.post(f"/api/v1/cases/{case['id']}/messages", headers=bearer(client, "anna.ops"),
                       json={"name": "employment_confirmed"}).status_code == 404
    assert client.post(f"/api/v1/cases/{case['id']}/messages", headers=ewa, json={}).status_code == 400
