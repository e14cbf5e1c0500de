"""Pathway `trafficking_survivors` (IRIS): every branch, timer and measure, on SQLite and PostgreSQL.

Module I (identification + crisis help in six parallel lanes, with the 72 h escalation), module II
(workshops, counselling, training), module III (internship with the 6-month wait, job brokering
with its loop), exit, the 6-month follow-up, and the three ways out for a woman who declines help.
Every submission is first checked against the task's own form, as the API would.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidData
from pathways.store.models import Case
from pathways.tasks.forms import Form, build_form, task_spec
from tests.conftest import WORKFLOWS
from tests.pathway_driver import PathwayDriver

KEY = "trafficking_survivors"
CRISIS_TASKS = {
    "crisis_intervention": ("ngo.crisis_interventionist", "NGO"),
    "shelter_placement": ("ngo.shelter_coordinator", "NGO"),
    "psychological_help": ("ngo.psychologist", "NGO"),
    "legal_help": ("ngo.lawyer", "NGO"),
    "medical_help": ("ngo.doctor", "NGO"),
    "social_help": ("ops.social_worker", "OPS"),
}


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn"]), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


def form_of(driver: PathwayDriver, case_id: int, element_id: str) -> Form:
    """The form of an element of the version the case runs on."""
    with driver.store.unit_of_work(write=False) as uow:
        version_id = uow.session.get(Case, case_id).pathway_version_id
        definition = driver.engine.definition(uow.session, version_id)
    return build_form(task_spec(definition, element_id))


def submit(driver: PathwayDriver, case_id: int, element_id: str, data: dict[str, Any]) -> None:
    """Validate `data` with the task's form (required fields, ranges, enums), then complete the task."""
    driver.complete(case_id, element_id, form_of(driver, case_id, element_id).validate(data))


IDENTIFIED = {"entry_date": "2026-11-02", "entry_situation": "unemployed", "referral_source": "police",
              "identified_as_victim": True, "consent_to_help": True,
              "identity_data": "A.B., paszport XY123", "identification_notes": "Zgłoszenie z komisariatu",
              "hours": 3}
CRISIS_DATA = {
    "crisis_intervention": {"crisis_start_date": "2026-11-02", "safety_risk": "high",
                            "safety_plan": "Zmiana numeru telefonu", "crisis_result": "stabilised", "hours": 12},
    "shelter_placement": {"shelter_provided": True, "shelter_location": "ul. Tajna 1, Warszawa",
                          "shelter_from": "2026-11-02", "shelter_nights": 90, "hours": 6},
    "psychological_help": {"psych_sessions": 8, "psych_notes": "PTSD", "psych_recommendation": "ready",
                           "hours": 10},
    "legal_help": {"legal_status": "reflection_period", "criminal_proceedings": True, "hours": 5.5},
    "medical_help": {"medical_check_cost": 320.5, "fit_for_work": True, "medical_notes": "bez uwag", "hours": 2},
    "social_help": {"social_assistance_amount": 600, "social_recommendation": "continue", "hours": 4},
}
SUMMARY_CONTINUE = {"module1_end_date": "2027-01-15", "module1_decision": "continue", "hours": 1}
WORKSHOPS = {"workshop_start": "2027-01-20", "workshop_sessions": 10, "attendance_percent": 90,
             "cv_prepared": True, "hours": 30}


def counselling(training_needed: bool, career_path: str) -> dict[str, Any]:
    return {"plan_items": "Szkolenie, staż, poszukiwanie pracy", "chosen_profession": "Kucharka",
            "training_needed": training_needed, "career_path": career_path,
            "signed_by_beneficiary": True, "signed_by_ngo": True, "plan_signed_date": "2027-02-01",
            "hours": 6}


INTERNSHIP = {"employer_name": "Hotel Centrum", "internship_start": "2027-04-01",
              "internship_signed_by_beneficiary": True, "internship_signed_by_employer": True,
              "internship_signed_by_pup": True, "internship_agreement_date": "2027-03-25", "hours": 4}
