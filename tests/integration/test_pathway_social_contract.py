"""The `social_contract` pathway ("Razem ku lepszej przyszłości", MOPS Rumia 2008), driven end to end.

Every branch: not eligible, the instrument rule refusing a contract with fewer than two active
integration instruments (and the loop back to the social worker), every DMN rule, the SLA
escalation of an unsigned contract, a contract not signed, each instrument branch of the
inclusive gateway, the exam passed or failed, the contract fulfilled or broken, and the
follow-up six months after exit. Runs on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.pathway_driver import PathwayDriver

KEY = "social_contract"
NO_INSTRUMENTS = {"instr_course": False, "instr_medical": False, "instr_social_skills": False,
                  "instr_counselling": False, "instr_crisis": False, "instr_rights_info": False}
ALL_INSTRUMENTS = {key: True for key in NO_INSTRUMENTS}
# The programme in Rumia: a course (educational) and psychologist workshops and counselling (social).
RUMIA_INSTRUMENTS = {**NO_INSTRUMENTS, "instr_course": True, "instr_social_skills": True, "instr_counselling": True}


@pytest.fixture
def driver(engine, store, frozen_clock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


def recruit(driver: PathwayDriver, eligible: bool = True) -> int:
    case = driver.start(KEY, agencies=["ops-test", "ngo-test", "sup-test"])
    assert driver.offered(case, "recruit_beneficiary") == {("ops.social_worker", "OPS")}
    driver.complete(case, "recruit_beneficiary", {
        "entry_date": "2026-11-02", "entry_situation": "inactive", "receives_social_assistance": True,
        "long_term_unemployed": eligible, "dependent_children": 2,
        "problem_diagnosis": "długotrwała bierność zawodowa, brak kwalifikacji", "hours": 2})
    return case


def draft(driver: PathwayDriver, case: int, instruments: dict[str, bool], childcare: bool = False) -> None:
    assert driver.offered(case, "draft_contract") == {("ops.social_worker", "OPS")}
    driver.complete(case, "draft_contract", {
        "contract_date": "2026-11-03", "contract_start": "2026-11-03", "contract_end": "2027-02-28",
        "beneficiary_obligations": "udział w warsztatach i kursie", "ops_obligations": "sfinansowanie kursu",
        **instruments, "needs_childcare": childcare, "hours": 1.5})


def sign(driver: PathwayDriver, case: int, beneficiary: bool = True) -> None:
    assert driver.offered(case, "sign_contract") == {("ops.social_worker", "OPS")}
    driver.complete(case, "sign_contract", {"signed_by_beneficiary": beneficiary, "signed_by_ops": True,
                                            "signature_date": "2026-11-04", "hours": 0.5})


def review_and_follow_up(driver: PathwayDriver, case: int, result: str) -> None:
    assert set(driver.open_tasks(case)) == {"review_contract"}
    driver.complete(case, "review_contract", {
        "review_date": "2027-02-28", "contract_result": result, "exit_date": "2027-02-28",
        "exit_situation": "employed" if result == "fulfilled" else "unemployed", "hours": 2})
    if result == "broken":
        assert driver.offered(case, "contract_broken") == {("ops.social_worker", "OPS")}
        driver.complete(case, "contract_broken", {"broken_reason": "przerwany kurs",
                                                  "benefit_consequence": "limited", "hours": 1})
    assert driver.open_tasks(case) == {}
    assert driver.case(case).stage == "Monitoring po zakończeniu"
    driver.advance(days=150)
    assert driver.open_tasks(case) == {}  # not yet six months
    driver.advance(days=35)
    assert driver.offered(case, "follow_up_6m") == {("ops.social_worker", "OPS")}
    driver.complete(case, "follow_up_6m", {"follow_up_date": "2027-09-01", "situation_6m": "employed", "hours": 1})
    assert driver.case(case).status == "completed"


def test_not_eligible_ends_after_recruitment(driver):
    case = recruit(driver, eligible=False)
    assert driver.case(case).status == "completed"
    assert driver.stages(case) == ["Rekrutacja"]
    assert driver.totals("hours", case) == {("ops.social_worker", "OPS"): Decimal("2")}
    assert driver.outcomes(case) == []


RULES = [  # instruments chosen -> (contract valid, kinds) by the decision table, one row per rule
    ({"instr_course": True}, False, "too_few"),
    ({"instr_crisis": True}, False, "too_few"),
    ({"instr_course": True, "instr_crisis": True}, True, "educational_social"),
    ({"instr_course": True, "instr_medical": True}, True, "educational_health"),
    ({"instr_medical": True, "instr_rights_info": True}, True, "health_social"),
    ({"instr_counselling": True, "instr_crisis": True}, True, "social"),
    (ALL_INSTRUMENTS, True, "educational_health_social"),
]


def test_instrument_rule_of_the_decision_table(driver):
    for instruments, valid, kinds in RULES:  # one case per rule (cheaper than a deploy per rule)
        case = recruit(driver)
        draft(driver, case, {**NO_INSTRUMENTS, **instruments})
        data = driver.data(case)
        assert (data["contract_valid"], data["instrument_kinds"]) == (valid, kinds), instruments
        assert set(driver.open_tasks(case)) == {"sign_contract" if valid else "draft_contract"}
        if not valid:
            assert "co najmniej dwóch" in data["instruments_note"]


def test_rumia_programme_amended_escalated_signed_trained_fulfilled(driver):
    case = recruit(driver)
    # A contract with one instrument is refused and goes back to the social worker ...
    draft(driver, case, {**NO_INSTRUMENTS, "instr_course": True}, childcare=True)
    assert set(driver.open_tasks(case)) == {"draft_contract"}
    assert driver.data(case)["contract_valid"] is False
    # ... who amends it to the Rumia programme: course + social skills + counselling, with childcare.
    draft(driver, case, RUMIA_INSTRUMENTS, childcare=True)
    assert driver.data(case)["instrument_kinds"] == "educational_social"

    # Not signed within 7 days: the supervisor gets an escalation; the contract task stays open.
    driver.advance(days=6)
    assert set(driver.open_tasks(case)) == {"sign_contract"}
    driver.advance(days=2)
    assert set(driver.open_tasks(case)) == {"sign_contract", "escalate_unsigned"}
    assert driver.offered(case, "escalate_unsigned") == {("supervision.supervisor", "SUPERVISION")}
    driver.complete(case, "escalate_unsigned", {"escalation_date": "2026-11-11",
                                                "escalation_action": "rozmowa z uczestniczką"})
    sign(driver, case)
    assert driver.outcomes(case) == ["contract_signed"]

    # The inclusive gateway opens the social, educational and childcare branches (no medical check).
    assert set(driver.open_tasks(case)) == {"psychosocial_workshops", "vocational_workshops", "childcare"}
    assert driver.case(case).stage == "Aktywna integracja"
    assert driver.offered(case, "psychosocial_workshops") == {("ops.psychologist", "OPS")}
    assert driver.offered(case, "vocational_workshops") == {("ngo.career_counsellor", "NGO")}
    assert driver.offered(case, "childcare") == {("ops.childcare_worker", "OPS")}
    driver.complete(case, "psychosocial_workshops", {"sessions_attended": 3, "hours": 21})
    driver.complete(case, "psych_consultations", {"consultations_done": "2026-10-20", "hours": 3,
                                                  "psych_notes": "motywacja wzrosła"})
    driver.complete(case, "vocational_workshops", {"hours": 24, "career_goal": "opiekunka osób starszych"})
    assert driver.offered(case, "course_theory") == {("ngo.trainer", "NGO")}
    driver.complete(case, "course_theory", {"course_start": "2026-10-01", "course_cost": "1450.00", "hours": 40})
    driver.complete(case, "course_practice", {"practice_place": "Dom Pomocy Społecznej", "hours": 60})
    driver.complete(case, "course_exam", {"exam_date": "2026-11-28", "exam_passed": True,
                                          "certificate_number": "12/2008"})
    assert set(driver.open_tasks(case)) == {"childcare"}  # the join waits for every branch taken
    driver.complete(case, "childcare", {"children_cared": 2, "childcare_cost": "640.50", "hours": 100})
    review_and_follow_up(driver, case, "fulfilled")

    assert driver.stages(case) == ["Rekrutacja", "Kontrakt socjalny", "Aktywna integracja", "Ocena kontraktu",
                                   "Monitoring po zakończeniu"]
    assert driver.outcomes(case) == ["contract_signed", "trained"]
    assert driver.totals("hours", case) == {
        ("ops.social_worker", "OPS"): Decimal("2") + Decimal("1.5") * 2 + Decimal("0.5") + 2 + 1,
        ("ops.psychologist", "OPS"): Decimal("24"),
        ("ngo.career_counsellor", "NGO"): Decimal("24"),
        ("ngo.trainer", "NGO"): Decimal("100"),
        ("ops.childcare_worker", "OPS"): Decimal("100"),
    }
    assert driver.totals("benefit", case) == {("course", "NGO"): Decimal("1450.00"),
                                              ("childcare", "OPS"): Decimal("640.50")}
    data = driver.data(case)
    assert (data["signed_by_beneficiary"], data["signed_by_ops"], data["exam_passed"]) == (True, True, True)
    assert (data["contract_result"], data["situation_6m"]) == ("fulfilled", "employed")


def test_health_and_social_contract_broken(driver):
    case = recruit(driver)
    draft(driver, case, {**NO_INSTRUMENTS, "instr_medical": True, "instr_crisis": True})
    sign(driver, case)
    assert set(driver.open_tasks(case)) == {"medical_check", "psychosocial_workshops"}
    driver.complete(case, "medical_check", {"referral_date": "2026-11-05", "medical_check_cost": "120",
                                            "fit_for_work": "fit", "hours": 1})
    driver.complete(case, "psychosocial_workshops", {"sessions_attended": 1, "hours": 7})
    driver.complete(case, "psych_consultations", {"consultations_done": "2026-11-20", "hours": 1})
    review_and_follow_up(driver, case, "broken")
    assert driver.outcomes(case) == ["contract_signed"]
    assert driver.totals("benefit", case) == {("medical_check", "OPS"): Decimal("120")}
    assert driver.data(case)["benefit_consequence"] == "limited"


def test_exam_failed_records_no_training_outcome(driver):
    case = recruit(driver)
    draft(driver, case, {**NO_INSTRUMENTS, "instr_course": True, "instr_rights_info": True})
    sign(driver, case)
    driver.complete(case, "psychosocial_workshops", {"sessions_attended": 3, "hours": 21})
    driver.complete(case, "psych_consultations", {"consultations_done": "2026-11-20", "hours": 3})
    driver.complete(case, "vocational_workshops", {"hours": 24, "career_goal": "opiekunka"})
    driver.complete(case, "course_theory", {"course_start": "2026-11-10", "course_cost": "1450", "hours": 40})
    driver.complete(case, "course_practice", {"practice_place": "DPS Rumia", "hours": 60})
    driver.complete(case, "course_exam", {"exam_date": "2026-12-20", "exam_passed": False})
    review_and_follow_up(driver, case, "fulfilled")
    assert driver.outcomes(case) == ["contract_signed"]
    assert driver.totals("hours", case)[("ngo.trainer", "NGO")] == Decimal("100")


def test_contract_not_signed_ends_without_outcome(driver):
    case = recruit(driver)
    draft(driver, case, RUMIA_INSTRUMENTS)
    sign(driver, case, beneficiary=False)
    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == []
    assert driver.stages(case) == ["Rekrutacja", "Kontrakt socjalny"]


def test_ngo_staff_of_a_partner_not_in_the_case_are_not_offered_the_course(driver):
    case = driver.start(KEY, agencies=["ops-test", "ngo-foreign", "sup-test"])
    driver.complete(case, "recruit_beneficiary", {
        "entry_date": "2026-11-02", "entry_situation": "inactive", "receives_social_assistance": True,
        "long_term_unemployed": True, "problem_diagnosis": "x", "hours": 1})
    draft(driver, case, RUMIA_INSTRUMENTS)
    sign(driver, case)
    # The test NGO does not take part in this case: its career counsellor is not offered the workshop.
    assert driver.offered(case, "vocational_workshops") == set()
    assert driver.offered(case, "psychosocial_workshops") == {("ops.psychologist", "OPS")}
