"""A task form's limits over HTTP: a value on its `min`/`max`/`minlength`/`maxlength` completes the
task, one step beyond is refused with the field named (the API: 400 and `fields`; the task page: the
form again with the error summary), and the task stays open.

The pathway (tests/fixtures/form_limits.bpmn) has one task of the OPS social worker with a whole
number 1..12, a decimal 0.5..1500.75, a date in 2026, a reference of 3..8 characters and visit notes
(a text area) of 4..20 characters; no field is required, so each value is tried alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pathways.core import services
from pathways.engine.cases import Actor
from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, login, pg_app, token  # noqa: F401
from tests.e2e.test_web_inbox import open_task
from tests.e2e.test_web_session import csrf, sign_in
from tests.e2e.test_web_task import field_html
from tests.helpers import FIXTURES

Headers = Callable[[FlaskClient, str], dict[str, Any]]

AT_MIN = {"visits": 1, "allowance": 0.5, "visit_date": "2026-01-01", "reference": "ABC", "visit_notes": "abcd"}
AT_MAX = {"visits": 12, "allowance": 1500.75, "visit_date": "2026-12-31", "reference": "ABCDEFGH",
          "visit_notes": "Rozmowa z córką: ok."}  # 20 characters (22 bytes of UTF-8)

# (field, value one step beyond a limit, the API's message)
BEYOND = [
    ("visits", 0, "must be at least 1"),
    ("visits", 13, "must be at most 12"),
    ("allowance", math.nextafter(0.5, -math.inf), "must be at least 0.5"),
    ("allowance", math.nextafter(1500.75, math.inf), "must be at most 1500.75"),
    ("allowance", 1500.76, "must be at most 1500.75"),
    ("visit_date", "2025-12-31", "must be on or after 2026-01-01"),
    ("visit_date", "2027-01-01", "must be on or before 2026-12-31"),
    ("reference", "AB", "must be at least 3 characters"),
    ("reference", "ABCDEFGHI", "must be at most 8 characters"),
    ("visit_notes", "abc", "must be at least 4 characters"),
    ("visit_notes", AT_MAX["visit_notes"] + "!", "must be at most 20 characters"),
]
IDS = [f"{field}={value!r}" for field, value, _ in BEYOND]


def _task(app: Flask, beneficiary: str) -> tuple[int, str]:
    """A new case of the fixture pathway: (case id, the id of its one open task)."""
    pathways = services(app)
    pathways.deploy([FIXTURES / "form_limits.bpmn"])
    case_id = pathways.engine.start_case(Actor("anna.ops"), "form_limits", {}, ["mops-bartoszyce"], beneficiary)
    found = open_task(app, "record", beneficiary)
    assert found is not None
    return case_id, str(found.id)


def _as_posted(value: Any) -> str:
    """A value as a browser's form posts it (a decimal with a comma, as Polish keyboards type it)."""
    return repr(value).replace(".", ",") if isinstance(value, float) else str(value)


# -- the API ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [AT_MIN, AT_MAX], ids=["min", "max"])
def test_the_api_completes_a_task_with_every_value_on_its_limit(any_app: Flask, bearer: Headers,  # noqa: F811
                                                                values: dict[str, Any]) -> None:
    """On SQLite and PostgreSQL; the values are stored as sent."""
    case_id, task_id = _task(any_app, "BEN-LIM")
    http = any_app.test_client()
    anna = bearer(http, "anna.ops")
    response = http.post(f"/api/v1/tasks/{task_id}/complete", headers=anna, json={"data": values})
    assert response.status_code == 200, response.get_json()
    case = http.get(f"/api/v1/cases/{case_id}", headers=anna).get_json()
    assert case["status"] == "completed"
    assert {k: case["data"][k] for k in values} == values


@pytest.mark.parametrize("field", list(AT_MAX))
@pytest.mark.parametrize("values", [AT_MIN, AT_MAX], ids=["min", "max"])
def test_the_api_accepts_one_value_on_its_limit_alone(api_app: Flask, bearer: Headers,  # noqa: F811
                                                      values: dict[str, Any], field: str) -> None:
    _, task_id = _task(api_app, "BEN-ONE")
    http = api_app.test_client()
    response = http.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer(http, "anna.ops"),
                         json={"data": {field: values[field]}})
    assert response.status_code == 200, response.get_json()


