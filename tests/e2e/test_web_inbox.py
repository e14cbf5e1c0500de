"""The inbox page (Flask test client): tabs and counts, filters, sorting, paging, claiming, markers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.core import services
from pathways.store.models import Case, HumanTask
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401 - fixtures
from tests.e2e.test_web_session import csrf, sign_in


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    return api_app.test_client()


def page_of(web, path="/inbox"):
    response = web.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows(page):
    """The task rows of the inbox table: (task name, beneficiary) per row."""
    return re.findall(r'<th scope="row"><a href="/tasks/[^"]+">([^<]+)</a>.*?<span class="pseudonym">([^<]+)</span>',
                      page, re.S)


def open_task(app, element, beneficiary=None):
    """The first open task of an element (in the case of `beneficiary`): the row, detached."""
    with services(app).store.unit_of_work(write=False) as uow:
        query = select(HumanTask).join(Case, Case.id == HumanTask.case_id).where(
            HumanTask.element_id == element, HumanTask.status == "open")
        if beneficiary:
            query = query.where(Case.beneficiary == beneficiary)
        return uow.session.scalars(query.order_by(HumanTask.case_id)).first()


def test_the_inbox_needs_a_signed_in_user(web):
    response = web.get("/inbox")
    assert response.status_code == 302 and "/login?next=/inbox" in response.headers["Location"]


def test_the_social_worker_sees_her_tasks_with_tabs_counts_and_claim_buttons(web):
    sign_in(web, "anna.ops")
    page = page_of(web)
    assert rows(page) == [("Identyfikacja i diagnoza wstępna", "B-DEM2-KT"),
                          ("Identyfikacja i diagnoza wstępna", "B-DEM4-K4")]
    assert "Przyjęcie i skierowanie" in page and "Identyfikacja" in page  # pathway and stage
    assert re.search(r'aria-current="page"\s+class="tab">\s*Wszystkie moje zadania <span class="count">2</span>', page)
    assert re.search(r'Przejęte przeze mnie <span class="count">0</span>', page)
    assert re.search(r'Do przejęcia \(moje role\) <span class="count">2</span>', page)
    assert page.count(">Przejmij</button>") == 2
    assert "Normalny" in page and "bez terminu" in page  # priority and due date visible
    assert "B-DEM3-KY" not in page  # her part of that case is done; the others' tasks are not offered to her


def test_an_empty_inbox_says_what_to_do(api_app, web):  # noqa: F811 - fixture
    sign_in(web, "olga.far")
    page = page_of(web)
    assert "Skrzynka zadań jest pusta" in page and "Nowe zadania pojawią się tutaj" in page
    sign_in(web, "anna.ops")
    page = page_of(web, "/inbox?view=mine")
    assert "Nie masz przejętych zadań" in page and 'href="/inbox?view=unclaimed"' in page


def test_filters_by_text_pathway_and_stage(web):
    sign_in(web, "anna.ops")
    assert rows(page_of(web, "/inbox?q=b-dem4")) == [("Identyfikacja i diagnoza wstępna", "B-DEM4-K4")]
    assert len(rows(page_of(web, "/inbox?pathway=intake_referral&stage=Identyfikacja"))) == 2
    page = page_of(web, "/inbox?pathway=senior_care")
    assert rows(page) == [] and "Żadne zadanie nie pasuje do filtrów" in page and "Wyczyść filtry" in page
    page = page_of(web, "/inbox?pathway=intake_referral")
    assert '<option value="intake_referral" selected>' in page
    assert '<option value="Interwencja kryzysowa"' in page  # the stages of the chosen pathway


def test_sorting_and_paging(web):
    sign_in(web, "anna.ops")
    assert [b for _, b in rows(page_of(web, "/inbox?sort=created&order=desc"))] == ["B-DEM4-K4", "B-DEM2-KT"]
    page = page_of(web, "/inbox?sort=created&order=asc")
    assert [b for _, b in rows(page)] == ["B-DEM2-KT", "B-DEM4-K4"]
    assert 'aria-sort="ascending"><a href="/inbox?sort=created&amp;order=desc">' in page
    page = page_of(web, "/inbox?sort=created&per_page=1")
    assert [b for _, b in rows(page)] == ["B-DEM2-KT"] and "1–1 z 2" in page
    assert re.search(r'href="/inbox\?sort=created&amp;page=2"[^>]*rel="next"|rel="next"', page)
    page = page_of(web, "/inbox?sort=created&per_page=1&page=2")
    assert [b for _, b in rows(page)] == ["B-DEM4-K4"] and "2–2 z 2" in page


def test_nonsense_parameters_show_the_default_inbox(web):
    sign_in(web, "anna.ops")
    assert len(rows(page_of(web, "/inbox?view=bogus&page=-3&per_page=x&sort=evil&order=up"))) == 2


def test_claim_from_the_list_with_one_post(api_app, web):  # noqa: F811 - fixture
    sign_in(web, "anna.ops")
    task = open_task(api_app, "identify", "B-DEM2-KT")
    response = web.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf(web, "/inbox"), "next": "/inbox?q=B-DEM"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox?q=B-DEM")
    page = page_of(web, "/inbox?q=B-DEM")
    assert "Przejęto zadanie „Identyfikacja i diagnoza wstępna”." in page
    assert "Przejęte przez Ciebie" in page and page.count(">Przejmij</button>") == 1
    assert re.search(r'Przejęte przeze mnie <span class="count">1</span>', page)
    assert rows(page_of(web, "/inbox?view=mine")) == [("Identyfikacja i diagnoza wstępna", "B-DEM2-KT")]


def test_a_claim_needs_the_csrf_token(api_app, web):  # noqa: F811 - fixture
    sign_in(web, "anna.ops")
    task = open_task(api_app, "identify")
    assert web.post(f"/tasks/{task.id}/claim").status_code == 400
    assert "Przejęte przez Ciebie" not in page_of(web)


def test_claiming_a_task_someone_else_took_says_so(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "psych_diagnosis")
    other = api_app.test_client()
    sign_in(other, "piotr.ops")
    other.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf(other, "/inbox")})
    sign_in(web, "piotr.ops")  # the same user claiming again: a no-op
    assert web.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf(web, "/inbox")}).status_code == 302
    sign_in(web, "anna.ops")  # not offered: 403 page
    response = web.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf(web, "/inbox")})
    assert response.status_code == 403 and "Brak uprawnień" in response.get_data(as_text=True)


def test_overdue_rows_are_marked_in_colour_and_text_and_due_today_too(api_app, web):  # noqa: F811 - fixture
    task = open_task(api_app, "crisis_intervention")
    due = task.due_at.replace(tzinfo=clock.now().tzinfo) if task.due_at.tzinfo is None else task.due_at
    frozen = clock.FrozenClock(due - timedelta(seconds=1)).install()
    try:
        sign_in(web, "marek.ngo")  # on the frozen clock: the session's idle time counts from there
        page = page_of(web)
        assert '<tr class="due-today">' in page and ">Dziś</span>" in page
        assert re.search(r'Termin dziś <span class="count">1</span>', page)
        frozen.advance(seconds=2)
        page = page_of(web)
        assert '<tr class="overdue">' in page and "⚠ Po terminie" in page
        assert re.search(r'Po terminie <span class="count">1</span>', page)
        assert rows(page_of(web, "/inbox?view=overdue")) == [("Interwencja kryzysowa", "B-DEM3-KY")]
    finally:
        clock.set_source(None)


def test_the_inbox_in_english(web):
    sign_in(web, "anna.ops")
    web.post("/language", data={"lang": "en", "next": "/inbox", "csrf_token": csrf(web, "/inbox")})
    page = page_of(web)
    assert "All my tasks" in page and ">Claim</button>" in page and "no due date" in page


@pytest.mark.parametrize("username", ["teresa.sup", "olga.far"])
def test_users_without_the_role_or_the_case_see_no_task(web, username):
    sign_in(web, username)
    assert rows(page_of(web)) == []


def test_the_inbox_on_both_databases(any_app):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web, "ewa.pup")
    assert "Skrzynka zadań jest pusta" in page_of(web)
    sign_in(web, "marek.ngo")
    page = page_of(web)
    assert rows(page) == [("Interwencja kryzysowa", "B-DEM3-KY")]
    assert "Wysoki" in page  # priority 80
    task = open_task(any_app, "crisis_intervention")
    web.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf(web, "/inbox"), "next": "/inbox"})
    assert rows(page_of(web, "/inbox?view=mine")) == [("Interwencja kryzysowa", "B-DEM3-KY")]
