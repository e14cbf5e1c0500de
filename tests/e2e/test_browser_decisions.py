"""Trying a decision in Chromium, as a designer does: on a desk and on a phone."""

from __future__ import annotations

from tests.e2e.test_browser import browser, server, signed_in  # noqa: F401 - fixtures

PAGE = "/designer/domestic_violence_women/decisions/domestic_violence_women_eligibility"


def _try(page, group: str) -> None:
    page.fill("input[name=in_consent_to_participate]", "true")
    page.fill("input[name=in_experienced_violence]", "true")
    page.fill("input[name=in_target_group]", group)
    page.get_by_role("button", name="Oblicz").click()
    page.wait_for_load_state()


def test_a_designer_tries_the_eligibility_decision(server, browser):  # noqa: F811 - fixtures
    base, _app = server
    page = signed_in(browser, base, "admin")
    page.goto(f"{base}/designer/domestic_violence_women")
    page.get_by_role("link", name="Czy uczestniczka spełnia kryteria projektu?").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Czy uczestniczka spełnia kryteria projektu?")
    _try(page, '"convicted"')
    assert page.locator("tr.hit").count() == 1
    assert page.locator("tr.hit th").inner_text().startswith("3")
    assert "Spełnia kryteria grupy docelowej" in page.locator(".decision-result").inner_text()
    page.context.close()


def test_the_page_fits_a_phone(server, browser):  # noqa: F811 - fixtures
    base, _app = server
    page = signed_in(browser, base, "admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}{PAGE}")
    _try(page, "other")
    assert page.locator("tr.hit th").inner_text().startswith("4")
    # the wide table scrolls in its own box; the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.context.close()
