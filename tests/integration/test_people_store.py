"""People (beneficiaries) against a real database (SQLite and PostgreSQL): registering, duplicates,
finding by PESEL and by name, who may see whom, the audit of every search, the identity sealed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.privacy import beneficiaries as people
from pathways.privacy import sharing
from pathways.privacy.errors import DuplicatePerson
from pathways.privacy.pseudonyms import is_pseudonym
from pathways.store.models import AuditEntry, Beneficiary, Consent, Identity, User
from pathways.tasks import accounts
from tests.integration.test_inbox import engine  # noqa: F401  (fixture: the intake pathway only)

AGENCIES = [("ops", "OPS"), ("ngo", "NGO"), ("pup", "PUP"), ("sup", "SUPERVISION")]
USERS = {"anna": ("ops", ["ops.social_worker"]), "piotr": ("ops", ["ops.psychologist"]),
         "marek": ("ngo", ["ngo.crisis_interventionist"]), "ewa": ("pup", ["pup.career_adviser"]),
         "teresa": ("sup", ["supervision.supervisor"]), "root": ("sup", ["admin"])}


def pesel(birth: str, serial: str = "0135") -> str:
    """A valid PESEL of a person born on YYMMDD (1900s) with a serial of four digits."""
    body = birth + serial
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return body + str((10 - sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 10) % 10)


KOWALSKA = {"first_name": "Żaneta", "last_name": "Kowalska-Łęcka", "pesel": pesel("850312"),
            "birth_date": "1985-03-12", "phone": "+48 600 100 200", "address": "ul. Tajna 7, Bartoszyce"}
NOWAK = {"first_name": "Jan", "last_name": "Nowak", "pesel": pesel("770101", "4567")}


@pytest.fixture
def users(store, engine):  # noqa: F811
    for code, kind in AGENCIES:
        accounts.add_agency(store, code, kind, code)
    for name, (agency, roles) in USERS.items():
        accounts.create_user(store, engine.roles, name, agency, roles, "pw", name.title(), check_policy=False)
    with store.unit_of_work(write=False) as uow:
        return {u.username: u for u in uow.session.scalars(select(User).options(joinedload(User.agency)))}


def entries(store, action):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def person_id(store, pseudonym):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(Beneficiary.id).where(Beneficiary.pseudonym == pseudonym)).one()


def consent(store, person, agency_user, *, identity_shared=True, withdrawn=False):
    with store.unit_of_work() as uow:
        row = Consent(beneficiary_id=person_id(store, person), agency_id=agency_user.agency_id, purpose="support",
                      identity_shared=identity_shared, given_on=datetime(2026, 11, 2, tzinfo=UTC),
                      withdrawn_at=datetime(2026, 11, 3, tzinfo=UTC) if withdrawn else None)
        uow.session.add(row)
        uow.commit()
        return row.id


def test_register_seals_the_identity_and_audits_without_values(store, users):
    made = people.register_person(store, users["anna"], KOWALSKA)
    assert is_pseudonym(made["pseudonym"]) and made["agency"] == "ops" and made["status"] == "active"
    with store.unit_of_work(write=False) as uow:
        raw = uow.session.execute(text("SELECT sealed, pesel_index FROM identities")).one()
        person = uow.session.scalars(select(Beneficiary)).one()
    assert person.pseudonym == made["pseudonym"] and person.registered_by == users["anna"].id
    for value in ("Żaneta", "Kowalska", "Łęcka", KOWALSKA["pesel"], "600 100 200", "Tajna", "1985-03-12"):
        assert value not in raw.sealed
    assert raw.pesel_index and KOWALSKA["pesel"] not in raw.pesel_index
    [entry] = entries(store, "person.register")
    assert entry.beneficiary_id == person.id and entry.username == "anna"
    assert entry.detail == {"identity": True, "fields": sorted(KOWALSKA)}
    shown = people.person_detail(store, users["anna"], made["pseudonym"])
    assert shown["identity"] == KOWALSKA and shown["identity_visible"] and shown["may_rectify"]


def test_a_person_without_identity_gets_a_pseudonym_only(store, users):
    made = people.register_person(store, users["marek"], None)
    assert made["has_identity"] is False
    shown = people.person_detail(store, users["marek"], made["pseudonym"].lower())
    assert shown["identity"] is None and shown["identity_visible"] and shown["has_identity"] is False
    with store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(Identity)).all() == []
    assert entries(store, "person.register")[0].detail == {"identity": False, "fields": []}
    assert people.register_person(store, users["marek"], {})["pseudonym"] != made["pseudonym"]


def test_pseudonym_collisions_are_drawn_again(store, users, monkeypatch):
    first = people.register_person(store, users["anna"], None)["pseudonym"]
    drawn = iter([first, first, "B-2345-6X"])
    monkeypatch.setattr(people, "new_pseudonym", lambda: next(drawn))
    second = people.register_person(store, users["anna"], None)["pseudonym"]
    assert second == "B-2345-6X" and second != first


@pytest.mark.parametrize("identity, where", [
    ({"pesel": "44051401358"}, "identity.pesel"),                           # check digit
    ({"pesel": "4405140135"}, "identity.pesel"),                            # length
    ({"first_name": "A" * 101}, "identity.first_name"),
    ({"last_name": "Nowak\x07"}, "identity.last_name"),
    ({"last_name": "Nowak\x00"}, "identity.last_name"),
    ({"nickname": "Kasia"}, "identity.nickname"),
    ({"x" * 5000: "y"}, "identity." + "x" * 40),
    ({"birth_date": "1985-03-13", "pesel": KOWALSKA["pesel"]}, "identity.birth_date"),
    ({"first_name": 12}, "identity.first_name"),
    ({"first_name": "Jan\ud800"}, "identity.first_name"),
])
def test_bad_identities_are_refused_located_and_nothing_is_written(store, users, identity, where):
    with pytest.raises(InvalidData) as refused:
        people.register_person(store, users["anna"], identity)
    assert where in refused.value.details["fields"]
    assert "Kasia" not in str(refused.value.details) and "Nowak" not in refused.value.message
    with store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(Beneficiary)).all() == []


def test_only_case_workers_register_search_and_read(store, users):
    made = people.register_person(store, users["anna"], NOWAK)["pseudonym"]
    for name in ("teresa", "root"):
        with pytest.raises(NotAllowed):
            people.register_person(store, users[name], NOWAK)
        with pytest.raises(NotAllowed):
            people.find_people(store, users[name], pesel=NOWAK["pesel"])
        with pytest.raises(NotAllowed):
            people.person_detail(store, users[name], made)
    denied = entries(store, "access.denied")
    assert {e.detail["attempted"] for e in denied} == {"person.register", "person.search", "person.read"}
    assert all(NOWAK["pesel"] not in str(e.detail) for e in denied)


def test_a_duplicate_pesel_in_the_agency_offers_the_existing_person(store, users):
    first = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    with pytest.raises(DuplicatePerson) as duplicate:
        people.register_person(store, users["piotr"], {"pesel": KOWALSKA["pesel"], "first_name": "Z."})
    assert duplicate.value.pseudonym == first and duplicate.value.details["existing"] == first
    assert KOWALSKA["pesel"] not in duplicate.value.message
    with store.unit_of_work(write=False) as uow:
        assert len(uow.session.scalars(select(Beneficiary)).all()) == 1


def test_a_pesel_known_only_to_another_agency_is_not_revealed(store, users):
    theirs = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    ours = people.register_person(store, users["marek"], KOWALSKA)["pseudonym"]
    assert ours != theirs
    with pytest.raises(NotFound):
        people.person_detail(store, users["marek"], theirs)
    # with the person's consent to share the identity with the NGO, the NGO is offered its record
    consent(store, theirs, users["marek"])
    with pytest.raises(DuplicatePerson):
        people.register_person(store, users["marek"], {"pesel": KOWALSKA["pesel"]})


def test_search_by_pesel_and_by_name_among_the_identities_the_agency_may_see(store, users):
    kowalska = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    nowak = people.register_person(store, users["anna"], NOWAK)["pseudonym"]
    people.register_person(store, users["marek"], {"first_name": "Jan", "last_name": "Nowakowski"})
    found = people.find_people(store, users["piotr"], pesel=KOWALSKA["pesel"])
    assert [p["pseudonym"] for p in found["items"]] == [kowalska]
    assert found["items"][0]["last_name"] == "Kowalska-Łęcka" and "pesel" not in found["items"][0]
    # any case, no accents, a part of a name, every word
    for typed in ("zaneta", "ŁĘCKA", "lecka", "kowal zan", "  KOWALSKA  "):
        assert [p["pseudonym"] for p in people.find_people(store, users["anna"], name=typed)["items"]] == [kowalska]
    assert [p["pseudonym"] for p in people.find_people(store, users["anna"], name="nowak")["items"]] == [nowak]
    assert people.find_people(store, users["anna"], name="zaneta nowak")["items"] == []
    assert people.find_people(store, users["anna"], pesel=pesel("991231"))["total"] == 0


def test_a_foreign_agency_finds_nothing_until_a_consent_shares_the_identity(store, users):
    person = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    assert people.find_people(store, users["marek"], pesel=KOWALSKA["pesel"])["items"] == []
    assert people.find_people(store, users["marek"], name="kowalska")["items"] == []
    consent(store, person, users["marek"], identity_shared=False)
    assert people.find_people(store, users["marek"], name="kowalska")["items"] == []
    consent(store, person, users["marek"], withdrawn=True)
    assert people.find_people(store, users["marek"], name="kowalska")["items"] == []
    consent(store, person, users["marek"])
    assert [p["pseudonym"] for p in people.find_people(store, users["marek"], name="kowalska")["items"]] == [person]
    shown = people.person_detail(store, users["marek"], person)
    assert shown["identity"]["pesel"] == KOWALSKA["pesel"] and not shown["may_rectify"]
    assert people.find_people(store, users["ewa"], pesel=KOWALSKA["pesel"])["items"] == []


def test_every_search_is_audited_without_what_was_typed(store, users):
    person = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    people.find_people(store, users["anna"], pesel=KOWALSKA["pesel"])
    people.find_people(store, users["anna"], name="Łęcka")
    people.find_people(store, users["marek"], name="Kowalska")
    logged = entries(store, "person.search")
    assert [(e.username, e.detail) for e in logged] == [
        ("anna", {"by": "pesel", "results": 1}), ("anna", {"by": "name", "results": 1}),
        ("marek", {"by": "name", "results": 0})]
    assert [e.beneficiary_id for e in logged] == [person_id(store, person)] * 2 + [None]
    with store.unit_of_work(write=False) as uow:
        dumped = " ".join(str(row) for row in uow.session.execute(text("SELECT * FROM audit_log")))
    for typed in (KOWALSKA["pesel"], "Łęcka", "Kowalska", "Żaneta"):
        assert typed not in dumped


@pytest.mark.parametrize("query, where", [
    ({}, "pesel"), ({"pesel": NOWAK["pesel"], "name": "Jan"}, "pesel"), ({"pesel": "123"}, "pesel"),
    ({"pesel": "4405140135x"}, "pesel"), ({"name": "J"}, "name"), ({"name": "N" * 151}, "name"),
    ({"name": "Jan\x1b[2J"}, "name"), ({"name": "Jan\x00"}, "name")])
def test_bad_searches_are_refused_and_not_audited_as_searches(store, users, query, where):
    with pytest.raises(InvalidData) as refused:
        people.find_people(store, users["anna"], **query)
    assert where in refused.value.details["fields"]
    assert entries(store, "person.search") == []


def test_person_detail_lists_the_visible_cases_and_audits_the_identity_read(store, engine, users):  # noqa: F811
    person = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    shared = sharing.start_case(store, engine, users["anna"], "intake_referral", {}, ["ops", "ngo"], person,
                                {"ngo": {"basis": "consent", "consent": consent(store, person, users["marek"],
                                                                                identity_shared=False)}})
    own = sharing.start_case(store, engine, users["anna"], "intake_referral", {}, ["ops"], person)
    mine = people.person_detail(store, users["anna"], person)
    assert [c["id"] for c in mine["cases"]] == [shared["id"], own["id"]]
    assert mine["cases"][0]["pathway"] == "intake_referral" and mine["cases"][0]["status"] == "active"
    ngo = people.person_detail(store, users["marek"], person)  # takes part in a case: sees the person
    assert [c["id"] for c in ngo["cases"]] == [shared["id"]]
    assert ngo["identity"] is None and ngo["identity_visible"] is False and ngo["has_identity"] is None
    with pytest.raises(NotFound):
        people.person_detail(store, users["ewa"], person)
    with pytest.raises(NotFound):
        people.person_detail(store, users["anna"], "not a pseudonym at all" * 10)
    assert [e.username for e in entries(store, "person.identity.read")] == ["anna"]
    assert [e.username for e in entries(store, "person.read")] == ["marek"]
    assert entries(store, "person.identity.read")[0].detail == {"cases": 2}


def test_rectification_by_the_registering_agency_names_the_changed_fields_only(store, users):
    person = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    corrected = {**KOWALSKA, "last_name": "Kowalska", "phone": "+48 600 999 999"}
    corrected.pop("address")
    done = people.update_identity(store, users["piotr"], person, corrected, "surname misspelt on intake")
    assert done["changed"] == ["address", "last_name", "phone"]
    assert people.person_detail(store, users["anna"], person)["identity"] == corrected
    [entry] = entries(store, "person.identity.update")
    assert entry.detail["changed"] == ["address", "last_name", "phone"]
    assert "misspelt" not in str(entry.detail) and "999" not in str(entry.detail)
    consent(store, person, users["marek"])
    with pytest.raises(NotAllowed):  # sees the identity by consent, but did not register the person
        people.update_identity(store, users["marek"], person, corrected, "typo")
    with pytest.raises(InvalidData):
        people.update_identity(store, users["anna"], person, corrected, "  ")
    other = people.register_person(store, users["anna"], NOWAK)["pseudonym"]
    with pytest.raises(DuplicatePerson):
        people.update_identity(store, users["anna"], other, {"pesel": KOWALSKA["pesel"]}, "wrong PESEL")
    with pytest.raises(NotFound):
        people.update_identity(store, users["ewa"], person, corrected, "typo")


def test_a_pesel_is_found_under_an_older_key_of_the_ring(store, users):
    """After a new key is added and before the rotation re-seals the row, search and duplicates still work."""
    import base64

    from pathways.base import sealing

    person = people.register_person(store, users["anna"], KOWALSKA)["pseudonym"]
    old = sealing.ring()
    sealing.configure(sealing.KeyRing({**old.keys, "k2": base64.b64decode(base64.b64encode(b"n" * 32))}))
    try:
        found = people.find_people(store, users["anna"], pesel=KOWALSKA["pesel"])
        assert [p["pseudonym"] for p in found["items"]] == [person]
        with pytest.raises(DuplicatePerson):
            people.register_person(store, users["piotr"], {"pesel": KOWALSKA["pesel"]})
    finally:
        sealing.configure(old)
