"""Incidents over HTTP: a failing timer's incident is listed, shown on its case, retried after the
data is corrected (and the case goes on), retried for a whole element, or ends with the case
cancelled; who may see and do what; no case value in anything an incident says."""

from __future__ import annotations

from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import AuditEntry, Case
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER, OUTSIDER_AGENCY
from tests.incident_fixtures import ELEMENT, KEY, SECRET, later, stuck_case

pytest_plugins = ["tests.e2e.api_fixtures"]
__all__ = ["later"]  # the fixture, used by name
FAR_ADMIN = "adam.far"


def _audit(app, action):
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                        .order_by(AuditEntry.id)))


def test_an_incident_from_a_failing_timer_is_retried_after_the_fix(any_app, bearer, later):
    case_id, incident_id = stuck_case(any_app, later)
    client = any_app.test_client()
    admin, anna = bearer(client, "admin"), bearer(client, "anna.ops")

    answer = client.get(f"/api/v1/incidents?pathway={KEY}", headers=admin)
    assert answer.status_code == 200
    [listed] = answer.get_json()
    assert {k: listed[k] for k in ("id", "case_id", "pathway", "source", "element", "error_kind", "error_class",
                                   "attempts", "status")} == {
        "id": incident_id, "case_id": case_id, "pathway": KEY, "source": "timer", "element": ELEMENT,
        "error_kind": "script_error", "error_class": "ValueError", "attempts": 3, "status": "open"}
    assert SECRET not in answer.get_data(as_text=True)
    case = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()  # the case shows it to its workers
    assert [i["id"] for i in case["incidents"]] == [incident_id] and case["open_tasks"] == []

    again = client.post(f"/api/v1/incidents/{incident_id}/retry", headers=admin)  # not fixed: one attempt more
    assert again.status_code == 200 and again.get_json()["outcome"] == "open" and again.get_json()["attempts"] == 4

    fixed = client.post(f"/api/v1/cases/{case_id}/corrections", headers=anna,
                        json={"field": "household_size", "value": "2", "reason": "typed as words"})
    assert fixed.status_code == 200, fixed.get_json()
    done = client.post(f"/api/v1/incidents/{incident_id}/retry", headers=admin)
    assert done.status_code == 200
    assert (done.get_json()["outcome"], done.get_json()["status"], done.get_json()["closed_by"]) == (
        "resolved", "resolved", "admin")
    case = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    assert case["incidents"] == [] and [t["element"] for t in case["open_tasks"]] == ["review"]
    assert client.get(f"/api/v1/incidents?pathway={KEY}", headers=admin).get_json() == []
    resolved = client.get(f"/api/v1/incidents?pathway={KEY}&status=resolved", headers=admin).get_json()
    assert [i["id"] for i in resolved] == [incident_id]
    assert client.post(f"/api/v1/incidents/{incident_id}/retry", headers=admin).status_code == 409

    retries = _audit(any_app, "incident.retry")
    assert [(e.username, e.case_id, e.detail) for e in retries] == [
        ("admin", case_id, {"incident": incident_id, "outcome": "open"}),
        ("admin", case_id, {"incident": incident_id, "outcome": "resolved"})]


def test_all_incidents_of_an_element_are_retried_at_once(api_app, bearer, later):
    first, _ = stuck_case(api_app, later)
    second, _ = stuck_case(api_app, later, household="3 osoby")
    client = api_app.test_client()
    admin, anna = bearer(client, "admin"), bearer(client, "anna.ops")
    fixed = client.post(f"/api/v1/cases/{first}/corrections", headers=anna,
                        json={"field": "household_size", "value": "2", "reason": "typed as words"})
    assert fixed.status_code == 200

    answer = client.post("/api/v1/incidents/retry", headers=admin, json={"element": ELEMENT, "key": KEY})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["retried"], body["resolved"], body["still_open"]) == (2, 1, 1)
    assert {i["case_id"]: i["outcome"] for i in body["incidents"]} == {first: "resolved", second: "open"}
    wrong = client.post("/api/v1/incidents/retry", headers=admin, json={"element": ELEMENT, "key": "no_such"})
    assert wrong.get_json()["retried"] == 0
    assert client.post("/api/v1/incidents/retry", headers=admin, json={"element": ELEMENT}).status_code == 400


