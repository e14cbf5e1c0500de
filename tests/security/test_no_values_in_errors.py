"""A failing script, condition, due date or timer never shows a case value to anyone.

Python's own error texts quote the data they failed on (`int('ul. Ukryta 12')` gives
"invalid literal for int() with base 10: 'ul. Ukryta 12'", a missing dict key gives the key).
The pathway tests/fixtures/failing_sensitive.bpmn reads its sensitive `shelter_address` in each
of those ways. The user who completes the task gets the element, the kind of error and a
reference; the full text, value included, goes only to the server log under that reference; and
nothing of the failed command is stored. A timer that fails while firing leaves a `TimerFailed`
event without the value. Runs on SQLite and PostgreSQL (`any_app`), over the API and the pages.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from pathways.core import services
from pathways.demo import PARTNERS
from pathways.engine.errors import ScriptError
from pathways.engine.runtime import CaseRuntime
from pathways.store.models import CaseEvent, HumanTask
from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, pg_app, token  # noqa: F401
from tests.e2e.test_web_session import csrf, sign_in
from tests.helpers import FIXTURES, load_definition, open_by_element, statute

ADDRESS = "ul. Ukryta 12"
REFERENCE = re.compile(r"reference ([0-9a-f]{8})")
FAILING = {  # mode -> the element that fails and the kind of error the user is told
    "script": ("parse_address", "ValueError"),
    "condition": ("route", "KeyError"),
}


def _case(app: Flask, bearer) -> tuple[int, str, dict]:  # noqa: F811
    services(app).deploy([FIXTURES / "failing_sensitive.bpmn"])
    http = app.test_client()
    marek = bearer(http, "marek.ngo")
    started = http.post("/api/v1/cases", headers=marek, json={
        "pathway": "failing_sensitive", "agencies": PARTNERS, "bases": statute(*PARTNERS)})
    assert started.status_code == 201, started.get_json()
    (task,) = started.get_json()["open_tasks"]
    return int(started.get_json()["id"]), task["id"], marek


def _stored_text(app: Flask, case_id: int) -> str:
    """Every stored event of the case, as text."""
    with services(app).store.unit_of_work(write=False) as uow:
        events = uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
        return repr([(e.kind, e.element_id, e.before, e.after) for e in events])


def _count(app: Flask, model, **where) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return uow.session.scalar(query)


@pytest.mark.parametrize("mode", sorted(FAILING))
def test_a_failing_script_or_condition_names_the_element_never_the_value(any_app, bearer, caplog, mode):  # noqa: F811
    case_id, task_id, marek = _case(any_app, bearer)
    events_before = _count(any_app, CaseEvent, case_id=case_id)
    http = any_app.test_client()
    with caplog.at_level(logging.ERROR, logger="pathways.engine"):
        response = http.post(f"/api/v1/tasks/{task_id}/complete", headers=marek,
                             json={"data": {"shelter_address": ADDRESS, "mode": mode}})
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    element, kind = FAILING[mode]
    assert body["code"] == "script_error"
    assert f"at {element}" in body["message"] and kind in body["message"], body["message"]
    assert ADDRESS not in response.get_data(as_text=True) and "Ukryta" not in response.get_data(as_text=True)
    # the server log has the details under the reference the user was given: the element, the kind
    # of error and the traceback's frames, never the value (`pathways.base.logs`)
    (reference,) = REFERENCE.findall(body["message"])
    (logged,) = [r for r in caplog.records if reference in r.getMessage()]
    formatted = logging.Formatter().format(logged)
    assert f"at {element}" in formatted and kind in formatted and "Traceback" in formatted
    assert ADDRESS not in formatted and "Ukryta" not in formatted
    # nothing of the failed completion is stored: the task is still open, no event was added
    assert _count(any_app, CaseEvent, case_id=case_id) == events_before
    assert ADDRESS not in _stored_text(any_app, case_id)
    assert _count(any_app, HumanTask, id=task_id, status="open") == 1


def test_a_due_date_computed_from_a_value_says_what_kind_of_value_not_which(any_app, bearer):  # noqa: F811
    case_id, task_id, marek = _case(any_app, bearer)
    response = any_app.test_client().post(f"/api/v1/tasks/{task_id}/complete", headers=marek,
                                          json={"data": {"shelter_address": ADDRESS, "mode": "due"}})
    assert response.status_code == 400, response.get_json()
    message = response.get_json()["message"]
    assert "due_from_address" in message and "a str" in message, message
    assert ADDRESS not in response.get_data(as_text=True)
    assert ADDRESS not in _stored_text(any_app, case_id)


def test_the_task_page_shows_the_failure_without_the_value(api_app, bearer):  # noqa: F811
    _case_id, task_id, _marek = _case(api_app, bearer)
    web = api_app.test_client()
    sign_in(web, "marek.ngo")
    page_url = f"/tasks/{task_id}"
    response = web.post(f"{page_url}/complete", data={
        "csrf_token": csrf(web, page_url), "shelter_address": ADDRESS, "mode": "script"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text[:500]
    assert "parse_address" in text and "ValueError" in text
    assert ADDRESS not in text and "Ukryta" not in text
    assert _count(api_app, HumanTask, id=task_id, status="open") == 1


def test_a_timer_that_fails_while_firing_records_no_value(any_app, bearer, frozen_clock):  # noqa: F811
    case_id, task_id, marek = _case(any_app, bearer)
    http = any_app.test_client()
    done = http.post(f"/api/v1/tasks/{task_id}/complete", headers=marek,
                     json={"data": {"shelter_address": ADDRESS, "mode": "timer"}})
    assert done.status_code == 200, done.get_json()
    pathways = services(any_app)
    frozen_clock.advance(hours=2)
    assert pathways.engine.fire_due_timers() == 0  # the script after the timer fails: the case does not advance
    with pathways.store.unit_of_work(write=False) as uow:
        (failed,) = uow.session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "TimerFailed")).all()
        assert failed.after["error"] == "ScriptError" and failed.after["elements"] == ["wait"]
        assert ADDRESS not in repr((failed.before, failed.after))
    # a partner who may not see the address reads the timeline: no trace of it in any event
    for user in ("anna.ops", "teresa.sup"):
        response = http.get(f"/api/v1/cases/{case_id}", headers=bearer(http, user))
        assert response.status_code == 200, (user, response.get_json())
        assert ADDRESS not in response.get_data(as_text=True), user
        assert any(e["kind"] == "TimerFailed" for e in response.get_json()["timeline"])


@pytest.mark.parametrize("script", [
    "raise NameError(shelter_address)",  # a NameError whose text is data, not a missing name
    "raise KeyError(shelter_address)",
    "text = f'{1:{shelter_address}}'",  # the sandbox refuses the evaluated spec: it must not quote it
    "text = '{0:' + shelter_address + '}'\nresult = text.format(1)",
])
def test_a_script_that_puts_the_value_in_its_own_error_shows_only_the_kind(frozen_clock, tmp_path, script):
    """Designer-made errors carrying a value, in a script worker: the message still has none."""
    bpmn = tmp_path / "failing_sensitive.bpmn"
    bpmn.write_text((FIXTURES / "failing_sensitive.bpmn").read_text(encoding="utf-8").replace(
        "house_number = int(shelter_address)", script.replace("'", "&apos;").replace("<", "&lt;"), 1),
        encoding="utf-8")
    runtime = CaseRuntime.start(load_definition("failing_sensitive", bpmn), {})
    digits = "85010112345"  # a PESEL-like value: also a valid format width
    with pytest.raises(ScriptError) as failed:
        runtime.complete(open_by_element(runtime)["record"].id, {"shelter_address": digits, "mode": "script"})
    assert "at parse_address" in failed.value.message
    assert digits not in failed.value.message and digits not in repr(failed.value.details), failed.value.message
