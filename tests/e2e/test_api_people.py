"""The people API over HTTP: who may register, find and read people, and what hostile input gets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry, Beneficiary
from tests.e2e.api_fixtures import OUTSIDER
from tests.integration.test_people_store import KOWALSKA, NOWAK

pytest_plugins = ["tests.e2e.api_fixtures"]


def register(client, bearer, username="anna.ops", identity=KOWALSKA):
    return client.post("/api/v1/people", json={"identity": identity}, headers=bearer(client, username))


def people_count(app):
    with services(app).store.unit_of_work(write=False) as uow:
        return len(uow.session.scalars(select(Beneficiary)).all())


def test_register_read_and_find_a_person(any_app, bearer):
    client = any_app.test_client()
    made = register(client, bearer)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    pseudonym = body["pseudonym"]
    assert body["agency"] == "mops-bartoszyce" and body["identity_visible"] and body["has_identity"]
    assert "identity" not in body and KOWALSKA["pesel"] not in made.get_data(as_text=True)
    shown = client.get(f"/api/v1/people/{pseudonym}", headers=bearer(client, "piotr.ops")).get_json()
    assert shown["identity"]["last_name"] == KOWALSKA["last_name"] and shown["cases"] == []
    found = client.post("/api/v1/people/search", json={"pesel": KOWALSKA["pesel"]},
                        headers=bearer(client, "anna.ops")).get_json()
    assert [p["pseudonym"] for p in found["items"]] == [pseudonym]
    found = client.post("/api/v1/people/search", json={"name": "zaneta"}, headers=bearer(client, "anna.ops"))
    assert found.status_code == 200 and found.get_json()["total"] == 1
    # a lower-case pseudonym is the same person
    assert client.get(f"/api/v1/people/{pseudonym.lower()}", headers=bearer(client, "anna.ops")).status_code == 200


def test_a_duplicate_is_409_with_the_existing_pseudonym(client, bearer):
    first = register(client, bearer).get_json()["pseudonym"]
    again = register(client, bearer, "piotr.ops", {"pesel": KOWALSKA["pesel"]})
    assert again.status_code == 409
    assert again.get_json()["code"] == "duplicate_person" and again.get_json()["existing"] == first
    # the NGO does not learn that the OPS knows this PESEL: it gets a record of its own
    theirs = register(client, bearer, "marek.ngo", {"pesel": KOWALSKA["pesel"]})
    assert theirs.status_code == 201 and theirs.get_json()["pseudonym"] != first
    assert first not in theirs.get_data(as_text=True)


def test_a_person_without_identity(client, bearer):
    for body in ({}, {"identity": None}, {"identity": {}}):
        made = client.post("/api/v1/people", json=body, headers=bearer(client, "marek.ngo"))
        assert made.status_code == 201 and made.get_json()["has_identity"] is False


@pytest.mark.parametrize("body, field", [
    ({"identity": {"pesel": "44051401358"}}, "identity.pesel"),
    ({"identity": {"pesel": "440514013599"}}, "identity.pesel"),
    ({"identity": {"first_name": "A" * 101}}, "identity.first_name"),
    ({"identity": {"last_name": "Nowak\r\nX-Injected: 1"}}, "identity.last_name"),
    ({"identity": {"first_name": "Jan\u0007"}}, "identity.first_name"),
    ({"identity": {"nickname": "Kasia"}}, "identity.nickname"),
    ({"identity": {"first_name": ["Jan"]}}, "identity.first_name"),
    ({"identity": "Jan Nowak"}, "identity"),
    ({"identity": {}, "pseudonym": "B-2222-22"}, "pseudonym"),
    ({"identity": {"birth_date": "1985-02-30"}}, "identity.birth_date"),
])
def test_hostile_registrations_are_400_located_and_change_nothing(client, bearer, body, field):
    before = people_count(client.application)
    response = client.post("/api/v1/people", json=body, headers=bearer(client, "anna.ops"))
    assert response.status_code == 400, response.get_json()
    assert any(k == field or k.startswith(field + ".") for k in response.get_json()["fields"])
    assert "Kasia" not in response.get_data(as_text=True) and "Injected" not in response.get_data(as_text=True)
    assert people_count(client.application) == before


@pytest.mark.parametrize("body, field", [
    ({}, "pesel"), ({"pesel": NOWAK["pesel"], "name": "Jan"}, "pesel"), ({"pesel": "1234"}, "pesel"),
    ({"name": "x" * 151}, "name"), ({"name": "J"}, "name"), ({"name": "Jan\u001b[31m"}, "name"),
    ({"name": "Jan", "agency": "x"}, "agency"), ({"pesel": 44051401359}, "pesel")])
def test_hostile_searches_are_400_and_not_audited_as_searches(client, bearer, body, field):
    response = client.post("/api/v1/people/search", json=body, headers=bearer(client, "anna.ops"))
    assert response.status_code == 400 and field in response.get_json()["fields"]
    with services(client.application).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.search")).all() == []


def test_the_search_is_a_post_so_no_pesel_lands_in_an_address(client, bearer):
    assert client.get(f"/api/v1/people?pesel={NOWAK['pesel']}", headers=bearer(client, "anna.ops")).status_code == 405


@pytest.mark.parametrize("username", ["teresa.sup", "admin"])
def test_supervisors_and_admins_are_refused(client, bearer, username):
    pseudonym = register(client, bearer).get_json()["pseudonym"]
    headers = bearer(client, username)
    assert client.post("/api/v1/people", json={"identity": NOWAK}, headers=headers).status_code == 403
    assert client.post("/api/v1/people/search", json={"name": "Nowak"}, headers=headers).status_code == 403
    assert client.get(f"/api/v1/people/{pseudonym}", headers=headers).status_code == 403
    assert client.put(f"/api/v1/people/{pseudonym}/identity", json={"identity": NOWAK, "reason": "x"},
                      headers=headers).status_code == 403


def test_anonymous_callers_are_401(client):
    assert client.post("/api/v1/people", json={}).status_code == 401
    assert client.post("/api/v1/people/search", json={"name": "Nowak"}).status_code == 401
    assert client.get("/api/v1/people/B-2345-6X").status_code == 401
    assert client.put("/api/v1/people/B-2345-6X/identity", json={}).status_code == 401


def test_a_foreign_agencys_person_is_404_and_finds_nothing(client, bearer):
    pseudonym = register(client, bearer).get_json()["pseudonym"]
    for username in (OUTSIDER, "ewa.pup", "marek.ngo"):
        headers = bearer(client, username)
        missing = client.get(f"/api/v1/people/{pseudonym}", headers=headers)
        assert missing.status_code == 404 and KOWALSKA["last_name"] not in missing.get_data(as_text=True)
        assert client.post("/api/v1/people/search", json={"pesel": KOWALSKA["pesel"]},
                           headers=headers).get_json()["items"] == []
        assert client.put(f"/api/v1/people/{pseudonym}/identity", json={"identity": NOWAK, "reason": "x"},
                          headers=headers).status_code == 404
    for junk in ("B-0000-00", "nobody", "B-" + "X" * 30, "..%2F..%2Fetc", "B-2345-6X%20"):
        assert client.get(f"/api/v1/people/{junk}", headers=bearer(client, "anna.ops")).status_code == 404
    assert client.get("/api/v1/people/B-%00", headers=bearer(client, "anna.ops")).status_code == 400  # the edge
    typed_name = client.get("/api/v1/people/Jan%20Kowalski", headers=bearer(client, "anna.ops"))
    assert typed_name.status_code == 404 and "Kowalski" not in typed_name.get_data(as_text=True)


def test_rectify_an_identity(client, bearer):
    pseudonym = register(client, bearer).get_json()["pseudonym"]
    corrected = {**KOWALSKA, "last_name": "Kowalska"}
    done = client.put(f"/api/v1/people/{pseudonym}/identity", json={"identity": corrected, "reason": "typo"},
                      headers=bearer(client, "piotr.ops"))
    assert done.status_code == 200 and done.get_json() == {"pseudonym": pseudonym, "changed": ["last_name"]}
    for body in ({"identity": corrected}, {"identity": corrected, "reason": ""},
                 {"identity": {"pesel": "1"}, "reason": "typo"}, {"identity": corrected, "reason": "x" * 501}):
        response = client.put(f"/api/v1/people/{pseudonym}/identity", json=body, headers=bearer(client, "anna.ops"))
        assert response.status_code == 400, body
    shown = client.get(f"/api/v1/people/{pseudonym}", headers=bearer(client, "anna.ops")).get_json()
    assert shown["identity"]["last_name"] == "Kowalska"


def test_starting_a_case_needs_a_registered_visible_pseudonym(client, bearer):
    pseudonym = register(client, bearer).get_json()["pseudonym"]
    start = {"pathway": "intake_referral", "agencies": ["mops-bartoszyce"]}
    assert client.post("/api/v1/cases", json={**start, "beneficiary": "Jan Nowak"},
                       headers=bearer(client, "anna.ops")).status_code == 400
    started = client.post("/api/v1/cases", json={**start, "beneficiary": pseudonym}, headers=bearer(client, "anna.ops"))
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["beneficiary"] == pseudonym
    shown = client.get(f"/api/v1/people/{pseudonym}", headers=bearer(client, "anna.ops")).get_json()
    assert [c["id"] for c in shown["cases"]] == [started.get_json()["id"]]
    # the NGO's own person cannot be used by the OPS
    theirs = register(client, bearer, "marek.ngo", NOWAK).get_json()["pseudonym"]
    assert client.post("/api/v1/cases", json={**start, "beneficiary": theirs},
                       headers=bearer(client, "anna.ops")).status_code == 400
