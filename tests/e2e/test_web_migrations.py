"""The designer's migration page (Flask test client): a designer sees the dry run as a table (ids,
elements and names, no case value) and moves the cases with the button; the table after is the
dry run's, case by case; a case worker gets 403 on the page and on the button; bad input says so."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.store.models import Case
from tests.e2e.api_fixtures import _template_db, api_app  # noqa: F401 - fixtures
from tests.e2e.test_web_incidents import sign_in
from tests.helpers import WORKFLOWS

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE = "/designer/intake_referral/migrate"


@pytest.fixture
def two_versions(api_app, tmp_path):  # noqa: F811
    text = (WORKFLOWS / "intake_referral.bpmn").read_text().replace(
        'name="Identyfikacja i diagnoza wstępna"', 'name="Identyfikacja osoby"')
    path = tmp_path / "intake_referral.bpmn"
    path.write_text(text)
    services(api_app).deploy([path, *WORKFLOWS.glob("*.dmn")])
    return api_app


def _versions(app):
    with services(app).store.unit_of_work(write=False) as uow:
        return sorted(c.pathway_version.version for c in uow.session.scalars(select(Case)))


def _rows(page):
    return re.findall(r'<tr id="case-(\d+)">(.*?)</tr>', page, re.S)


def test_a_designer_dry_runs_and_moves_the_cases(two_versions):
    web = sign_in(two_versions, "admin")
    pathway = web.get("/designer/intake_referral").get_data(as_text=True)
    assert f'href="{PAGE}"' in pathway  # the way in, from the pathway's page
    form = web.get(PAGE)
    assert form.status_code == 200 and 'name="from_version"' in form.get_data(as_text=True)
    dry = web.get(f"{PAGE}?from_version=1&to_version=2")
    page = dry.get_data(as_text=True)
    assert dry.status_code == 200 and len(_rows(page)) == 3
    assert page.count("Identyfikacja i diagnoza wstępna → Identyfikacja osoby") == 2
    for value in ("B-DEM", "Zgłoszenie z punktu konsultacyjnego", "high"):
        assert value not in page
    assert _versions(two_versions) == [1, 1, 1]
    csrf = CSRF.search(page).group(1)
    applied = web.post(PAGE, data={"from_version": "1", "to_version": "2", "map": "", "csrf_token": csrf})
    done = applied.get_data(as_text=True)
    assert applied.status_code == 200
    outcome = re.compile(r'<td data-label="[^"]*" class="outcome">przeniesiona</td>\s*')
    def squeezed(rows):
        return [(case, re.sub(r"\s+", " ", row)) for case, row in rows]
    assert squeezed((case, outcome.sub("", row)) for case, row in _rows(done)) == squeezed(_rows(page))
    assert _versions(two_versions) == [2, 2, 2]
    timeline = sign_in(two_versions, "anna.ops").get("/cases/1").get_data(as_text=True)
    assert "Przeniesiona do wersji 2 ścieżki (z wersji 1)" in timeline  # the case's timeline shows the move
    assert "Identyfikacja osoby" in timeline


def test_bad_input_is_said_on_the_page(two_versions):
    web = sign_in(two_versions, "admin")
    same = web.get(f"{PAGE}?from_version=2&to_version=2")
    assert same.status_code == 400 and 'role="alert"' in same.get_data(as_text=True)
    page = web.get(PAGE).get_data(as_text=True)
    csrf = CSRF.search(page).group(1)
    unknown = web.post(PAGE, data={"from_version": "1", "to_version": "2", "map": "nope=identify",
                                   "csrf_token": csrf})
    assert unknown.status_code == 400 and "nope is no element of version 1" in unknown.get_data(as_text=True)
    assert web.post(PAGE, data={"from_version": "1", "csrf_token": csrf}).status_code == 400
    assert web.get("/designer/nope/migrate").status_code == 404
    assert _versions(two_versions) == [1, 1, 1]


@pytest.mark.parametrize("username", ["anna.ops", "teresa.sup"])
def test_others_get_403(two_versions, username):
    web = sign_in(two_versions, username)
    assert web.get(f"{PAGE}?from_version=1&to_version=2").status_code == 403
    csrf = CSRF.search(web.get("/inbox").get_data(as_text=True)).group(1)
    assert web.post(PAGE, data={"from_version": "1", "to_version": "2", "csrf_token": csrf}).status_code == 403
    assert _versions(two_versions) == [1, 1, 1]
