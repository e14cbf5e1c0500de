"""The sharing pages (Flask test client): recording and withdrawing a consent, the agencies panel
of a case with its bases and add/remove forms, the start form's bases; who may, hostile input."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from pathways.core import services
from pathways.store.models import Beneficiary, Consent
from tests.e2e.test_api_sharing import NGO, OPS, PUP, SUP, register
from tests.e2e.test_web_cases import _csrf, _sign_in

pytest_plugins = ["tests.e2e.api_fixtures"]


def _consents(app) -> int:  # type: ignore[no-untyped-def]
    with services(app).store.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Consent)) or 0)


def _record(web, ben, **form):  # type: ignore[no-untyped-def]
    data = {"agency": NGO, "purpose": "crisis support", "identity_shared": "yes", "given_on": "2026-01-05",
            "csrf_token": _csrf(web, f"/people/{ben}/consents/new"), **form}
    return web.post(f"/people/{ben}/consents/new", data=data)


def test_recording_a_consent_and_withdrawing_it(api_app):  # type: ignore[no-untyped-def]
    ben = register(api_app)
    anna = _sign_in(api_app, "anna.ops", lang="en")
    page = anna.get(f"/people/{ben}/consents/new").get_data(as_text=True)
    assert "Record a consent" in page and ben in page
    before = _consents(api_app)
    for form, message in [({"purpose": "x" * 501}, "at most 500 characters"), ({"purpose": " "}, "shared for"),
                          ({"given_on": "2999-01-01"}, "not in the future"), ({"given_on": "yesterday"}, "the day"),
                          ({"agency": "no-such"}, "Choose the agency"), ({"case_id": "12x"}, "cases")]:
        response = _record(anna, ben, **form)
        assert response.status_code == 400 and message in response.get_data(as_text=True), form
    assert _consents(api_app) == before
    done = _record(anna, ben)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/people/{ben}/consents")
    listed = anna.get(f"/people/{ben}/consents").get_data(as_text=True)
    assert "crisis support" in listed and "in force" in listed and "Withdraw" in listed
    consent_id = int(re.search(r'data-consent="(\d+)"', listed).group(1))
    outsider = _sign_in(api_app, "olga.far")  # no case of theirs, no consent for them: not seen
    assert outsider.get(f"/people/{ben}/consents/new").status_code == 404
    assert outsider.get(f"/people/{ben}/consents").status_code == 404
    # the agency the person consented to share with knows of them (to take part in their cases)
    assert _sign_in(api_app, "marek.ngo").get(f"/people/{ben}/consents").status_code == 200
    too_long = anna.post(f"/consents/{consent_id}/withdraw", follow_redirects=True,
                         data={"note": "n" * 501, "pseudonym": ben, "csrf_token": _csrf(anna, "/cases")})
    assert "at most 500 characters" in too_long.get_data(as_text=True) and "in force" in too_long.get_data(as_text=True)
    withdrawn = anna.post(f"/consents/{consent_id}/withdraw",
                          data={"note": "by phone", "pseudonym": ben, "csrf_token": _csrf(anna, "/cases")})
    assert withdrawn.status_code == 302
    after = anna.get(f"/people/{ben}/consents").get_data(as_text=True)
    assert "withdrawn" in after and "Withdraw</button>" not in after
    no_csrf = anna.post(f"/consents/{consent_id}/withdraw", data={"note": "x"})
    assert no_csrf.status_code == 400


def test_the_case_page_shows_bases_and_adds_and_removes_agencies(api_app):  # type: ignore[no-untyped-def]
    ben = register(api_app)
    anna = _sign_in(api_app, "anna.ops", lang="en")
    assert _record(anna, ben).status_code == 302
    with services(api_app).store.unit_of_work(write=False) as uow:
        consent_id = uow.session.scalars(select(Consent.id).join(Beneficiary, Beneficiary.id == Consent.beneficiary_id)
                                         .where(Beneficiary.pseudonym == ben)).one()
    # the start form: a basis for every ticked agency but one's own
    start = {"pathway": "intake_referral", "beneficiary": ben, "agencies": [OPS, SUP],
             "csrf_token": _csrf(anna, "/cases")}
    missing = anna.post("/cases", data=start)
    assert missing.status_code == 400 and "Choose a legal basis for this agency" in missing.get_data(as_text=True)
    started = anna.post("/cases", data={**start, f"basis.{SUP}": "social_assistance_act"})
    assert started.status_code == 302, started.get_data(as_text=True)
    case_path = started.headers["Location"]
    page = anna.get(case_path).get_data(as_text=True)
    case_id = int(case_path.rstrip("/").rsplit("/", 1)[1])
    assert "own mandate" in page and "Zadania pomocy społecznej" in page and f"/cases/{case_id}/agencies/new" in page
    assert "Fundacja Pomocy Wzajemnej" not in page  # the NGO takes no part: the case page does not name it
    form = anna.get(f"/cases/{case_id}/agencies/new").get_data(as_text=True)
    assert f'value="consent:{consent_id}"' in form and "Fundacja Pomocy Wzajemnej" in form
    add = {"agency": NGO, "basis": f"consent:{consent_id}", "csrf_token": _csrf(anna, case_path)}
    for bad in ({"basis": "consent:abc"}, {"basis": "statute:no_such_act"}, {"basis": ""}, {"agency": "no-such"}):
        response = anna.post(f"/cases/{case_id}/agencies", data={**add, **bad}, follow_redirects=True)
        assert response.status_code == 200 and "was not added" in response.get_data(as_text=True) \
            or "Choose a legal basis" in response.get_data(as_text=True), bad
    teresa = _sign_in(api_app, "teresa.sup")
    assert teresa.get(f"/cases/{case_id}/agencies/new").status_code == 403  # sees the case, works no cases
    assert _sign_in(api_app, "olga.far").get(f"/cases/{case_id}/agencies/new").status_code == 404
    assert teresa.post(f"/cases/{case_id}/agencies", data={**add, "csrf_token": _csrf(teresa, case_path)}
                       ).status_code == 403
    outsider = _sign_in(api_app, "olga.far")
    assert outsider.post(f"/cases/{case_id}/agencies", data={**add, "csrf_token": _csrf(outsider, "/cases")}
                         ).status_code == 404
    added = anna.post(f"/cases/{case_id}/agencies", data=add, follow_redirects=True)
    text = added.get_data(as_text=True)
    assert "The agency was added to the case." in text and f"consent no. {consent_id} of 2026-01-05" in text
    marek = _sign_in(api_app, "marek.ngo")
    assert marek.get(case_path).status_code == 200
    remove = f"/cases/{case_id}/agencies/{NGO}/remove"
    no_reason = anna.post(remove, data={"reason": "", "csrf_token": _csrf(anna, case_path)}, follow_redirects=True)
    assert "Say why the agency leaves the case." in no_reason.get_data(as_text=True)
    assert teresa.post(remove, data={"reason": "x", "csrf_token": _csrf(teresa, case_path)}).status_code == 403
    left = marek.post(remove, data={"reason": "done", "csrf_token": _csrf(marek, case_path)})
    assert left.status_code == 302 and left.headers["Location"].endswith("/cases")  # marek's agency left
    assert marek.get(case_path).status_code == 404
    assert "Agency removed" in anna.get(case_path).get_data(as_text=True)
    # the start form takes a consent's number too; one of another agency is refused by its row
    wrong = anna.post("/cases", data={**start, "agencies": [OPS, PUP], f"consent.{PUP}": str(consent_id),
                                      "csrf_token": _csrf(anna, "/cases")})
    assert wrong.status_code == 400 and "Choose a legal basis for this agency" in wrong.get_data(as_text=True)
    on_consent = anna.post("/cases", data={**start, "agencies": [OPS, NGO], f"consent.{NGO}": str(consent_id),
                                           "csrf_token": _csrf(anna, "/cases")})
    assert on_consent.status_code == 302, on_consent.get_data(as_text=True)
    assert f"consent no. {consent_id}" in anna.get(on_consent.headers["Location"]).get_data(as_text=True)
    assert PUP not in anna.get(case_path).get_data(as_text=True).split('id="agencies"')[1].split("</table>")[0]


def test_the_consent_fragment_for_the_person_page(api_app):  # type: ignore[no-untyped-def]
    from flask import g, render_template_string

    from pathways.engine.errors import NotFound
    from pathways.store.models import User

    ben = register(api_app)
    anna = _sign_in(api_app, "anna.ops", lang="en")
    assert _record(anna, ben).status_code == 302
    with services(api_app).store.unit_of_work(write=False) as uow:
        users = {u.username: u for u in uow.session.scalars(select(User))}
        for u in users.values():
            _ = u.agency, u.roles
    with api_app.test_request_context("/"):
        g.user = users["anna.ops"]
        html = render_template_string("{{ consents_fragment(pseudonym) }}", pseudonym=ben)
        assert 'id="consents"' in html and "crisis support" in html and "/consents/new" in html
        g.user = users["olga.far"]
        try:
            render_template_string("{{ consents_fragment(pseudonym) }}", pseudonym=ben)
        except NotFound:
            pass
        else:
            raise AssertionError("an agency that cannot see the person got its consents")
