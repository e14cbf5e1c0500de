"""The timers page (Flask test client): admins list the waiting timers of their agency's cases,
filter them, fire one now and reschedule one with a reason (Polish time); case workers get 403;
an admin of an agency outside the case sees nothing and gets 404; the case page shows its timers
and the timeline says, in words, who fired or moved one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import AuditEntry, Timer
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER_AGENCY, _template_db, api_app  # noqa: F401 - fixtures
from tests.e2e.test_web_incidents import sign_in
from tests.timer_fixtures import ELEMENT, KEY, REASON, event_kinds, review_open, waiting_case

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(web, path="/timers"):
    return CSRF.search(web.get(path).get_data(as_text=True)).group(1)


def _due(app, timer_id):
    with services(app).store.unit_of_work(write=False) as uow:
        timer = uow.session.get(Timer, timer_id)
        return None if timer is None else timer.due_at.replace(tzinfo=UTC)


@pytest.fixture
def waiting(api_app):  # noqa: F811
    return waiting_case(api_app, "P3D")


def test_the_page_lists_timers_for_admins_in_polish_and_english(api_app, waiting):  # noqa: F811
    case_id, timer_id = waiting
    web = sign_in(api_app, "admin")
    response = web.get("/timers")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="pl">' in page and "<h1>Terminy</h1>" in page
    assert f'id="timer-{timer_id}"' in page and f'href="/cases/{case_id}"' in page
    assert "Termin kontroli" in page and f'<code class="muted small">{ELEMENT}</code>' in page
    assert f'action="/timers/{timer_id}/fire"' in page and f'action="/timers/{timer_id}/reschedule"' in page
    assert 'type="datetime-local"' in page and 'href="/timers"' in page  # in the main menu
    assert '<p class="timers-count" role="status">1 termin</p>' in web.get(f"/timers?pathway={KEY}").get_data(
        as_text=True)  # the demo cases wait on timers of their own
    assert "Brak oczekujących terminów" in web.get(f"/timers?pathway={KEY}&overdue=yes").get_data(as_text=True)
    assert f'id="timer-{timer_id}"' in web.get(f"/timers?pathway={KEY}&element={ELEMENT}").get_data(as_text=True)
    assert "Brak oczekujących" in web.get("/timers?element=other").get_data(as_text=True)
    web.post("/language", data={"lang": "en", "next": "/timers", "csrf_token": _csrf(web)})
    english = web.get(f"/timers?pathway={KEY}").get_data(as_text=True)
    assert '<html lang="en">' in english and "<h1>Timers</h1>" in english and "Fire now" in english
    assert '<p class="timers-count" role="status">1 timer</p>' in english and "Reschedule" in english


def test_an_admin_fires_a_timer_from_the_page(api_app, waiting):  # noqa: F811
    case_id, timer_id = waiting
    web = sign_in(api_app, "admin")
    done = web.post(f"/timers/{timer_id}/fire", data={"csrf_token": _csrf(web), "_pathway": KEY})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/timers?pathway={KEY}")
    assert f"Termin uruchomiony: sprawa {case_id} poszła dalej." in web.get(done.headers["Location"]).get_data(
        as_text=True)
    assert review_open(api_app, case_id) and "TimerFiredByHand" in event_kinds(api_app, case_id)
    case_page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Termin uruchomiony ręcznie: Termin kontroli" in case_page
    again = web.post(f"/timers/{timer_id}/fire", data={"csrf_token": _csrf(web)})
    assert again.status_code == 404


def test_an_admin_reschedules_a_timer_in_polish_time(api_app, waiting):  # noqa: F811
    case_id, timer_id = waiting
    web = sign_in(api_app, "admin")
    local = (datetime.now(clock.WARSAW) + timedelta(days=9)).replace(second=0, microsecond=0, tzinfo=None)
    done = web.post(f"/timers/{timer_id}/reschedule", data={
        "csrf_token": _csrf(web), "at": local.isoformat(timespec="minutes"), "reason": REASON})
    assert done.status_code == 302
    assert "przesunięty na" in web.get("/timers").get_data(as_text=True)
    assert _due(api_app, timer_id) == local.replace(tzinfo=clock.WARSAW).astimezone(UTC)
    case_page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Termin przesunięty: Termin kontroli" in case_page and REASON in case_page  # shown to the case's people
    with services(api_app).store.unit_of_work(write=False) as uow:
        [entry] = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "timer.reschedule")).all()
        assert entry.username == "admin" and REASON not in repr(entry.detail)


@pytest.mark.parametrize("at, reason, message", [
    ("2020-01-01T09:00", "powód", "Wybierz datę i godzinę w przyszłości."),
    ("jutro rano", "powód", "Wybierz datę i godzinę w przyszłości."),
    ("", "powód", "Wybierz datę i godzinę w przyszłości."),
    (f"{datetime.now(UTC).year + 1}-01-01T09:00", "  ", "Podaj powód przesunięcia terminu."),
])
def test_bad_reschedules_say_why_and_change_nothing(api_app, waiting, at, reason, message):  # noqa: F811
    case_id, timer_id = waiting
    web = sign_in(api_app, "admin")
    before = (_due(api_app, timer_id), event_kinds(api_app, case_id))
    done = web.post(f"/timers/{timer_id}/reschedule", data={"csrf_token": _csrf(web), "at": at, "reason": reason})
    assert done.status_code == 302
    assert message in web.get("/timers").get_data(as_text=True)
    assert (_due(api_app, timer_id), event_kinds(api_app, case_id)) == before


@pytest.mark.parametrize("username", ["anna.ops", "teresa.sup"])
def test_others_get_403(api_app, waiting, username):  # noqa: F811
    case_id, timer_id = waiting
    web = sign_in(api_app, username)
    assert web.get("/timers").status_code == 403
    assert 'href="/timers"' not in web.get("/inbox").get_data(as_text=True)
    csrf = CSRF.search(web.get("/inbox").get_data(as_text=True)).group(1)
    assert web.post(f"/timers/{timer_id}/fire", data={"csrf_token": csrf}).status_code == 403
    assert not review_open(api_app, case_id)
    if username == "anna.ops":  # the case page shows the timer to the case's workers, without the admin link
        page = web.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Termin kontroli" in page and f"#timer-{timer_id}" not in page


def test_a_foreign_admin_sees_nothing_and_gets_404(api_app, waiting):  # noqa: F811
    case_id, timer_id = waiting
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, "adam.far", OUTSIDER_AGENCY, ["admin"], PASSWORD, "Adam Daleki",
                check_policy=False)
    web = sign_in(api_app, "adam.far")
    page = web.get("/timers").get_data(as_text=True)
    assert timer_id not in page and "Brak oczekujących terminów" in page
    csrf = _csrf(web)
    assert web.post(f"/timers/{timer_id}/fire", data={"csrf_token": csrf}).status_code == 404
    assert web.post(f"/timers/{timer_id}/reschedule", data={
        "csrf_token": csrf, "at": f"{datetime.now(UTC).year + 1}-01-01T09:00", "reason": "x"}).status_code == 404
    assert not review_open(api_app, case_id) and _due(api_app, timer_id) is not None
