"""Sharing over HTTP: legal bases, consents, agencies joining and leaving a case; who may, and
what hostile input gets (a located 400, nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pathways.core import services
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, Beneficiary, CaseAgency, Consent
from tests.e2e.api_fixtures import OUTSIDER, _template_db, api_app, bearer, client, token  # noqa: F401  (fixtures)
from tests.integration.test_inbox import IDENTIFY

OPS, PUP, NGO, SUP = "mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"


@pytest.fixture
def http(client: FlaskClient, bearer):  # type: ignore[no-untyped-def]  # noqa: F811
    def call(method: str, user: str, path: str, body: Any = None, **kw: Any) -> Any:
        return client.open(f"/api/v1{path}", method=method, json=body, headers=bearer(client, user), **kw)

    return call


def register(app: Flask, agency: str = OPS) -> str:
    store = services(app).store
    with store.unit_of_work() as uow:
        s = uow.session
        pseudonym = new_pseudonym()
        agency_id = s.scalars(select(Agency.id).where(Agency.code == agency)).one()
        s.add(Beneficiary(pseudonym=pseudonym, agency_id=agency_id))
        uow.commit()
    return pseudonym


def count(app: Flask, model: Any) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_consent_case_sharing_and_withdrawal_over_http(api_app: Flask, http) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ben = register(api_app)
    consent_body = {"agency": NGO, "purpose": "crisis support", "identity_shared": True, "given_on": "2026-01-05"}
    before = count(api_app, Consent)
    for user, status in ((OUTSIDER, 404), ("marek.ngo", 404), ("teresa.sup", 404)):
        assert http("POST", user, f"/people/{ben}/consents", consent_body).status_code == status, user
    hostile = [({**consent_body, "purpose": "x" * 501}, "purpose"), ({**consent_body, "agency": "no-such"}, "agency"),
               ({**consent_body, "given_on": "2026-02-30"}, "given_on"), ({**consent_body, "given_on": "2999-01-01"},
                                                                         "given_on"),
               ({**consent_body, "extra": 1}, "extra"), ({**consent_body, "purpose": ""}, "purpose"),
               ({**consent_body, "case_id": 0}, "case_id"), ({**consent_body, "identity_shared": "maybe"},
                                                             "identity_shared")]
    for body, field in hostile:
        response = http("POST", "anna.ops", f"/people/{ben}/consents", body)
        assert response.status_code == 400 and field in response.get_json()["fields"], (field, response.get_json())
    assert http("POST", "anna.ops", "/people/not-a-pseudonym/consents", consent_body).status_code == 404
    assert count(api_app, Consent) == before
    created = http("POST", "anna.ops", f"/people/{ben}/consents", consent_body)
    assert created.status_code == 201, created.get_json()
    consent = created.get_json()
    assert consent["taken_by"] == "anna.ops" and consent["given_on"] == "2026-01-05" and consent["active"]
    listed = http("GET", "anna.ops", f"/people/{ben}/consents").get_json()
    assert [c["id"] for c in listed] == [consent["id"]] and listed[0]["may_withdraw"] is True
    assert http("GET", OUTSIDER, f"/people/{ben}/consents").status_code == 404

    started = http("POST", "anna.ops", "/cases", {
        "pathway": "intake_referral", "beneficiary": ben, "agencies": [OPS, NGO, SUP],
        "bases": {NGO: {"basis": "consent", "consent": consent["id"]},
                  SUP: {"basis": "statute", "statute": "social_assistance_act"}}})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    bases = {a["code"]: a["basis"] for a in case["agencies"]}
    assert bases[OPS] == {"kind": "own"} and bases[NGO]["consent"]["purpose"] == "crisis support"
    assert bases[NGO]["consent"]["given_on"] == "2026-01-05"
    assert bases[SUP]["statute"]["code"] == "social_assistance_act"
    identify = case["open_tasks"][0]["id"]
    assert http("POST", "anna.ops", f"/tasks/{identify}/complete", {"data": IDENTIFY}).status_code == 200
    crisis = next(t["id"] for t in http("GET", "anna.ops", f"/cases/{case['id']}").get_json()["open_tasks"]
                  if t["element"] == "crisis_intervention")
    assert http("POST", "marek.ngo", f"/tasks/{crisis}/claim").status_code == 200
    assert http("GET", "marek.ngo", f"/tasks/{crisis}").status_code == 200

    # adding an agency: refusals and hostile bases
    path = f"/cases/{case['id']}/agencies"
    good = {"agency": PUP, "basis": {"basis": "statute", "statute": "labour_market_act"}}
    assert http("POST", OUTSIDER, path, good).status_code == 404
    assert http("POST", "teresa.sup", path, good).status_code == 403  # supervisor: no case work
    assert http("POST", "admin", path, good).status_code == 403  # admin: keeps bases, not cases
    for basis, field in [({"basis": "own"}, "basis.basis"), ({"basis": "consent", "consent": "1"}, "basis.consent"),
                         ({"basis": "consent", "consent": True}, "basis.consent"),
                         ({"basis": "statute"}, "basis.statute"), ({"basis": "statute", "statute": "x" * 65},
                                                                   "basis.statute"),
                         ({"basis": "statute", "statute": "no_such_act"}, "basis.statute"),
                         ({"basis": "consent", "consent": consent["id"]}, "basis.consent"),  # for the NGO, not PUP
                         ({"basis": "consent", "consent": 2**40}, "basis.consent")]:
        response = http("POST", "anna.ops", path, {"agency": PUP, "basis": basis})
        assert response.status_code == 400 and field in response.get_json()["fields"], (basis, response.get_json())
    for body, field in [({"agency": "nope", "basis": good["basis"]}, "agency"), ({"agency": PUP, "basis": []}, "basis"),
                        ({**good, "reason": "r" * 501}, "reason"), ({"agency": PUP}, "basis")]:
        response = http("POST", "anna.ops", path, body)
        assert response.status_code == 400 and field in response.get_json()["fields"], (body, response.get_json())
    added = http("POST", "marek.ngo", path, {**good, "reason": "job search"})
    assert added.status_code == 201, added.get_json()
    assert {a["code"] for a in added.get_json()["case"]["agencies"]} == {OPS, NGO, SUP, PUP}

    # removing: refusals
    assert http("DELETE", "ewa.pup", f"{path}/{NGO}", query_string={"reason": "x"}).status_code == 403
    assert http("DELETE", "teresa.sup", f"{path}/{PUP}", query_string={"reason": "x"}).status_code == 403
    assert http("DELETE", "anna.ops", f"{path}/{PUP}").status_code == 400  # no reason
    assert http("DELETE", "anna.ops", f"{path}/{PUP}", query_string={"reason": "r" * 501}).status_code == 400
    assert http("DELETE", OUTSIDER, f"{path}/{PUP}", query_string={"reason": "x"}).status_code == 404
    left = http("DELETE", "ewa.pup", f"{path}/{PUP}", query_string={"reason": "not needed"})
    assert left.status_code == 200 and left.get_json()["case"] is None  # ewa's agency left: she sees it no more
    assert http("GET", "ewa.pup", f"/cases/{case['id']}").status_code == 404

    # withdrawing the consent: the NGO loses the case and its claimed task at once
    withdraw = f"/consents/{consent['id']}/withdraw"
    assert http("POST", OUTSIDER, withdraw, {}).status_code == 404
    assert http("POST", "teresa.sup", withdraw, {}).status_code == 403
    assert http("POST", "anna.ops", withdraw, {"note": "n" * 501}).status_code == 400
    assert http("POST", "anna.ops", "/consents/0/withdraw", {}).status_code == 404
    done = http("POST", "anna.ops", withdraw, {"note": "by phone"})
    assert done.status_code == 200 and done.get_json()["removed_from"] == [case["id"]]
    assert http("GET", "marek.ngo", f"/cases/{case['id']}").status_code == 404
    assert http("GET", "marek.ngo", f"/tasks/{crisis}").status_code == 404
    assert crisis not in {t["id"] for t in http("GET", "marek.ngo", "/tasks").get_json()["items"]}
    after = http("GET", "anna.ops", f"/cases/{case['id']}").get_json()
    assert {a["code"] for a in after["agencies"]} == {OPS, SUP}
    assert {t["id"]: t["waiting_for_agency"] for t in after["open_tasks"]}[crisis] is True
    removed = [e for e in after["timeline"] if e["kind"] == "AgencyRemoved"]
    assert [e["after"]["agency"] for e in removed] == [PUP, NGO] and removed[1]["after"]["waiting"] == [crisis]
    again = http("POST", "anna.ops", path, {"agency": NGO, "basis": {"basis": "consent", "consent": consent["id"]}})
    assert again.status_code == 400 and again.get_json()["fields"] == {"basis.consent": "withdrawn"}


def test_legal_bases_over_http(api_app: Flask, http) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    listed = http("GET", "marek.ngo", "/legal-bases")
    assert listed.status_code == 200 and "social_assistance_act" in {b["code"] for b in listed.get_json()}
    new = {"code": "esf_plus", "title": "EFS+", "reference": "rozporządzenie 2021/1057", "gdpr": "art. 6(1)(e)"}
    assert http("POST", "anna.ops", "/legal-bases", new).status_code == 403
    assert http("POST", "teresa.sup", "/legal-bases", new).status_code == 403
    for body, field in [({**new, "code": "Bad Code"}, "code"), ({**new, "title": "t" * 301}, "title"),
                        ({**new, "extra": 1}, "extra"), ({**new, "title": ""}, "title")]:
        response = http("POST", "admin", "/legal-bases", body)
        assert response.status_code == 400 and field in response.get_json()["fields"], (body, response.get_json())
    assert http("POST", "admin", "/legal-bases", new).status_code == 201
    assert http("POST", "admin", "/legal-bases", new).status_code == 400  # exists
    assert http("PATCH", "anna.ops", "/legal-bases/esf_plus", {"title": "x"}).status_code == 403
    assert http("PATCH", "admin", "/legal-bases/esf_plus", {"code": "other"}).status_code == 400
    assert http("PATCH", "admin", "/legal-bases/esf_plus", {"active": True}).status_code == 400  # no un-retiring
    assert http("PATCH", "admin", "/legal-bases/no_such", {"title": "x"}).status_code == 404
    edited = http("PATCH", "admin", "/legal-bases/esf_plus", {"title": "EFS+ 2021-2027"})
    assert edited.status_code == 200 and edited.get_json()["title"] == "EFS+ 2021-2027"
    retired = http("PATCH", "admin", "/legal-bases/esf_plus", {"active": False})
    assert retired.status_code == 200 and retired.get_json()["active"] is False
    active = http("GET", "anna.ops", "/legal-bases", query_string={"retired": "false"}).get_json()
    assert "esf_plus" not in {b["code"] for b in active}
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(CaseAgency).where(
            CaseAgency.statute == "esf_plus")) == 0
