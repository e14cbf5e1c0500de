"""A stored value that does not open (altered in the database, or sealed under a key gone from the
ring) reaches the user as a clear 500 with a reference, over the API and on the pages: no
traceback, no value; the server log has the reference and which key, nothing of the case."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Text, select, type_coerce, update

from pathways.base import sealing
from pathways.core import services
from pathways.store.models import CaseState
from tests.e2e.api_fixtures import _template_db, api_app, bearer, token  # noqa: F401
from tests.e2e.test_sensitive_case_events import ADDRESS, _run_to_completion
from tests.e2e.test_web_session import sign_in

Headers = Callable[[FlaskClient, str], dict[str, Any]]


def _tamper(app: Flask, case_id: int) -> None:
    """Flip one character of the sealed snapshot, as someone editing the database would."""
    store = services(app).store
    with store.unit_of_work() as uow:
        raw = uow.session.scalar(select(type_coerce(CaseState.state, Text)).where(CaseState.case_id == case_id))
        assert raw is not None and sealing.is_sealed(raw)
        middle = len(raw) // 2
        forged = raw[:middle] + ("A" if raw[middle] != "A" else "B") + raw[middle + 1:]
        uow.session.execute(update(CaseState).where(CaseState.case_id == case_id).values(
            state=type_coerce(forged, Text)))
        uow.commit()


def test_a_tampered_token_is_a_clear_500_with_a_reference(api_app: Flask, bearer: Headers,  # noqa: F811
                                                          caplog: pytest.LogCaptureFixture) -> None:
    case_id = _run_to_completion(api_app, bearer, "task")
    http = api_app.test_client()
    assert http.get(f"/api/v1/cases/{case_id}", headers=bearer(http, "marek.ngo")).status_code == 200
    _tamper(api_app, case_id)

    with caplog.at_level(logging.DEBUG):
        response = http.get(f"/api/v1/cases/{case_id}", headers=bearer(http, "marek.ngo"))
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "sealing_failed" and body["reference"] in body["message"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and ADDRESS not in text and "pw1:" not in text
    logged = [r for r in caplog.records if body["reference"] in r.getMessage()]
    assert logged and "altered or moved" in logged[0].getMessage() and "'test1'" in logged[0].getMessage()
    assert not any(ADDRESS in r.getMessage() or (r.exc_text and ADDRESS in r.exc_text) for r in caplog.records)

    web = api_app.test_client()
    sign_in(web, "marek.ngo")
    page = web.get(f"/cases/{case_id}")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "Traceback" not in html and ADDRESS not in html and "pw1:" not in html
    assert "Nie udało się odczytać zapisanych danych" in html  # the page's own words, in Polish
    reference = next(r.getMessage() for r in caplog.records if "could not be opened" in r.getMessage()
                     and r.getMessage() != logged[0].getMessage()).split("reference ")[1].split(")")[0]
    assert reference in html
