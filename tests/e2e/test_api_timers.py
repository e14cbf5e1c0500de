"""Timers over HTTP: the case shows its waiting timers; an admin lists them across cases, fires one
now or reschedules one; who may see and do what; refusals change nothing; each act is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.store.models import AuditEntry, Timer
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER, OUTSIDER_AGENCY
from tests.timer_fixtures import ELEMENT, KEY, REASON, event_kinds, review_open, waiting_case

pytest_plugins = ["tests.e2e.api_fixtures"]
FAR_ADMIN = "adam.far"


def _audit(app, action):
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                        .order_by(AuditEntry.id)))


def _due(app, timer_id):
    with services(app).store.unit_of_work(write=False) as uow:
        timer = uow.session.get(Timer, timer_id)
        return None if timer is None else timer.due_at.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def test_the_case_shows_its_timers_and_an_admin_fires_one(any_app, bearer):
    case_id, timer_id = waiting_case(any_app, "P3D")
    later_case, later_timer = waiting_case(any_app, "P10D")
    client = any_app.test_client()
    admin, anna = bearer(client, "admin"), bearer(client, "anna.ops")

    case = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    [shown] = case["timers"]
    assert (shown["id"], shown["element"], shown["overdue"]) == (timer_id, ELEMENT, False)
    assert datetime.fromisoformat(shown["due_at"]) == _due(any_app, timer_id)

    listed = client.get(f"/api/v1/timers?pathway={KEY}", headers=admin).get_json()
    assert [t["id"] for t in listed] == [timer_id, later_timer]  # earliest due first
    assert client.get(f"/api/v1/timers?pathway={KEY}&overdue=true", headers=admin).get_json() == []
    assert len(client.get(f"/api/v1/timers?element={ELEMENT}&overdue=false", headers=admin).get_json()) == 2
    assert client.get(f"/api/v1/timers?case={later_case}", headers=admin).get_json()[0]["id"] == later_timer

    fired = client.post(f"/api/v1/timers/{timer_id}/fire", headers=admin)
    assert fired.status_code == 200, fired.get_json()
    body = fired.get_json()
    assert (body["case_id"], body["case_status"], body["timers"], body["fired"]["id"]) == (
        case_id, "active", [], timer_id)
    assert review_open(any_app, case_id) and not review_open(any_app, later_case)
    assert "TimerFiredByHand" in event_kinds(any_app, case_id)
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["timeline"]
    [by_hand] = [e for e in timeline if e["kind"] == "TimerFiredByHand"]
    assert by_hand["actor"] == "admin" and by_hand["element"] == ELEMENT
    again = client.post(f"/api/v1/timers/{timer_id}/fire", headers=admin)
    assert again.status_code == 404  # it fired: nothing waits any more
    [entry] = _audit(any_app, "timer.fire")
    assert (entry.username, entry.case_id, entry.detail["timer"], entry.detail["element"]) == (
        "admin", case_id, timer_id, ELEMENT)


def test_an_admin_reschedules_a_timer_with_a_reason(any_app, bearer):
    case_id, timer_id = waiting_case(any_app, "P3D")
    client = any_app.test_client()
    admin, anna = bearer(client, "admin"), bearer(client, "anna.ops")
    new_due = (datetime.now(UTC) + timedelta(days=8)).replace(microsecond=0)
    answer = client.post(f"/api/v1/timers/{timer_id}/reschedule", headers=admin,
                         json={"at": _iso(new_due), "reason": REASON})
    assert answer.status_code == 200, answer.get_json()
    assert datetime.fromisoformat(answer.get_json()["due_at"]) == new_due == _due(any_app, timer_id)
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()["timeline"]
    [moved] = [e for e in timeline if e["kind"] == "TimerRescheduled"]
    assert moved["after"]["due_at"] == new_due.isoformat() and moved["actor"] == "admin"
    [entry] = _audit(any_app, "timer.reschedule")
    assert entry.detail["due_at"] == new_due.isoformat() and REASON not in repr(entry.detail)


def test_bad_reschedules_are_refused_and_change_nothing(api_app, bearer):
    case_id, timer_id = waiting_case(api_app, "P3D")
    client = api_app.test_client()
    admin = bearer(client, "admin")
    before = (_due(api_app, timer_id), event_kinds(api_app, case_id))
    past = _iso(datetime.now(UTC) - timedelta(hours=1))
    future = _iso(datetime.now(UTC) + timedelta(days=1))
    for body, field in (({"at": past, "reason": "x"}, "at"), ({"at": "next friday", "reason": "x"}, "at"),
                        ({"at": "2026-13-01T09:00", "reason": "x"}, "at"), ({"at": future, "reason": " "}, "reason")):
        answer = client.post(f"/api/v1/timers/{timer_id}/reschedule", headers=admin, json=body)
        assert answer.status_code == 400, body
        assert field in answer.get_json()["fields"], answer.get_json()
    assert client.post(f"/api/v1/timers/{timer_id}/reschedule", headers=admin, json={"at": future}).status_code == 400
    assert (_due(api_app, timer_id), event_kinds(api_app, case_id)) == before
    assert _audit(api_app, "timer.reschedule") == []


def test_a_timer_of_a_cancelled_case_does_not_fire(api_app, bearer):
    case_id, timer_id = waiting_case(api_app, "P3D")
    client = api_app.test_client()
    admin = bearer(client, "admin")
    pathways = services(api_app)
    with pathways.store.unit_of_work(write=False) as uow:  # the row as the admin's page showed it
        row = uow.session.get(Timer, timer_id)
        kept = {"id": row.id, "case_id": row.case_id, "element_id": row.element_id, "due_at": row.due_at}
    pathways.engine.cancel_case(Actor("anna.ops"), case_id, "rezygnacja")
    gone = client.post(f"/api/v1/timers/{timer_id}/fire", headers=admin)
    assert gone.status_code == 404 and "not waiting" in gone.get_json()["message"]
    with pathways.store.unit_of_work() as uow:  # a row that outlived its case: a clear 409
        uow.session.add(Timer(**kept))
        uow.commit()
    kinds = event_kinds(api_app, case_id)
    refused = client.post(f"/api/v1/timers/{timer_id}/fire", headers=admin)
    assert refused.status_code == 409 and "is cancelled" in refused.get_json()["message"]
    assert event_kinds(api_app, case_id) == kinds and _audit(api_app, "timer.fire") == []


def test_who_may_see_and_act_on_timers(api_app, bearer):
    case_id, timer_id = waiting_case(api_app, "P3D")
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, FAR_ADMIN, OUTSIDER_AGENCY, ["admin"], PASSWORD, "Adam Daleki",
                check_policy=False)
    client = api_app.test_client()
    due = _due(api_app, timer_id)
    future = _iso(datetime.now(UTC) + timedelta(days=1))
    for user in ("anna.ops", "teresa.sup", OUTSIDER):  # case work and supervision are no admin work
        headers = bearer(client, user)
        assert client.get("/api/v1/timers", headers=headers).status_code == 403
        assert client.post(f"/api/v1/timers/{timer_id}/fire", headers=headers).status_code == 403
        assert client.post(f"/api/v1/timers/{timer_id}/reschedule", headers=headers,
                           json={"at": future, "reason": "x"}).status_code == 403
    assert "timers" in client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "anna.ops")).get_json()

    far = bearer(client, FAR_ADMIN)  # an admin of an agency outside the case: nothing tells the timer exists
    assert client.get("/api/v1/timers", headers=far).get_json() == []
    assert client.get(f"/api/v1/timers?case={case_id}", headers=far).get_json() == []
    unknown = "00000000-0000-4000-8000-000000000000"
    for path in (f"/api/v1/timers/{timer_id}/fire", f"/api/v1/timers/{unknown}/fire"):
        answer = client.post(path, headers=far)
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
        assert f"case {case_id}" not in answer.get_json()["message"]
    existing = client.post(f"/api/v1/timers/{timer_id}/reschedule", headers=far, json={"at": future, "reason": "x"})
    missing = client.post(f"/api/v1/timers/{unknown}/reschedule", headers=far, json={"at": future, "reason": "x"})
    assert existing.status_code == missing.status_code == 404
    assert existing.get_json()["message"].replace(timer_id, "?") == missing.get_json()["message"].replace(unknown, "?")
    assert client.get("/api/v1/timers").status_code == 401
    assert client.post(f"/api/v1/timers/{timer_id}/fire").status_code == 401
    assert _due(api_app, timer_id) == due and not review_open(api_app, case_id)  # untouched by every refusal
    denied = _audit(api_app, "access.denied")
    assert any(e.username == FAR_ADMIN and e.detail.get("attempted") == "timer.fire" for e in denied)
    assert any(e.username == "anna.ops" and e.detail.get("attempted") == "timer.list" for e in denied)
