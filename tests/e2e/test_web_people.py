"""The people pages (Flask test client): registering (located errors, duplicates, back to the start
form), finding by a POST form, the person page, starting a case for a registered person only, and
who may open what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry, Beneficiary, Case
from tests.e2e.test_web_cases import _csrf, _sign_in
from tests.integration.test_people_store import KOWALSKA, NOWAK

pytest_plugins = ["tests.e2e.api_fixtures"]
PSEUDONYM = re.compile(r"B-[0-9A-Z]{4}-[0-9A-Z]{2}")


def _register(web, next_start=False, **fields):
    data = {**fields, "csrf_token": _csrf(web, "/people/new")}
    if next_start:
        data["next"] = "start"
    return web.post("/people/new", data=data)


def _people(app):
    """The people registered by the test (the demo's own three, `B-DEM…`, left out)."""
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(Beneficiary.pseudonym).where(Beneficiary.pseudonym.not_like("B-DEM%"))
                                        .order_by(Beneficiary.id)))


def test_register_a_person_and_see_their_page(api_app):
    web = _sign_in(api_app, "anna.ops")
    form = web.get("/people/new").get_data(as_text=True)
    assert "<h1>Rejestracja osoby</h1>" in form and 'for="p-pesel">PESEL' in form
    done = _register(web, **KOWALSKA)
    assert done.status_code == 302
    [pseudonym] = _people(api_app)
    assert done.headers["Location"].endswith(f"/people/{pseudonym}")
    page = web.get(f"/people/{pseudonym}").get_data(as_text=True)
    assert "pseudonym-large" in page and pseudonym in page and f"Zarejestrowano jako {pseudonym}." in page
    assert KOWALSKA["last_name"] in page and KOWALSKA["pesel"] in page
    assert 'id="consents"' in page and "Zgody na udostępnienie" in page and "Zapisz zgodę" in page
    assert web.get(f"/people/{pseudonym.lower()}").status_code == 302  # to the written form


