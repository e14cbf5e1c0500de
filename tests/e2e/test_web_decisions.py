"""The designer's page to try a decision (Flask test client): who may open it, the table, the inputs,
the result with the matched rules marked, and hostile or broken input."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_web_designer import _csrf, _sign_in

pytest_plugins = ["tests.e2e.api_fixtures"]

KEY = "domestic_violence_women"
DECISION = "domestic_violence_women_eligibility"
PAGE = f"/designer/{KEY}/decisions/{DECISION}"


def _try(web, **inputs):
    data = {"csrf_token": _csrf(web, PAGE), **{f"in_{name}": value for name, value in inputs.items()}}
    return web.post(PAGE, data=data)


def _matched(html):
    return re.findall(r'<tr id="rule-(\d+)" class="hit">', html)


def test_the_version_page_links_its_decisions(api_app):
    html = _sign_in(api_app).get(f"/designer/{KEY}").get_data(as_text=True)
    assert f'href="{PAGE}?version=1"' in html


def test_the_page_shows_the_table_and_a_field_per_input(api_app):
    response = _sign_in(api_app).get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "UNIQUE" in html and html.count('<tr id="rule-') == 4 and _matched(html) == []
    for name in ("consent_to_participate", "experienced_violence", "target_group"):
        assert f'name="in_{name}"' in html


def test_trying_marks_the_rule_that_matched(api_app):
    web = _sign_in(api_app)
    html = _try(web, consent_to_participate="true", experienced_violence="true", target_group="convicted").get_data(
        as_text=True)
    assert _matched(html) == ["3"]
    assert "Spełnia kryteria grupy docelowej" in html
    assert 'value="convicted"' in html  # the typed values stay in the form
    none = _try(web, consent_to_participate="true", experienced_violence="true", target_group="").get_data(
        as_text=True)
    assert _matched(none) == []  # null matches no rule: the outputs are null


def test_hostile_input_is_only_text(api_app):
    html = _try(_sign_in(api_app), consent_to_participate="true", experienced_violence="true",
                target_group='<script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert _matched(html) == []


@pytest.mark.parametrize("username", ["anna.ops", "teresa.sup"])
def test_only_designers_and_admins_open_it(api_app, username):
    web = _sign_in(api_app, username)
    assert web.get(PAGE).status_code == 403
    assert web.post(PAGE, data={"csrf_token": _csrf(web, "/inbox")}).status_code == 403


def test_unknown_decision_or_pathway_is_404(api_app):
    web = _sign_in(api_app)
    assert web.get(f"/designer/{KEY}/decisions/nope").status_code == 404
    assert web.get(f"/designer/nope/decisions/{DECISION}").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(api_app):
    web = _sign_in(api_app)
    assert web.post(PAGE, data={"in_target_group": "convicted"}).status_code == 400


def test_the_case_timeline_says_which_decision_and_rules_decided(api_app, client, bearer):
    from tests.e2e.test_api_decisions import _recruit

    case = _recruit(client, bearer(client, "anna.ops"), api_app, "other")
    html = _sign_in(api_app, "anna.ops").get(f"/cases/{case['id']}").get_data(as_text=True)
    entry = html[html.index("Podjęto decyzję: Sprawdzenie kryteriów grupy docelowej"):]
    entry = entry[:entry.index("</li>")]
    assert "domestic_violence_women_eligibility.dmn" in entry
    assert re.search(r"<dt>Reguły, które rozstrzygnęły</dt><dd>4</dd>", entry)
