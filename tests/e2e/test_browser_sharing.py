"""Sharing in a real browser (Polish pages): a case worker records a person's consent, then adds
an agency to the person's case on that consent, and the case page shows the basis."""

from __future__ import annotations

import re

from sqlalchemy import select

from pathways.core import services
from pathways.privacy import sharing
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, Beneficiary, User
from tests.e2e.test_browser import browser, server, signed_in  # noqa: F401  (fixtures)


def test_recording_a_consent_and_adding_an_agency_with_it(server, browser):  # type: ignore[no-untyped-def]  # noqa: F811
    base, app = server
    pathways = services(app)
    with pathways.store.unit_of_work() as uow:
        s = uow.session
        ben = new_pseudonym()
        s.add(Beneficiary(pseudonym=ben, agency_id=s.scalars(select(Agency.id).where(
            Agency.code == "mops-bartoszyce")).one()))
        uow.commit()
        anna = s.scalars(select(User).where(User.username == "anna.ops")).one()
        _ = anna.agency, anna.roles
    case = sharing.start_case(pathways.store, pathways.engine, anna, "intake_referral", {}, ["mops-bartoszyce"], ben)

    page = signed_in(browser, base, "anna.ops")
    page.goto(f"{base}/people/{ben}/consents/new")
    assert page.locator("h1").inner_text().startswith("Zapisz zgodę")
    page.get_by_label("Instytucja, której osoba zgadza się udostępnić dane").select_option("ngo-bartoszyce")
    page.get_by_label("Cel").fill("Wsparcie w kryzysie")
    page.get_by_label("Osoba zgadza się udostępnić także swoje dane osobowe").check()
    page.get_by_role("button", name="Zapisz zgodę").click()
    page.wait_for_url(re.compile(rf".*/people/{ben}/consents$"))
    assert "Zgoda została zapisana." in page.locator(".flash").inner_text()
    consent_row = page.locator("tr.consent").first
    assert "Wsparcie w kryzysie" in consent_row.inner_text() and "obowiązuje" in consent_row.inner_text()
    consent_id = consent_row.get_attribute("data-consent")

    page.goto(f"{base}/cases/{case['id']}")
    panel = page.locator("#agencies")
    assert "własne zadania ustawowe" in panel.inner_text()
    panel.get_by_role("link", name="Dodaj instytucję").click()
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}/agencies/new$"))
    panel = page.locator("#agencies")
    panel.get_by_label("Instytucja", exact=True).select_option("ngo-bartoszyce")
    panel.get_by_label("Podstawa prawna").select_option(f"consent:{consent_id}")
    panel.get_by_role("button", name="Dodaj instytucję").click()
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}.*"))
    assert "Instytucja została dodana do sprawy." in page.locator(".flash").inner_text()
    ngo = page.locator('#agencies tr[data-agency="ngo-bartoszyce"]')
    assert f"zgoda nr {consent_id} z dnia" in ngo.inner_text() and "Wsparcie w kryzysie" in ngo.inner_text()
    assert "dane osobowe udostępnione" in ngo.inner_text()
    assert "Dodano instytucję" in page.locator(".timeline").inner_text()
