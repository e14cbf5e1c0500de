"""The supervisor's pages: rendered for supervisors and admins, 403 for case workers, every number
linked to the cases behind it, exports as files, filters kept and checked (Flask test client)."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from pathways.demo import PASSWORD
from tests.e2e.api_fixtures import _template_db, api_app  # noqa: F401 - fixtures

PAGES = ["/supervisor", "/supervisor/pathways/intake_referral", "/supervisor/tasks", "/supervisor/esf"]


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    return api_app.test_client()


def sign_in(web, username):
    page = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = web.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("username", ["teresa.sup", "admin"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_supervisors_and_admins(web, username, path):
    sign_in(web, username)
    response = web.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    assert '<html lang="pl">' in page
    assert 'href="/supervisor/export/' in page  # CSV / XLSX links


@pytest.mark.parametrize("username", ["anna.ops", "ewa.pup", "marek.ngo"])
@pytest.mark.parametrize("path", [*PAGES, "/supervisor/export/stages.csv"])
def test_case_workers_get_403(web, username, path):
    sign_in(web, username)
    response = web.get(path)
    assert response.status_code == 403
    assert "Brak uprawnień" in response.get_data(as_text=True) or "403" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_the_login(web):
    response = web.get("/supervisor")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_menu_shows_the_supervisor_entry_only_to_supervisors(web):
    sign_in(web, "teresa.sup")
    assert 'href="/supervisor"' in web.get("/supervisor/tasks").get_data(as_text=True)


def test_dashboard_shows_the_demo_cases_per_stage_with_links_to_them(web):
    sign_in(web, "teresa.sup")
    page = web.get("/supervisor").get_data(as_text=True)
    assert "Przyjęcie i skierowanie" in page  # the demo cases' pathway
    assert "<svg" in page and "chart-bars" in page  # server-drawn charts
    links = re.findall(r'href="(/cases\?[^"]+)"', page)
    assert links, "every number links to the cases behind it"
    params = [parse_qs(urlsplit(link.replace("&amp;", "&")).query) for link in links]
    assert {"pathway": ["intake_referral"], "stage": ["Identyfikacja"], "status": ["active"]} in params
    # the pathway page link keeps the period but not the pathway filter
    assert 'href="/supervisor/pathways/intake_referral"' in page


def test_pathway_page_draws_badges_on_the_diagram_and_the_funnel(web):
    sign_in(web, "teresa.sup")
    page = web.get("/supervisor/pathways/intake_referral").get_data(as_text=True)
    assert 'class="bpmn-badges"' in page and "chart-funnel" in page
    assert "Lejek etapów" in page or "Stage funnel" in page


def test_unknown_pathway_is_404(web):
    sign_in(web, "teresa.sup")
    assert web.get("/supervisor/pathways/no_such_thing").status_code == 404


def test_bad_filters_are_explained_next_to_the_fields_and_dropped(web):
    sign_in(web, "teresa.sup")
    response = web.get("/supervisor?from=2026-13-01&to=2026-01-01&agency=nope")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="e-from"' in page and 'id="e-agency"' in page
    response = web.get("/supervisor?from=2026-02-01&to=2026-01-01")
    assert 'id="e-to"' in response.get_data(as_text=True)


def test_filters_are_kept_in_the_export_links(web):
    sign_in(web, "teresa.sup")
    page = web.get("/supervisor?pathway=intake_referral&agency=ngo-bartoszyce&from=2020-01-01").get_data(as_text=True)
    exports = [link.replace("&amp;", "&") for link in re.findall(r'href="(/supervisor/export/[^"]+)"', page)]
    assert exports and all("pathway=intake_referral" in e and "agency=ngo-bartoszyce" in e and "from=2020-01-01" in e
                           for e in exports)


def test_csv_and_xlsx_exports_download_in_polish(web):
    sign_in(web, "teresa.sup")
    response = web.get("/supervisor/export/stages.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="stages.csv"' in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff") and "Etap;" in text and "Identyfikacja" in text
    response = web.get("/supervisor/export/stages.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=1, column=3).value == "Etap" and sheet.cell(row=1, column=3).font.bold


def test_english_pages(web):
    sign_in(web, "teresa.sup")
    page = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    web.post("/language", data={"lang": "en", "next": "/supervisor", "csrf_token": token})
    page = web.get("/supervisor").get_data(as_text=True)
    assert "Supervisor&#39;s dashboard" in page or "Supervisor's dashboard" in page


def test_a_supervisor_sees_no_case_of_a_partnership_they_are_not_part_of(web, api_app):  # noqa: F811
    from pathways.core import services
    from pathways.engine.cases import Actor

    pathways = services(api_app)
    pathways.engine.start_case(Actor("test"), "intake_referral", {}, ["ngo-far-away"], "FAR-001")
    sign_in(web, "teresa.sup")
    page = web.get("/supervisor/esf").get_data(as_text=True)
    assert "FAR-001" not in page and "B-DEM2-KT" in page
