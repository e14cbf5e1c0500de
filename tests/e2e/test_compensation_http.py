"""Compensation after a cancelled internship, over HTTP: the labour office books an internship place and
the transport, the internship is cancelled, and the bookings are undone in reverse order: each undoing
task reaches the inbox of its lane's role, the next only after the one before, then the case goes on.
Who may see or do what: only the role of a handler's lane at a participating agency; no one else."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.tasks.accounts import create_user
from tests.helpers import FIXTURES

pytest_plugins = ["tests.e2e.api_fixtures"]

ORGANISER = "iza.pup"  # the labour office's internship organiser (Ewa is its job broker: the employer liaison)


class Worker:
    def __init__(self, http: FlaskClient, headers: dict[str, Any]) -> None:
        self.http, self.headers = http, headers

    def inbox(self, case_id: int) -> list[str]:
        response = self.http.get("/api/v1/tasks", headers=self.headers, query_string={"case_id": case_id})
        assert response.status_code == 200, response.get_json()
        return [t["element"] for t in response.get_json()["items"]]

    def task_id(self, case_id: int, element: str) -> str:
        response = self.http.get("/api/v1/tasks", headers=self.headers, query_string={"case_id": case_id})
        return next(t["id"] for t in response.get_json()["items"] if t["element"] == element)

    def complete(self, case_id: int, element: str, data: dict[str, Any] | None = None) -> Any:
        task = self.task_id(case_id, element)
        response = self.http.post(f"/api/v1/tasks/{task}/complete", headers=self.headers, json={"data": data or {}})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def _setup(app: Flask, bearer) -> tuple[Worker, Worker, Worker, int]:
    pathways = services(app)
    pathways.deploy([FIXTURES / "c17_internship.bpmn"])
    create_user(pathways.store, pathways.roles, ORGANISER, "pup-bartoszyce", ["pup.internship_organiser"], PASSWORD,
                "Izabela Staż", check_policy=False)
    http = app.test_client()
    ewa, iza, olga = (Worker(http, bearer(http, name)) for name in ("ewa.pup", ORGANISER, "olga.far"))
    response = http.post("/api/v1/cases", headers=ewa.headers, json={"pathway": "c17_internship",
                                                                      "agencies": ["pup-bartoszyce"]})
    assert response.status_code == 201, response.get_json()
    return ewa, iza, olga, response.get_json()["id"]


def test_cancelled_internship_undoes_the_bookings_in_reverse_order(any_app: Flask, bearer) -> None:
    """On SQLite and PostgreSQL."""
    ewa, iza, olga, case = _setup(any_app, bearer)
    assert ewa.inbox(case) == ["book_place"] and iza.inbox(case) == []
    ewa.complete(case, "book_place", {"employer": "Piekarnia Mazurska"})
    iza.complete(case, "book_transport", {"allowance": 150})
    iza.complete(case, "review", {"internship_cancelled": True})

    # the transport was booked last: undone first, by the organiser; the place waits its turn
    assert iza.inbox(case) == ["cancel_transport"] and ewa.inbox(case) == [] and olga.inbox(case) == []
    iza.complete(case, "cancel_transport", {"transport_cancelled": True})
    # then the employer liaison cancels the place; the path after the throw has not started yet
    assert ewa.inbox(case) == ["cancel_place"] and iza.inbox(case) == []
    detail = ewa.http.get(f"/api/v1/tasks/{ewa.task_id(case, 'cancel_place')}", headers=ewa.headers).get_json()
    assert detail["name"] == "Odwołaj rezerwację miejsca stażu" and detail["status"] == "open"
    assert [f["id"] for f in detail["form"]["fields"]] == ["place_cancelled"]  # the handler's own form
    assert detail["case"]["data"]["transport_cancelled"] is True  # what the handler before it recorded
    done = ewa.complete(case, "cancel_place", {"place_cancelled": True})
    assert done["case_status"] == "active"
    assert iza.inbox(case) == ["other_offer"]  # the case goes on after the handlers
    assert iza.complete(case, "other_offer")["case_status"] == "completed"

    timeline = ewa.http.get(f"/api/v1/cases/{case}", headers=ewa.headers).get_json()["timeline"]
    completed = [e["element"] for e in timeline if e["kind"] == "TaskCompleted"]
    assert completed[-3:] == ["cancel_transport", "cancel_place", "other_offer"]


def test_handler_tasks_obey_the_usual_rules(api_app: Flask, bearer) -> None:
    """A handler task is an ordinary human task: a foreign agency's worker does not see it and may not
    complete it; a worker of the case's agency without the lane's role sees nothing in the inbox and is refused."""
    ewa, iza, olga, case = _setup(api_app, bearer)
    ewa.complete(case, "book_place")
    iza.complete(case, "book_transport")
    iza.complete(case, "review", {"internship_cancelled": True})
    task = iza.task_id(case, "cancel_transport")
    for worker, status in ((olga, 404), (ewa, 403)):
        response = worker.http.post(f"/api/v1/tasks/{task}/complete", headers=worker.headers, json={"data": {}})
        assert response.status_code == status, response.get_json()
    assert iza.inbox(case) == ["cancel_transport"]  # nothing changed
    anonymous = iza.http.post(f"/api/v1/tasks/{task}/complete", json={"data": {}})
    assert anonymous.status_code == 401


def test_handler_task_on_the_web_pages(api_app: Flask, bearer) -> None:
    """The organiser's inbox page lists the undoing task, its page shows its form, the case page its diagram."""
    ewa, iza, _olga, case = _setup(api_app, bearer)
    ewa.complete(case, "book_place")
    iza.complete(case, "book_transport")
    iza.complete(case, "review", {"internship_cancelled": True})
    web = api_app.test_client()
    page = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert web.post("/login", data={"username": ORGANISER, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    inbox = web.get("/inbox").get_data(as_text=True)
    assert "Odwołaj dojazd i dodatek stażowy" in inbox and "Odwołaj rezerwację miejsca stażu" not in inbox
    task_page = web.get(f"/tasks/{iza.task_id(case, 'cancel_transport')}")
    assert task_page.status_code == 200 and "Dojazd odwołany" in task_page.get_data(as_text=True)
    case_page = web.get(f"/cases/{case}")
    assert case_page.status_code == 200 and "cancel_transport" in case_page.get_data(as_text=True)
