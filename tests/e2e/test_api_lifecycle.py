"""A case's lifecycle over HTTP: cancel, close early, suspend and resume with their refusals, and
the must-show: a case started without the agency a lane needs is stuck, visibly, until it is added."""

from __future__ import annotations

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry
from tests.e2e.api_fixtures import OUTSIDER
from tests.incident_fixtures import later
from tests.life_fixtures import NOTE, http_case

pytest_plugins = ["tests.e2e.api_fixtures"]
__all__ = ["later"]
PUP = "pup-bartoszyce"


def _audit(app, action):
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_case_without_the_agency_a_lane_needs_is_stuck_and_runs_once_it_is_added(any_app, bearer):
    case_id, job_plan = http_case(any_app)
    client = any_app.test_client()
    anna, teresa, ewa = bearer(client, "anna.ops"), bearer(client, "teresa.sup"), bearer(client, "ewa.pup")

    case = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    assert case["stuck"] == [{"task_id": job_plan, "element": "job_plan", "name": "Indywidualny plan działania",
                              "needs": ["PUP"],
                              "reason": "task Indywidualny plan działania needs a PUP; no PUP takes part"}]
    listed = client.get("/api/v1/cases/stuck", headers=teresa)
    assert listed.status_code == 200 and [c["case_id"] for c in listed.get_json()] == [case_id]
    assert client.get("/api/v1/cases/stuck", headers=anna).status_code == 403  # the dashboard's list
    assert job_plan not in {t["id"] for t in client.get("/api/v1/tasks", headers=ewa).get_json()["items"]}

    added = client.post(f"/api/v1/cases/{case_id}/agencies", headers=anna, json={
        "agency": PUP, "basis": {"basis": "statute", "statute": "labour_market_act"}, "reason": "job plan"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["offered"] == [job_plan]

    assert client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["stuck"] == []
    assert case_id not in [c["case_id"] for c in client.get("/api/v1/cases/stuck", headers=teresa).get_json()]
    assert job_plan in {t["id"] for t in client.get("/api/v1/tasks", headers=ewa).get_json()["items"]}
    done = client.post(f"/api/v1/tasks/{job_plan}/complete", headers=ewa, json={"data": {"plan_ready": True}})
    assert done.status_code == 200, done.get_json()


def test_cancel_over_http_with_its_refusals(any_app, bearer, later):
    case_id, job_plan = http_case(any_app, ("mops-bartoszyce", "pup-bartoszyce", "partnership"))
    client = any_app.test_client()
    path = f"/api/v1/cases/{case_id}/cancel"
    body = {"reason": "moved_away", "note": NOTE}
    outsider = client.post(path, headers=bearer(client, OUTSIDER), json=body)
    assert outsider.status_code == 404 and NOTE not in outsider.get_data(as_text=True)
    assert client.post(path, headers=bearer(client, "anna.ops"), json=body).status_code == 403
    assert client.post(path, json=body).status_code == 401
    teresa = bearer(client, "teresa.sup")
    for bad, field in [({"reason": "bored"}, "reason"), ({"note": "x"}, "reason"),
                       ({"reason": "other", "note": "x" * 2001}, "note"), ({**body, "extra": 1}, "extra"),
                       ({"reason": "other"}, "note")]:
        answer = client.post(path, headers=teresa, json=bad)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (bad, answer.get_json())
    assert client.get(f"/api/v1/cases/{case_id}", headers=teresa).get_json()["status"] == "active"

    done = client.post(path, headers=teresa, json=body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "cancelled"
    case = client.get(f"/api/v1/cases/{case_id}", headers=teresa).get_json()
    assert case["open_tasks"] == [] and "CaseCancelled" in [e["kind"] for e in case["timeline"]]
    assert job_plan not in {t["id"] for t in client.get("/api/v1/tasks", headers=bearer(client, "ewa.pup"))
                            .get_json()["items"]}
    again = client.post(path, headers=teresa, json=body)
    assert again.status_code == 409 and again.get_json()["code"] == "case_not_active"
    assert "is cancelled" in again.get_json()["message"]
    entries = _audit(any_app, "case.cancel")
    assert [e.detail for e in entries] == [{"reason": "moved_away"}]
    denied = [e.detail for e in _audit(any_app, "access.denied") if e.detail.get("attempted") == "case.cancel"]
    assert [d["status"] for d in denied] == [404, 403]


def test_close_early_suspend_and_resume_over_http(any_app, bearer, later):
    case_id, job_plan = http_case(any_app, ("mops-bartoszyce", "pup-bartoszyce", "partnership"))
    client = any_app.test_client()
    admin, ewa = bearer(client, "admin"), bearer(client, "ewa.pup")
    base = f"/api/v1/cases/{case_id}"

    offered = client.get(f"{base}/lifecycle", headers=admin).get_json()
    assert offered["close_outcomes"] == ["exited", "moved_away"] and offered["can_suspend"]
    assert client.get(f"{base}/lifecycle", headers=bearer(client, OUTSIDER)).status_code == 404
    assert client.get(f"{base}/lifecycle", headers=ewa).get_json()["can_cancel"] is False

    suspended = client.post(f"{base}/suspend", headers=admin, json={"note": NOTE})
    assert suspended.status_code == 200 and suspended.get_json()["suspended"]["by"] == "admin"
    assert client.get(base, headers=ewa).get_json()["status"] == "suspended"
    [row] = [t for t in client.get("/api/v1/tasks", headers=ewa).get_json()["items"] if t["id"] == job_plan]
    assert row["case_status"] == "suspended"
    can = client.get(f"/api/v1/tasks/{job_plan}", headers=ewa).get_json()["can"]
    assert can["claim"] is False and can["complete"] is False and can["assign"] is False
    claim = client.post(f"/api/v1/tasks/{job_plan}/claim", headers=ewa)
    assert claim.status_code == 409 and claim.get_json()["code"] == "case_suspended"
    complete = client.post(f"/api/v1/tasks/{job_plan}/complete", headers=ewa, json={"data": {"plan_ready": True}})
    assert complete.status_code == 409 and complete.get_json()["code"] == "case_suspended"
    assert client.post(f"{base}/suspend", headers=admin, json={}).status_code == 409

    later.advance(hours=2)
    resumed = client.post(f"{base}/resume", headers=admin, json={"timers": "shift"})
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["resumed"]["suspended_seconds"] == 2 * 3600
    assert client.post(f"/api/v1/tasks/{job_plan}/claim", headers=ewa).status_code == 200
    assert client.post(f"{base}/resume", headers=admin, json={}).status_code == 409

    wrong = client.post(f"{base}/close", headers=admin, json={"outcome": "employed"})
    assert wrong.status_code == 400 and "exited" in wrong.get_json()["fields"]["outcome"]
    closed = client.post(f"{base}/close", headers=admin, json={"outcome": "moved_away", "note": NOTE})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    measures = client.get(base, headers=admin).get_json()["measures"]
    assert [(m["kind"], m["key"]) for m in measures] == [("outcome", "moved_away")]
    assert all(NOTE not in repr(e.detail) for e in _audit(any_app, "case.close") + _audit(any_app, "case.suspend"))