EXIT = {"exit_date": "2027-10-01", "exit_situation": "employed", "hours": 2}
FOLLOW_UP = {"follow_up_date": "2028-04-01", "situation_6m": "employed", "still_with_employer": True, "hours": 1}


def through_module_one(driver: PathwayDriver, case_id: int) -> None:
    submit(driver, case_id, "identify_victim", IDENTIFIED)
    for element, data in CRISIS_DATA.items():
        submit(driver, case_id, element, data)
    submit(driver, case_id, "module1_summary", SUMMARY_CONTINUE)


def test_internship_path_with_escalation_training_and_follow_up(driver):
    case = driver.start(KEY)
    assert driver.offered(case, "identify_victim") == {("ngo.crisis_interventionist", "NGO")}
    assert driver.case(case).stage == "Identyfikacja"
    submit(driver, case, "identify_victim", IDENTIFIED)

    # module I: six kinds of help at once, each offered to its own role and agency kind
    assert set(driver.open_tasks(case)) == set(CRISIS_TASKS)
    for element, offered in CRISIS_TASKS.items():
        assert driver.offered(case, element) == {offered}
    assert driver.case(case).stage == "Interwencja kryzysowa"

    # the crisis work is still open after 72 h: the supervisor is asked to act, the work stays open
    assert driver.advance(hours=71) == 0
    assert "escalate_crisis" not in driver.open_tasks(case)
    assert driver.advance(hours=2) == 1
    assert driver.offered(case, "escalate_crisis") == {("supervision.supervisor", "SUPERVISION")}
    assert "crisis_intervention" in driver.open_tasks(case)
    submit(driver, case, "escalate_crisis", {"escalation_date": "2026-11-05", "escalation_action": "reminded"})

    # the join waits for every lane
    for element, data in CRISIS_DATA.items():
        assert "module1_summary" not in driver.open_tasks(case)
        submit(driver, case, element, data)
    assert driver.offered(case, "module1_summary") == {("ngo.crisis_interventionist", "NGO")}
    submit(driver, case, "module1_summary", SUMMARY_CONTINUE)

    # module II
    assert driver.offered(case, "job_search_workshops") == {("ngo.trainer", "NGO")}
    assert driver.case(case).stage == "Aktywizacja"
    submit(driver, case, "job_search_workshops", WORKSHOPS)
    assert driver.offered(case, "career_counselling") == {("ngo.career_counsellor", "NGO")}
    submit(driver, case, "career_counselling", counselling(True, "internship"))
    assert driver.offered(case, "vocational_training") == {("ngo.trainer", "NGO")}
    submit(driver, case, "vocational_training", {"course_name": "Pomoc kuchenna", "course_cost": 2500,
                                                 "training_completed": True, "hours": 120})

    # module III: internship, six months, then the employer hires her
    assert driver.offered(case, "arrange_internship") == {("pup.internship_organiser", "PUP")}
    submit(driver, case, "arrange_internship", INTERNSHIP)
    assert driver.case(case).stage == "Staż i zatrudnienie"
    assert driver.advance(days=180) == 0
    assert driver.open_tasks(case) == {}
    assert driver.advance(days=5) == 1
    assert driver.offered(case, "internship_completion") == {("pup.internship_organiser", "PUP")}
    submit(driver, case, "internship_completion", {"internship_end": "2027-09-30", "internship_completed": True,
                                                   "internship_stipend_total": 7200, "employer_offers_job": True,
                                                   "hours": 3})

    # exit and the follow-up six months later
    assert driver.offered(case, "exit_programme") == {("ngo.career_counsellor", "NGO")}
    submit(driver, case, "exit_programme", EXIT)
    assert driver.case(case).stage == "Monitoring po zakończeniu"
    assert driver.advance(days=170) == 0
    assert driver.advance(days=15) == 1
    assert driver.offered(case, "follow_up_6m") == {("ngo.career_counsellor", "NGO")}
    submit(driver, case, "follow_up_6m", FOLLOW_UP)

    assert driver.case(case).status == "completed"
    assert driver.stages(case) == ["Identyfikacja", "Interwencja kryzysowa", "Aktywizacja",
                                   "Staż i zatrudnienie", "Zakończenie", "Monitoring po zakończeniu"]
    data = driver.data(case)
    assert (data["entry_situation"], data["exit_situation"], data["situation_6m"]) == \
        ("unemployed", "employed", "employed")
    assert data["shelter_location"] == "ul. Tajna 1, Warszawa"
    assert data["escalation_action"] == "reminded"
    assert driver.outcomes(case) == ["trained", "internship", "employed"]
    outcome_agencies = {m.key: m.agency_kind for m in driver.measures(case) if m.kind == "outcome"}
    assert outcome_agencies == {"trained": "NGO", "internship": "PUP", "employed": "PUP"}
    assert driver.totals("hours", case) == {
        ("ngo.crisis_interventionist", "NGO"): Decimal("16"),  # 3 + 12 + 1
        ("ngo.shelter_coordinator", "NGO"): Decimal("6"),
        ("ngo.psychologist", "NGO"): Decimal("10"),
        ("ngo.lawyer", "NGO"): Decimal("5.5"),
        ("ngo.doctor", "NGO"): Decimal("2"),
        ("ops.social_worker", "OPS"): Decimal("4"),
        ("ngo.trainer", "NGO"): Decimal("150"),  # 30 workshops + 120 training
        ("ngo.career_counsellor", "NGO"): Decimal("9"),  # 6 + 2 + 1
        ("pup.internship_organiser", "PUP"): Decimal("7"),
    }
    assert driver.totals("benefit", case) == {
        ("medical_check", "NGO"): Decimal("320.5"),
        ("social_assistance", "OPS"): Decimal("600"),
        ("course", "NGO"): Decimal("2500"),
        ("internship_stipend", "PUP"): Decimal("7200"),
    }


