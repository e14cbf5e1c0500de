"""The homelessness pathway (project A0532, "Aktywny Powrót na Rynek Pracy") on the real engine and store.

Every branch is driven: streetworking repeated at the person's pace and a lost contact, the 72-hour
escalation of a late intake, the housing ladder up, down, unchanged and out, irregular workshop
attendance, each diagnosis' negative recommendation, the unsigned contract, the 6-month training
completed or interrupted, a job found or not, and the follow-up six months after exit.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from pathways.base.clock import FrozenClock
from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from tests.helpers import WORKFLOWS
from tests.pathway_driver import PathwayDriver

KEY = "homelessness_exit"

STREETWORKER = {("ngo.streetworker", "NGO")}
SOCIAL_WORKER = {("ops.social_worker", "OPS")}
HOUSING_OFFICER = {("ops.housing_officer", "OPS")}
TRAINER = {("ngo.trainer", "NGO")}
PSYCHOLOGIST = {("ngo.psychologist", "NGO")}
CAREER_ADVISER = {("pup.career_adviser", "PUP")}
ADMINISTRATOR = {("supervision.project_administrator", "SUPERVISION")}
JOB_BROKER = {("pup.job_broker", "PUP")}
SUPERVISOR = {("supervision.supervisor", "SUPERVISION")}


def contact(result: str, hours: float = 1.5) -> dict[str, Any]:
    return {"contact_date": "2026-11-02", "contact_place": "railway_station",
            "contact_place_details": "Dworzec Centralny, poziom -1", "person_identity": "Pan Marek",
            "agreed_plan": "Ciepły posiłek, potem rozmowa o noclegowni", "contact_result": result, "hours": hours}


INTAKE = {"entry_date": "2026-11-03", "entry_situation": "unemployed", "data_consent": True,
          "homelessness_years": 6, "initial_place": "night_shelter", "shelter_location": "ul. Tymczasowa 7",
          "social_assistance_amount": 719.5, "intake_notes": "", "hours": 3}


def workshops(attended: int, planned: int = 20) -> dict[str, Any]:
    return {"workshop": "carpentry_locksmith", "workshop_period_start": "2026-11-04",
            "workshop_period_end": "2026-12-04", "sessions_planned": planned, "sessions_attended": attended,
            "activity_club": True, "hours": 40}


def diagnosis(prefix: str, recommendation: str) -> dict[str, Any]:
    data = {f"{prefix}_diagnosis_date": "2026-12-10", f"{prefix}_notes": f"wnioski {prefix}",
            f"{prefix}_recommendation": recommendation, "hours": 2}
    if prefix == "career":
        data["qualifications"] = "Zasadnicza szkoła zawodowa, stolarz"
    return data


def review(decision: str, place: str, **extra: Any) -> dict[str, Any]:
    return {"housing_review_date": "2027-02-02", "housing_decision": decision, "current_place": place,
            "current_place_address": "adres placówki", "housing_notes": decision, "hours": 1, **extra}


SIGNED = {"signed_by_beneficiary": True, "signed_by_ops": True, "signed_by_administrator": True,
          "contract_date": "2027-01-20"}


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: FrozenClock) -> Engine:
    """The conftest engine, with only this pathway's files deployed (the whole folder costs ~0.6 s a test)."""
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn", WORKFLOWS / f"{KEY}_recommendation.dmn"]), roles)
    return Engine(store, roles)


