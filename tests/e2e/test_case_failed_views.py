"""A case failed by an uncaught error end event, over HTTP: the API's case view (`status`, `failure`),
the case list filter, and the case page (status and the notice naming the element and the code)."""

from __future__ import annotations

import re

from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.store.models import HumanTask, User
from tests.helpers import FIXTURES

pytest_plugins = ["tests.e2e.api_fixtures"]


def _failed_case(app) -> int:
    pathways = services(app)
    pathways.deploy([FIXTURES / "e17_uncaught_error.bpmn"])
    with pathways.store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
    actor = Actor(anna.username, anna.id)
    case_id = pathways.engine.start_case(actor, "e17_uncaught_error", {"eligible": False}, ["mops-bartoszyce"])
    with pathways.store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == "check")).one()
    pathways.engine.complete_task(actor, task_id, {})
    return case_id


def test_api_case_view_shows_the_failure(api_app, client, bearer):
    case_id = _failed_case(api_app)
    headers = bearer(client, "anna.ops")
    body = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()
    assert body["status"] == "failed" and body["open_tasks"] == []
    assert {k: body["failure"][k] for k in ("element", "kind", "code")} == {
        "element": "not_eligible", "kind": "error", "code": "NOT_ELIGIBLE"}
    assert "CaseFailed" in [e["kind"] for e in body["timeline"]]
    listed = client.get("/api/v1/cases?status=failed", headers=headers).get_json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    other = client.get("/api/v1/cases/2", headers=headers).get_json()
    assert other["failure"] is None


def _sign_in(app, username):
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert web.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    return web


def test_case_page_and_list_show_a_failed_case(api_app):
    case_id = _failed_case(api_app)
    web = _sign_in(api_app, "anna.ops")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'status-failed' in page and "Zakończone błędem" in page
    assert "NOT_ELIGIBLE" in page and "Brak uprawnień" in page  # the code and the element's name
    assert "Sprawa zakończona błędem" in page  # the timeline's CaseFailed entry
    listing = web.get("/cases?status=failed").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in listing and "Zakończone błędem" in listing


def test_completing_the_task_that_fails_the_case_says_so_in_the_inbox(api_app):
    pathways = services(api_app)
    pathways.deploy([FIXTURES / "e17_uncaught_error.bpmn"])
    with pathways.store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
    case_id = pathways.engine.start_case(Actor(anna.username, anna.id), "e17_uncaught_error", {"eligible": False},
                                         ["mops-bartoszyce"])
    with pathways.store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == "check")).one()
    web = _sign_in(api_app, "anna.ops")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert web.post(f"/tasks/{task_id}/complete", data={"csrf_token": csrf}).status_code == 302
    inbox = web.get("/inbox").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in inbox and "nie przechwytuje" in inbox
