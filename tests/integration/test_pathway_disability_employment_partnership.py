"""The `disability_employment_partnership` pathway (PUP + MOPS + NGO, Bartoszyce 2013), end to end.

Every branch: not registered at both offices, the support plan's SLA escalation, medical checks
paid by PUP, by the NGO or not needed, the specialists' meetings loop, each activation branch
taken and skipped (socially useful work, vocational training completed or not, the 6-month
internship), employment or not, a client who leaves (the `exited` outcome and the coordinator's
task to recruit a replacement), and the follow-up six months after exit. Runs on SQLite and on
PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.pathway_driver import PathwayDriver

KEY = "disability_employment_partnership"
MEETINGS = {  # task -> (role, agency kind) of the specialist it is offered to
    "pup_counselling": ("pup.disabled_career_adviser", "PUP"),
    "pup_job_brokering": ("pup.job_broker", "PUP"),
    "ops_social_work": ("ops.social_worker", "OPS"),
    "ops_psych_support": ("ops.psychologist", "OPS"),
    "ngo_psych_support": ("ngo.psychologist", "NGO"),
    "ngo_legal_advice": ("ngo.lawyer", "NGO"),
    "ngo_it_classes": ("ngo.it_instructor", "NGO"),
}
PREFIX = {"pup_counselling": "pup_adviser", "pup_job_brokering": "pup_broker", "ops_social_work": "ops_social",
          "ops_psych_support": "ops_psych", "ngo_psych_support": "ngo_psych", "ngo_legal_advice": "ngo_legal",
          "ngo_it_classes": "ngo_it"}


@pytest.fixture
def driver(engine, store, frozen_clock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


def offered(driver: PathwayDriver, case: int, element: str, role: str, kind: str) -> None:
    assert driver.offered(case, element) == {(role, kind)}, element


def recruit(driver: PathwayDriver, registered_pup: bool = True) -> int:
    case = driver.start(KEY)
    assert driver.case(case).stage == "Rekrutacja"
    offered(driver, case, "recruit_client", "pup.disabled_career_adviser", "PUP")
    driver.complete(case, "recruit_client", {
        "entry_date": "2013-02-01", "entry_situation": "unemployed", "gender": "female",
        "disability_degree": "moderate", "hours": 1})
    assert set(driver.open_tasks(case)) == {"verify_pup_registration", "verify_mops_client"}
    offered(driver, case, "verify_pup_registration", "pup.job_broker", "PUP")
    offered(driver, case, "verify_mops_client", "ops.social_worker", "OPS")
    driver.complete(case, "verify_pup_registration", {"registered_pup": registered_pup, "hours": 0.5})
    driver.complete(case, "verify_mops_client", {"mops_client": True, "mops_case_number": "MOPS/1", "hours": 0.5})
    return case


def plan(driver: PathwayDriver, case: int, payer: str, useful_work: bool, training: bool,
         internship: bool) -> None:
    offered(driver, case, "support_plan", "pup.disabled_career_adviser", "PUP")
    driver.complete(case, "support_plan", {
        "plan_date": "2013-02-05", "plan_goals": "aktywizacja zawodowa", "medical_check_payer": payer,
        "plan_useful_work": useful_work, "plan_training": training, "plan_internship": internship,
        "plan_signed_by_client": True, "hours": 2})


def meetings(driver: PathwayDriver, case: int, hours: float, benefits: dict[str, Any] | None = None) -> None:
    """One round of the three partners' specialists' meetings, each specialist `hours`."""
    assert set(driver.open_tasks(case)) == set(MEETINGS)
    assert driver.case(case).stage == "Wsparcie specjalistów"
    for element, (role, kind) in MEETINGS.items():
        offered(driver, case, element, role, kind)
        driver.complete(case, element, {f"{PREFIX[element]}_meetings": 2, "hours": hours})
        if element == "ops_social_work":
            offered(driver, case, "mops_benefits", "ops.social_worker", "OPS")
            driver.complete(case, "mops_benefits", {"benefits_paid_on": "2013-03-10", **(benefits or {})})
    assert set(driver.open_tasks(case)) == {"progress_review"}


def review(driver: PathwayDriver, case: int, status: str) -> None:
    offered(driver, case, "progress_review", "supervision.supervisor", "SUPERVISION")
    driver.complete(case, "progress_review", {"review_date": "2013-03-31", "client_status": status})


def exit_and_follow_up(driver: PathwayDriver, case: int, reason: str, replacement: bool) -> None:
    offered(driver, case, "programme_exit", "ops.social_worker", "OPS")
    assert driver.case(case).stage == "Zakończenie udziału"
    driver.complete(case, "programme_exit", {
        "exit_date": "2013-06-30", "exit_situation": "employed" if reason == "employed" else "unemployed",
        "exit_reason": reason, "hours": 1})
    if replacement:
        offered(driver, case, "recruit_replacement", "supervision.supervisor", "SUPERVISION")
        driver.complete(case, "recruit_replacement", {"replacement_recruited": True,
                                                      "replacement_date": "2013-07-05"})
    assert driver.open_tasks(case) == {}
    assert driver.case(case).stage == "Monitoring po zakończeniu"
    driver.advance(days=170)
    assert driver.open_tasks(case) == {}
    driver.advance(days=15)
    offered(driver, case, "follow_up_6m", "ops.social_worker", "OPS")
    driver.complete(case, "follow_up_6m", {"follow_up_date": "2014-01-10", "situation_6m": "employed",
                                           "hours": 0.5})
    assert driver.case(case).status == "completed"


def test_not_registered_at_both_offices_is_not_eligible(driver):
    case = recruit(driver, registered_pup=False)
    assert driver.case(case).status == "completed"
    assert driver.stages(case) == ["Rekrutacja"]
    assert driver.totals("hours", case) == {("pup.disabled_career_adviser", "PUP"): Decimal("1"),
                                            ("pup.job_broker", "PUP"): Decimal("0.5"),
                                            ("ops.social_worker", "OPS"): Decimal("0.5")}


def test_full_path_escalation_loop_useful_work_training_internship_employment(driver):
    case = recruit(driver)
    assert set(driver.open_tasks(case)) == {"support_plan"}
    assert driver.case(case).stage == "Plan wsparcia"
    # The plan is due within 14 days; after that the coordinator is told, the plan stays open.
    driver.advance(days=13)
    assert set(driver.open_tasks(case)) == {"support_plan"}
    driver.advance(days=2)
    assert set(driver.open_tasks(case)) == {"support_plan", "escalate_plan_overdue"}
    offered(driver, case, "escalate_plan_overdue", "supervision.supervisor", "SUPERVISION")
    driver.complete(case, "escalate_plan_overdue", {"escalation_date": "2013-02-20",
                                                    "escalation_action": "termin spotkania zespołu"})
    plan(driver, case, payer="pup", useful_work=True, training=True, internship=True)

    offered(driver, case, "medical_check_pup", "pup.job_broker", "PUP")
    driver.complete(case, "medical_check_pup", {"medical_check_date": "2013-02-12", "medical_check_cost": "120",
                                                "fit_for_work": "fit_limited", "hours": 0.5})
    meetings(driver, case, hours=2, benefits={"social_assistance_paid": "604", "housing_allowance_paid": "188.20"})
    review(driver, case, "continue")  # the loop: another round of meetings
    meetings(driver, case, hours=1.5, benefits={"family_benefits_paid": "124", "alimony_fund_paid": "350"})
    review(driver, case, "activate")

    assert driver.case(case).stage == "Aktywizacja"
    offered(driver, case, "useful_work", "ops.useful_work_clerk", "OPS")
    driver.complete(case, "useful_work", {"useful_work_start": "2013-04-02", "useful_work_place": "MOPS",
                                          "client_work_hours": 120, "hours": 4})
    offered(driver, case, "useful_work_settlement", "pup.useful_work_clerk", "PUP")
    driver.complete(case, "useful_work_settlement", {"settlement_date": "2013-06-28", "useful_work_pay": "1104",
                                                     "hours": 1})
    offered(driver, case, "vocational_training", "ngo.trainer", "NGO")
    driver.complete(case, "vocational_training", {"course_name": "Kadry i płace", "course_start": "2013-04-08",
                                                  "course_cost": "1800", "training_completed": True, "hours": 60})

    assert driver.case(case).stage == "Staż i zatrudnienie"
    offered(driver, case, "internship_start", "pup.internship_organiser", "PUP")
    driver.complete(case, "internship_start", {"internship_employer": "MOPS Bartoszyce",
                                               "internship_start_date": "2013-06-01",
                                               "internship_agreement_signed": True, "hours": 2})
    assert driver.outcomes(case) == ["socially_useful_work", "trained", "internship"]
    driver.advance(days=175)  # the internship lasts six months
    assert driver.open_tasks(case) == {}
    driver.advance(days=10)
    offered(driver, case, "internship_end", "pup.internship_organiser", "PUP")
    driver.complete(case, "internship_end", {"internship_end_date": "2013-11-30",
                                             "internship_stipend_paid": "3096", "internship_completed": True,
                                             "hours": 1})
    offered(driver, case, "job_placement", "pup.job_broker", "PUP")
    driver.complete(case, "job_placement", {"employed_open_market": True, "employer_name": "Hotel Bartis",
                                            "employment_date": "2013-12-02", "hours": 1})
    assert driver.outcomes(case)[-1] == "employed"
    # Taking a job frees a place: the coordinator recruits a replacement.
    exit_and_follow_up(driver, case, "employed", replacement=True)

    assert driver.stages(case) == ["Rekrutacja", "Plan wsparcia", "Wsparcie specjalistów", "Aktywizacja",
                                   "Staż i zatrudnienie", "Zakończenie udziału", "Monitoring po zakończeniu"]
    assert driver.outcomes(case) == ["socially_useful_work", "trained", "internship", "employed"]
    outcome_agencies = {m.key: m.agency_kind for m in driver.measures(case) if m.kind == "outcome"}
    assert outcome_agencies == {"socially_useful_work": "OPS", "trained": "NGO", "internship": "PUP",
                                "employed": "PUP"}
    assert driver.totals("hours", case) == {
        ("pup.disabled_career_adviser", "PUP"): Decimal("1") + 2 + 2 + Decimal("1.5"),
        ("pup.job_broker", "PUP"): Decimal("0.5") + Decimal("0.5") + 2 + Decimal("1.5") + 1,
        ("pup.useful_work_clerk", "PUP"): Decimal("1"),
        ("pup.internship_organiser", "PUP"): Decimal("3"),
        ("ops.social_worker", "OPS"): Decimal("0.5") + 2 + Decimal("1.5") + 1 + Decimal("0.5"),
        ("ops.psychologist", "OPS"): Decimal("3.5"),
        ("ops.useful_work_clerk", "OPS"): Decimal("4"),
        ("ngo.psychologist", "NGO"): Decimal("3.5"),
        ("ngo.lawyer", "NGO"): Decimal("3.5"),
        ("ngo.it_instructor", "NGO"): Decimal("3.5"),
        ("ngo.trainer", "NGO"): Decimal("60"),
    }
    assert driver.totals("benefit", case) == {
        ("medical_check", "PUP"): Decimal("120"), ("social_assistance", "OPS"): Decimal("604"),
        ("housing_allowance", "OPS"): Decimal("188.20"), ("family_benefits", "OPS"): Decimal("124"),
        ("alimony_fund", "OPS"): Decimal("350"), ("socially_useful_work", "PUP"): Decimal("1104"),
        ("course", "NGO"): Decimal("1800"), ("internship_stipend", "PUP"): Decimal("3096"),
    }
    data = driver.data(case)
    assert (data["entry_situation"], data["exit_situation"], data["situation_6m"]) == \
        ("unemployed", "employed", "employed")
    assert data["replacement_recruited"] is True


def test_ngo_medical_check_training_not_completed_no_job(driver):
    case = recruit(driver)
    plan(driver, case, payer="ngo", useful_work=False, training=True, internship=False)
    offered(driver, case, "medical_check_ngo", "ngo.doctor", "NGO")
    driver.complete(case, "medical_check_ngo", {"medical_check_date": "2013-02-12", "medical_check_cost": "110",
                                                "fit_for_work": "fit", "hours": 0.5})
    meetings(driver, case, hours=1)
    review(driver, case, "activate")
    assert set(driver.open_tasks(case)) == {"vocational_training"}  # no socially useful work in the plan
    driver.complete(case, "vocational_training", {"course_name": "Obsługa komputera", "course_start": "2013-04-08",
                                                  "course_cost": "900", "training_completed": False, "hours": 20})
    assert set(driver.open_tasks(case)) == {"job_placement"}  # no internship in the plan
    driver.complete(case, "job_placement", {"employed_open_market": False, "hours": 1})
    exit_and_follow_up(driver, case, "completed", replacement=False)
    assert driver.outcomes(case) == []
    assert driver.totals("benefit", case) == {("medical_check", "NGO"): Decimal("110"),
                                              ("course", "NGO"): Decimal("900")}
    assert driver.totals("hours", case)[("ngo.doctor", "NGO")] == Decimal("0.5")
    assert "Aktywizacja" in driver.stages(case) and "Staż i zatrudnienie" in driver.stages(case)


def test_client_who_leaves_frees_a_place_for_a_replacement(driver):
    case = recruit(driver)
    plan(driver, case, payer="none", useful_work=True, training=True, internship=True)
    meetings(driver, case, hours=1)  # no medical check: straight to the meetings
    review(driver, case, "left")
    assert driver.outcomes(case) == ["exited"]
    assert [m.agency_kind for m in driver.measures(case) if m.kind == "outcome"] == ["SUPERVISION"]
    assert set(driver.open_tasks(case)) == {"programme_exit"}
    exit_and_follow_up(driver, case, "dropped_out", replacement=True)
    assert driver.stages(case) == ["Rekrutacja", "Plan wsparcia", "Wsparcie specjalistów", "Zakończenie udziału",
                                   "Monitoring po zakończeniu"]
    assert driver.outcomes(case) == ["exited"]
    assert driver.data(case)["exit_reason"] == "dropped_out"
