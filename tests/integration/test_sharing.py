"""Sharing a case on SQLite and PostgreSQL: legal bases, consents, agencies joining and leaving.

The intake pathway: `identify` (OPS social worker) opens `crisis_intervention` (NGO crisis
interventionist) and `psych_diagnosis` (OPS psychologist). Two NGOs (`ngo`: marek, `ngo2`: olga).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.engine.actors import Actor
from pathways.engine.errors import CaseNotActive, InvalidData, NotAllowed, NotFound
from pathways.privacy import consents, legal_bases, participation, sharing
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, AuditEntry, Beneficiary, CaseAgency, CaseEvent, LegalBasis, TaskOffer
from pathways.tasks import cases, work
from tests.integration.test_inbox import World, build_world, engine  # noqa: F401  (fixture)

ACT = "test_social_assistance_act"
TODAY = date(2026, 11, 2)


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    built = build_world(store, engine)
    with store.unit_of_work() as uow:  # PostgreSQL runs truncate the seeded list: one basis of our own
        uow.session.add(LegalBasis(code=ACT, title="Ustawa o pomocy społecznej", reference="art. 23", gdpr="6(1)(c)"))
        uow.session.add(LegalBasis(code="old_act", title="Retired", active=False))
        uow.commit()
    return built


def person(world: World, agency: str = "ops") -> str:
    with world.store.unit_of_work() as uow:
        s = uow.session
        pseudonym = new_pseudonym()
        agency_id = s.scalars(select(Agency.id).where(Agency.code == agency)).one()
        s.add(Beneficiary(pseudonym=pseudonym, agency_id=agency_id))
        uow.commit()
    return pseudonym


def consent(world: World, pseudonym: str, agency: str = "ngo", by: str = "anna", **extra: Any) -> int:
    found = consents.record_consent(world.store, world.users[by], pseudonym, agency, "crisis support",
                                    extra.pop("identity_shared", True), extra.pop("given_on", TODAY), **extra)
    return int(found["id"])


def start(world: World, pseudonym: str, bases: dict[str, object], agencies: list[str] | None = None) -> int:
    codes = agencies or ["ops", *bases]
    detail = sharing.start_case(world.store, world.engine, world.users["anna"], "intake_referral", {}, codes,
                                pseudonym, bases)
    return int(detail["id"])


def by_consent(consent_id: int) -> dict[str, object]:
    return {"basis": "consent", "consent": consent_id}


STATUTE = {"basis": "statute", "statute": ACT}


def detail(world: World, name: str, case_id: int) -> dict[str, Any]:
    return cases.case_detail(world.store, world.engine, world.users[name], case_id, audit_action=None)


def events(world: World, case_id: int, kind: str) -> list[CaseEvent]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def audit_actions(world: World) -> list[tuple[str, int | None]]:
    with world.store.unit_of_work(write=False) as uow:
        return [(a.action, a.beneficiary_id) for a in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# -- the basis rule -------------------------------------------------------------------------------

def test_check_basis_refuses_what_is_not_a_basis_for_this_agency_person_and_case(world: World) -> None:
    ben, other = person(world), person(world)
    mine = consent(world, ben)
    for_pup = consent(world, ben, agency="pup")
    theirs = consent(world, other)
    case_a = start(world, ben, {"ngo": by_consent(mine)})
    for_case_a = consent(world, ben, agency="ngo2", case_id=case_a)
    withdrawn = consent(world, ben)
    consents.withdraw_consent(world.store, world.engine, world.users["anna"], withdrawn, "changed her mind")
    refusals = {
        "of another person": by_consent(theirs),
        "for another agency": by_consent(for_pup),
        "withdrawn": by_consent(withdrawn),
        "for another case": by_consent(for_case_a),
        "not on the list of legal bases": {"basis": "statute", "statute": "old_act"},
        "no such": {"basis": "statute", "statute": "no_such_act"},
        "unknown consent": by_consent(999_999),
    }
    for label, basis in refusals.items():
        agency = "ngo2" if label == "for another case" else "ngo"
        with pytest.raises(InvalidData) as raised:
            start(world, ben, {agency: basis})
        assert list(raised.value.details["fields"]) == [f"bases.{agency}" + (".statute" if "statute" in basis
                                                                              else ".consent")], label
    # the consent for case A works on case A, later
    participation.remove_agency(world.store, world.engine, world.users["anna"], case_a, "ngo", "done")
    added = participation.add_agency(world.store, world.engine, world.users["anna"], case_a, "ngo2",
                                     by_consent(for_case_a))
    assert {a["code"] for a in added["case"]["agencies"]} == {"ops", "ngo2"}
    with pytest.raises(InvalidData):
        start(world, ben, {"ngo": {"basis": "own"}})
    with pytest.raises(InvalidData) as raised:
        start(world, ben, {}, agencies=["ops", "pup"])  # no basis for pup
    assert raised.value.details["fields"] == {"bases.pup": "a legal basis is required for an agency other than yours"}


# -- adding and removing --------------------------------------------------------------------------

def test_a_task_claimed_by_a_removed_agency_goes_back_to_the_other_agency_of_its_kind(world: World) -> None:
    ben = person(world)
    case = start(world, ben, {"ngo": by_consent(consent(world, ben)), "ngo2": STATUTE, "pup": STATUTE})
    world.identify(case)
    crisis = world.task(case, "crisis_intervention")
    work.claim(world.engine, world.users["marek"], crisis)
    assert world.ids("olga") == []  # claimed by marek: in no other inbox
    done = participation.remove_agency(world.store, world.engine, world.users["anna"], case, "ngo", "moved away")
    assert done["returned"] == [crisis] and done["waiting"] == []
    assert world.ids("olga") == [(case, "crisis_intervention")]
    assert world.ids("marek") == [] and world.ids("marek", view="mine") == []
    assert world.row(crisis).claimed_by is None
    with pytest.raises(NotFound):
        detail(world, "marek", case)
    [removed] = events(world, case, "AgencyRemoved")
    assert removed.actor == "anna" and removed.after["agency"] == "ngo" and removed.after["reason"] == "moved away"
    assert removed.after["basis"]["kind"] == "consent" and removed.after["returned"] == [crisis]
    assert ("case.agency.remove", _person_id(world, ben)) in audit_actions(world)


def test_a_task_no_remaining_agency_can_take_waits_and_reaches_an_added_agency_at_once(world: World) -> None:
    ben = person(world)
    case = start(world, ben, {"ngo": by_consent(consent(world, ben))})
    world.identify(case)
    crisis = world.task(case, "crisis_intervention")
    done = participation.remove_agency(world.store, world.engine, world.users["marek"], case, "ngo", "we leave")
    assert done["waiting"] == [crisis] and done["case"] is None  # marek's agency left: he sees it no more
    tasks = {t["element"]: t for t in detail(world, "anna", case)["open_tasks"]}
    assert tasks["crisis_intervention"]["waiting_for_agency"] is True
    assert tasks["psych_diagnosis"]["waiting_for_agency"] is False
    assert events(world, case, "AgencyRemoved")[0].after["waiting"] == [crisis]
    added = participation.add_agency(world.store, world.engine, world.users["anna"], case, "ngo2", STATUTE,
                                     "takes over")
    assert added["offered"] == [crisis]
    assert world.ids("olga") == [(case, "crisis_intervention")]
    agencies = {a["code"]: a for a in added["case"]["agencies"]}
    assert agencies["ngo2"]["basis"]["kind"] == "statute" and agencies["ngo2"]["basis"]["statute"]["code"] == ACT
    assert agencies["ngo2"]["added_by"] == "anna" and agencies["ngo2"]["added_at"] is not None
    assert agencies["ops"]["basis"] == {"kind": "own"}
    [event] = events(world, case, "AgencyAdded")
    assert event.after == {"agency": "ngo2", "basis": {"kind": "statute", "statute": ACT}, "reason": "takes over",
                           "offered": [crisis]}


def test_who_may_add_and_remove_an_agency(world: World) -> None:
    ben = person(world)
    case = start(world, ben, {"pup": STATUTE})
    store, eng, users = world.store, world.engine, world.users
    with pytest.raises(NotFound):  # olga's agency is not in the case
        participation.add_agency(store, eng, users["olga"], case, "ngo2", STATUTE)
    with pytest.raises(NotFound):
        participation.remove_agency(store, eng, users["olga"], case, "pup", "x")
    with pytest.raises(NotAllowed):  # ewa's agency takes part, but did not start the case
        participation.remove_agency(store, eng, users["ewa"], case, "ops", "x")
    participation.add_agency(store, eng, users["ewa"], case, "sup", STATUTE)  # any participating case worker
    with pytest.raises(NotAllowed):  # a supervisor works no cases
        participation.add_agency(store, eng, users["teresa"], case, "ngo", STATUTE)
    with pytest.raises(NotAllowed):
        participation.remove_agency(store, eng, users["teresa"], case, "pup", "x")
    with pytest.raises(InvalidData):
        participation.remove_agency(store, eng, users["anna"], case, "pup", "   ")  # a reason is required
    with pytest.raises(InvalidData):
        participation.add_agency(store, eng, users["anna"], case, "pup", STATUTE)  # already in
    with pytest.raises(InvalidData):
        participation.add_agency(store, eng, users["anna"], case, "nope", STATUTE)
    participation.remove_agency(store, eng, users["ewa"], case, "pup", "leaving")  # an agency may leave
    participation.remove_agency(store, eng, users["anna"], case, "sup", "no longer needed")
    with pytest.raises(InvalidData):  # the starting agency cannot leave its case with nobody in it
        participation.remove_agency(store, eng, users["anna"], case, "ops", "x")
    with store.unit_of_work(write=False) as uow:
        assert [c for c, in uow.session.execute(select(CaseAgency.agency_id).where(CaseAgency.case_id == case))] \
            == [users["anna"].agency_id]
    world.engine.cancel_case(Actor("anna"), case, "done")
    with pytest.raises(CaseNotActive):
        participation.add_agency(store, eng, users["anna"], case, "pup", STATUTE)


def _sees_identity(world: World, name: str, pseudonym: str) -> bool:
    from pathways.privacy.beneficiaries import may_see_identity

    with world.store.unit_of_work(write=False) as uow:
        person = uow.session.scalars(select(Beneficiary).where(Beneficiary.pseudonym == pseudonym)).one()
        return may_see_identity(uow.session, world.users[name], person)


def _person_id(world: World, pseudonym: str) -> int:
    with world.store.unit_of_work(write=False) as uow:
        return int(uow.session.scalars(select(Beneficiary.id).where(Beneficiary.pseudonym == pseudonym)).one())


# -- consents -------------------------------------------------------------------------------------

def test_withdrawing_consent_removes_the_agency_from_every_case_on_it_at_once(world: World) -> None:
    ben = person(world)
    given = consent(world, ben)
    first = start(world, ben, {"ngo": by_consent(given)})
    second = start(world, ben, {"ngo": by_consent(given)})
    other = start(world, ben, {"ngo": STATUTE})  # on a statute: stays
    world.identify(first)
    crisis = world.task(first, "crisis_intervention")
    work.claim(world.engine, world.users["marek"], crisis)
    start(world, ben, {"pup": STATUTE})  # pup sees the person, through a case of theirs
    with pytest.raises(NotAllowed):  # but neither registered them nor holds the consent
        consents.withdraw_consent(world.store, world.engine, world.users["ewa"], given, "")
    with pytest.raises(NotFound):  # olga's agency cannot see the person at all
        consents.withdraw_consent(world.store, world.engine, world.users["olga"], given, "")
    assert _sees_identity(world, "marek", ben)  # the consent shares the identity with the NGO
    done = consents.withdraw_consent(world.store, world.engine, world.users["marek"], given, "she asked")
    assert not _sees_identity(world, "marek", ben)  # no longer
    assert done["removed_from"] == [first, second] and done["active"] is False and done["withdrawn_by"] == "marek"
    for case in (first, second):
        with pytest.raises(NotFound):
            detail(world, "marek", case)
    assert {t["element"] for t in detail(world, "marek", other)["open_tasks"]} == {"identify"}
    assert world.ids("marek", view="mine") == [] and world.row(crisis).claimed_by is None
    waiting = {t["element"]: t["waiting_for_agency"] for t in detail(world, "anna", first)["open_tasks"]}
    assert waiting["crisis_intervention"] is True
    assert events(world, first, "AgencyRemoved")[0].after["reason"] == consents.WITHDRAWN
    pid = _person_id(world, ben)
    actions = audit_actions(world)
    assert ("consent.withdraw", pid) in actions and actions.count(("case.agency.remove", pid)) == 2
    listed = consents.list_consents(world.store, world.users["anna"], ben)
    assert [c["active"] for c in listed if c["id"] == given] == [False]
    # withdrawing again: nothing left to remove, no second entry
    assert consents.withdraw_consent(world.store, world.engine, world.users["anna"], given, "")["removed_from"] == []
    assert audit_actions(world).count(("consent.withdraw", pid)) == 1
    with pytest.raises(InvalidData):  # a withdrawn consent cannot be used again
        participation.add_agency(world.store, world.engine, world.users["anna"], other, "ngo2", by_consent(given))


def test_recording_a_consent_who_may_and_what_is_refused(world: World) -> None:
    ben = person(world)
    with pytest.raises(NotFound):  # ngo2 neither registered the person nor takes part in a case of theirs
        consent(world, ben, by="olga")
    start(world, ben, {"sup": STATUTE})
    with pytest.raises(NotAllowed):  # a supervisor of a case of the person sees them, but takes no consents
        consent(world, ben, by="teresa")
    bad = {"agency": ("nope", {}), "purpose": ("ngo", {"purpose": " "}),
           "given_on": ("ngo", {"given_on": TODAY + timedelta(days=400)})}
    for field, (agency, extra) in bad.items():
        purpose = extra.pop("purpose", "crisis support")
        with pytest.raises(InvalidData) as raised:
            consents.record_consent(world.store, world.users["anna"], ben, agency, purpose, False,
                                    extra.get("given_on", TODAY))
        assert field in raised.value.details["fields"], field
    with pytest.raises(InvalidData):
        consents.record_consent(world.store, world.users["anna"], ben, "ngo", "x" * 501, False, TODAY)
    with pytest.raises(InvalidData):
        consent(world, ben, case_id=12345)  # not a case of this person
    recorded = consents.record_consent(world.store, world.users["anna"], ben, "ngo", "crisis support", True, TODAY)
    assert recorded["taken_by"] == "anna" and recorded["given_on"] == TODAY and recorded["identity_shared"]
    assert ("consent.record", _person_id(world, ben)) in audit_actions(world)
    assert clock.now() is not None


def test_legal_bases_are_kept_by_an_admin(world: World, roles) -> None:  # type: ignore[no-untyped-def]
    from pathways.tasks import accounts

    admin = accounts.create_user(world.store, roles, "root", "sup", ["admin"], "pw", check_policy=False)
    with pytest.raises(NotAllowed):
        legal_bases.add_basis(world.store, world.users["anna"], "new_act", "New act")
    added = legal_bases.add_basis(world.store, admin, "new_act", "New act", "art. 1", "6(1)(e)")
    assert added["active"] and added["code"] == "new_act"
    with pytest.raises(InvalidData):
        legal_bases.add_basis(world.store, admin, "new_act", "Again")
    with pytest.raises(InvalidData):
        legal_bases.add_basis(world.store, admin, "Bad Code!", "x")
    with pytest.raises(InvalidData):
        legal_bases.edit_basis(world.store, admin, "new_act", {"code": "other"})
    assert legal_bases.edit_basis(world.store, admin, "new_act", {"title": "Renamed"})["title"] == "Renamed"
    ben = person(world)
    case = start(world, ben, {"pup": {"basis": "statute", "statute": "new_act"}})
    legal_bases.retire_basis(world.store, admin, "new_act")
    with pytest.raises(InvalidData):
        start(world, ben, {"pup": {"basis": "statute", "statute": "new_act"}})
    pup = {a["code"]: a for a in detail(world, "anna", case)["agencies"]}["pup"]
    assert pup["basis"]["statute"] == {"code": "new_act", "title": "Renamed", "reference": "art. 1", "active": False}
    listed = legal_bases.list_bases(world.store, world.users["anna"])
    assert [b["code"] for b in listed if not b["active"]] == ["new_act", "old_act"]
    with pytest.raises(NotFound):
        legal_bases.retire_basis(world.store, admin, "no_such")
    actions = [a for a, _ in audit_actions(world)]
    assert {"legal_basis.add", "legal_basis.edit", "legal_basis.retire", "legal_basis.list"} <= set(actions)


def test_offers_are_removed_with_the_agency(world: World) -> None:
    ben = person(world)
    case = start(world, ben, {"ngo": STATUTE, "ngo2": STATUTE})
    world.identify(case)
    participation.remove_agency(world.store, world.engine, world.users["anna"], case, "ngo", "x")
    with world.store.unit_of_work(write=False) as uow:
        agencies = set(uow.session.scalars(select(TaskOffer.agency_id).join(Agency, Agency.id == TaskOffer.agency_id)
                                           .where(Agency.code == "ngo")))
    assert agencies == set()
    assert world.ids("olga") == [(case, "crisis_intervention")] and world.ids("marek") == []


def test_two_agencies_added_at_once_one_wins_cleanly(world: World) -> None:
    import threading

    from pathways.engine.errors import Conflict

    ben = person(world)
    case = start(world, ben, {})
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def add() -> None:
        barrier.wait()
        try:
            participation.add_agency(world.store, world.engine, world.users["anna"], case, "pup", STATUTE)
            outcomes.append("added")
        except (Conflict, InvalidData) as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes.count("added") == 1 and len(outcomes) == 2, outcomes
    assert len(events(world, case, "AgencyAdded")) == 1


def test_the_operator_starts_a_case_through_the_same_basis_check(world: World) -> None:
    from pathways.privacy.participation import parse_bases_options

    ben = person(world)
    given = consent(world, ben)
    with pytest.raises(InvalidData) as raised:
        sharing.operator_start_case(world.store, world.engine, "cli:root", "intake_referral", {}, ["ops", "ngo2"],
                                    ben, parse_bases_options([f"ngo2=consent:{given}"]))
    assert raised.value.details["fields"] == {"bases.ngo2.consent": "given for another agency"}
    with pytest.raises(InvalidData):  # a name is not a registered person
        sharing.operator_start_case(world.store, world.engine, "cli:root", "intake_referral",
                                    {"beneficiary_pseudonym": "Jan Kowalski"}, ["ops"])
    with pytest.raises(InvalidData):
        parse_bases_options(["ngo=consent:x"])
    case = sharing.operator_start_case(world.store, world.engine, "cli:root", "intake_referral", {}, ["ops", "ngo"],
                                       ben, parse_bases_options([f"ngo=consent:{given}"]))
    agencies = {a["code"]: a["basis"] for a in detail(world, "anna", case)["agencies"]}
    assert agencies["ops"] == {"kind": "own"} and agencies["ngo"]["consent"]["id"] == given
    with world.store.unit_of_work(write=False) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.start")).one()
    assert entry.username == "cli:root" and entry.case_id == case and entry.beneficiary_id == _person_id(world, ben)
