"""The pages in a real browser: headless Chromium (Debian's), driven by Playwright, against the app
served by waitress on loopback with a fresh demo database.

Without Chromium (or the playwright package) these tests skip, saying why; under CI (`CI=true`) or
with PATHWAYS_REQUIRE_BROWSER=1 they fail instead, so a CI machine without a browser cannot pass
silently (.ci/run installs Debian's `chromium`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.store.models import Case, HumanTask
from pathways.web import screenshots

REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("PATHWAYS_REQUIRE_BROWSER") == "1"


def _browser_or_skip() -> str:
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -c constraints.txt -e '.[test]')"
    executable = screenshots.find_chromium()
    if problem is None and executable is None:
        problem = "no Chromium found (apt-get install chromium, or set PATHWAYS_CHROMIUM)"
    if problem is not None:
        if REQUIRED:
            pytest.fail(f"browser tests are required here (CI / PATHWAYS_REQUIRE_BROWSER) but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    assert executable is not None
    return executable


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The demo served on 127.0.0.1; B-DEM3-KY's crisis intervention already done by the NGO."""
    _browser_or_skip()
    app = screenshots.demo_app(tmp_path_factory.mktemp("browser") / "browser.db")
    pathways = services(app)
    with pathways.store.unit_of_work(write=False) as uow:
        crisis = uow.session.scalars(select(HumanTask.id).join(Case, Case.id == HumanTask.case_id).where(
            Case.beneficiary == "B-DEM3-KY", HumanTask.element_id == "crisis_intervention")).one()
    pathways.engine.complete_task(Actor("marek.ngo"), crisis, {"hours": 4, "outcome": "stabilised"})
    with screenshots.serve(app) as base:
        yield base, app
    pathways.close()


