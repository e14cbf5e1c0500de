"""Attacks on the person's rights, on SQLite and PostgreSQL (security review of issue 15).

Each test plays one attacker and asserts what they must not achieve.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

import pathways.engine.corrections as corrections
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import SourceFile, collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import Conflict, InvalidDefinition
from pathways.privacy.retention import anonymise
from pathways.store.models import Case, CaseEvent, CaseState, Consent
from tests.conftest import WORKFLOWS
from tests.integration.test_pathway_trafficking_survivors import IDENTIFIED, KEY, submit
from tests.pathway_driver import PathwayDriver
from tests.privacy_fixtures import register_person, start_for

AGENCIES = ["ngo-test", "ops-test", "pup-test"]
NOTES = IDENTIFIED["identification_notes"]


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn"]), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


def cancelled_case(driver) -> int:
    person = register_person(driver)
    case_id = start_for(driver, person, KEY, agencies=AGENCIES)
    submit(driver, case_id, "identify_victim", IDENTIFIED)
    driver.engine.cancel_case(Actor("ngo.crisis_interventionist"), case_id, "koniec")
    return case_id


def stored(store, case_id: int) -> str:
    """The case's snapshot and events as the database holds them, opened."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        state = s.get(CaseState, case_id).state
        events = [repr((e.before, e.after)) for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    return state + "\n".join(events)


def test_a_correction_of_an_anonymised_case_is_refused_by_the_engine(driver):
    case_id = cancelled_case(driver)
    anonymise(driver.store, driver.engine, case_id, actor="test")
    with pytest.raises(Conflict):
        driver.engine.correct_value(Actor("ngo.crisis_interventionist"), case_id, "identification_notes",
                                    "Jan Kowalski, ul. Polna 3", "pomyłka")
    assert "Jan Kowalski" not in stored(driver.store, case_id)


def test_a_correction_racing_an_anonymisation_loses_and_restores_nothing(driver, monkeypatch):
    """The correction reads the case, the anonymisation commits, then the correction writes: it must
    lose (Conflict), not write back the snapshot it read, with every wiped value in it."""
    if driver.store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transaction serialises the two: the interleaving needs PostgreSQL")
    case_id = cancelled_case(driver)
    assert NOTES in stored(driver.store, case_id)
    original = corrections.load_case

    def read_then_anonymise(conn, wanted):
        row = original(conn, wanted)
        anonymise(driver.store, driver.engine, wanted, actor="test")  # another transaction commits meanwhile
        return row

    monkeypatch.setattr(corrections, "load_case", read_then_anonymise)
    with pytest.raises(Conflict):
        driver.engine.correct_value(Actor("ngo.crisis_interventionist"), case_id, "referral_source", "ngo",
                                    "pomyłka")
    after = stored(driver.store, case_id)
    assert NOTES not in after and IDENTIFIED["identity_data"] not in after
    with driver.store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_id).anonymised_at is not None


def test_anonymised_values_leave_no_bytes_in_the_sqlite_file(driver):
    """A thief copying the SQLite file after an anonymisation: the wiped values' old bytes must not
    linger in the pages SQLite freed or rewrote (secure_delete), nor in the WAL once checkpointed."""
    if driver.store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps dead row versions until VACUUM (docs/privacy.md)")
    case_id = cancelled_case(driver)
    ops = driver.user("ops.social_worker").agency_id
    with driver.store.unit_of_work() as uow:  # staff's note on a withdrawal: plain text, blanked on erasure
        person_id = uow.session.get(Case, case_id).beneficiary_id
        uow.session.add(Consent(beneficiary_id=person_id, agency_id=ops,
                                purpose="pomoc", given_on=driver.clock(), withdrawn_at=driver.clock(),
                                withdrawal_note="Withdrew by phone, husband Marek Zielinski listening"))
        uow.commit()
    word = b"Marek Zielinski"
    assert word in raw_file(driver.store)
    anonymise(driver.store, driver.engine, case_id, actor="test")
    assert word not in raw_file(driver.store)


