"""Messages and signals over HTTP: between cases of two pathways, from outside, who may send, hostile input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, HumanTask
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER, login, person
from tests.helpers import FIXTURES

pytest_plugins = ["tests.e2e.api_fixtures"]

OPS, PUP = ["mops-bartoszyce"], ["pup-bartoszyce"]
REASON = "eksmisja z mieszkania socjalnego"


@pytest.fixture
def app(any_app):
    pathways = services(any_app)
    pathways.deploy(sorted(FIXTURES.glob("m17_*.bpmn")))
    create_user(pathways.store, pathways.roles, "system.pup", "pup-bartoszyce", ["integration"], PASSWORD,
                "System PUP", check_policy=False)
    return any_app


def start(app, key, data, agencies, who="anna.ops"):
    return services(app).engine.start_case(Actor(who), key, data, agencies)


def headers(client, user):
    return {"Authorization": f"Bearer {login(client, user)}"}


def open_tasks(app, case_id):
    with services(app).store.unit_of_work(write=False) as uow:
        return {t.element_id: t.id for t in uow.session.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.status == "open"))}


def test_a_message_thrown_by_a_case_reaches_the_waiting_case_of_another_pathway(app):
    client = app.test_client()
    pseudonym = person(app)
    receiver = start(app, "m17_referral_receiver", {"beneficiary_pseudonym": pseudonym}, OPS)
    stranger = start(app, "m17_referral_receiver", {"beneficiary_pseudonym": person(app)}, OPS)
    sender = start(app, "m17_referral_sender", {"beneficiary_pseudonym": pseudonym}, PUP, "ewa.pup")
    task = open_tasks(app, sender)["prepare"]
    done = client.post(f"/api/v1/tasks/{task}/complete", headers=headers(client, "ewa.pup"),
                       json={"data": {"referral_reason": REASON, "offer_code": 12}})
    assert done.status_code == 200, done.get_json()
    anna = headers(client, "anna.ops")
    body = client.get(f"/api/v1/cases/{receiver}", headers=anna).get_json()
    assert [t["element"] for t in body["open_tasks"]] == ["review"]
    [received] = [e for e in body["timeline"] if e["kind"] == "MessageReceived"]
    assert received["after"]["data"]["offer_code"] == 12 and received["after"]["from_case"] == sender
    assert client.get(f"/api/v1/cases/{stranger}", headers=anna).get_json()["open_tasks"] == []
    # the sender's timeline says it was sent; the case worker of the sending agency sees it
    sent = client.get(f"/api/v1/cases/{sender}", headers=headers(client, "ewa.pup")).get_json()
    assert [e["element"] for e in sent["timeline"] if e["kind"] == "MessageSent"] == ["notify_ops"]


def test_a_message_from_outside_answers_which_case_it_reached(app):
    client = app.test_client()
    pseudonym = person(app)
    case_id = start(app, "m17_boundary", {"beneficiary_pseudonym": pseudonym}, PUP, "ewa.pup")
    system = headers(client, "system.pup")
    answer = client.post("/api/v1/messages", headers=system, json={
        "name": "m17_document", "correlation": {"beneficiary_pseudonym": pseudonym}, "data": {"doc": "umowa"}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["reached"] == [case_id] and answer.get_json()["count"] == 1
    assert set(open_tasks(app, case_id)) == {"internship", "check_document"}
    missing = client.post("/api/v1/messages", headers=system, json={"name": "m17_document", "key": "B-NOBODY"})
    assert missing.status_code == 404 and missing.get_json()["code"] == "no_receiver"
    second = start(app, "m17_boundary", {"beneficiary_pseudonym": pseudonym}, PUP, "ewa.pup")
    both = client.post("/api/v1/messages", headers=system, json={"name": "m17_withdrawn", "key": pseudonym})
    assert both.status_code == 409 and both.get_json()["code"] == "message_ambiguous"
    assert "internship" in open_tasks(app, second)  # nothing delivered
    every = client.post("/api/v1/messages", headers=system,
                        json={"name": "m17_withdrawn", "key": pseudonym, "mode": "all"}).get_json()
    assert sorted(every["reached"]) == [case_id, second]


def test_a_message_nobody_waits_for_is_kept_and_listed_without_its_payload(app):
    client = app.test_client()
    system = headers(client, "system.pup")
    kept = client.post("/api/v1/messages", headers=system, json={
        "name": "m17_referral", "correlation": {"beneficiary_pseudonym": "B-LATER"},
        "data": {"referral_reason": REASON}, "mode": "all"}).get_json()
    assert kept["reached"] == [] and kept["kept"]["id"]
    listed = client.get("/api/v1/messages", headers=system)
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert REASON not in text and "B-LATER" not in text
    [item] = listed.get_json()["items"]
    assert item["key_name"] == "beneficiary_pseudonym" and item["name"] == "m17_referral"
    # another agency's worker does not see it; the one who may reach the case later gets it
    assert client.get("/api/v1/messages", headers=headers(client, "marek.ngo")).get_json()["items"] == []
    later = start(app, "m17_referral_receiver", {"beneficiary_pseudonym": "B-LATER"}, OPS)
    assert set(open_tasks(app, later)) == {"review"}


def test_a_case_worker_reaches_only_the_cases_of_their_agency(app):
    client = app.test_client()
    pseudonym = person(app)
    case_id = start(app, "m17_referral_receiver", {"beneficiary_pseudonym": pseudonym}, OPS)
    body = {"name": "m17_referral", "key": pseudonym}
    foreign = client.post("/api/v1/messages", headers=headers(client, "marek.ngo"), json=body)
    nobody = client.post("/api/v1/messages", headers=headers(client, "marek.ngo"),
                         json={"name": "m17_referral", "key": "B-NOBODY"})
    assert foreign.status_code == nobody.status_code == 404  # the same answer as for no case at all
    assert foreign.get_json()["message"].replace(pseudonym, "") == nobody.get_json()["message"].replace(
        "B-NOBODY", "")
    assert client.post("/api/v1/messages", headers=headers(client, OUTSIDER), json=body).status_code == 404
    assert open_tasks(app, case_id) == {}
    assert client.post("/api/v1/messages", headers=headers(client, "teresa.sup"), json=body).status_code == 403
    assert client.post("/api/v1/messages", json=body).status_code == 401
    mine = client.post("/api/v1/messages", headers=headers(client, "anna.ops"), json=body)
    assert mine.status_code == 200 and mine.get_json()["reached"] == [case_id]
    with services(app).store.unit_of_work(write=False) as uow:
        entries = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "message.send")))
    assert [e.username for e in entries] == ["anna.ops"] and pseudonym not in str(entries[0].detail)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "m17 <script>"}, "name"),
    ({"name": "bad\u0007name"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "m17_referral", "correlation": {"a": "1", "b": "2"}}, "correlation"),
    ({"name": "m17_referral", "correlation": {"bad field": "1"}}, "correlation"),
    ({"name": "m17_referral", "key": {"nested": 1}}, "key"),
    ({"name": "m17_referral", "key": "x", "correlation": {"a": "1"}}, "key"),
    ({"name": "m17_referral", "data": [1, 2]}, "data"),
    ({"name": "m17_referral", "data": {"big": "x" * 70_000}}, "data"),
    ({"name": "m17_referral", "mode": "some"}, "mode"),
    ({"name": "m17_referral", "unknown": 1}, "unknown"),
])
def test_hostile_input_is_a_clear_400(app, body, field):
    client = app.test_client()
    answer = client.post("/api/v1/messages", headers=headers(client, "system.pup"), json=body)
    assert answer.status_code == 400, answer.get_json()
    assert field in str(answer.get_json().get("fields", {})) and "Traceback" not in answer.get_data(as_text=True)
    assert client.get("/api/v1/messages", headers=headers(client, "system.pup")).get_json()["items"] == []


def test_a_body_that_is_not_json_is_400(app):
    client = app.test_client()
    answer = client.post("/api/v1/messages", headers={**headers(client, "system.pup"),
                                                      "Content-Type": "application/json"}, data=b"{not json")
    assert answer.status_code == 400 and answer.get_json()["code"]


def test_a_signal_reaches_many_cases_and_says_how_many(app):
    client = app.test_client()
    waiting = [start(app, "m17_signal_wait", {}, OPS) for _ in range(3)]
    marek = client.post("/api/v1/signals", headers=headers(client, "marek.ngo"), json={"name": "m17_call_closed"})
    assert marek.status_code == 200 and marek.get_json()["count"] == 0  # none of his agency's cases wait
    assert len(marek.get_json()["started"]) == 1  # a case of the pathway it starts, in his agency
    assert all(open_tasks(app, c) == {} for c in waiting)
    answer = client.post("/api/v1/signals", headers=headers(client, "system.pup"),
                         json={"name": "m17_call_closed", "agencies": OPS})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert sorted(body["reached"]) == waiting and body["count"] == 3 and len(body["started"]) == 1
    assert all(set(open_tasks(app, c)) == {"follow_up"} for c in waiting)


def test_a_case_worker_starts_cases_of_their_own_agency_only(app):
    client = app.test_client()
    anna = headers(client, "anna.ops")
    refused = client.post("/api/v1/messages", headers=anna,
                          json={"name": "m17_request", "agencies": ["pup-bartoszyce"]})
    assert refused.status_code == 400 and "agencies" in refused.get_json()["fields"]
    started = client.post("/api/v1/messages", headers=anna, json={"name": "m17_request", "data": {"income": 900}})
    assert started.status_code == 200, started.get_json()
    [case_id] = started.get_json()["started"]
    body = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    assert [a["code"] for a in body["agencies"]] == ["mops-bartoszyce"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers(client, "ewa.pup")).status_code == 404


def test_the_case_page_shows_the_message_received_and_from_which_case(app):
    import re

    pseudonym = person(app)
    receiver = start(app, "m17_referral_receiver", {"beneficiary_pseudonym": pseudonym}, OPS)
    sender = start(app, "m17_referral_sender", {"beneficiary_pseudonym": pseudonym}, PUP, "ewa.pup")
    services(app).engine.complete_task(Actor("ewa.pup"), open_tasks(app, sender)["prepare"],
                                       {"referral_reason": REASON, "offer_code": 12})
    web = app.test_client()
    login_page = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    web.post("/login", data={"username": "anna.ops", "password": PASSWORD, "csrf_token": csrf})
    page = web.get(f"/cases/{receiver}").get_data(as_text=True)
    assert "Message received: m17_referral" in page or "Otrzymano wiadomość: m17_referral" in page
    assert f"#{sender}" in page and "offer_code" in page
