"""The designer's pages (Flask test client): who may see them, the deployed versions, one version's
structure and diagram, and uploads (lint problems, bad files, too large, new and unchanged versions)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import PathwayVersion
from tests.helpers import WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]

INTAKE = (WORKFLOWS / "intake_referral.bpmn").read_bytes()


def _csrf(web, path):
    page = web.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _sign_in(app, username="admin", lang=None):
    web = app.test_client()
    response = web.post("/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": _csrf(web, "/login")})
    assert response.status_code == 302
    if lang:
        web.post("/language", data={"lang": lang, "next": "/login", "csrf_token": _csrf(web, "/login")})
    return web


def _upload(web, *files, token=None):
    data = {"csrf_token": token or _csrf(web, "/designer"),
            "file": [(io.BytesIO(content), name) for name, content in files]}
    return web.post("/designer/upload", data=data, content_type="multipart/form-data")


def _versions(app, key="intake_referral"):
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(PathwayVersion).where(PathwayVersion.key == key))


@pytest.mark.parametrize("username", ["anna.ops", "ewa.pup", "marek.ngo", "teresa.sup"])
def test_a_non_designer_gets_403(api_app, username):
    web = _sign_in(api_app, username)
    assert web.get("/designer").status_code == 403
    assert web.get("/designer/intake_referral").status_code == 403
    token = _csrf(web, "/cases")
    assert _upload(web, ("intake_referral.bpmn", INTAKE), token=token).status_code == 403
    assert _versions(api_app) == 1


def test_the_designer_sees_every_deployed_pathway_with_versions_and_files(api_app):
    page = _sign_in(api_app).get("/designer").get_data(as_text=True)
    assert "<h1>Projektant ścieżek</h1>" in page
    assert "Przyjęcie i skierowanie" in page and "intake_referral.bpmn" in page
    assert "social_contract_instruments.dmn" in page  # a version's files, decisions included
    assert 'href="/designer/intake_referral?version=1"' in page
    assert 'enctype="multipart/form-data"' in page and 'name="file" multiple' in page


def test_a_version_page_shows_diagram_stages_lanes_tasks_and_fields(api_app):
    page = _sign_in(api_app).get("/designer/intake_referral?version=1").get_data(as_text=True)
    assert "<svg" in page and 'data-element-id="crisis_intervention"' in page
    for stage in ("Identyfikacja", "Interwencja kryzysowa", "Aktywizacja", "Wsparcie"):
        assert stage in page
    assert "Interwent kryzysowy (NGO)" in page and "ngo.crisis_interventionist" in page
    assert "Miejsce schronienia" in page and "shelter_location" in page and "wrażliwe" in page
    assert "Poziom ryzyka" in page and "Niski, Średni, Wysoki" in page
    assert "PT72H" in page


def test_unknown_pathway_or_version_is_404(api_app):
    web = _sign_in(api_app)
    assert web.get("/designer/no_such_pathway").status_code == 404
    assert web.get("/designer/intake_referral?version=99").status_code == 404
    assert web.get("/designer/intake_referral?version=abc").status_code == 200  # the latest


def test_upload_of_a_broken_bpmn_shows_the_lint_problem_and_deploys_nothing(api_app):
    web = _sign_in(api_app)
    broken = INTAKE.replace(b'name="Psycholog (OPS)"', b'name="Czarodziej"')
    response = _upload(web, ("intake_referral.bpmn", broken))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Znaleziono 1 problem: nic nie zostało wdrożone" in page
    row = re.search(r"<tr class=\"severity-error\">(.*?)</tr>", page, re.S).group(1)
    assert "intake_referral.bpmn" in row and ">23<" in row and "<code>lane_ops_psychologist</code>" in row
    assert "names no known role" in row and "roles.toml" in row  # message and hint
    assert _versions(api_app) == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04 this is a zip", "nie jest dokumentem XML"),
    ("<?xml version='1.0' encoding='latin-1'?><x>zażółć</x>".encode("latin-1", "replace") + b"\xff\xfe",
     "nie jest tekstem w UTF-8"),
])
def test_bad_files_get_a_message_not_a_500(api_app, content, message):
    web = _sign_in(api_app)
    response = _upload(web, ("upload.bpmn", content))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _versions(api_app) == 1


def test_not_well_formed_xml_is_a_located_problem(api_app):
    response = _upload(_sign_in(api_app), ("broken.bpmn", b"<bpmn:definitions"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "broken.bpmn" in page and "not well-formed XML" in page


def test_no_file_chosen(api_app):
    web = _sign_in(api_app)
    response = web.post("/designer/upload", data={"csrf_token": _csrf(web, "/designer")},
                        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Wybierz jeden lub kilka plików BPMN lub DMN do przesłania." in response.get_data(as_text=True)


def test_too_large_an_upload_gets_a_page_with_the_limit(api_app):
    web = _sign_in(api_app)
    token = _csrf(web, "/designer")
    api_app.config["MAX_CONTENT_LENGTH"] = 2048
    response = _upload(web, ("big.bpmn", b"<x>" + b" " * 10_000 + b"</x>"), token=token)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "przekraczają limit" in page and "Traceback" not in page
    assert _versions(api_app) == 1


def test_upload_creates_a_version_then_nothing_when_unchanged(any_app):
    web = _sign_in(any_app, lang="en")
    changed = INTAKE.replace('name="Zgłoszenie"'.encode(), 'name="Zgłoszenie (nowe)"'.encode())
    response = _upload(web, ("intake_referral.bpmn", changed))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "New versions deployed:" in page and 'href="/designer/intake_referral?version=2"' in page
    assert _versions(any_app) == 2
    response = _upload(web, ("intake_referral.bpmn", changed))
    page = response.get_data(as_text=True)
    assert "Unchanged" in page and "New versions deployed:" not in page
    assert _versions(any_app) == 2
    listing = web.get("/designer").get_data(as_text=True)
    assert 'href="/designer/intake_referral?version=2"' in listing and "latest" in listing


def test_upload_without_csrf_token_is_refused(api_app):
    web = _sign_in(api_app)
    response = web.post("/designer/upload", data={"file": (io.BytesIO(INTAKE), "intake_referral.bpmn")},
                        content_type="multipart/form-data")
    assert response.status_code == 400 and _versions(api_app) == 1