def test_the_api_refuses_each_value_one_step_beyond_its_limit(api_app: Flask, bearer: Headers) -> None:  # noqa: F811
    _, task_id = _task(api_app, "BEN-OFF")
    http = api_app.test_client()
    anna = bearer(http, "anna.ops")
    for field, value, message in BEYOND:
        response = http.post(f"/api/v1/tasks/{task_id}/complete", headers=anna, json={"data": {field: value}})
        assert response.status_code == 400, (field, value, response.get_json())
        body = response.get_json()
        assert body["code"] == "invalid_data" and body["fields"] == {field: message}, (field, value)
        # the same value beside valid ones: still only this field is named
        response = http.post(f"/api/v1/tasks/{task_id}/complete", headers=anna,
                             json={"data": {**AT_MAX, field: value}})
        assert response.status_code == 400 and response.get_json()["fields"] == {field: message}
    task = http.get(f"/api/v1/tasks/{task_id}", headers=anna).get_json()
    assert task["status"] == "open"  # nothing was written


# -- the task page ----------------------------------------------------------------------------------

def _post(web: FlaskClient, task_id: str, data: dict[str, str]) -> Any:
    return web.post(f"/tasks/{task_id}/complete", data={"csrf_token": csrf(web, f"/tasks/{task_id}"), **data})


@pytest.mark.parametrize("values", [AT_MIN, AT_MAX], ids=["min", "max"])
def test_the_task_page_completes_a_task_with_every_value_on_its_limit(api_app: Flask,  # noqa: F811
                                                                      values: dict[str, Any]) -> None:
    case_id, task_id = _task(api_app, "BEN-WEB")
    web = api_app.test_client()
    sign_in(web, "anna.ops")
    response = _post(web, task_id, {k: _as_posted(v) for k, v in values.items()})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/inbox")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Zakończona" in page and values["reference"] in page and values["visit_notes"] in page


def test_the_task_page_counts_a_line_break_in_notes_as_one_character(api_app: Flask) -> None:  # noqa: F811
    """A browser checks a text area's maxlength with line breaks as one character and posts them as
    CR LF: notes of exactly the maximum with line breaks must not come back as too long."""
    case_id, task_id = _task(api_app, "BEN-CRLF")
    web = api_app.test_client()
    sign_in(web, "anna.ops")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'maxlength="20"' in field_html(page, "visit_notes") and "<textarea" in field_html(page, "visit_notes")
    notes = "Wizyta\ndomowa\ndobrze"  # 20 characters as the browser counts them
    assert len(notes) == 20
    response = _post(web, task_id, {"visit_notes": notes.replace("\n", "\r\n")})
    assert response.status_code == 302, re.findall(r'class="field-error"[^<]*<[^<]*</span>[^<]*',
                                                   response.get_data(as_text=True))
    http = api_app.test_client()
    case = http.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {login(http, 'anna.ops')}"})
    assert case.get_json()["data"]["visit_notes"] == notes  # stored with the line breaks a browser counts


@pytest.mark.parametrize(("field", "value", "message"), BEYOND, ids=IDS)
def test_the_task_page_refuses_a_value_one_step_beyond_its_limit(api_app: Flask, field: str,  # noqa: F811
                                                                 value: Any, message: str) -> None:
    _, task_id = _task(api_app, "BEN-WOFF")
    web = api_app.test_client()
    sign_in(web, "anna.ops")
    posted = {k: _as_posted(v) for k, v in {**AT_MAX, field: value}.items()}
    response = _post(web, task_id, posted)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Pola do poprawienia: 1" in page and f'href="#in-{field}"' in page
    html = field_html(page, field)
    assert 'aria-invalid="true"' in html and f'<p class="field-error" id="error-{field}">' in html
    assert posted[field] in html  # the value is kept for correcting
    others = [f for f in AT_MAX if f != field and 'class="field-error"' in field_html(page, f)]
    assert others == []
    assert "jeszcze nikt" in web.get(f"/tasks/{task_id}").get_data(as_text=True)  # still open, unclaimed