def test_employment_path_loops_in_job_brokering_and_timely_crisis_work_is_not_escalated(driver):
    case = driver.start(KEY)
    through_module_one(driver, case)
    assert driver.advance(hours=80) == 0  # crisis work was finished in time: no escalation
    assert "escalate_crisis" not in driver.open_tasks(case)
    submit(driver, case, "job_search_workshops", WORKSHOPS)
    submit(driver, case, "career_counselling", counselling(False, "employment"))

    # no training; straight to the job broker, who searches twice
    assert driver.offered(case, "job_placement") == {("pup.job_broker", "PUP")}
    assert driver.case(case).stage == "Staż i zatrudnienie"
    submit(driver, case, "job_placement", {"job_offers_count": 4, "job_search_result": "continue_search",
                                           "hours": 3})
    assert driver.offered(case, "job_placement") == {("pup.job_broker", "PUP")}
    submit(driver, case, "job_placement", {"job_offers_count": 2, "job_search_result": "employed",
                                           "employer_hired": "Pralnia Sp. z o.o.", "employment_start": "2027-03-01",
                                           "contract_kind": "employment_contract", "hours": 2.5})
    submit(driver, case, "exit_programme", EXIT)
    driver.advance(days=184)
    submit(driver, case, "follow_up_6m", FOLLOW_UP)

    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == ["employed"]
    assert driver.totals("hours", case)[("pup.job_broker", "PUP")] == Decimal("5.5")
    assert ("pup.internship_organiser", "PUP") not in driver.totals("hours", case)
    assert driver.stages(case)[-3:] == ["Staż i zatrudnienie", "Zakończenie", "Monitoring po zakończeniu"]
    assert driver.data(case)["employer_hired"] == "Pralnia Sp. z o.o."


