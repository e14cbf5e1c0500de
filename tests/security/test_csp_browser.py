"""The pages and the API reference in a real browser under the Content-Security-Policy: they work,
and the browser reports no violation and no console error (headless Chromium, as tests/e2e)."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_browser import browser, server, signed_in  # noqa: F401 - fixtures

PAGES = ["/inbox", "/inbox?view=mine", "/cases", "/cases/1", "/cases/2", "/designer", "/supervisor",
         "/designer/domestic_violence_women",
         "/designer/domestic_violence_women/decisions/domestic_violence_women_eligibility",
         "/supervisor/esf", "/audit", "/audit?action=auth.&from=x", "/no/such/page"]


#: what Chromium logs for a page answered with an error status (a refused form is a 400): not a problem
HTTP_STATUS = "Failed to load resource: the server responded with a status of"


def _watch(page: Any) -> list[str]:
    """Console errors and CSP violations of a page, as they happen (not the HTTP status of a page)."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith(HTTP_STATUS):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    return problems


def test_pages_work_under_the_policy(server, browser):  # noqa: F811 - fixtures
    base, _app = server
    page = signed_in(browser, base, "admin")
    problems = _watch(page)
    for path in PAGES:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    assert problems == []
    page.goto(f"{base}/inbox")
    assert page.locator("h1").inner_text() == "Skrzynka zadań"
    page.context.close()


def test_the_task_page_script_runs(server, browser):  # noqa: F811 - fixtures
    """task.js (a static file, as the policy demands) still moves the focus to a refused form's problems."""
    base, _app = server
    page = signed_in(browser, base, "anna.ops")
    problems = _watch(page)
    mine = page.locator("table.tasks tbody tr").filter(has_text="B-DEM4-K4")
    mine.get_by_role("button", name="Przejmij").click()
    page.wait_for_load_state("networkidle")
    mine.get_by_role("link", name="Identyfikacja i diagnoza wstępna").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Zakończ zadanie").click()  # the required date left empty
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert problems == []
    page.context.close()


def test_the_api_reference_works_under_the_policy(server, browser):  # noqa: F811 - fixtures
    base, _app = server
    context = browser.new_context()
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert page.locator(".swagger-ui .opblock").count() > 10  # the operations were drawn
    assert "pathways API" in page.locator(".swagger-ui .title").inner_text()
    assert problems == []
    context.close()


def test_the_audit_page_on_a_phone(server, browser):  # noqa: F811 - fixtures
    """390 px wide (a phone): the filters and entries fit the width, no CSP violation, no console error."""
    base, _app = server
    page = signed_in(browser, base, "admin")
    page.set_viewport_size({"width": 390, "height": 844})
    problems = _watch(page)
    page.goto(f"{base}/audit")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Dziennik audytu"
    assert page.locator("table.audit-list tbody tr").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    assert not page.locator("table.audit-list thead").is_visible()  # entries stacked, each value labelled
    page.fill("#a-action", "web.login")
    page.get_by_role("button", name="Filtruj").click()
    page.wait_for_load_state("networkidle")
    actions = page.locator("table.audit-list tbody td[data-label='Czynność']").all_inner_texts()
    assert actions and set(actions) == {"web.login"}
    assert problems == []
    page.context.close()
