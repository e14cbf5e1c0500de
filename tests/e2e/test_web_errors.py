"""Error pages (pathways.web.errors): every page answers a domain error with the status of the
API's table (tasks/statuses.py) and a page in the user's language; an unexpected error is
logged and answered with a generic 500 page that shows nothing of it; API paths keep JSON."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound, TaskNotOpen
from pathways.store.models import HumanTask
from pathways.tasks import cases, definitions, inbox, work
from pathways.tasks.statuses import domain_status
from tests.e2e.test_web_cases import _sign_in

pytest_plugins = ["tests.e2e.api_fixtures"]

SECRET = "beneficiary BEN-SECRET at Tajna 7"  # what an exception might carry: never on the page

#: (status, a title in Polish, the same in English)
EXPECTED = {
    NotAllowed("no"): (403, "Brak uprawnień", "Not allowed"),
    NotFound("no"): (404, "Nie znaleziono", "Not found"),
    Conflict("no"): (409, "Ktoś inny był pierwszy", "Someone else was first"),
    TaskNotOpen("no"): (409, "Ktoś inny był pierwszy", "Someone else was first"),
    InvalidData("no"): (400, "Nieprawidłowe żądanie", "The request was not valid"),
    RuntimeError(SECRET): (500, "Coś poszło nie tak", "Something went wrong"),
}


def _a_task(app):
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask.id).where(HumanTask.status == "open").limit(1)).one()


#: page -> (user, the service the page calls that is made to fail)
PAGES = {
    "/inbox": ("anna.ops", inbox, "counts"),
    "/cases/1": ("anna.ops", cases, "case_view"),
    "/designer": ("admin", definitions, "list_versions"),
    "/supervisor": ("teresa.sup", __import__("pathways.reports", fromlist=["build"]), "build"),
    "/tasks/{task}": ("anna.ops", work, "get_task"),
}


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_a_failing_page_answers_its_status_with_a_page_in_the_users_language(api_app, monkeypatch, caplog,
                                                                             path, lang):
    user, module, name = PAGES[path]
    web = _sign_in(api_app, user, lang=lang if lang != "pl" else None)
    url = path.format(task=_a_task(api_app))
    assert web.get(url).status_code == 200
    for error, (status, polish, english) in EXPECTED.items():
        def fail(*_args, error=error, **_kwargs):
            raise error

        monkeypatch.setattr(module, name, fail)
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            response = web.get(url)
        page = response.get_data(as_text=True)
        assert (response.status_code, response.mimetype) == (status, "text/html"), (url, error)
        assert (polish if lang == "pl" else english) in page, (url, error)
        assert re.search(rf"(Błąd|Error) {status}", page)
        assert "Traceback" not in page and SECRET not in page
        if status == 500:
            assert [r for r in caplog.records if r.exc_text and type(error).__name__ in r.exc_text], \
                "the 500 was not logged"


def test_the_pages_and_the_api_read_one_table():
    for error, (status, _pl, _en) in EXPECTED.items():
        if not isinstance(error, RuntimeError):
            assert domain_status(error) == status


def test_real_refusals_on_the_pages(api_app):
    anna = _sign_in(api_app, "anna.ops", lang="en")
    for url, status in [("/designer", 403), ("/supervisor/pathways/intake_referral", 403), ("/cases/999999", 404),
                        ("/tasks/no-such-task", 404), ("/designer/intake_referral", 403), ("/no/such/page", 404)]:
        response = anna.get(url)
        assert (response.status_code, response.mimetype) == (status, "text/html"), url
        assert f"Error {status}" in response.get_data(as_text=True), url


def test_api_paths_keep_the_json_shape(api_app, monkeypatch):
    client = api_app.test_client()
    for url, status in [("/api/v1/no/such/route", 404), ("/api/v1/tasks", 401)]:
        response = client.get(url)
        assert response.status_code == status and response.get_json()["status"] == status, url
    assert client.delete("/api/v1/cases").get_json()["code"] == "method_not_allowed"
    monkeypatch.setattr(inbox, "inbox", lambda *a, **k: (_ for _ in ()).throw(RuntimeError(SECRET)))
    token = client.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "demo"}).get_json()["token"]
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and response.get_json()["code"] == "internal_error"
    assert SECRET not in response.get_data(as_text=True)


def test_a_diagram_the_renderer_cannot_draw_for_a_bug_is_a_500_not_no_layout(api_app, monkeypatch):
    """Only NoDiagram reads as "no layout"; any other error is a bug and surfaces (logged, 500)."""
    import pathways.diagram

    admin, anna = _sign_in(api_app, "admin", lang="en"), _sign_in(api_app, "anna.ops", lang="en")
    assert "<svg" in admin.get("/designer/intake_referral").get_data(as_text=True)
    monkeypatch.setattr(pathways.diagram, "render_svg", lambda *a, **k: (_ for _ in ()).throw(KeyError("x")))
    for web, url in ((admin, "/designer/intake_referral"), (anna, "/cases/1")):
        response = web.get(url)
        assert response.status_code == 500, url
        assert "no layout" not in response.get_data(as_text=True)


def test_a_file_without_a_layout_is_a_sentence_where_the_diagram_would_be(api_app, monkeypatch):
    import pathways.diagram
    from pathways.diagram import NoDiagram

    def no_layout(*_args, **_kwargs):
        raise NoDiagram("x.bpmn has no diagram for process 'p'")

    admin, anna = _sign_in(api_app, "admin", lang="en"), _sign_in(api_app, "anna.ops", lang="en")
    monkeypatch.setattr(pathways.diagram, "render_svg", no_layout)
    designer = admin.get("/designer/intake_referral")
    assert designer.status_code == 200 and "has no diagram layout" in designer.get_data(as_text=True)
    case = anna.get("/cases/1")
    assert case.status_code == 200 and "the file has no layout" in case.get_data(as_text=True)