@pytest.mark.parametrize("fields, name, message", [
    ({"pesel": "44051401358"}, "pesel", "Cyfra kontrolna się nie zgadza"),
    ({"pesel": "4405140135"}, "pesel", "PESEL ma 11 cyfr"),
    ({"pesel": "44053201350"}, "pesel", ""),
    ({"first_name": "A" * 500}, "first_name", "Najwyżej 100 znaków"),
    ({"last_name": "Nowak\x1b[2J"}, "last_name", "bez znaków sterujących"),
    ({"birth_date": "1985-03-13", "pesel": KOWALSKA["pesel"]}, "birth_date", "nie zgadza się z numerem PESEL"),
])
def test_bad_identity_fields_are_marked_where_they_are_and_nothing_is_registered(api_app, fields, name, message):
    web = _sign_in(api_app, "anna.ops")
    response = _register(web, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    found = re.search(rf'<p class="error" id="p-{name}-error">([^<]*)</p>', page)
    assert found and message in found.group(1)
    assert 'aria-invalid="true" aria-describedby="p-' + name + '-error"' in page
    assert "\x1b" not in page
    assert _people(api_app) == []


def test_an_empty_form_needs_the_no_identity_tick(api_app):
    web = _sign_in(api_app, "marek.ngo")
    refused = _register(web)
    assert refused.status_code == 400 and "zaznacz, że osoba ich nie podaje" in refused.get_data(as_text=True)
    assert _register(web, first_name="Jan", no_identity="1").status_code == 400
    assert _people(api_app) == []
    assert _register(web, no_identity="1").status_code == 302
    [pseudonym] = _people(api_app)
    page = web.get(f"/people/{pseudonym}").get_data(as_text=True)
    assert "Osoba nie podała swoich danych" in page


def test_a_duplicate_offers_the_existing_person(api_app):
    web = _sign_in(api_app, "anna.ops")
    _register(web, **KOWALSKA)
    [first] = _people(api_app)
    again = _register(_sign_in(api_app, "piotr.ops"), next_start=True, pesel=KOWALSKA["pesel"])
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and f"Użyj {first}" in page
    assert f'href="/cases?beneficiary={first}#start"' in page
    assert _people(api_app) == [first]


def test_register_from_the_start_form_and_start_a_case_for_the_person(api_app):
    web = _sign_in(api_app, "anna.ops")
    cases = web.get("/cases").get_data(as_text=True)
    assert 'href="/people/new?next=start"' in cases and "Zarejestruj nową osobę" in cases
    typed_name = web.post("/cases", data={"pathway": "intake_referral", "beneficiary": "Jan Nowak",
                                          "agencies": ["mops-bartoszyce"], "csrf_token": _csrf(web, "/cases")})
    page = typed_name.get_data(as_text=True)
    assert typed_name.status_code == 400 and "najpierw zarejestruj osobę" in page
    assert re.search(r'id="s-beneficiary-error">[^<]*<a href="/people/new\?next=start">', page)
    done = _register(web, next_start=True, **NOWAK)
    [pseudonym] = _people(api_app)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases?beneficiary={pseudonym}#start")
    prefilled = web.get(f"/cases?beneficiary={pseudonym}").get_data(as_text=True)
    assert f'name="beneficiary" value="{pseudonym}"' in prefilled
    started = web.post("/cases", data={"pathway": "intake_referral", "beneficiary": pseudonym.lower(),
                                       "agencies": ["mops-bartoszyce"], "csrf_token": _csrf(web, "/cases")})
    assert started.status_code == 302, started.get_data(as_text=True)
    with services(api_app).store.unit_of_work(write=False) as uow:
        case = uow.session.scalars(select(Case).where(Case.beneficiary == pseudonym)).one()
    assert case.beneficiary_id is not None
    page = web.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'<a href="/people/{pseudonym}">{pseudonym}</a>' in page
    inbox = web.get("/inbox").get_data(as_text=True)
    assert f'<a href="/people/{pseudonym}" class="person-link"><span class="pseudonym">{pseudonym}</span></a>' in inbox
    person = web.get(f"/people/{pseudonym}").get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in person and "Przyjęcie i skierowanie" in person
    # a pseudonym the agency may not see (the NGO's person) is refused like an unknown one
    ngo = _sign_in(api_app, "marek.ngo")
    _register(ngo, no_identity="1")
    theirs = next(p for p in _people(api_app) if p != pseudonym)
    refused = web.post("/cases", data={"pathway": "intake_referral", "beneficiary": theirs,
                                       "agencies": ["mops-bartoszyce"], "csrf_token": _csrf(web, "/cases")})
    assert refused.status_code == 400 and "Żadna zarejestrowana osoba nie ma tego pseudonimu" in refused.get_data(
        as_text=True)


def test_find_a_person_by_a_post_form_audited(api_app):
    web = _sign_in(api_app, "anna.ops")
    _register(web, **KOWALSKA)
    [pseudonym] = _people(api_app)
    form = web.get("/people").get_data(as_text=True)
    assert 'method="post" action="/people"' in form
    spaced = KOWALSKA["pesel"][:6] + " " + KOWALSKA["pesel"][6:]
    found = web.post("/people", data={"by": "pesel", "q": spaced, "csrf_token": _csrf(web, "/people")})
    assert found.status_code == 200 and f'href="/people/{pseudonym}"' in found.get_data(as_text=True)
    found = web.post("/people", data={"by": "name", "q": "lecka", "csrf_token": _csrf(web, "/people")})
    assert "1 osoba znaleziona" in found.get_data(as_text=True)
    bad = web.post("/people", data={"by": "pesel", "q": "44051401358", "csrf_token": _csrf(web, "/people")})
    assert bad.status_code == 400 and "Cyfra kontrolna" in bad.get_data(as_text=True)
    none = _sign_in(api_app, "marek.ngo").post("/people", data={"by": "pesel", "q": KOWALSKA["pesel"],
                                                                 "csrf_token": _csrf(web, "/people")})
    assert pseudonym not in none.get_data(as_text=True)
    with services(api_app).store.unit_of_work(write=False) as uow:
        logged = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.search"))
        details = [e.detail for e in logged]
    assert details[:2] == [{"by": "pesel", "results": 1}, {"by": "name", "results": 1}]
    assert KOWALSKA["pesel"] not in str(details)


def test_who_may_open_the_people_pages(api_app):
    anna = _sign_in(api_app, "anna.ops")
    _register(anna, **KOWALSKA)
    [pseudonym] = _people(api_app)
    assert 'href="/people"' in anna.get("/inbox").get_data(as_text=True)  # the menu, for case workers
    for username in ("teresa.sup", "admin"):
        web = _sign_in(api_app, username)
        assert 'href="/people"' not in web.get("/inbox").get_data(as_text=True)
        assert web.get("/people").status_code == 403
        assert web.get("/people/new").status_code == 403
        assert web.get(f"/people/{pseudonym}").status_code == 403
    for username in ("ewa.pup", "olga.far"):
        page = _sign_in(api_app, username).get(f"/people/{pseudonym}")
        assert page.status_code == 404 and KOWALSKA["last_name"] not in page.get_data(as_text=True)
    anonymous = api_app.test_client()
    assert anonymous.get(f"/people/{pseudonym}").status_code == 302
    assert "/login" in anonymous.get("/people/new").headers["Location"]
    assert anonymous.post("/people/new", data={**NOWAK}).status_code in (302, 400)
    assert anna.post("/people/new", data={**NOWAK}).status_code == 400  # no CSRF token
    assert _people(api_app) == [pseudonym]


def test_correct_the_identity_from_the_person_page(api_app):
    anna = _sign_in(api_app, "anna.ops")
    _register(anna, **KOWALSKA)
    [pseudonym] = _people(api_app)
    assert f'href="/people/{pseudonym}/identity"' in anna.get(f"/people/{pseudonym}").get_data(as_text=True)
    form = anna.get(f"/people/{pseudonym}/identity").get_data(as_text=True)
    assert f'value="{KOWALSKA["last_name"]}"' in form and "Popraw dane osobowe" in form
    data = {**KOWALSKA, "last_name": "Kowalska", "csrf_token": _csrf(anna, f"/people/{pseudonym}/identity")}
    no_reason = anna.post(f"/people/{pseudonym}/identity", data=data)
    assert no_reason.status_code == 400 and 'id="p-reason-error"' in no_reason.get_data(as_text=True)
    bad = anna.post(f"/people/{pseudonym}/identity", data={**data, "pesel": "44051401358", "reason": "typo"})
    assert bad.status_code == 400 and "Cyfra kontrolna" in bad.get_data(as_text=True)
    done = anna.post(f"/people/{pseudonym}/identity", data={**data, "reason": "literówka w nazwisku"})
    assert done.status_code == 302
    page = anna.get(f"/people/{pseudonym}").get_data(as_text=True)
    assert "Poprawiono dane osobowe." in page and "Kowalska-Łęcka" not in page
    with services(api_app).store.unit_of_work(write=False) as uow:
        [entry] = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.identity.update"))
    assert entry.detail["changed"] == ["last_name"] and "literówka" not in str(entry.detail)
    # an agency that does not see the person gets 404, a supervisor 403
    assert _sign_in(api_app, "ewa.pup").get(f"/people/{pseudonym}/identity").status_code == 404
    assert _sign_in(api_app, "teresa.sup").get(f"/people/{pseudonym}/identity").status_code == 403
