"""The case pages (Flask test client): the list with filters, sorting and paging, starting a case
from the form, one case (stages, tasks, timeline, measures, diagram), and what each user may see."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.store.models import Case, HumanTask, User
from tests.e2e.api_fixtures import person

pytest_plugins = ["tests.e2e.api_fixtures"]

SHELTER = "Schronisko przy ul. Tajnej 7"
PSYCH = "Lęk uogólniony, potrzebna terapia"


def _csrf(web, path):
    page = web.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _sign_in(app, username, lang=None):
    web = app.test_client()
    response = web.post("/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": _csrf(web, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)
    if lang:
        web.post("/language", data={"lang": lang, "next": "/cases", "csrf_token": _csrf(web, "/cases")})
    return web


def _complete(app, case_id, element, username, data):
    pathways = services(app)
    with pathways.store.unit_of_work(write=False) as uow:
        s = uow.session
        task_id = s.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id, HumanTask.element_id == element,
                                                       HumanTask.status == "open")).one()
        user = s.scalars(select(User).where(User.username == username)).one()
    pathways.engine.complete_task(Actor(user.username, user.id), task_id, data)


def _start(web, **form):
    data = {"pathway": "intake_referral", "beneficiary": "", "agencies": ["mops-bartoszyce"], **form,
            "csrf_token": _csrf(web, "/cases")}
    return web.post("/cases", data=data)


# -- the list ---------------------------------------------------------------------------------------

def test_list_shows_the_visible_cases_in_polish(api_app):
    page = _sign_in(api_app, "anna.ops").get("/cases").get_data(as_text=True)
    assert '<html lang="pl">' in page and "<h1>Sprawy</h1>" in page
    for name in ("B-DEM2-KT", "B-DEM3-KY", "B-DEM4-K4"):
        assert name in page
    assert "Przyjęcie i skierowanie" in page and "Interwencja kryzysowa" in page and "Aktywna" in page
    assert 'aria-sort="descending"' in page  # the default order: last change, newest first
    assert 'href="/cases/2"' in page
    assert "Rozpocznij sprawę" in page  # a case worker may start a case


def test_filters_sorting_and_paging(api_app):
    web = _sign_in(api_app, "anna.ops")
    page = web.get("/cases?q=b-dem3").get_data(as_text=True)
    assert "B-DEM3-KY" in page and "B-DEM2-KT" not in page
    page = web.get("/cases?stage=Identyfikacja").get_data(as_text=True)
    assert "B-DEM2-KT" in page and "B-DEM4-K4" in page and "B-DEM3-KY" not in page
    assert "B-DEM" not in web.get("/cases?status=completed").get_data(as_text=True)
    page = web.get("/cases?sort=beneficiary").get_data(as_text=True)
    assert page.index("B-DEM2-KT") < page.index("B-DEM3-KY") < page.index("B-DEM4-K4")
    page = web.get("/cases?sort=-beneficiary").get_data(as_text=True)
    assert page.index("B-DEM4-K4") < page.index("B-DEM3-KY") < page.index("B-DEM2-KT")
    # nonsense parameters fall back to the defaults instead of failing
    assert web.get("/cases?sort=evil&page=-3&status=xx").status_code == 200
    people = [person(api_app) for _ in range(30)]
    for ben in people:
        assert _start(web, beneficiary=ben).status_code == 302
    listed = sorted([*people, "B-DEM2-KT", "B-DEM3-KY", "B-DEM4-K4"])  # with the demo's three
    first = web.get("/cases?sort=beneficiary").get_data(as_text=True)
    second = web.get("/cases?sort=beneficiary&page=2").get_data(as_text=True)
    assert listed[0] in first and listed[24] in first and listed[25] not in first
    assert listed[25] in second and listed[32] in second and listed[0] not in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_an_agency_in_no_case_sees_an_empty_list_and_no_case(api_app):
    web = _sign_in(api_app, "olga.far")
    page = web.get("/cases").get_data(as_text=True)
    assert "B-DEM" not in page and "Brak spraw" in page
    assert web.get("/cases/1").status_code == 404


# -- starting a case ----------------------------------------------------------------------------------

def test_start_a_case_from_the_form(api_app):
    web = _sign_in(api_app, "anna.ops")
    form = web.get("/cases").get_data(as_text=True)
    # the user's own agency is preselected; every known agency is offered
    assert re.search(r'value="mops-bartoszyce"\s+checked', form)
    assert 'value="ngo-far-away"' in form
    ben = person(api_app)
    response = _start(web, beneficiary=ben)
    assert response.status_code == 302
    case_url = response.headers["Location"]
    page = web.get(case_url).get_data(as_text=True)
    assert ben in page and "Sprawa" in page and "Identyfikacja" in page
    assert "Fundacja Pomocy Wzajemnej" not in page and "Powiatowy Urząd Pracy" not in page
    # a name typed where the pseudonym goes starts nothing
    response = _start(web, beneficiary="Anna Kowalska")
    assert response.status_code == 400 and 'id="s-beneficiary-error"' in response.get_data(as_text=True)


def test_start_form_errors_are_shown_next_to_the_fields_and_values_kept(api_app):
    web = _sign_in(api_app, "anna.ops")
    response = _start(web, beneficiary="B-2222-22", agencies=["ngo-bartoszyce"])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="s-agencies-error"' in page and "Twoja instytucja musi brać udział w sprawie." in page
    assert re.search(r'value="ngo-bartoszyce"\s+checked', page)  # the choice is kept
    assert not re.search(r'value="mops-bartoszyce"\s+checked', page)
    ben = person(api_app)
    response = _start(web, pathway="no_such_pathway", beneficiary=ben)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="s-pathway-error"' in page and f'value="{ben}"' in page
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(Case).where(Case.beneficiary.in_(["", ben]))).first() is None


def test_a_supervisor_gets_no_start_form_and_may_not_start(api_app):
    web = _sign_in(api_app, "teresa.sup")
    page = web.get("/cases").get_data(as_text=True)
    assert "B-DEM2-KT" in page and 'id="start"' not in page
    assert _start(web, beneficiary="B-2222-22", agencies=["partnership"]).status_code == 403


def test_a_post_without_csrf_token_starts_nothing(api_app):
    web = _sign_in(api_app, "anna.ops")
    response = web.post("/cases", data={"pathway": "intake_referral", "beneficiary": "BEN-CSRF",
                                        "agencies": ["mops-bartoszyce"]})
    assert response.status_code == 400
    assert "BEN-CSRF" not in web.get("/cases").get_data(as_text=True)


# -- one case -------------------------------------------------------------------------------------------

def test_a_pup_user_gets_404_for_an_ngo_only_case(any_app):
    ngo = _sign_in(any_app, "marek.ngo")
    ben = person(any_app, "ngo-bartoszyce")
    response = _start(ngo, beneficiary=ben, agencies=["ngo-bartoszyce"])
    assert response.status_code == 302
    case_url = response.headers["Location"]
    assert ngo.get(case_url).status_code == 200
    pup = _sign_in(any_app, "ewa.pup")
    response = pup.get(case_url)
    assert response.status_code == 404
    assert ben not in response.get_data(as_text=True)
    assert ben not in pup.get("/cases").get_data(as_text=True)
    searched = pup.get(f"/cases?q={ben}").get_data(as_text=True)
    assert f'href="{case_url}"' not in searched and "Żadna sprawa nie pasuje do tych filtrów" in searched


def test_unknown_case_ids_are_404(api_app):
    web = _sign_in(api_app, "anna.ops")
    assert web.get("/cases/99999").status_code == 404
    assert web.get("/cases/99999999999999").status_code == 404
    assert web.get("/cases/abc").status_code == 404


def test_case_page_shows_stages_tasks_timeline_and_diagram(api_app):
    page = _sign_in(api_app, "anna.ops").get("/cases/2").get_data(as_text=True)
    assert "B-DEM3-KY" in page and "Przyjęcie i skierowanie" in page
    # stage history with the current stage
    stages = page[page.index('id="stages-title"'):page.index('id="tasks-title"')]
    assert stages.index("Identyfikacja") < stages.index("Interwencja kryzysowa") and "obecny" in stages
    # open tasks grouped by agency kind and role, each linking to its task page
    assert "NGO · Interwent kryzysowy" in page and "OPS · Psycholog" in page
    assert re.search(r'href="/tasks/[0-9a-f-]{36}">Interwencja kryzysowa</a>', page)
    # the timeline reads with the form's labels and option names, not field ids
    assert "Zadanie wykonane: Identyfikacja i diagnoza wstępna" in page
    assert "Poziom ryzyka" in page and "Wysoki" in page and "risk_level" not in page
    # the diagram, inline, with the case's position and the completed task's badge
    assert "<svg" in page and "<?xml" not in page
    assert re.search(r'class="[^"]*bpmn-highlight[^"]*"[^>]*data-element-id="crisis_intervention"', page) or \
        re.search(r'data-element-id="crisis_intervention"[^>]*class="[^"]*bpmn-highlight', page)
    assert 'data-badges-for="identify"' in page and "✓ 1" in page
    # a completed task is not reported as cancelled
    assert "Zadanie wycofane: Identyfikacja" not in page


def test_case_page_in_english(api_app):
    page = _sign_in(api_app, "anna.ops", lang="en").get("/cases/2").get_data(as_text=True)
    assert '<html lang="en">' in page and "Open tasks" in page and "Timeline" in page
    assert "Task completed: Identyfikacja i diagnoza wstępna" in page and "Where the case is" in page


def test_measures_are_listed_by_role(api_app):
    _complete(api_app, 2, "crisis_intervention", "marek.ngo", {"hours": 3, "outcome": "stabilised"})
    page = _sign_in(api_app, "anna.ops").get("/cases/2").get_data(as_text=True)
    assert "Godziny usług według ról" in page
    assert re.search(r"Interwent kryzysowy</th><td class=\"num\">3</td>", page)


@pytest.mark.parametrize(("username", "sees_shelter", "sees_psych"), [
    ("anna.ops", False, False),     # OPS social worker: neither
    ("ewa.pup", False, False),      # PUP: neither
    ("teresa.sup", False, False),   # supervisor: neither
    ("marek.ngo", True, False),     # works the crisis intervention that collects the shelter
    ("piotr.ops", False, True),     # works the psychological diagnosis
])
def test_sensitive_values_only_for_the_roles_that_may_see_them(api_app, username, sees_shelter, sees_psych):
    _complete(api_app, 2, "crisis_intervention", "marek.ngo",
              {"hours": 3, "shelter_location": SHELTER, "outcome": "stabilised"})
    _complete(api_app, 2, "psych_diagnosis", "piotr.ops", {"hours": 2, "psych_notes": PSYCH,
                                                           "recommendation": "positive"})
    response = _sign_in(api_app, username).get("/cases/2")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (SHELTER in page) is sees_shelter
    assert (PSYCH in page) is sees_psych
    hidden_somewhere = not (sees_shelter and sees_psych)
    assert ("ukryt" in page) is hidden_somewhere  # only a note that something is hidden


def test_sensitive_values_on_postgresql_too(any_app):
    _complete(any_app, 2, "crisis_intervention", "marek.ngo",
              {"hours": 3, "shelter_location": SHELTER, "outcome": "stabilised"})
    assert SHELTER not in _sign_in(any_app, "ewa.pup").get("/cases/2").get_data(as_text=True)
    assert SHELTER in _sign_in(any_app, "marek.ngo").get("/cases/2").get_data(as_text=True)


def test_pages_need_a_signed_in_user(api_app):
    web = api_app.test_client()
    for path in ("/cases", "/cases/1"):
        response = web.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_report_filters_behind_a_figure_narrow_the_list(api_app):
    web = _sign_in(api_app, "teresa.sup")
    page = web.get("/cases?reached=Interwencja+kryzysowa").get_data(as_text=True)
    assert "B-DEM3-KY" in page and "B-DEM2-KT" not in page and "B-DEM4-K4" not in page
    assert "reached=Interwencja" in page  # kept in the sorting and paging links
    assert "B-DEM2-KT" in web.get("/cases?reached=").get_data(as_text=True)
    assert web.get("/cases?started_from=not-a-date").status_code == 200  # a bad report filter is ignored
