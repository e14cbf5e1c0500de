"""The task page (Flask test client): the generated form, validation in the page's language, the
commands shown only when allowed, comments, hidden sensitive values, 403/404 pages."""

from __future__ import annotations

import re

import pytest

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.tasks.accounts import create_user
from pathways.web import task as task_page
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401 - fixtures
from tests.e2e.test_web_inbox import open_task
from tests.e2e.test_web_session import csrf, sign_in


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    return api_app.test_client()


def get(web, path, status=200):
    response = web.get(path)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def post(web, path, data, page="/inbox"):
    return web.post(path, data={"csrf_token": csrf(web, page), **data})


def field_html(page, field_id):
    """The markup of one form field (its wrapper div)."""
    found = re.search(rf'<div class="form-field[^"]*" id="field-{field_id}">(.*?)\n</div>', page, re.S)
    assert found, field_id
    return found.group(1)


def complete(web, task_id, data):
    return post(web, f"/tasks/{task_id}/complete", data, f"/tasks/{task_id}")


INTAKE = {"needs_crisis_support": ["false", "true"], "risk_level": "high", "intake_date": "2026-11-20",
          "notes": "Zgłoszenie z punktu konsultacyjnego"}


def test_the_form_is_generated_from_the_bpmn(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "identify")
    sign_in(web, "anna.ops")
    page = get(web, f"/tasks/{task.id}")
    assert "<h1>Identyfikacja i diagnoza wstępna</h1>" in page
    assert 'type="checkbox" id="in-needs_crisis_support" name="needs_crisis_support" value="true"' in page
    risk = field_html(page, "risk_level")
    assert '<select id="in-risk_level" name="risk_level"' in risk and '<option value="high" >Wysoki</option>' in risk
    date = field_html(page, "intake_date")
    assert 'type="date"' in date and "required" in date and '<span class="req" aria-hidden="true">*</span>' in date
    assert "(wymagane)" in date
    assert "<textarea" in field_html(page, "notes")  # an id with "notes": several lines
    assert 'novalidate' in page and ">Zakończ zadanie</button>" in page and ">Przejmij</button>" in page
    # the case beside the form, with a link to the case page
    assert "B-DEM2-KT" in page and "Miejski Ośrodek Pomocy Społecznej w Bartoszycach" in page
    assert "Fundacja Pomocy Wzajemnej" in page and f'href="/cases/{task.case_id}"' in page