@pytest.fixture
def driver(engine: Engine, store: Store, frozen_clock: FrozenClock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


def open_ids(driver: PathwayDriver, case_id: int) -> set[str]:
    return set(driver.open_tasks(case_id))


def counts(driver: PathwayDriver, case_id: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in driver.outcomes(case_id):
        found[name] = found.get(name, 0) + 1
    return found


def to_intake(driver: PathwayDriver) -> int:
    case_id = driver.start(KEY)
    driver.complete(case_id, "streetwork_contact", contact("accepted"))
    return case_id


def to_workshops(driver: PathwayDriver) -> int:
    case_id = to_intake(driver)
    driver.complete(case_id, "intake", INTAKE)
    return case_id


def to_diagnoses(driver: PathwayDriver) -> int:
    case_id = to_workshops(driver)
    driver.complete(case_id, "workshops", workshops(18))
    return case_id


def diagnose(driver: PathwayDriver, case_id: int, psych: str = "positive", social: str = "positive",
             career: str = "positive") -> None:
    driver.complete(case_id, "psych_diagnosis", diagnosis("psych", psych))
    driver.complete(case_id, "social_diagnosis", diagnosis("social", social))
    driver.complete(case_id, "career_diagnosis", diagnosis("career", career))


def plan_and_programme(driver: PathwayDriver, case_id: int, offered: bool = False) -> None:
    """The three plans, the Individual Experience Profile and the Programme with its two annexes."""
    driver.complete(case_id, "social_plan", {"social_plan_items_date": "2026-12-16",
                                             "social_plan_items": "dokumenty, zadłużenie", "hours": 2})
    driver.complete(case_id, "psych_plan", {"psych_plan_items_date": "2026-12-16",
                                            "psych_plan_items": "terapia uzależnień", "hours": 2})
    driver.complete(case_id, "vocational_plan", {"vocational_plan_items_date": "2026-12-16",
                                                 "vocational_plan_items": "kurs stolarski", "hours": 2})
    if offered:
        assert driver.offered(case_id, "experience_profile") == CAREER_ADVISER
    driver.complete(case_id, "experience_profile", {"profile_date": "2026-12-20", "work_experience": "stolarz",
                                                    "skills": "obróbka drewna", "hours": 3})
    if offered:
        assert driver.offered(case_id, "leaving_programme") == SOCIAL_WORKER
    driver.complete(case_id, "leaving_programme", {
        "programme_date": "2027-01-05", "programme_goals": "mieszkanie treningowe i praca",
        "vocational_development_plan": "IPRZ", "interpersonal_development_path": "IŚRI", "hours": 4})
    if offered:
        assert driver.offered(case_id, "contract_negotiation") == SOCIAL_WORKER


def to_signing(driver: PathwayDriver) -> int:
    case_id = to_diagnoses(driver)
    diagnose(driver, case_id)
    driver.complete(case_id, "analysis", {"analysis_date": "2026-12-15", "analysis_summary": "gotowy", "hours": 3})
    plan_and_programme(driver, case_id)
    negotiate(driver, case_id)
    return case_id


def negotiate(driver: PathwayDriver, case_id: int) -> None:
    driver.complete(case_id, "contract_negotiation", {
        "contract_obligations": "udział w warsztatach, abstynencja", "contract_rights": "mieszkanie treningowe",
        "contract_support": "zasiłek, doradztwo", "contract_period_months": 12, "hours": 2})


def to_training(driver: PathwayDriver) -> int:
    case_id = to_signing(driver)
    driver.complete(case_id, "contract_signing", SIGNED)
    driver.complete(case_id, "training_placement", {
        "training_employer": "Stolarnia Dąb", "training_kind": "apprenticeship", "training_start": "2027-02-01",
        "course_cost": 2400, "hours": 6})
    return case_id


def advance_to_next_review(driver: PathwayDriver, case_id: int) -> None:
    """Three months (at most 92 days) until the housing review opens again."""
    assert "housing_review" not in open_ids(driver, case_id)
    driver.advance(days=92)
    assert "housing_review" in open_ids(driver, case_id)


# ---------------------------------------------------------------------------------------------
def test_streetworking_repeats_at_the_persons_pace_until_contact_is_lost(driver: PathwayDriver) -> None:
    case_id = driver.start(KEY)
    assert open_ids(driver, case_id) == {"streetwork_contact"}
    assert driver.offered(case_id, "streetwork_contact") == STREETWORKER
    assert driver.case(case_id).stage == "Identyfikacja"

    driver.complete(case_id, "streetwork_contact", contact("not_yet", 2))
    assert open_ids(driver, case_id) == set()  # waits a week for the next contact
    driver.advance(days=6, hours=23)
    assert open_ids(driver, case_id) == set()
    driver.advance(hours=1)
    assert open_ids(driver, case_id) == {"streetwork_contact"}

    driver.complete(case_id, "streetwork_contact", contact("not_yet", 1))
    driver.advance(days=7)
    driver.complete(case_id, "streetwork_contact", contact("lost", 0.5))

    assert driver.case(case_id).status == "completed"
    assert driver.stages(case_id) == ["Identyfikacja"]
    assert driver.data(case_id)["contact_result"] == "lost"
    assert driver.totals("hours", case_id) == {("ngo.streetworker", "NGO"): Decimal("3.5")}
    assert driver.outcomes(case_id) == []


def test_late_intake_escalates_to_the_supervisor_after_72_hours(driver: PathwayDriver) -> None:
    case_id = to_intake(driver)
    task = driver.task(case_id, "intake")
    assert driver.offered(case_id, "intake") == SOCIAL_WORKER
    assert task.priority == 80
    assert task.due_at is not None and task.due_at.replace(tzinfo=None) == \
        (driver.clock.current + timedelta(hours=72)).replace(tzinfo=None)
    assert driver.case(case_id).stage == "Przyjęcie i schronienie"

    driver.advance(hours=71)
    assert open_ids(driver, case_id) == {"intake"}
    driver.advance(hours=1)
    assert open_ids(driver, case_id) == {"intake", "escalate_intake"}
    assert driver.offered(case_id, "escalate_intake") == SUPERVISOR
    driver.complete(case_id, "escalate_intake", {"escalation_date": "2026-11-05",
                                                 "escalation_action": "reassigned",
                                                 "escalation_notes": "przekazano drugiemu pracownikowi"})
    assert open_ids(driver, case_id) == {"intake"}  # the escalation does not cancel the intake

    driver.complete(case_id, "intake", INTAKE)
    assert open_ids(driver, case_id) == {"workshops"}
    assert driver.offered(case_id, "workshops") == TRAINER
    assert driver.stages(case_id) == ["Identyfikacja", "Przyjęcie i schronienie", "Reintegracja w Centrum"]
    assert driver.totals("benefit", case_id) == {("social_assistance", "OPS"): Decimal("719.5")}
    assert driver.totals("hours", case_id) == {("ngo.streetworker", "NGO"): Decimal("1.5"),
                                               ("ops.social_worker", "OPS"): Decimal("3")}


def test_housing_ladder_moves_up_and_down_and_counts_each_step_up(driver: PathwayDriver) -> None:
    case_id = to_workshops(driver)
    driver.advance(days=91)
    assert "housing_review" not in open_ids(driver, case_id)
    driver.advance(days=1)  # 2026-11-02 + P3M = 2027-02-02
    assert open_ids(driver, case_id) == {"workshops", "housing_review"}
    assert driver.offered(case_id, "housing_review") == HOUSING_OFFICER

    driver.complete(case_id, "housing_review", review("up", "shelter"))
    assert counts(driver, case_id) == {"housing_step_up": 1}
    assert driver.data(case_id)["current_place"] == "shelter"
    advance_to_next_review(driver, case_id)
    driver.complete(case_id, "housing_review", review("down", "night_shelter"))
    advance_to_next_review(driver, case_id)
    driver.complete(case_id, "housing_review", review("stay", "night_shelter"))
    for place in ("shelter", "social_house"):
        advance_to_next_review(driver, case_id)
        driver.complete(case_id, "housing_review", review("up", place))
    advance_to_next_review(driver, case_id)
    driver.complete(case_id, "housing_review", review("up", "training_flat", rent_share=300,
                                                      housing_allowance_amount=180.25))
    assert driver.data(case_id)["current_place"] == "training_flat"
    advance_to_next_review(driver, case_id)
    driver.complete(case_id, "housing_review", review("leave", "independent_flat"))
    driver.advance(days=92)
    assert open_ids(driver, case_id) == {"workshops"}  # the ladder waits at the exit join

    assert counts(driver, case_id) == {"housing_step_up": 4}
    assert {m.agency_kind for m in driver.measures(case_id) if m.kind == "outcome"} == {"OPS"}
    assert driver.totals("benefit", case_id)[("housing_allowance", "OPS")] == Decimal("180.25")
    assert ("rent_share", "OPS") not in driver.totals("benefit", case_id)  # paid by the person, not a benefit
    assert driver.totals("hours", case_id)[("ops.housing_officer", "OPS")] == Decimal("7")
    assert driver.case(case_id).stage == "Reintegracja w Centrum"  # housing reviews do not change the stage


def test_irregular_attendance_and_each_negative_recommendation_repeat_the_workshops(
        driver: PathwayDriver) -> None:
    case_id = to_workshops(driver)
    driver.complete(case_id, "workshops", workshops(15))  # 75 %: not regular
    assert open_ids(driver, case_id) == {"workshops"}
    driver.complete(case_id, "workshops", workshops(16))  # 80 %: regular, diagnosed by three specialists
    assert open_ids(driver, case_id) == {"psych_diagnosis", "social_diagnosis", "career_diagnosis"}
    assert driver.offered(case_id, "psych_diagnosis") == PSYCHOLOGIST
    assert driver.offered(case_id, "social_diagnosis") == SOCIAL_WORKER
    assert driver.offered(case_id, "career_diagnosis") == CAREER_ADVISER
    assert driver.case(case_id).stage == "Diagnoza"
    for negative in ("psych", "social", "career"):  # one round per DMN rule that refuses
        verdicts = {"psych": "positive", "social": "positive", "career": "positive", negative: "negative"}
        driver.complete(case_id, "social_diagnosis", diagnosis("social", verdicts["social"]))
        assert open_ids(driver, case_id) == {"psych_diagnosis", "career_diagnosis"}  # the gate needs all three
        driver.complete(case_id, "career_diagnosis", diagnosis("career", verdicts["career"]))
        driver.complete(case_id, "psych_diagnosis", diagnosis("psych", verdicts["psych"]))

        assert open_ids(driver, case_id) == {"workshops"}, negative
        data = driver.data(case_id)
        assert data["advanced_recommended"] is False and data["recommendation"] == "negative"
        assert data["last_negative_round"] == verdicts  # the round is kept ...
        assert "psych_recommendation" not in data and "career_notes" not in data  # ... the next starts empty
        assert driver.stages(case_id)[-2:] == ["Diagnoza", "Reintegracja w Centrum"]
        driver.complete(case_id, "workshops", workshops(20))

    diagnose(driver, case_id)
    assert open_ids(driver, case_id) == {"analysis"}
    assert driver.offered(case_id, "analysis") == SOCIAL_WORKER
    data = driver.data(case_id)
    assert data["advanced_recommended"] is True and data["recommendation"] == "positive"
    assert driver.stages(case_id) == ["Identyfikacja", "Przyjęcie i schronienie"] + \
        ["Reintegracja w Centrum", "Diagnoza"] * 4 + ["Etap zaawansowany"]
    hours = driver.totals("hours", case_id)
    assert hours[("ngo.psychologist", "NGO")] == Decimal("8")  # four rounds of 2 hours
    assert hours[("ops.social_worker", "OPS")] == Decimal("11")  # intake 3 + four social diagnoses
    assert hours[("pup.career_adviser", "PUP")] == Decimal("8")
    assert hours[("ngo.trainer", "NGO")] == Decimal("200")  # five workshop periods of 40 hours
    assert driver.outcomes(case_id) == []


def test_advanced_stage_three_signatures_then_interrupted_training_and_no_job(
        driver: PathwayDriver) -> None:
    case_id = to_diagnoses(driver)
    diagnose(driver, case_id)
    driver.complete(case_id, "analysis", {"analysis_date": "2026-12-15", "analysis_summary": "gotowy", "hours": 3})
    assert open_ids(driver, case_id) == {"social_plan", "psych_plan", "vocational_plan"}
    assert driver.offered(case_id, "social_plan") == SOCIAL_WORKER
    assert driver.offered(case_id, "psych_plan") == PSYCHOLOGIST
    assert driver.offered(case_id, "vocational_plan") == CAREER_ADVISER
    plan_and_programme(driver, case_id, offered=True)
    negotiate(driver, case_id)
    assert open_ids(driver, case_id) == {"contract_signing"}
    assert driver.offered(case_id, "contract_signing") == ADMINISTRATOR
    assert driver.case(case_id).stage == "Kontrakt socjalny"

    driver.complete(case_id, "contract_signing", {**SIGNED, "signed_by_administrator": False,
                                                  "signing_notes": "brak zgody na zapis o mieszkaniu"})
    assert open_ids(driver, case_id) == {"contract_negotiation"}
    assert "contract_signed" not in driver.outcomes(case_id)
    negotiate(driver, case_id)
    driver.complete(case_id, "contract_signing", {**SIGNED, "signed_by_beneficiary": False})
    assert open_ids(driver, case_id) == {"contract_negotiation"}
    negotiate(driver, case_id)
    driver.complete(case_id, "contract_signing", {**SIGNED, "signed_by_ops": False})
    assert open_ids(driver, case_id) == {"contract_negotiation"}
    negotiate(driver, case_id)
    driver.complete(case_id, "contract_signing", SIGNED)

    assert open_ids(driver, case_id) == {"training_placement"}
    assert driver.offered(case_id, "training_placement") == JOB_BROKER
    assert driver.outcomes(case_id) == ["contract_signed"]
    assert [m.agency_kind for m in driver.measures(case_id) if m.kind == "outcome"] == ["SUPERVISION"]
    assert driver.stages(case_id) == [
        "Identyfikacja", "Przyjęcie i schronienie", "Reintegracja w Centrum", "Diagnoza", "Etap zaawansowany",
        "Kontrakt socjalny", "Szkolenie i zatrudnienie"]
    data = driver.data(case_id)
    assert data["vocational_development_plan"] == "IPRZ" and data["interpersonal_development_path"] == "IŚRI"
    assert data["psych_plan_items"] == "terapia uzależnień" and data["social_plan_items"]
    assert data["contract_date"] == "2027-01-20" and data["signed_by_ops"] is True
    hours = driver.totals("hours", case_id)
    # social worker: intake 3, diagnosis 2, analysis 3, social plan 2, programme 4, four negotiations of 2
    assert hours[("ops.social_worker", "OPS")] == Decimal("22")
    assert hours[("pup.career_adviser", "PUP")] == Decimal("7")  # diagnosis 2, plan 2, profile 3
    assert ("supervision.project_administrator", "SUPERVISION") not in hours

    # the same person: training interrupted and no job, so neither `trained` nor `employed` is recorded
    driver.complete(case_id, "training_placement", {
        "training_employer": "Zakład Ślusarski", "training_kind": "on_the_job", "training_start": "2027-02-01",
        "hours": 2})
    driver.advance(days=184)
    driver.complete(case_id, "training_completion", {"training_end": "2027-05-01", "training_result": "interrupted",
                                                     "certificate_obtained": False, "hours": 1})
    assert "employment" in open_ids(driver, case_id)  # job brokering goes on without the training outcome
    driver.complete(case_id, "employment", {"employment_result": "not_employed", "employment_contract": "none",
                                            "hours": 2})
    if "housing_review" not in open_ids(driver, case_id):
        driver.advance(days=92)
    driver.complete(case_id, "housing_review", review("leave", "independent_flat"))
    driver.complete(case_id, "programme_exit", {"exit_date": "2027-06-01", "exit_situation": "unemployed",
                                                "final_place": "independent_flat", "hours": 1})
    driver.advance(days=184)
    driver.complete(case_id, "follow_up", {"follow_up_date": "2027-12-01", "situation_6m": "unemployed",
                                           "place_6m": "rough_sleeping", "hours": 1})
    assert driver.case(case_id).status == "completed"
    assert counts(driver, case_id) == {"contract_signed": 1, "exited": 1}
    assert driver.data(case_id)["place_6m"] == "rough_sleeping"
    assert ("course", "PUP") not in driver.totals("benefit", case_id)  # no course cost entered


def test_full_path_training_employment_exit_and_follow_up(driver: PathwayDriver) -> None:
    case_id = to_training(driver)
    start = driver.clock.current  # P6M from the placement, to the minute
    six_months = start.replace(year=start.year + (start.month + 6 - 1) // 12, month=(start.month + 6 - 1) % 12 + 1)
    driver.advance(seconds=(six_months - start).total_seconds() - 60)
    assert "training_completion" not in open_ids(driver, case_id)
    driver.advance(seconds=60)
    assert "training_completion" in open_ids(driver, case_id)
    assert driver.offered(case_id, "training_completion") == JOB_BROKER

    driver.complete(case_id, "training_completion", {"training_end": "2027-08-01", "training_result": "completed",
                                                     "certificate_obtained": True, "hours": 4})
    assert driver.outcomes(case_id)[-1] == "trained"
    driver.complete(case_id, "employment", {"employment_result": "employed", "employer_name": "Stolarnia Dąb",
                                            "employment_start": "2027-08-05",
                                            "employment_contract": "employment_contract", "hours": 5})
    # the housing ladder still runs: leave it (moving up twice on the way)
    for decision, place in (("up", "social_house"), ("up", "training_flat"), ("leave", "independent_flat")):
        if "housing_review" not in open_ids(driver, case_id):
            driver.advance(days=92)
        driver.complete(case_id, "housing_review", review(decision, place))
    assert open_ids(driver, case_id) == {"programme_exit"}
    assert driver.offered(case_id, "programme_exit") == SOCIAL_WORKER
    driver.complete(case_id, "programme_exit", {"exit_date": "2027-10-01", "exit_situation": "employed",
                                                "final_place": "independent_flat", "hours": 2})
    assert driver.case(case_id).stage == "Monitoring po zakończeniu"
    assert open_ids(driver, case_id) == set()
    driver.advance(days=181)
    assert open_ids(driver, case_id) == set()
    driver.advance(days=3)
    assert open_ids(driver, case_id) == {"follow_up"}
    assert driver.offered(case_id, "follow_up") == SOCIAL_WORKER
    driver.complete(case_id, "follow_up", {"follow_up_date": "2028-04-02", "situation_6m": "employed",
                                           "place_6m": "independent_flat", "hours": 1})

    assert driver.case(case_id).status == "completed"
    assert driver.stages(case_id) == [
        "Identyfikacja", "Przyjęcie i schronienie", "Reintegracja w Centrum", "Diagnoza", "Etap zaawansowany",
        "Kontrakt socjalny", "Szkolenie i zatrudnienie", "Zakończenie", "Monitoring po zakończeniu"]
    data = driver.data(case_id)
    assert (data["entry_date"], data["entry_situation"]) == ("2026-11-03", "unemployed")
    assert (data["exit_situation"], data["situation_6m"]) == ("employed", "employed")
    assert data["current_place"] == "independent_flat"  # the housing branch's data joined the case
    assert data["employment_result"] == "employed" and data["training_result"] == "completed"
    assert counts(driver, case_id) == {"contract_signed": 1, "trained": 1, "employed": 1,
                                       "housing_step_up": 2, "exited": 1}
    by_kind = {(m.key, m.agency_kind) for m in driver.measures(case_id) if m.kind == "outcome"}
    assert {("trained", "PUP"), ("employed", "PUP"), ("exited", "OPS")} <= by_kind
    assert driver.totals("benefit", case_id) == {("social_assistance", "OPS"): Decimal("719.5"),
                                                 ("course", "PUP"): Decimal("2400")}
    hours = driver.totals("hours", case_id)
    assert hours[("pup.job_broker", "PUP")] == Decimal("15")  # placement 6 + completion 4 + employment 5
    assert hours[("ops.housing_officer", "OPS")] == Decimal("3")
    assert set(hours) == {("ngo.streetworker", "NGO"), ("ops.social_worker", "OPS"), ("ngo.trainer", "NGO"),
                          ("ngo.psychologist", "NGO"), ("pup.career_adviser", "PUP"),
                          ("ops.housing_officer", "OPS"), ("pup.job_broker", "PUP")}
