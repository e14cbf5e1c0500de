"""The incidents page (Flask test client): listed for admins and supervisors, 403 for case
workers; an admin retries one, retries an element's, cancels a case with a reason; the case
page shows its open incidents; no case value anywhere; a foreign agency's admin sees nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import AuditEntry, Case, Incident
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER_AGENCY, _template_db, api_app  # noqa: F401 - fixtures
from tests.incident_fixtures import ELEMENT, KEY, SECRET, later, stuck_case  # noqa: F401 - fixture

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(app, username):
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    response = web.post("/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": CSRF.search(page).group(1)})
    assert response.status_code == 302
    return web


def _csrf(web, path="/incidents"):
    return CSRF.search(web.get(path).get_data(as_text=True)).group(1)


def _status(app, incident_id):
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.get(Incident, incident_id).status


@pytest.fixture
def stuck(api_app, later):  # noqa: F811
    return stuck_case(api_app, later)


def test_the_page_lists_open_incidents_for_admins_and_supervisors(api_app, stuck):  # noqa: F811
    case_id, incident_id = stuck
    for username in ("admin", "teresa.sup"):
        web = sign_in(api_app, username)
        response = web.get("/incidents")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert '<html lang="pl">' in page and "<h1>Incydenty</h1>" in page
        assert f'id="incident-{incident_id}"' in page and f'href="/cases/{case_id}"' in page
        assert "ValueError" in page and f"Podział zasiłku w ścieżce {KEY}" in page
        assert f'<code class="muted small">{ELEMENT}</code>' in page
        assert "skrypt lub wyrażenie" in page
        assert SECRET not in page and "1200" not in page
        assert 'href="/incidents"' in page  # in the main menu
        retry_button = f'action="/incidents/{incident_id}/retry"' in page
        assert retry_button == (username == "admin")  # the supervisor looks, does not act
    english = sign_in(api_app, "admin")
    english.post("/language", data={"lang": "en", "next": "/incidents", "csrf_token": _csrf(english)})
    page = english.get("/incidents").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Incidents</h1>" in page and "Retry all 1" in page
    assert f"Podział zasiłku in pathway {KEY}" in page and "script or expression" in page
    assert "No incidents" in english.get("/incidents?status=resolved").get_data(as_text=True)


@pytest.mark.parametrize("username", ["anna.ops", "ewa.pup", "marek.ngo"])
def test_case_workers_get_403(api_app, stuck, username):  # noqa: F811
    web = sign_in(api_app, username)
    assert web.get("/incidents").status_code == 403
    csrf = _csrf(web, "/inbox")
    assert web.post(f"/incidents/{stuck[1]}/retry", data={"csrf_token": csrf}).status_code == 403
    assert _status(api_app, stuck[1]) == "open"


def test_a_foreign_admin_sees_nothing(api_app, stuck):  # noqa: F811
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, "adam.far", OUTSIDER_AGENCY, ["admin"], PASSWORD, "Adam Daleki",
                check_policy=False)
    web = sign_in(api_app, "adam.far")
    page = web.get("/incidents").get_data(as_text=True)
    assert "Brak otwartych incydentów" in page and f"/cases/{stuck[0]}" not in page
    csrf = _csrf(web)
    assert web.post(f"/incidents/{stuck[1]}/retry", data={"csrf_token": csrf}).status_code == 404
    assert web.post(f"/incidents/{stuck[1]}/cancel-case", data={"csrf_token": csrf, "reason": "x"}).status_code == 404
    assert _status(api_app, stuck[1]) == "open"


def test_the_case_page_shows_its_incident(api_app, stuck):  # noqa: F811
    case_id, incident_id = stuck
    page = sign_in(api_app, "anna.ops").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sprawa czeka na administratora." in page and "Podział zasiłku: ValueError po 3 próbach" in page
    assert "Incydent przy Podział zasiłku: ValueError po 3 próbach" in page  # the timeline's entry
    assert f"#incident-{incident_id}" not in page  # a case worker gets no link to the admins' page
    admin_page = sign_in(api_app, "admin").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/incidents#incident-{incident_id}"' in admin_page


def test_an_admin_retries_and_cancels_from_the_page(api_app, stuck, later):  # noqa: F811
    case_id, incident_id = stuck
    web = sign_in(api_app, "admin")
    csrf = _csrf(web)
    assert web.post(f"/incidents/{incident_id}/retry", data={}).status_code == 400  # no CSRF token: refused
    done = web.post(f"/incidents/{incident_id}/retry", data={"csrf_token": csrf}, follow_redirects=True)
    assert done.status_code == 200
    assert "nie powiódł się ponownie (próba 4)" in done.get_data(as_text=True)
    _, second = stuck_case(api_app, later, household="trzy")  # a week later: sign in again
    web = sign_in(api_app, "admin")
    csrf = _csrf(web)
    element = web.post("/incidents/retry", data={"csrf_token": csrf, "element": ELEMENT, "key": KEY},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ponowiono 2 incydentów: rozwiązane 0, nadal otwarte 2." in element

    assert "Podaj powód" in web.post(f"/incidents/{incident_id}/cancel-case", data={"csrf_token": csrf, "reason": " "},
                                     follow_redirects=True).get_data(as_text=True)
    reason = "Pani wyprowadziła się z gminy"
    cancelled = web.post(f"/incidents/{incident_id}/cancel-case", data={"csrf_token": csrf, "reason": reason},
                         follow_redirects=True).get_data(as_text=True)
    assert f"Sprawa {case_id} anulowana" in cancelled and f'id="incident-{incident_id}"' not in cancelled
    assert f'id="incident-{second}"' in cancelled
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).status == "cancelled"
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action.like("incident.%"))).all()
    assert {e.action for e in entries} >= {"incident.retry", "incident.cancel_case", "incident.list"}
    assert all(reason not in repr(e.detail) for e in entries)
    again = web.post(f"/incidents/{incident_id}/retry", data={"csrf_token": csrf}, follow_redirects=True)
    assert "nie jest już otwarty" in again.get_data(as_text=True)
