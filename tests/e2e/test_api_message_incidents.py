"""Over HTTP: a message from outside reaches a case whose receiving path fails; after the attempts
(the sweep) it is an incident in the list, the data is corrected, a retry delivers it and the case
goes on. A message from outside with a correlation key starts an interrupting event sub-process of
the waiting case (its tasks leave the inboxes); a signal reaches a non-interrupting signal event
sub-process of several cases. Who may see and retry; no case value in the incident."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine import messages
from pathways.engine.cases import Actor
from pathways.store.models import HumanTask
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER, login, person
from tests.helpers import FIXTURES

pytest_plugins = ["tests.e2e.api_fixtures"]

OPS = ["mops-bartoszyce", "partnership"]  # the admin and the supervisor belong to the partnership
SECRET = "dwoje Kowalskich"  # quoted by the failing script's exception text (`int('dwoje Kowalskich')`)


@pytest.fixture
def app(any_app):
    pathways = services(any_app)
    pathways.deploy(sorted(FIXTURES.glob("g17_*.bpmn")))
    create_user(pathways.store, pathways.roles, "system.ops", "mops-bartoszyce", ["integration"], PASSWORD,
                "System OPS", check_policy=False)
    return any_app


def headers(client, user):
    return {"Authorization": f"Bearer {login(client, user)}"}


def start(app, key, data):
    return services(app).engine.start_case(Actor("anna.ops", 1), key, data, OPS)


def open_tasks(app, case_id):
    with services(app).store.unit_of_work(write=False) as uow:
        return sorted(t.element_id for t in uow.session.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")))


def inbox(client, who, case_id):
    answer = client.get("/api/v1/tasks", headers=who, query_string={"case_id": case_id})
    assert answer.status_code == 200, answer.get_json()
    return sorted(task["element"] for task in answer.get_json()["items"])


def test_a_failing_delivery_becomes_an_incident_and_the_retry_after_the_fix_resolves_it(app):
    client = app.test_client()
    pseudonym = person(app)
    case_id = start(app, "g17_payment_receiver", {"beneficiary_pseudonym": pseudonym, "instalments": SECRET})
    system, admin, anna = headers(client, "system.ops"), headers(client, "admin"), headers(client, "anna.ops")
    sent = client.post("/api/v1/messages", headers=system, json={
        "name": "g17_payment", "correlation": {"beneficiary_pseudonym": pseudonym}, "data": {"amount": 1200},
        "mode": "all"})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["reached"] == [] and sent.get_json()["failed"] == 1 and sent.get_json()["kept"]
    engine = services(app).engine
    for _ in range(engine.incident_attempts - 1):
        messages.sweep(engine)  # what the scheduler and `pathways message deliver` run
    listed = client.get("/api/v1/incidents", headers=admin, query_string={"pathway": "g17_payment_receiver"})
    assert listed.status_code == 200
    [incident] = listed.get_json()
    assert {k: incident[k] for k in ("case_id", "source", "element", "error_kind", "error_class", "status")} == {
        "case_id": case_id, "source": "message", "element": "split_amount", "error_kind": "script_error",
        "error_class": "ValueError", "status": "open"}
    assert SECRET not in listed.get_data(as_text=True)
    assert [i["id"] for i in client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["incidents"]] == [
        incident["id"]]
    # who may: the supervisor sees but may not retry, an outsider does not see it, anonymous is refused
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=headers(client, "teresa.sup")
                       ).status_code == 403
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=headers(client, OUTSIDER)
                       ).status_code in (403, 404)
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry").status_code == 401

    messages.sweep(engine)  # held: the sweep leaves it alone
    assert client.get("/api/v1/incidents", headers=admin, query_string={"pathway": "g17_payment_receiver"}
                      ).get_json()[0]["attempts"] == incident["attempts"]
    fixed = client.post(f"/api/v1/cases/{case_id}/corrections", headers=anna,
                        json={"field": "instalments", "value": "4", "reason": "liczba rat słownie"})
    assert fixed.status_code == 200, fixed.get_json()
    done = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["outcome"], done.get_json()["status"]) == ("resolved", "resolved")
    assert open_tasks(app, case_id) == ["review"]
    kept = client.get("/api/v1/messages", headers=system, query_string={"delivered": "true"}).get_json()["items"]
    assert [m["name"] for m in kept if m["delivered_at"]] == ["g17_payment"]


def test_a_retry_of_an_expired_message_is_a_conflict_and_the_case_can_be_cancelled(app, frozen_clock):
    client = app.test_client()
    pseudonym = person(app)
    case_id = start(app, "g17_payment_receiver", {"beneficiary_pseudonym": pseudonym, "instalments": SECRET})
    engine = services(app).engine
    engine.incident_attempts = 1
    sent = client.post("/api/v1/messages", headers=headers(client, "system.ops"), json={
        "name": "g17_payment", "key": pseudonym, "data": {"amount": 10}, "mode": "all"})
    assert sent.status_code == 200, sent.get_json()
    admin = headers(client, "admin")
    [incident] = client.get("/api/v1/incidents", headers=admin, query_string={"case": case_id}).get_json()
    frozen_clock.advance(days=8)
    messages.sweep(engine)
    admin = headers(client, "admin")  # a new token: the first one expired meanwhile
    refused = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)
    assert refused.status_code == 409 and refused.get_json()["code"] == "message_expired"
    assert "expired" in refused.get_json()["message"] and "cancel" in refused.get_json()["message"]
    cancelled = client.post(f"/api/v1/incidents/{incident['id']}/cancel-case", headers=admin,
                            json={"reason": "wiadomość wygasła"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"


def test_a_message_from_outside_interrupts_the_waiting_case_and_its_tasks_leave_the_inboxes(app):
    client = app.test_client()
    pseudonym, other = person(app), person(app)
    case_id = start(app, "g17_esp_withdrawal", {"beneficiary_pseudonym": pseudonym})
    bystander = start(app, "g17_esp_withdrawal", {"beneficiary_pseudonym": other})
    anna, piotr = headers(client, "anna.ops"), headers(client, "piotr.ops")
    assert inbox(client, anna, case_id) == ["assess"] and inbox(client, piotr, case_id) == ["counselling"]
    sent = client.post("/api/v1/messages", headers=headers(client, "system.ops"), json={
        "name": "g17_withdrawn", "correlation": {"beneficiary_pseudonym": pseudonym}})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["reached"] == [case_id]  # the key picks one case: mode "single" found exactly one
    assert inbox(client, anna, case_id) == ["close_file"]
    assert inbox(client, piotr, case_id) == []
    assert inbox(client, anna, bystander) == ["assess"] and inbox(client, piotr, bystander) == ["counselling"]
    again = client.post("/api/v1/messages", headers=headers(client, "system.ops"), json={
        "name": "g17_withdrawn", "correlation": {"beneficiary_pseudonym": pseudonym}})
    assert again.status_code == 404  # it fired: the case no longer listens for it


def test_a_signal_reaches_a_non_interrupting_event_sub_process_of_several_cases(app):
    client = app.test_client()
    cases = [start(app, "g17_esp_withdrawal", {"beneficiary_pseudonym": person(app)}) for _ in range(3)]
    answer = client.post("/api/v1/signals", headers=headers(client, "system.ops"),
                         json={"name": "g17_rules_changed"})
    assert answer.status_code == 200, answer.get_json()
    assert sorted(answer.get_json()["reached"]) == cases and answer.get_json()["started"] == []
    anna = headers(client, "anna.ops")
    for case_id in cases:
        assert open_tasks(app, case_id) == ["assess", "counselling"]  # nothing interrupted
        body = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
        assert [e["kind"] for e in body["timeline"]].count("SignalReceived") == 1
    twice = client.post("/api/v1/signals", headers=headers(client, "system.ops"), json={"name": "g17_rules_changed"})
    assert sorted(twice.get_json()["reached"]) == cases  # it listens again (non-interrupting)
