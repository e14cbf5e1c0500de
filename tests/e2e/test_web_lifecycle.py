"""The case page's lifecycle forms and the supervisor's stuck cases (Flask test client, Polish):
a stuck case shows why on its page and on the dashboard until the PUP is added; the coordinator
suspends, resumes, closes early and cancels (with a confirmation); a case worker gets 403, a
foreign agency's user 404; the inbox marks a suspended case's task."""

from __future__ import annotations

import re

from pathways.core import services
from pathways.privacy import participation
from pathways.reports.service import user_named
from pathways.store.models import Case
from tests.e2e.api_fixtures import OUTSIDER, _template_db, api_app  # noqa: F401 - fixtures
from tests.e2e.test_web_incidents import sign_in
from tests.incident_fixtures import later  # noqa: F401 - fixture
from tests.life_fixtures import NOTE, http_case

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PARTNERS = ("mops-bartoszyce", "pup-bartoszyce", "partnership")
STUCK = "Indywidualny plan działania: potrzebny jest urząd pracy (PUP); żaden nie uczestniczy w sprawie."


def _status(app, case_id):
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.get(Case, case_id).status


def _csrf(web, path):
    return CSRF.search(web.get(path).get_data(as_text=True)).group(1)


def test_a_stuck_case_shows_why_until_the_pup_is_added(api_app):  # noqa: F811
    case_id, job_plan = http_case(api_app)
    case_page = sign_in(api_app, "anna.ops").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sprawa utknęła" in case_page and STUCK in case_page
    dashboard = sign_in(api_app, "teresa.sup").get("/supervisor").get_data(as_text=True)
    assert "Sprawy, które utknęły" in dashboard and f'data-case="{case_id}"' in dashboard and STUCK in dashboard

    pathways = services(api_app)
    anna = user_named(pathways.store, "anna.ops")
    participation.add_agency(pathways.store, pathways.engine, anna, case_id, "pup-bartoszyce",
                             {"basis": "statute", "statute": "labour_market_act"}, "job plan")

    case_page = sign_in(api_app, "anna.ops").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sprawa utknęła" not in case_page
    dashboard = sign_in(api_app, "teresa.sup").get("/supervisor").get_data(as_text=True)
    assert f'data-case="{case_id}"' not in dashboard and "Żadna sprawa nie utknęła" in dashboard
    inbox = sign_in(api_app, "ewa.pup").get("/inbox").get_data(as_text=True)
    assert f"/tasks/{job_plan}" in inbox


def test_the_coordinator_suspends_resumes_and_cancels_from_the_case_page(api_app, later):  # noqa: F811
    case_id, job_plan = http_case(api_app, PARTNERS)
    path = f"/cases/{case_id}"
    worker = sign_in(api_app, "anna.ops")
    assert "Zawieszenie i zakończenie sprawy" not in worker.get(path).get_data(as_text=True)  # no forms for workers
    csrf = _csrf(worker, path)
    assert worker.post(f"{path}/cancel", data={"csrf_token": csrf, "reason": "duplicate",
                                               "confirm": "yes"}).status_code == 403
    outsider = sign_in(api_app, OUTSIDER)
    assert outsider.get(path).status_code == 404
    assert outsider.post(f"{path}/suspend", data={"csrf_token": _csrf(outsider, "/inbox")}).status_code == 404
    assert _status(api_app, case_id) == "active"

    web = sign_in(api_app, "teresa.sup")
    page = web.get(path).get_data(as_text=True)
    assert "Zawieszenie i zakończenie sprawy" in page and "Wyprowadzka" in page and 'value="moved_away"' in page
    csrf = _csrf(web, path)
    assert web.post(f"{path}/suspend", data={"note": NOTE}).status_code == 400  # no CSRF token
    suspended = web.post(f"{path}/suspend", data={"csrf_token": csrf, "note": NOTE}, follow_redirects=True)
    assert "Sprawa jest zawieszona: jej zadania i terminy czekają do wznowienia." in suspended.get_data(as_text=True)
    assert "Sprawa jest zawieszona." in suspended.get_data(as_text=True)
    assert _status(api_app, case_id) == "suspended"
    inbox = sign_in(api_app, "ewa.pup").get("/inbox").get_data(as_text=True)
    assert "sprawa zawieszona" in inbox and "czeka na wznowienie sprawy" in inbox

    resumed = web.post(f"{path}/resume", data={"csrf_token": csrf, "timers": "shift"}, follow_redirects=True)
    assert "Sprawa jest znów aktywna." in resumed.get_data(as_text=True) and _status(api_app, case_id) == "active"

    unconfirmed = web.post(f"{path}/cancel", data={"csrf_token": csrf, "reason": "moved_away"},
                           follow_redirects=True).get_data(as_text=True)
    assert "Zaznacz pole potwierdzenia" in unconfirmed and _status(api_app, case_id) == "active"
    no_reason = web.post(f"{path}/cancel", data={"csrf_token": csrf, "reason": "", "confirm": "yes"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Wybierz powód z listy." in no_reason and _status(api_app, case_id) == "active"
    done = web.post(f"{path}/cancel", data={"csrf_token": csrf, "reason": "moved_away", "note": NOTE,
                                            "confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "Sprawa została anulowana." in done and _status(api_app, case_id) == "cancelled"
    assert "Zawieszenie i zakończenie sprawy" not in done  # nothing left to do with it
    assert "Sprawa anulowana" in done and "Wyprowadzka" in done and NOTE in done  # the timeline, for its readers
    again = web.post(f"{path}/cancel", data={"csrf_token": csrf, "reason": "moved_away", "confirm": "yes"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Stan sprawy już na to nie pozwala" in again


def test_an_admin_closes_a_case_early_with_an_allowed_outcome(api_app):  # noqa: F811
    case_id, _ = http_case(api_app, PARTNERS)
    path = f"/cases/{case_id}"
    web = sign_in(api_app, "admin")
    csrf = _csrf(web, path)
    wrong = web.post(f"{path}/close", data={"csrf_token": csrf, "outcome": "employed", "confirm": "yes"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Wybierz jeden z rezultatów" in wrong and _status(api_app, case_id) == "active"
    done = web.post(f"{path}/close", data={"csrf_token": csrf, "outcome": "exited", "confirm": "yes"},
                    follow_redirects=True).get_data(as_text=True)
    assert "Sprawa została zamknięta przed czasem." in done and _status(api_app, case_id) == "closed"