@pytest.fixture(scope="module")
def browser(server: tuple[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = screenshots.launch(playwright, _browser_or_skip())
        yield launched
        launched.close()


def signed_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport=screenshots.SIZE, locale="pl-PL", timezone_id="Europe/Warsaw")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    return page


def row(page: Any, beneficiary: str, task: str | None = None) -> Any:
    found = page.locator("table.tasks tbody tr").filter(has_text=beneficiary)
    return found.filter(has_text=task) if task else found


def test_a_case_moves_from_the_social_worker_to_the_labour_office(server, browser):
    base, _app = server
    # -- the OPS social worker claims the intake of B-DEM2-KT from her inbox and completes it
    anna = signed_in(browser, base, "anna.ops")
    assert anna.locator("h1").inner_text() == "Skrzynka zadań"
    row(anna, "B-DEM2-KT").get_by_role("button", name="Przejmij").click()
    assert "Przejęto zadanie „Identyfikacja i diagnoza wstępna”." in anna.locator(".flash").inner_text()
    assert row(anna, "B-DEM2-KT").get_by_text("Przejęte przez Ciebie").is_visible()
    row(anna, "B-DEM2-KT").get_by_role("link", name="Identyfikacja i diagnoza wstępna").click()
    anna.get_by_label("Poziom ryzyka").select_option("high")
    anna.get_by_label("Uwagi").fill("Zgłoszenie z punktu konsultacyjnego")
    anna.get_by_label("Potrzebna interwencja kryzysowa").check()
    anna.get_by_role("button", name="Zakończ zadanie").click()  # the required date left empty
    error = anna.locator("#error-intake_date")
    assert error.inner_text().strip() == "⚠ To pole jest wymagane."
    assert anna.locator("#field-intake_date #error-intake_date").count() == 1  # beside its field
    assert anna.evaluate("document.activeElement.id") == "error-summary"
    assert anna.get_by_label("Uwagi").input_value() == "Zgłoszenie z punktu konsultacyjnego"
    assert anna.get_by_label("Poziom ryzyka").input_value() == "high"
    assert anna.get_by_label("Potrzebna interwencja kryzysowa").is_checked()
    anna.locator("#in-intake_date").fill("2026-11-20")
    anna.get_by_role("button", name="Zakończ zadanie").click()
    anna.wait_for_url(re.compile(r".*/inbox$"))
    assert "Zakończono zadanie „Identyfikacja i diagnoza wstępna”." in anna.locator(".flash").first.inner_text()
    opened = anna.locator(".next-tasks").inner_text()
    assert "B-DEM2-KT" in opened and "Interwencja kryzysowa" in opened and "Diagnoza psychologiczna" in opened
    assert row(anna, "B-DEM2-KT").count() == 0

    # -- the OPS psychologist completes B-DEM3-KY's diagnosis (the NGO's crisis work is done)
    piotr = signed_in(browser, base, "piotr.ops")
    row(piotr, "B-DEM3-KY").get_by_role("link", name="Diagnoza psychologiczna").click()
    piotr.get_by_label("Liczba godzin").fill("3")
    piotr.get_by_label("Rekomendacja").select_option("positive")
    piotr.get_by_role("button", name="Zakończ zadanie").click()
    piotr.wait_for_url(re.compile(r".*/inbox$"))
    assert "Indywidualny plan działania" in piotr.locator(".next-tasks").inner_text()

    # -- the PUP career adviser finds the next task in her inbox
    ewa = signed_in(browser, base, "ewa.pup")
    assert row(ewa, "B-DEM3-KY", "Indywidualny plan działania").count() == 1
    assert "Diagnoza psychologiczna" not in ewa.locator("main").inner_text()

    # -- English and back
    ewa.get_by_label("Język").select_option("en")
    ewa.get_by_role("button", name="Zmień").click()
    assert ewa.locator("html").get_attribute("lang") == "en"
    assert ewa.locator("h1").inner_text() == "Inbox"
    assert ewa.get_by_role("link", name=re.compile("All my tasks")).count() == 1
    ewa.get_by_label("Language").select_option("pl")
    ewa.get_by_role("button", name="Change").click()
    assert ewa.locator("html").get_attribute("lang") == "pl" and ewa.locator("h1").inner_text() == "Skrzynka zadań"

    # -- the task page links to the case page with its diagram
    row(ewa, "B-DEM3-KY").get_by_role("link", name="Indywidualny plan działania").click()
    with ewa.expect_navigation():
        ewa.get_by_role("link", name="Otwórz sprawę: historia i diagram").click()
    assert re.search(r"/cases/\d+$", ewa.url)
    assert ewa.locator("main").is_visible() and "B-DEM3-KY" in ewa.locator("main").inner_text()
    assert ewa.locator("main svg").first.is_visible()
    for page in (anna, piotr, ewa):
        page.context.close()


def test_keyboard_only_claim_from_the_inbox(server, browser):
    base, _app = server
    anna = signed_in(browser, base, "anna.ops")
    claim = row(anna, "B-DEM4-K4").get_by_role("button", name="Przejmij")
    claim.focus()
    with anna.expect_navigation():
        anna.keyboard.press("Enter")
    assert row(anna, "B-DEM4-K4").get_by_text("Przejęte przez Ciebie").is_visible()
    anna.context.close()


def test_the_screenshot_command_writes_pngs(server, browser, tmp_path: Path):
    _base, app = server
    written = screenshots.take(app, tmp_path, only=["login", "inbox"], browser=browser)
    assert [p.name for p in written] == ["login.png", "inbox.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_supervisor_dashboard_links_figures_to_cases(server, browser):
    base, _app = server
    teresa = signed_in(browser, base, "teresa.sup")
    with teresa.expect_navigation():
        teresa.get_by_role("link", name="Nadzór", exact=True).click()
    assert teresa.get_by_role("heading", name="Pulpit nadzoru").is_visible()
    assert teresa.locator("main svg").first.is_visible()  # the server-drawn charts
    stages = teresa.locator("table").filter(has_text="Identyfikacja").first
    link = stages.locator("tr").filter(has_text="Identyfikacja").get_by_role("link").first
    expected = int(link.inner_text())
    with teresa.expect_navigation():
        link.click()
    assert "/cases" in teresa.url
    assert teresa.locator("main table tbody tr").count() == expected
    teresa.context.close()
