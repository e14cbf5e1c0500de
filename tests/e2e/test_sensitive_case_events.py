"""A sensitive value in a case's start data, or entered on its way, never reaches a role that may not
see it: not in the case data, and not in the timeline, where `CaseStarted` and `CaseCompleted` carry
the whole case data nested under `data` (over HTTP: the API and the case page).

The pathway (tests/fixtures/sensitive_start.bpmn) has one task of the NGO crisis interventionist
whose form marks `shelter_address` sensitive, also visible to the OPS psychologist. Every other
role of the partnership's agencies (OPS social worker, PUP, supervisor) gets the case without it.
Each response is searched whole for the value, not only under the keys where it is expected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.demo import PARTNERS
from pathways.store.models import Case
from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, person, pg_app, token  # noqa: F401
from tests.e2e.test_web_session import sign_in
from tests.helpers import FIXTURES, statute

Headers = Callable[[FlaskClient, str], dict[str, Any]]

ADDRESS = "Schronisko Przystań, ul. Ukryta 12"
MAY_SEE = ["marek.ngo", "piotr.ops"]  # the task's role; the role named in visible_to
MAY_NOT_SEE = ["anna.ops", "ewa.pup", "teresa.sup"]  # same agency as piotr; a partner agency; supervision


def _pseudonym(app: Flask, case_id: int) -> str:
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.get(Case, case_id).beneficiary  # type: ignore[union-attr]


def _run_to_completion(app: Flask, headers_of: Headers, source: str) -> int:
    """Start the case as the crisis interventionist and complete its one task; the address comes
    with the start data (`source="start"`) or is entered in the task (`source="task"`)."""
    services(app).deploy([FIXTURES / "sensitive_start.bpmn"])
    http = app.test_client()
    marek = headers_of(http, "marek.ngo")
    ben = person(app, "ngo-bartoszyce")
    start_data = {"beneficiary_pseudonym": ben, **({"shelter_address": ADDRESS} if source == "start" else {})}
    started = http.post("/api/v1/cases", headers=marek, json={
        "pathway": "sensitive_start", "data": start_data, "agencies": PARTNERS, "beneficiary": ben,
        "bases": statute(*PARTNERS)})
    assert started.status_code == 201, started.get_json()
    case_id = int(started.get_json()["id"])
    (task,) = started.get_json()["open_tasks"]
    task_data = {"placement": "hostel", **({"shelter_address": ADDRESS} if source == "task" else {})}
    done = http.post(f"/api/v1/tasks/{task['id']}/complete", headers=marek, json={"data": task_data})
    assert done.status_code == 200, done.get_json()
    return case_id


def _events(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in body["timeline"] if e["kind"] == kind]


@pytest.mark.parametrize("source", ["start", "task"])
def test_the_api_hides_a_sensitive_value_in_the_started_and_completed_events(any_app: Flask, bearer: Headers,  # noqa: F811
                                                                             source: str) -> None:
    """On SQLite and PostgreSQL: the value in the start data (in CaseStarted and CaseCompleted) or
    entered in the task (in TaskCompleted and CaseCompleted)."""
    case_id = _run_to_completion(any_app, bearer, source)
    http = any_app.test_client()
    for user in MAY_NOT_SEE:
        response = http.get(f"/api/v1/cases/{case_id}", headers=bearer(http, user))
        assert response.status_code == 200, (user, response.get_json())
        assert ADDRESS not in response.get_data(as_text=True), f"{user} was shown the shelter address"
        body = response.get_json()
        assert body["status"] == "completed" and body["hidden_fields"] == ["shelter_address"]
        # the events are there, with what the user may see, only the address is taken out
        (started,) = _events(body, "CaseStarted")
        ben = body["beneficiary"]
        assert started["after"] == {"data": {"beneficiary_pseudonym": ben}, "agencies": PARTNERS}
        (completed,) = _events(body, "CaseCompleted")
        assert completed["after"]["data"] == {"beneficiary_pseudonym": ben, "placement": "hostel"}
        assert _events(body, "TaskCompleted")[0]["after"] == {"placement": "hostel"}
    for user in MAY_SEE:
        body = http.get(f"/api/v1/cases/{case_id}", headers=bearer(http, user)).get_json()
        assert body["data"]["shelter_address"] == ADDRESS and body["hidden_fields"] == [], user
        assert _events(body, "CaseCompleted")[0]["after"]["data"]["shelter_address"] == ADDRESS
        in_start = _events(body, "CaseStarted")[0]["after"]["data"].get("shelter_address")
        in_task = _events(body, "TaskCompleted")[0]["after"].get("shelter_address")
        assert (in_start, in_task) == ((ADDRESS, None) if source == "start" else (None, ADDRESS))


@pytest.mark.parametrize("source", ["start", "task"])
def test_the_case_page_hides_a_sensitive_value_of_a_completed_case(api_app: Flask, bearer: Headers,  # noqa: F811
                                                                   source: str) -> None:
    case_id = _run_to_completion(api_app, bearer, source)
    for user in MAY_NOT_SEE:
        web = api_app.test_client()
        sign_in(web, user)
        response = web.get(f"/cases/{case_id}")
        assert response.status_code == 200, user
        page = response.get_data(as_text=True)
        assert ADDRESS not in page, f"{user} was shown the shelter address"
        assert "Ukryta 12" not in page and "Przystań" not in page  # nor a part of it
        assert _pseudonym(api_app, case_id) in page and "Potwierdź miejsce schronienia" in page  # the case is shown
        assert "ukryt" in page  # a note that something is hidden, not the value
    for user in MAY_SEE:
        web = api_app.test_client()
        sign_in(web, user)
        assert ADDRESS in web.get(f"/cases/{case_id}").get_data(as_text=True), user