def test_an_invalid_value_shows_its_message_beside_the_field_and_keeps_the_values(api_app, web):  # noqa: F811
    task = open_task(api_app, "identify")
    sign_in(web, "anna.ops")
    response = complete(web, task.id, {**INTAKE, "intake_date": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    date = field_html(page, "intake_date")
    assert 'aria-invalid="true"' in date and 'aria-describedby="error-intake_date"' in date
    assert '<p class="field-error" id="error-intake_date"><span aria-hidden="true">⚠</span> To pole jest wymagane.' \
        in date
    assert "Pola do poprawienia: 1" in page and 'href="#in-intake_date"' in page
    assert '<option value="high" selected>Wysoki</option>' in page  # values kept
    assert ">Zgłoszenie z punktu konsultacyjnego</textarea>" in page
    assert 'value="true" checked' in field_html(page, "needs_crisis_support")
    # nothing was written: the task is still open and unclaimed
    assert "jeszcze nikt" in get(web, f"/tasks/{task.id}")


def test_validation_messages_follow_the_page_language(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "psych_diagnosis")
    sign_in(web, "piotr.ops")
    page = get(web, f"/tasks/{task.id}")
    hours = field_html(page, "hours")
    assert 'type="number"' in hours and 'step="1"' in hours and 'min="0"' in hours and 'max="20"' in hours
    assert "Od 0 do 20." in hours
    page = complete(web, task.id, {"hours": "25", "recommendation": "maybe"}).get_data(as_text=True)
    assert "Podaj wartość najwyżej 20." in field_html(page, "hours")
    assert "Wybierz jedną z opcji." in field_html(page, "recommendation")
    assert 'value="25"' in field_html(page, "hours")
    web.post("/language", data={"lang": "en", "next": "/inbox", "csrf_token": csrf(web, "/inbox")})
    page = complete(web, task.id, {"hours": "1.5"}).get_data(as_text=True)
    assert "Enter a whole number." in field_html(page, "hours") and "Fields to correct: 1" in page


def test_completing_returns_to_the_inbox_naming_the_task_and_what_opened_next(api_app, web):  # noqa: F811
    task = open_task(api_app, "identify", "B-DEM2-KT")
    sign_in(web, "anna.ops")
    response = complete(web, task.id, INTAKE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    page = get(web, "/inbox")
    assert "Zakończono zadanie „Identyfikacja i diagnoza wstępna”." in page
    assert "Następne zadania w sprawie B-DEM2-KT" in page
    assert "Interwencja kryzysowa" in page and "Diagnoza psychologiczna" in page
    assert "Zakończono zadanie" not in get(web, "/inbox")  # said once
    page = get(web, f"/tasks/{task.id}")  # a completed task: the values as text, no form
    assert "Zadanie zakończone" in page and "Zakończ zadanie" not in page and "<dd>Wysoki</dd>" in page
    assert "<dd>Tak</dd>" in page


def test_buttons_are_shown_only_when_allowed(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "psych_diagnosis")
    sign_in(web, "anna.ops")  # sees the case, does not hold the role
    page = get(web, f"/tasks/{task.id}")
    assert "Przejmij</button>" not in page and "Zakończ zadanie" not in page and "Przydziel" not in page
    assert "To zadanie należy do innych ról" in page and "Dodaj komentarz" in page
    sign_in(web, "piotr.ops")
    page = get(web, f"/tasks/{task.id}")
    assert ">Przejmij</button>" in page and "Zakończ zadanie" in page and "Zwolnij zadanie" not in page
    post(web, f"/tasks/{task.id}/claim", {})
    page = get(web, f"/tasks/{task.id}")
    assert "Przejęto zadanie „Diagnoza psychologiczna”." in page
    assert ">Przejmij</button>" not in page and "Zwolnij zadanie" in page and "<strong>Ty</strong>" in page
    sign_in(web, "anna.ops")
    assert "Zadanie przejął(-ęła) piotr.ops" in get(web, f"/tasks/{task.id}")
    sign_in(web, "piotr.ops")
    post(web, f"/tasks/{task.id}/unclaim", {})
    page = get(web, f"/tasks/{task.id}")
    assert "Zwolniono zadanie „Diagnoza psychologiczna”" in page and ">Przejmij</button>" in page


def test_assign_to_a_user_the_task_is_offered_to(api_app, web):  # noqa: F811 - fixture
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, "adam.ops", "mops-bartoszyce", ["ops.social_worker"], PASSWORD,
                "Adam Nowicki", check_policy=False)
    task = open_task(api_app, "identify", "B-DEM4-K4")
    sign_in(web, "anna.ops")
    page = get(web, f"/tasks/{task.id}")
    assignees = re.search(r'<select id="assignee" name="username">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)"', assignees) == ["adam.ops"]  # not herself, nor other roles
    response = post(web, f"/tasks/{task.id}/assign", {"username": "adam.ops"})
    assert response.status_code == 302
    page = get(web, f"/tasks/{task.id}")
    assert "przydzielono: adam.ops" in page and "Zakończ zadanie" not in page
    response = post(web, f"/tasks/{task.id}/assign", {"username": "anna.ops"})  # someone else holds it now
    assert "Ktoś inny przejął to zadanie" in get(web, response.headers["Location"])
    sign_in(web, "adam.ops")
    assert "B-DEM4-K4" in get(web, "/inbox?view=mine")
    response = post(web, f"/tasks/{task.id}/assign", {"username": "piotr.ops"})
    assert "nie pełni jego roli" in get(web, response.headers["Location"])


def test_completing_a_task_someone_else_claimed_meanwhile_is_a_message_not_an_error(api_app, web):  # noqa: F811
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, "adam.ops", "mops-bartoszyce", ["ops.social_worker"], PASSWORD,
                check_policy=False)
    task = open_task(api_app, "identify")
    sign_in(web, "anna.ops")
    token = csrf(web, f"/tasks/{task.id}")  # the form is open on her screen
    other = api_app.test_client()
    sign_in(other, "adam.ops")
    post(other, f"/tasks/{task.id}/claim", {})
    response = web.post(f"/tasks/{task.id}/complete", data={"csrf_token": token, **INTAKE})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task.id}")
    page = get(web, response.headers["Location"])
    assert "Ktoś inny przejął to zadanie lub zmienił sprawę wcześniej." in page and "adam.ops" in page


