"""The person's rights over HTTP: export, erasure, the register, corrections; who may, and hostile input."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.privacy.identity import seal_identity
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, AuditEntry, Beneficiary, Case, Identity
from pathways.tasks.accounts import create_user
from tests.privacy_fixtures import IDENTITY

pytest_plugins = ["tests.e2e.api_fixtures"]

AUDITOR = "iod"
CASE = 2  # the demo's intake case past identification (anna.ops, an OPS social worker, collected it)


@pytest.fixture
def person(api_app) -> str:
    """A registered person (by the NGO) whose case is the demo's case 2; and an auditor account."""
    pathways = services(api_app)
    create_user(pathways.store, pathways.roles, AUDITOR, "partnership", ["auditor"], PASSWORD, "Inspektor ODO",
                check_policy=False)
    with pathways.store.unit_of_work() as uow:
        s = uow.session
        agency_id = s.scalars(select(Agency.id).where(Agency.code == "ngo-bartoszyce")).one()
        found = Beneficiary(pseudonym=new_pseudonym(), agency_id=agency_id)
        s.add(found)
        s.flush()
        s.add(seal_identity(found, IDENTITY))
        s.execute(update(Case).where(Case.id == CASE).values(beneficiary_id=found.id))
        uow.commit()
        return found.pseudonym


def _entries(app, action):
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                        .order_by(AuditEntry.id)))


def test_the_auditor_exports_a_person_as_json_and_html(client, bearer, api_app, person):
    client.get(f"/api/v1/cases/{CASE}", headers=bearer(client, "marek.ngo"))  # a read the log must list
    response = client.get(f"/api/v1/privacy/people/{person}/export", headers=bearer(client, AUDITOR))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert f'filename="osoba-{person}.json"' in response.headers["Content-Disposition"]
    body = response.get_json()
    assert body["person"]["identity"]["pesel"] == IDENTITY["pesel"]
    [case] = body["cases"]
    assert {d["field"]: d["value"] for d in case["data"]}["notes"] == "Zgłoszenie z punktu konsultacyjnego"
    reads = [(e["username"], e["agency"]["code"]) for e in body["access_log"] if e["action"] == "case.read"]
    assert ("marek.ngo", "ngo-bartoszyce") in reads

    html = client.get(f"/api/v1/privacy/people/{person.lower()}/export?format=html", headers=bearer(client, AUDITOR))
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert "Informacja o danych osobowych" in page and IDENTITY["last_name"] in page and "@media print" in page
    assert [e.detail["format"] for e in _entries(api_app, "privacy.export")] == ["json", "html"]


@pytest.mark.parametrize("username", ["marek.ngo", "anna.ops", "teresa.sup", "admin", "olga.far"])
def test_only_the_auditor_may_export_or_erase(client, bearer, api_app, person, username):
    headers = bearer(client, username)
    assert client.get(f"/api/v1/privacy/people/{person}/export", headers=headers).status_code == 403
    assert client.post(f"/api/v1/privacy/people/{person}/erase", json={"reason": "wniosek"},
                       headers=headers).status_code == 403
    assert client.get("/api/v1/privacy/register", headers=headers).status_code == 403
    assert len(_entries(api_app, "access.denied")) == 3
    assert client.get(f"/api/v1/privacy/people/{person}/export").status_code == 401


def test_hostile_pseudonyms_and_queries(client, bearer, person):
    headers = bearer(client, AUDITOR)
    for bad, status in [("nope", 400), ("B-0000-00", 400), ("B-" + "Q" * 40, 404), ("%3Cscript%3E", 400),
                        ("B-2222-22" if person != "B-2222-22" else "B-3333-3H", 404)]:
        response = client.get(f"/api/v1/privacy/people/{bad}/export", headers=headers)
        assert response.status_code == status, bad
        assert "<script>" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/privacy/people/{person}/export?format=pdf", headers=headers).status_code == 400


def test_erasure_is_refused_while_the_case_is_active(client, bearer, api_app, person):
    headers = bearer(client, AUDITOR)
    response = client.post(f"/api/v1/privacy/people/{person}/erase", json={"reason": "wniosek z 2.12.2026"},
                           headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "erasure_refused" and "active" in response.get_json()["message"]
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "extra": 1}, {"reason": 5}):
        assert client.post(f"/api/v1/privacy/people/{person}/erase", json=body, headers=headers).status_code == 400
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(Identity)).first() is not None


def test_the_register_as_json_and_markdown(client, bearer, person):
    headers = bearer(client, AUDITOR)
    found = client.get("/api/v1/privacy/register", headers=headers).get_json()
    keys = {p["key"] for p in found["pathways"]}
    assert {"intake_referral", "trafficking_survivors", "social_contract"} <= keys
    markdown = client.get("/api/v1/privacy/register?format=md", headers=headers)
    assert markdown.mimetype == "text/markdown" and "| `shelter_location` |" in markdown.get_data(as_text=True)


def test_a_collecting_role_corrects_a_value(client, bearer, api_app):
    headers = bearer(client, "anna.ops")
    response = client.post(f"/api/v1/cases/{CASE}/corrections", headers=headers,
                           json={"field": "risk_level", "value": "medium", "reason": "ocena z dokumentów",
                                 "expected": "high"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["field"] == "risk_level"
    detail = client.get(f"/api/v1/cases/{CASE}", headers=headers).get_json()
    assert detail["data"]["risk_level"] == "medium"
    [event] = [e for e in detail["timeline"] if e["kind"] == "ValueCorrected"]
    assert event["before"] == {"risk_level": "high"} and event["actor"] == "anna.ops"
    assert [e.detail for e in _entries(api_app, "case.rectify")] == [{"field": "risk_level"}]


def test_correction_refusals(client, bearer, api_app):
    url = f"/api/v1/cases/{CASE}/corrections"
    ok = {"field": "risk_level", "value": "medium", "reason": "powód"}
    assert client.post(url, json=ok).status_code == 401
    assert client.post(url, json=ok, headers=bearer(client, "olga.far")).status_code == 404  # foreign agency
    assert client.post(url, json=ok, headers=bearer(client, "marek.ngo")).status_code == 403  # takes part, not his
    assert client.post(url, json=ok, headers=bearer(client, "piotr.ops")).status_code == 403  # OPS, other role
    assert client.post("/api/v1/cases/99999/corrections", json=ok, headers=bearer(client, "anna.ops")).status_code \
        == 404
    anna = bearer(client, "anna.ops")
    for body, where in [({**ok, "reason": "x" * 1001}, "reason"), ({**ok, "reason": ""}, "reason"),
                        ({**ok, "field": "no_such"}, "field"), ({**ok, "value": "extreme"}, "value"),
                        ({**ok, "field": "intake_date", "value": "20.11.2026"}, "value"),
                        ({**ok, "field": "f" * 201}, "field"), ({"field": "risk_level", "reason": "r"}, "value"),
                        ({**ok, "unknown": 1}, "unknown"), ({**ok, "value": "a\x00b"}, None)]:
        response = client.post(url, json=body, headers=anna)
        assert response.status_code == 400, (body, response.get_json())
        if where:
            assert where in response.get_json().get("fields", {}), response.get_json()
    stale = client.post(url, json={**ok, "expected": "low"}, headers=anna)  # someone changed it since
    assert stale.status_code == 409 and "changed since" in stale.get_json()["message"]
    assert client.get(f"/api/v1/cases/{CASE}", headers=anna).get_json()["data"]["risk_level"] == "high"
    assert _entries(api_app, "case.rectify") == []
