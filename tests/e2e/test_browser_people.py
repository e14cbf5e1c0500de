"""Registering a person in a real browser (Chromium via Playwright) and starting a case for them:
from the start form to the registration page and back with the pseudonym filled in."""

from __future__ import annotations

import re

from tests.e2e.test_browser import browser, server, signed_in  # noqa: F401  (fixtures)
from tests.integration.test_people_store import pesel

PESEL = pesel("900215", "1234")


def test_register_a_person_from_the_start_form_and_start_their_case(server, browser):  # noqa: F811
    base, _app = server
    anna = signed_in(browser, base, "anna.ops")
    anna.get_by_role("link", name="Sprawy").first.click()
    anna.locator("#s-register").click()
    anna.wait_for_url(re.compile(r".*/people/new\?next=start$"))
    assert anna.locator("h1").inner_text() == "Rejestracja osoby"
    anna.get_by_label("Imię").fill("Łucja")
    anna.get_by_label("Nazwisko").fill("Wójcik")
    anna.get_by_label("PESEL").fill(PESEL[:-1] + str((int(PESEL[-1]) + 1) % 10))  # a digit mistyped
    anna.get_by_role("button", name="Zarejestruj", exact=True).click()
    error = anna.locator("#p-pesel-error")
    assert "Cyfra kontrolna się nie zgadza" in error.inner_text()
    assert anna.get_by_label("Nazwisko").input_value() == "Wójcik"  # what was typed is kept
    anna.get_by_label("PESEL").fill(PESEL)
    anna.get_by_role("button", name="Zarejestruj", exact=True).click()
    anna.wait_for_url(re.compile(r".*/cases\?beneficiary=B-[0-9A-Z-]+#start$"))
    pseudonym = anna.locator("#s-beneficiary").input_value()
    assert re.fullmatch(r"B-[0-9A-Z]{4}-[0-9A-Z]{2}", pseudonym)
    assert f"Zarejestrowano jako {pseudonym}." in anna.locator(".flash").first.inner_text()
    anna.locator("#s-pathway").select_option("intake_referral")
    anna.get_by_role("button", name="Rozpocznij sprawę", exact=True).click()
    anna.wait_for_url(re.compile(r".*/cases/\d+(#start)?$"))  # the browser keeps the form's fragment
    anna.locator("dd.pseudonym a").click()
    anna.wait_for_url(re.compile(rf".*/people/{pseudonym}$"))
    assert anna.locator("h1").inner_text().strip() == pseudonym
    assert "Wójcik" in anna.locator("#identity").inner_text() and PESEL in anna.locator("#identity").inner_text()
    assert "Przyjęcie i skierowanie" in anna.locator("main").inner_text()
    assert anna.locator("#consents h2").inner_text() == "Zgody na udostępnienie danych"
    # the person is found again by name, without the accents, through the search form
    anna.get_by_role("link", name="Osoby").first.click()
    anna.get_by_label("PESEL albo imię lub nazwisko").fill("lucja wojcik")
    anna.get_by_role("button", name="Szukaj", exact=True).click()
    assert anna.get_by_role("link", name=pseudonym).count() == 1
    assert "lucja" not in anna.url and PESEL not in anna.url
