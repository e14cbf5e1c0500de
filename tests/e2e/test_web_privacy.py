"""The person's rights on the pages: the auditor's export page and the case page's correction form."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pathways.core import services
from pathways.privacy.identity import seal_identity
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, AuditEntry, Beneficiary, Case, CaseEvent
from pathways.tasks.accounts import create_user
from tests.e2e.test_web_cases import _csrf, _sign_in
from tests.privacy_fixtures import IDENTITY

pytest_plugins = ["tests.e2e.api_fixtures"]

CASE = 2  # the demo's intake case past identification (collected by anna.ops, an OPS social worker)


@pytest.fixture
def person(api_app) -> str:
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, "iod", "partnership", ["auditor"], "demo", "Inspektor ODO",
                check_policy=False)
    with pathways.store.unit_of_work() as uow:
        s = uow.session
        found = Beneficiary(pseudonym=new_pseudonym(),
                            agency_id=s.scalars(select(Agency.id).where(Agency.code == "mops-bartoszyce")).one())
        s.add(found)
        s.flush()
        s.add(seal_identity(found, IDENTITY))
        s.execute(update(Case).where(Case.id == CASE).values(beneficiary_id=found.id))
        uow.commit()
        return found.pseudonym


FIELDS = {"risk_level": "1", "intake_date": "2", "notes": "3"}  # the form's order: needs_crisis_support first


def _correct(web, field, **form):
    return web.post(f"/cases/{CASE}/corrections", data={"field": FIELDS.get(field, field), **form,
                                                        "csrf_token": _csrf(web, f"/cases/{CASE}")})


def test_the_export_page(api_app, person):
    web = _sign_in(api_app, "iod")
    assert 'href="/privacy/export"' in web.get("/audit").get_data(as_text=True)
    page = web.get(f"/privacy/export?pseudonym={person}").get_data(as_text=True)
    assert "Informacja o danych osobowych osoby" in page and IDENTITY["pesel"] in page
    assert web.get("/privacy/export?pseudonym=%3Cscript%3E").status_code == 400
    assert web.get("/privacy/export?pseudonym=B-2222-22").status_code == 404  # well formed, nobody
    assert web.get("/privacy/export").status_code == 200  # the empty form
    download = web.get(f"/privacy/export/{person}.json")
    assert download.status_code == 200 and download.get_json()["person"]["pseudonym"] == person
    assert web.get(f"/privacy/export/{person}.pdf").status_code == 404
    for username in ("anna.ops", "admin", "teresa.sup"):
        other = _sign_in(api_app, username)
        assert other.get(f"/privacy/export?pseudonym={person}").status_code == 403
        assert other.get(f"/privacy/export/{person}.html").status_code == 403
        assert 'href="/privacy/export"' not in other.get("/audit").get_data(as_text=True)


def test_the_case_page_corrects_a_value(api_app):
    anna = _sign_in(api_app, "anna.ops")
    page = anna.get(f"/cases/{CASE}").get_data(as_text=True)
    assert "Popraw wartość" in page and "risk_level" not in page  # field ids are never shown
    assert '<option value="1">Poziom ryzyka</option>' in page and '<option value="3">Uwagi</option>' in page
    response = _correct(anna, field="risk_level", value="średni", reason="ocena z dokumentów")  # the label
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{CASE}#correct")
    page = anna.get(f"/cases/{CASE}").get_data(as_text=True)
    assert "Wartość poprawiono" in page and "Poprawiono wartość" in page and "ocena z dokumentów" in page
    assert "Wysoki → Średni" in page  # the choice's labels, before and after

    _correct(anna, field="intake_date", value="20.11.2026", reason="data z wniosku")
    assert "Nowa wartość nie pasuje do tego pola." in anna.get(f"/cases/{CASE}").get_data(as_text=True)
    _correct(anna, field="notes", value="x", reason="")
    assert "Podaj powód poprawki." in anna.get(f"/cases/{CASE}").get_data(as_text=True)
    for hostile in ("99", "-1", "abc", "1" * 50):
        _correct(anna, field=hostile, value="low", reason="r")
        assert "Tej wartości nie można tu poprawić." in anna.get(f"/cases/{CASE}").get_data(as_text=True)
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert len(uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == "ValueCorrected")).all()) == 1


def test_only_collecting_roles_see_and_use_the_form(api_app):
    marek = _sign_in(api_app, "marek.ngo")  # his agency takes part, his roles did not collect these
    assert "Popraw wartość" not in marek.get(f"/cases/{CASE}").get_data(as_text=True)
    assert _correct(marek, field="risk_level", value="low", reason="r").status_code == 302
    assert "Tej wartości nie można tu poprawić." in marek.get(f"/cases/{CASE}").get_data(as_text=True)
    olga = _sign_in(api_app, "olga.far")
    token = _csrf(olga, "/cases")
    assert olga.post(f"/cases/{CASE}/corrections", data={"field": "risk_level", "value": "low", "reason": "r",
                                                        "csrf_token": token}).status_code == 404
    anna = _sign_in(api_app, "anna.ops")
    assert anna.post(f"/cases/{CASE}/corrections", data={"field": "risk_level", "value": "low",
                                                         "reason": "r"}).status_code == 400  # no CSRF token
    with services(api_app).store.unit_of_work(write=False) as uow:
        denied = [e.detail["attempted"] for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "access.denied"))]
    assert denied.count("case.rectify") == 1  # the foreign agency's attempt
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == "ValueCorrected")).all() == []
