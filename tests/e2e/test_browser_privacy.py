"""The auditor's export page in a real browser (headless Chromium via Playwright; see test_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.privacy.identity import seal_identity
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, AuditEntry, Beneficiary, Case, TaskComment, User
from pathways.tasks.accounts import create_user
from pathways.web import screenshots
from tests.e2e.test_browser import _browser_or_skip, signed_in
from tests.privacy_fixtures import IDENTITY

COMMENT = "Kontakt tylko <b>po południu</b>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, str]]:
    """The demo served on 127.0.0.1, an auditor `iod`, and the second demo case given to a new person."""
    _browser_or_skip()
    app = screenshots.demo_app(tmp_path_factory.mktemp("browser-privacy") / "browser.db")
    pathways = services(app)
    create_user(pathways.store, pathways.roles, "iod", "partnership", ["auditor"], PASSWORD, "Inspektor ODO",
                check_policy=False)
    with pathways.store.unit_of_work() as uow:
        s = uow.session
        agency_id = s.scalars(select(Agency.id).where(Agency.code == "mops-bartoszyce")).one()
        person = Beneficiary(pseudonym=new_pseudonym(), agency_id=agency_id)
        s.add(person)
        s.flush()
        s.add(seal_identity(person, IDENTITY))
        case_id = s.scalars(select(Case.id).where(Case.beneficiary == "B-DEM3-KY")).one()
        s.execute(update(Case).where(Case.id == case_id).values(beneficiary_id=person.id,
                                                                beneficiary=person.pseudonym))
        from pathways.store.models import HumanTask

        task = s.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).first()
        anna = s.scalars(select(User.id).where(User.username == "anna.ops")).one()
        s.add(TaskComment(task_id=task, case_id=case_id, user_id=anna, text=COMMENT))
        uow.commit()
        pseudonym = person.pseudonym
    with screenshots.serve(app) as base:
        yield base, app, pseudonym
    pathways.close()


@pytest.fixture(scope="module")
def browser(server: tuple[str, Any, str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = screenshots.launch(playwright, _browser_or_skip())
        yield launched
        launched.close()


def test_the_auditor_finds_a_person_and_downloads_the_export(server, browser, tmp_path):
    base, app, pseudonym = server
    page = signed_in(browser, base, "iod")
    page.goto(f"{base}/audit")
    assert page.locator("nav").get_by_role("link", name="Dane osoby").is_visible()  # in the menu too
    page.get_by_role("link", name=re.compile("Dane osoby \\(art. 15 RODO\\)")).click()
    assert page.locator("h1").inner_text() == "Dane osoby"

    page.get_by_label("Pseudonim").fill("Jan Kowalski")
    page.get_by_role("button", name="Pokaż").click()
    assert page.locator("#p-pseudonym-error").inner_text() == "Pseudonim ma postać B-7K3Q-9M."
    assert page.locator(".person-export").count() == 0

    page.get_by_label("Pseudonim").fill(pseudonym.lower())
    page.get_by_role("button", name="Pokaż").click()
    document = page.locator(".person-export")
    assert document.locator("h1").inner_text() == f"Informacja o danych osobowych osoby {pseudonym}"
    shown = document.inner_text()
    assert IDENTITY["last_name"] in shown and IDENTITY["pesel"] in shown
    assert "Zgłoszenie z punktu konsultacyjnego" in shown  # the case data, in full
    assert COMMENT in shown  # a comment's markup is shown as text, never run
    assert document.locator("b").count() == 0
    assert "Rejestr dostępu" in shown and "anna.ops" in shown
    page.screenshot(path=str(tmp_path / "privacy_export.png"), full_page=False)

    page.emulate_media(media="print")  # printed: the document alone
    assert not page.locator(".topbar").is_visible() and not page.locator("form.audit-filters").is_visible()
    assert document.is_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz HTML").click()
    saved = tmp_path / "osoba.html"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"osoba-{pseudonym}.html"
    assert "@media print" in saved.read_text(encoding="utf-8")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz JSON").click()
    assert download.value.suggested_filename == f"osoba-{pseudonym}.json"

    with services(app).store.unit_of_work(write=False) as uow:
        formats = [e.detail["format"] for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy.export").order_by(AuditEntry.id))]
    assert formats == ["page", "html", "json"]


def test_other_roles_are_refused_the_page(server, browser):
    base, _app, pseudonym = server
    for username in ("anna.ops", "admin"):
        page = signed_in(browser, base, username)
        response = page.goto(f"{base}/privacy/export?pseudonym={pseudonym}")
        assert response.status == 403
        assert IDENTITY["last_name"] not in page.content()
        assert page.locator("nav").get_by_role("link", name="Dane osoby").count() == 0
        page.context.close()