def raw_file(store) -> bytes:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(store.engine.url.database)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_pathway_declaring_a_malformed_retention_is_not_deployed(store, roles):
    """A careless designer writes `retention` = "10 lat": deployed, it would break every export of a
    person with a case in it and every retention run, for all pathways. It is refused at deploy."""
    content = (WORKFLOWS / f"{KEY}.bpmn").read_text(encoding="utf-8").replace(
        'isExecutable="true">', 'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="retention" value="10 lat" /></camunda:properties></bpmn:extensionElements>', 1)
    assert "10 lat" in content
    with pytest.raises(InvalidDefinition) as refused:
        deploy(store, [SourceFile(f"{KEY}.bpmn", content.encode())], roles)
    assert "retention" in str(refused.value.details)


def test_free_text_notes_are_sealed_in_the_events(store, roles, frozen_clock):
    """A thief with a copy of the database reads the events' JSON: a note a case worker typed into a
    field nobody marked sensitive (`notes`: "Uwagi") names people as often as a marked one does, and
    anonymisation treats it as identifying; it is sealed like one. Choices and dates stay plain for
    the reports."""
    deploy(store, collect([WORKFLOWS / "intake_referral.bpmn"]), roles)
    driver = PathwayDriver(Engine(store, roles), store, frozen_clock)
    case_id = driver.start("intake_referral")
    note = "Sasiadka Krystyna Malinowska zglosila przemoc"
    driver.complete(case_id, "identify", {"intake_date": "2026-11-02", "risk_level": "high", "notes": note})
    with store.engine.connect() as conn:
        raw = " ".join(str(tuple(r)) for r in conn.execute(text(
            "SELECT before, after FROM case_events WHERE case_id = :c"), {"c": case_id}))
    assert "Malinowska" not in raw and "high" in raw and "2026-11-02" in raw
    with store.unit_of_work(write=False) as uow:  # the app reads it back
        opened = [e.after for e in uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    assert any((a or {}).get("notes") == note for a in opened)


def test_the_reason_a_case_was_cancelled_or_closed_is_sealed(driver):
    """Staff explain a cancellation in free text ("moved to her sister's in Gdańsk"): a copy of the
    database must not show it; the timeline still does."""
    reason, closing = "Wyjechala do siostry Barbary w Gdansku", "Zamknieta po telefonie od Barbary"
    case_id = cancelled_case(driver)
    active = start_for(driver, register_person(driver), KEY, agencies=AGENCIES)
    driver.engine.cancel_case(Actor("ngo.crisis_interventionist"), active, reason)
    driver.engine.close_case(Actor("ngo.crisis_interventionist"), case_id, closing)
    with driver.store.engine.connect() as conn:
        raw = " ".join(str(r) for r in conn.execute(text("SELECT after FROM case_events")))
    assert "Barbar" not in raw
    with driver.store.unit_of_work(write=False) as uow:
        opened = [e.after.get("reason") for e in uow.session.scalars(
            select(CaseEvent).where(CaseEvent.kind.in_(["CaseCancelled", "CaseClosed"]))) if e.after]
    assert reason in opened and closing in opened


def test_a_corrected_note_is_sealed_in_the_correction_event(store, roles, frozen_clock):
    """The correction event carries the note before and after: sealed, as in the task's own event."""
    from pathways.privacy.rectify import rectify

    deploy(store, collect([WORKFLOWS / "intake_referral.bpmn"]), roles)
    driver = PathwayDriver(Engine(store, roles), store, frozen_clock)
    case_id = driver.start("intake_referral")
    task = driver.complete(case_id, "identify", {"intake_date": "2026-11-02", "risk_level": "high",
                                                  "notes": "Zglosila Krystyna Malinowska"})
    worker = driver.user(task.roles[0])
    rectify(store, driver.engine, worker, case_id, "notes", "Zglosila Krystyna Malinowska-Nowak", "literowka")
    with store.engine.connect() as conn:
        raw = " ".join(str(tuple(r)) for r in conn.execute(text(
            "SELECT before, after FROM case_events WHERE kind = 'ValueCorrected'")))
    assert raw and "Malinowska" not in raw
