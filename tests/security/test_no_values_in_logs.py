"""Case data never appears in logs, whatever the logging level (GDPR art. 32; `pathways.base.logs`).

Every logger at DEBUG (the root, pathways', SpiffWorkflow's `spiff*`, SQLAlchemy's), a whole
pathway over HTTP with a sensitive value in the start data and another entered in a task, an
ordinary value, a comment, the task and case read back, and a script failing on the sensitive
value; then every captured record is searched whole: its message, its traceback, and every
attribute (SpiffWorkflow attaches task data as `extra` attributes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from pathways.core import services
from pathways.demo import PARTNERS
from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, person, pg_app, token  # noqa: F401
from tests.e2e.test_web_session import sign_in
from tests.helpers import FIXTURES, statute

ADDRESS = "Schronisko Przystań, ul. Ukryta 12"
MOVED_TO = "ul. Tajna 7, mieszkanie chronione"
PLACEMENT = "Hostel Caritas przy Zielonej"  # an ordinary value: case data all the same
COMMENT = "Klientka boi się byłego partnera"
VALUES = [ADDRESS, "Ukryta 12", MOVED_TO, "Tajna 7", PLACEMENT, "Caritas przy Zielonej", COMMENT, "byłego partnera"]
LOGGERS = ["", "pathways", "pathways.engine", "pathways.app", "spiff", "spiff.task", "spiff.workflow", "spiff.data",
           "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine", "werkzeug"]


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _text(record: logging.LogRecord) -> str:
    """All a handler could write of a record: formatted with its traceback, and every attribute."""
    return logging.Formatter().format(record) + "\n" + repr(record.__dict__)


def test_a_whole_pathway_at_debug_logs_no_case_value(any_app: Flask, bearer, captured: Everything) -> None:  # noqa: F811
    services(any_app).deploy([FIXTURES / "sensitive_start.bpmn", FIXTURES / "failing_sensitive.bpmn"])
    http = any_app.test_client()
    marek = bearer(http, "marek.ngo")
    ben = person(any_app, "ngo-bartoszyce")
    started = http.post("/api/v1/cases", headers=marek, json={
        "pathway": "sensitive_start", "agencies": PARTNERS, "beneficiary": ben, "bases": statute(*PARTNERS),
        "data": {"beneficiary_pseudonym": ben, "shelter_address": ADDRESS}})
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    (task,) = started.get_json()["open_tasks"]
    assert http.post(f"/api/v1/tasks/{task['id']}/comments", headers=marek, json={"text": COMMENT}).status_code == 201
    done = http.post(f"/api/v1/tasks/{task['id']}/complete", headers=marek,
                     json={"data": {"placement": PLACEMENT, "shelter_address": MOVED_TO}})
    assert done.status_code == 200, done.get_json()
    shown = http.get(f"/api/v1/cases/{case_id}", headers=marek)
    assert shown.status_code == 200 and MOVED_TO in shown.get_data(as_text=True)  # the values are there to leak
    assert http.get(f"/api/v1/tasks/{task['id']}", headers=marek).status_code == 200
    web = any_app.test_client()
    sign_in(web, "marek.ngo")
    assert PLACEMENT in web.get(f"/cases/{case_id}").get_data(as_text=True)

    failing = http.post("/api/v1/cases", headers=marek, json={
        "pathway": "failing_sensitive", "agencies": PARTNERS, "bases": statute(*PARTNERS)})
    (failing_task,) = failing.get_json()["open_tasks"]
    for mode in ("script", "condition"):
        refused = http.post(f"/api/v1/tasks/{failing_task['id']}/complete", headers=marek,
                            json={"data": {"shelter_address": ADDRESS, "mode": mode}})
        assert refused.status_code == 400 and refused.get_json()["code"] == "script_error"

    records = captured.records
    names = {r.name for r in records}
    assert any(n.startswith("spiff") for n in names) and "pathways.engine" in names  # the loggers did log
    assert any(n.startswith("sqlalchemy.engine") for n in names)
    assert any("Traceback" in _text(r) for r in records if r.name == "pathways.engine")  # the failures' frames
    for record in records:
        text = _text(record)
        for value in VALUES:
            assert value not in text, f"{value!r} logged by {record.name}: {record.getMessage()[:200]}"