def test_comments_list_and_add(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "crisis_intervention")
    sign_in(web, "ewa.pup")  # another agency of the case: may read and comment
    response = post(web, f"/tasks/{task.id}/comments", {"text": "Klientka prosi o kontakt po 15:00"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#comments")
    sign_in(web, "marek.ngo")
    page = get(web, f"/tasks/{task.id}")
    assert "Ewa Wiśniewska" in page and "Klientka prosi o kontakt po 15:00" in page
    response = post(web, f"/tasks/{task.id}/comments", {"text": "   "})
    assert response.status_code == 400
    assert "Komentarz musi mieć od 1 do 4000 znaków." in response.get_data(as_text=True)


def test_sensitive_values_never_reach_a_page_of_a_role_that_may_not_see_them(api_app, web):  # noqa: F811
    psych = open_task(api_app, "psych_diagnosis")
    crisis = open_task(api_app, "crisis_intervention")
    sign_in(web, "piotr.ops")
    assert complete(web, psych.id, {"hours": "3", "psych_notes": "NOTATKA-TAJNA", "recommendation": "positive"}
                    ).status_code == 302
    sign_in(web, "marek.ngo")
    assert complete(web, crisis.id, {"hours": "5", "shelter_location": "ADRES-SCHRONIENIA", "outcome": "stabilised"}
                    ).status_code == 302
    sign_in(web, "piotr.ops")
    assert "NOTATKA-TAJNA" in get(web, f"/tasks/{psych.id}")  # the role that wrote it
    for username in ("anna.ops", "ewa.pup", "teresa.sup"):
        sign_in(web, username)
        for task_id in (psych.id, crisis.id):
            page = get(web, f"/tasks/{task_id}")
            assert "NOTATKA-TAJNA" not in page and "ADRES-SCHRONIENIA" not in page
        assert "Ukryte: dane wrażliwe" in get(web, f"/tasks/{psych.id}")
        page = get(web, "/inbox?view=all")
        assert "NOTATKA-TAJNA" not in page and "ADRES-SCHRONIENIA" not in page


def test_other_agencies_and_unknown_tasks_get_a_404_page(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "identify")
    sign_in(web, "olga.far")
    for path in (f"/tasks/{task.id}", "/tasks/no-such-task"):
        page = get(web, path, 404)
        assert "Nie znaleziono" in page and "Identyfikacja" not in page and "Traceback" not in page
    assert post(web, f"/tasks/{task.id}/claim", {}).status_code == 404
    assert post(web, f"/tasks/{task.id}/complete", INTAKE).status_code == 404
    assert post(web, f"/tasks/{task.id}/comments", {"text": "x"}).status_code == 404


def test_a_page_post_without_csrf_is_refused_with_a_page(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "identify")
    sign_in(web, "anna.ops")
    response = web.post(f"/tasks/{task.id}/complete", data=INTAKE)
    assert response.status_code == 400 and "<html" in response.get_data(as_text=True)
    assert "jeszcze nikt" in get(web, f"/tasks/{task.id}")


def test_an_unexpected_error_is_a_500_page_without_a_traceback(api_app, web, monkeypatch):  # noqa: F811
    task = open_task(api_app, "identify")
    sign_in(web, "anna.ops")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(task_page.work, "get_task", broken)
    response = web.get(f"/tasks/{task.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Coś poszło nie tak" in page and "secret internals" not in page


@pytest.mark.parametrize(("field", "message", "expected"), [
    ({"type": "long"}, "must be at least 0", "Enter a value of at least 0."),
    ({"type": "decimal"}, "must be a finite number", "Enter a number."),
    ({"type": "date"}, "must be on or after 2026-01-05", "Enter a date on or after Jan 5, 2026."),
    ({"type": "date"}, "must be a date as YYYY-MM-DD", "Enter a valid date."),
    ({"type": "string"}, "must be at most 200 characters", "Too long: the maximum number of characters is 200."),
    ({"type": "string"}, "must be at least 3 characters", "Too short: the minimum number of characters is 3."),
    ({"type": "boolean"}, "required", "Choose yes or no."),
    ({"type": "enum"}, "must be one of: a, b", "Choose one of the options."),
    ({"type": "string"}, "something new", "This value is not valid."),
])
def test_every_kind_of_service_message_has_a_page_message(api_app, field, message, expected):  # noqa: F811
    with api_app.test_request_context("/"):
        from flask import session
        session["lang"] = "en"
        assert task_page.field_error(field, message) == expected


@pytest.mark.parametrize(("field", "widget"), [
    ({"type": "string", "maxlength": 500, "id": "plan"}, "textarea"),
    ({"type": "string", "maxlength": 80, "id": "employer"}, "text"),
    ({"type": "string", "maxlength": None, "id": "visit_notes"}, "textarea"),
    ({"type": "boolean", "required": True}, "radio"),
    ({"type": "boolean", "required": False}, "checkbox"),
    ({"type": "decimal"}, "number"),
    ({"type": "date"}, "date"),
    ({"type": "enum"}, "select"),
    ({"type": "string", "readonly": True}, "readonly"),
    ({"type": "string", "redacted": True}, "redacted"),
])
def test_widgets_by_field_type(field, widget):
    full = {"id": "x", "required": False, "readonly": False, "redacted": False, "maxlength": None, **field}
    assert task_page.widget(full) == widget


def test_the_task_page_on_both_databases(any_app):  # noqa: F811 - fixture
    web = any_app.test_client()
    task = open_task(any_app, "identify", "B-DEM2-KT")
    sign_in(web, "anna.ops")
    assert complete(web, task.id, {**INTAKE, "intake_date": "20.11.2026"}).status_code == 400
    assert complete(web, task.id, INTAKE).status_code == 302
    assert "Następne zadania w sprawie B-DEM2-KT" in get(web, "/inbox")