def test_cancelling_the_case_of_an_incident(api_app, bearer, later):
    case_id, incident_id = stuck_case(api_app, later)
    client = api_app.test_client()
    admin = bearer(client, "admin")
    assert client.post(f"/api/v1/incidents/{incident_id}/cancel-case", headers=admin, json={}).status_code == 400
    reason = "Pani Kowalska wyprowadziła się"
    answer = client.post(f"/api/v1/incidents/{incident_id}/cancel-case", headers=admin, json={"reason": reason})
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "cancelled"
    [entry] = _audit(api_app, "incident.cancel_case")
    assert entry.case_id == case_id and entry.detail == {"incident": incident_id}
    assert reason not in repr(entry.detail)
    again = client.post(f"/api/v1/incidents/{incident_id}/cancel-case", headers=admin, json={"reason": "x"})
    assert again.status_code == 409


def test_who_may_see_and_act_on_incidents(api_app, bearer, later):
    case_id, incident_id = stuck_case(api_app, later)
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, FAR_ADMIN, OUTSIDER_AGENCY, ["admin"], PASSWORD, "Adam Daleki",
                check_policy=False)
    client = api_app.test_client()

    supervisor = bearer(client, "teresa.sup")  # the partnership's supervisor: looks, does not act
    assert [i["id"] for i in client.get(f"/api/v1/incidents?pathway={KEY}", headers=supervisor).get_json()] == [
        incident_id]
    assert client.post(f"/api/v1/incidents/{incident_id}/retry", headers=supervisor).status_code == 403
    assert client.post("/api/v1/incidents/retry", headers=supervisor,
                       json={"element": ELEMENT, "key": KEY}).status_code == 403

    for worker in ("anna.ops", OUTSIDER):  # case work is no admin work, whichever agency
        headers = bearer(client, worker)
        assert client.get("/api/v1/incidents", headers=headers).status_code == 403
        assert client.post(f"/api/v1/incidents/{incident_id}/retry", headers=headers).status_code == 403

    far = bearer(client, FAR_ADMIN)  # an admin of an agency outside the case: nothing tells it exists
    assert client.get(f"/api/v1/incidents?case={case_id}", headers=far).get_json() == []
    assert client.get("/api/v1/incidents?status=resolved", headers=far).get_json() == []
    existing = client.post(f"/api/v1/incidents/{incident_id}/retry", headers=far)
    missing = client.post(f"/api/v1/incidents/{incident_id + 1000}/retry", headers=far)
    assert existing.status_code == missing.status_code == 404
    assert existing.get_json()["code"] == missing.get_json()["code"]
    assert client.post(f"/api/v1/incidents/{incident_id}/cancel-case", headers=far,
                       json={"reason": "x"}).status_code == 404
    assert client.post("/api/v1/incidents/retry", headers=far,
                       json={"element": ELEMENT, "key": KEY}).get_json()["retried"] == 0
    assert client.get(f"/api/v1/cases/{case_id}", headers=far).status_code == 404
    assert client.get("/api/v1/incidents").status_code == 401
    with pathways.store.unit_of_work(write=False) as uow:  # still open, untouched by the refused attempts
        assert uow.session.get(Case, case_id).status == "active"
    assert client.get(f"/api/v1/incidents?case={case_id}", headers=bearer(client, "admin")).get_json()[0][
        "attempts"] == 3
    denied = _audit(api_app, "access.denied")
    assert any(e.username == FAR_ADMIN and e.detail.get("attempted") == "incident.retry" for e in denied)