def test_unfinished_training_and_internship_without_job_end_unemployed(driver):
    case = driver.start(KEY)
    through_module_one(driver, case)
    submit(driver, case, "job_search_workshops", WORKSHOPS)
    submit(driver, case, "career_counselling", counselling(True, "internship"))
    submit(driver, case, "vocational_training", {"course_name": "Kasjerka", "course_cost": 1800,
                                                 "training_completed": False, "hours": 40})
    assert "arrange_internship" in driver.open_tasks(case)  # not trained, but the internship goes ahead
    submit(driver, case, "arrange_internship", INTERNSHIP)
    driver.advance(days=185)
    submit(driver, case, "internship_completion", {"internship_end": "2027-09-30", "internship_completed": True,
                                                   "internship_stipend_total": 7000, "employer_offers_job": False,
                                                   "hours": 2})
    # no offer from the employer: the job broker takes over, and finds nothing
    assert driver.offered(case, "job_placement") == {("pup.job_broker", "PUP")}
    submit(driver, case, "job_placement", {"job_offers_count": 5, "job_search_result": "ended", "hours": 4})
    assert driver.offered(case, "exit_programme") == {("ngo.career_counsellor", "NGO")}
    submit(driver, case, "exit_programme", {**EXIT, "exit_situation": "unemployed"})
    driver.advance(days=184)
    submit(driver, case, "follow_up_6m", {**FOLLOW_UP, "situation_6m": "unemployed", "still_with_employer": False})

    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == ["internship"]
    assert driver.totals("benefit", case)[("course", "NGO")] == Decimal("1800")
    assert driver.data(case)["situation_6m"] == "unemployed"


@pytest.mark.parametrize("where", ["identification", "after_module_one", "before_module_three"])
def test_a_woman_who_declines_help_leaves_with_an_exit_record(driver, where):
    case = driver.start(KEY)
    if where == "identification":
        submit(driver, case, "identify_victim", {**IDENTIFIED, "consent_to_help": False})
    else:
        submit(driver, case, "identify_victim", IDENTIFIED)
        for element, data in CRISIS_DATA.items():
            submit(driver, case, element, data)
        if where == "after_module_one":
            submit(driver, case, "module1_summary", {**SUMMARY_CONTINUE, "module1_decision": "declined"})
        else:
            submit(driver, case, "module1_summary", SUMMARY_CONTINUE)
            submit(driver, case, "job_search_workshops", WORKSHOPS)
            submit(driver, case, "career_counselling", counselling(False, "declined"))

    assert set(driver.open_tasks(case)) == {"record_dropout"}
    assert driver.offered(case, "record_dropout") == {("ngo.crisis_interventionist", "NGO")}
    submit(driver, case, "record_dropout", {"exit_date": "2027-02-01", "exit_situation": "inactive",
                                            "dropout_reason": "declined_help", "referred_elsewhere": True,
                                            "hours": 1})
    assert driver.case(case).status == "completed"
    assert driver.stages(case)[-1] == "Zakończenie"
    assert driver.outcomes(case) == ["exited"]
    assert driver.data(case)["exit_situation"] == "inactive"
    assert driver.advance(days=200) == 0  # no follow-up is scheduled for a drop-out


def test_forms_mark_identity_shelter_and_health_as_sensitive_and_check_ranges(driver):
    case = driver.start(KEY)
    sensitive = {f.id for f in form_of(driver, case, "identify_victim").fields if f.sensitive}
    assert sensitive == {"identity_data", "identification_notes"}
    shelter = form_of(driver, case, "shelter_placement")
    assert {f.id for f in shelter.fields if f.sensitive} == {"shelter_location", "shelter_notes"}
    assert {f.id for f in form_of(driver, case, "medical_help").fields if f.sensitive} == {"medical_notes"}
    with pytest.raises(InvalidData, match="not valid"):
        submit(driver, case, "identify_victim", {**IDENTIFIED, "hours": 99})
    assert "identify_victim" in driver.open_tasks(case)
