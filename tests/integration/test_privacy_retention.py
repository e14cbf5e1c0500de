"""Retention and erasure on SQLite and PostgreSQL: what is wiped leaves no trace, what is counted stays.

"No trace" is checked the way an attacker with the database and the key would look: every row of
every table read through the ORM (so sealed values are opened), identities opened, and the raw
rows as the database holds them, searched for each value the case and the person held.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.privacy.export import export_person
from pathways.privacy.identity import open_identity
from pathways.privacy.rectify import rectify
from pathways.privacy.retention import ErasureRefused, apply_retention, due_cases, erase_person
from pathways.reports import FIGURES, Scope, build
from pathways.store.models import (
    AuditEntry,
    Base,
    Beneficiary,
    Case,
    CaseEvent,
    CaseState,
    Consent,
    HumanTask,
    Identity,
    TaskComment,
)
from pathways.tasks.cases import case_detail
from tests.conftest import WORKFLOWS
from tests.integration.test_pathway_trafficking_survivors import (
    EXIT,
    FOLLOW_UP,
    KEY,
    WORKSHOPS,
    counselling,
    submit,
    through_module_one,
)
from tests.pathway_driver import PathwayDriver
from tests.privacy_fixtures import IDENTITY, register_person, start_for


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn"]), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


AGENCIES = ["ngo-test", "ops-test", "pup-test", "sup-test"]
COMMENT = "Pani Zofia prosi o kontakt po 18:00"
REASON = "pomyłka w źródle zgłoszenia"
NOTE = "Wycofała zgodę telefonicznie, mąż był obok"
#: every value the person's case holds that anonymisation must wipe (free text, sensitive, identity)
WIPED = [*IDENTITY.values(), "A.B., paszport XY123", "Zgłoszenie z komisariatu", "Zgłoszenie ze Straży Granicznej",
         "ul. Tajna 1, Warszawa", "Zmiana numeru telefonu", "PTSD", "Szkolenie, staż, poszukiwanie pracy",
         "Kucharka", "Pralnia Sp. z o.o.", "2027-03-01", COMMENT, REASON, NOTE]


def finished_case(driver, person) -> int:
    """The employment path of the IRIS pathway to its end, with a comment, a read and a correction."""
    case = start_for(driver, person, KEY, agencies=AGENCIES)
    through_module_one(driver, case)
    ngo = driver.user("ngo.crisis_interventionist")
    rectify(driver.store, driver.engine, ngo, case, "identification_notes", "Zgłoszenie ze Straży Granicznej", REASON)
    with driver.store.unit_of_work() as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case)).first()
        uow.session.add(TaskComment(task_id=task.id, case_id=case, user_id=ngo.id, text=COMMENT))
        uow.commit()
    case_detail(driver.store, driver.engine, driver.user("ops.social_worker"), case)
    with driver.store.unit_of_work() as uow:
        ops = driver.user("ops.social_worker")
        uow.session.add(Consent(beneficiary_id=person.id, agency_id=ops.agency_id, case_id=case, purpose="pomoc",
                                given_on=driver.clock(), withdrawn_at=driver.clock(), withdrawal_note=NOTE))
        uow.commit()
    driver.advance(hours=80)
    submit(driver, case, "job_search_workshops", WORKSHOPS)
    submit(driver, case, "career_counselling", counselling(False, "employment"))
    submit(driver, case, "job_placement", {"job_offers_count": 2, "job_search_result": "employed",
                                           "employer_hired": "Pralnia Sp. z o.o.", "employment_start": "2027-03-01",
                                           "contract_kind": "employment_contract", "hours": 2.5})
    submit(driver, case, "exit_programme", EXIT)
    driver.advance(days=184)
    submit(driver, case, "follow_up_6m", FOLLOW_UP)
    assert driver.case(case).status == "completed"
    return case


def everything(store) -> str:
    """Every column of every row of every table, opened (sealed values and identities), as one text."""
    parts = []
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        for mapper in Base.registry.mappers:
            for row in s.scalars(select(mapper.class_)):
                parts.extend(json.dumps(getattr(row, a.key), default=str, ensure_ascii=False)
                             for a in mapper.column_attrs)
        for identity, pseudonym in s.execute(select(Identity, Beneficiary.pseudonym).join(
                Beneficiary, Beneficiary.id == Identity.beneficiary_id)):
            parts.append(json.dumps(open_identity(identity, pseudonym), ensure_ascii=False))
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            parts.extend(str(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table.name}")))
    return "\n".join(parts)


def figures(driver) -> dict:
    """Every report figure over every case, as plain data."""
    found = build(driver.store, driver.engine, None, list(FIGURES), Scope(), actor="test")
    return {name: (json.dumps([r.values for r in f.rows], default=str, sort_keys=True),
                   json.dumps(f.totals, default=str, sort_keys=True)) for name, f in found.items()}


def test_retention_anonymises_a_finished_case_leaving_no_trace_and_the_same_figures(driver):
    person = register_person(driver)
    case = finished_case(driver, person)
    text_before = everything(driver.store)
    for value in WIPED:
        assert value in text_before, value  # the search finds what is there (opened values)
    assert due_cases(driver.store) == []

    ended = driver.case(case).updated_at
    driver.clock.advance(days=(date(2033, 1, 1) - ended.date()).days)
    [due] = due_cases(driver.store)
    assert (due.case_id, due.kept_until, due.status) == (case, date(2032, 12, 31), "completed")
    assert due.obligation.startswith("ESF+ documentation")
    before = figures(driver)
    measures_before = [(m.kind, m.key, m.value, m.agency_kind) for m in driver.measures()]

    assert apply_retention(driver.store, driver.engine, [case], actor="cli:test") == 1

    assert figures(driver) == before
    assert [(m.kind, m.key, m.value, m.agency_kind) for m in driver.measures()] == measures_before
    left = everything(driver.store)
    assert [value for value in WIPED if value in left] == []
    with driver.store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.get(Case, case).anonymised_at is not None
        assert s.get(Identity, person.id) is None
        erased = s.get(Beneficiary, person.id)
        assert (erased.status, erased.pseudonym) == ("erased", person.pseudonym) and erased.erased_at
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.anonymise")).all()
        assert (entry.username, entry.case_id, entry.beneficiary_id, entry.detail) == (
            "cli:test", case, person.id, {"reason": "retention"})
        assert s.get(CaseState, case).state  # the snapshot still loads: the case can be shown
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case))]
        assert "ValueCorrected" in kinds and kinds[-1] == "CaseCompleted"
    data = driver.data(case)
    assert data["entry_situation"] == "unemployed" and data["situation_6m"] == "employed"  # counted: kept
    assert data["entry_date"] == "2026-11-02" and data["hours"] == 1  # ESF+ indicators and numbers kept
    assert data["identity_data"] is None and data["employer_hired"] is None
    assert due_cases(driver.store) == []  # nothing is anonymised twice
    shown = export_person(driver.store, driver.engine, driver.user("auditor", "ngo-test"), person.pseudonym)
    assert shown["person"]["identity"] is None and shown["person"]["status"] == "erased"
    assert shown["cases"][0]["comments"][0]["text"].startswith("[usunięto")
    assert [c["purpose"] for c in shown["consents"]] == ["pomoc"]  # the basis it was shared on stays
    with pytest.raises(Conflict):  # nothing is put back into an anonymised case
        rectify(driver.store, driver.engine, driver.user("ngo.crisis_interventionist"), case, "entry_situation",
                "employed", "korekta")


def test_erasure_on_request_is_refused_while_a_case_is_active_or_kept(driver):
    person = register_person(driver)
    auditor = driver.user("auditor", "ngo-test")
    active = start_for(driver, person, KEY, agencies=AGENCIES)

    with pytest.raises(ErasureRefused) as refused:
        erase_person(driver.store, driver.engine, auditor, person.pseudonym, "wniosek z 3.01.2027")
    assert "active" in refused.value.message and refused.value.details["case_id"] == active

    driver.engine.close_case(Actor("driver"), active, "rezygnacja")
    with pytest.raises(ErasureRefused) as refused:
        erase_person(driver.store, driver.engine, auditor, person.pseudonym, "wniosek z 3.01.2027")
    assert refused.value.details == {"case_id": active, "reason": "retention", "until": "2031-12-31"}
    assert "kept until 2031-12-31 under ESF+" in refused.value.message

    for user in (driver.user("ngo.crisis_interventionist"), driver.user("admin")):
        with pytest.raises(NotAllowed):
            erase_person(driver.store, driver.engine, user, person.pseudonym, "wniosek")
    for bad in ("", " ", "x" * 501):
        with pytest.raises(InvalidData):
            erase_person(driver.store, driver.engine, auditor, person.pseudonym, bad)
    for pseudonym in ("Zofia Wiśniewska", "B-" + "Q" * 10_000, "'; DROP TABLE cases; --"):
        with pytest.raises(InvalidData) as malformed:
            erase_person(driver.store, driver.engine, auditor, pseudonym, "wniosek")
        assert "DROP" not in malformed.value.message and "Zofia" not in malformed.value.message
    with pytest.raises(NotFound):
        erase_person(driver.store, driver.engine, auditor, "B-2222-22" if person.pseudonym != "B-2222-22"
                     else "B-3333-3H", "wniosek")

    with driver.store.unit_of_work(write=False) as uow:  # nothing changed
        assert uow.session.get(Identity, person.id) is not None
        assert uow.session.get(Case, active).anonymised_at is None
        assert uow.session.get(Beneficiary, person.id).status == "active"
    assert "Wiśniewska-Trop" in everything(driver.store)


def test_erasure_after_retention_takes_every_case_and_the_identity(driver):
    person = register_person(driver)
    first = start_for(driver, person, KEY, agencies=AGENCIES)
    second = start_for(driver, person, KEY, agencies=AGENCIES)
    driver.engine.close_case(Actor("driver"), first, "rezygnacja")
    driver.clock.advance(days=400)
    driver.engine.close_case(Actor("driver"), second, "przeniesiona")  # ends a year later: kept a year longer

    driver.clock.advance(days=(date(2032, 1, 2) - driver.clock().date()).days)
    assert [c.case_id for c in due_cases(driver.store)] == [first]
    apply_retention(driver.store, driver.engine, [first], actor="cli:test")
    with driver.store.unit_of_work(write=False) as uow:  # one case left: the identity stays
        assert uow.session.get(Identity, person.id) is not None
    with pytest.raises(ErasureRefused):
        erase_person(driver.store, driver.engine, driver.user("auditor", "ngo-test"), person.pseudonym, "wniosek")

    driver.clock.advance(days=366)
    auditor = driver.user("auditor", "ngo-test")
    result = erase_person(driver.store, driver.engine, auditor, person.pseudonym, "wniosek nr 4/2033")
    assert result == {"pseudonym": person.pseudonym, "status": "erased", "cases": [second]}
    with driver.store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.get(Identity, person.id) is None and s.get(Beneficiary, person.id).status == "erased"
        assert all(s.get(Case, c).anonymised_at for c in (first, second))
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).all()
        assert entry.beneficiary_id == person.id and entry.detail == {"cases": [second], "reason_length": 17}
        assert "wniosek" not in json.dumps(entry.detail)
    assert [v for v in IDENTITY.values() if v in everything(driver.store)] == []


def test_bartoszyce_figures_are_the_same_after_retention_anonymises_every_case(engine, store, frozen_clock):
    """The partnership's 11 replayed cases: every report figure and ESF table equal before and after."""
    from tests.bartoszyce import CLIENTS, REPORTED_HOURS_TOTAL, Replay
    from tests.pathway_driver import PathwayDriver

    bartoszyce = PathwayDriver(engine, store, frozen_clock)
    replay = Replay(bartoszyce)
    for client in CLIENTS:
        if client.replaces is None:
            replay.recruit(client)
    replay.run()
    frozen_clock.advance(days=(date(2034, 1, 1) - frozen_clock().date()).days)
    due = due_cases(store)
    assert {c.case_id for c in due} == set(replay.client)
    before = figures(bartoszyce)
    assert json.loads(before["hours"][1])["hours"] == str(REPORTED_HOURS_TOTAL.quantize(Decimal("0.01")))

    assert apply_retention(store, engine, [c.case_id for c in due], actor="cli:test") == 11

    assert figures(bartoszyce) == before
    assert due_cases(store) == []
