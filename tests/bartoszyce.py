"""The Bartoszyce partnership's per-client plan (PUP + MOPS + SION, February-June 2013), as data.

Shared by the replay test (tests/integration/test_bartoszyce_replay.py) and the reports tests
(tests/integration/test_reports.py): CLIENTS is what each client's support plan chose, the hours
each specialist recorded in each round of meetings and the money paid; `Replay` answers each task
a case opens from that plan (as the partners' staff would) and moves the clock over the 6-month
internships and follow-ups. The source reports: 11 clients served (10 recruited, one recruited in
the place of a client who took a job); 3 completed vocational training, 5 did socially useful
work, 5 started internships, 3 were employed on the open market; 783.5 service hours (PUP 114.5,
MOPS 222.5, NGO 446.5) and 51,986.28 PLN of benefits paid.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, NamedTuple

from tests.pathway_driver import PathwayDriver

KEY = "disability_employment_partnership"
D = Decimal

# -- the source's reported results --------------------------------------------------------------
REPORTED_OUTCOMES = {"trained": 3, "socially_useful_work": 5, "internship": 5, "employed": 3}
REPORTED_HOURS = {"PUP": D("114.5"), "OPS": D("222.5"), "NGO": D("446.5")}
REPORTED_HOURS_TOTAL = D("783.5")
REPORTED_BENEFITS_TOTAL = D("51986.28")

# -- the per-client plan ------------------------------------------------------------------------
# One round of specialists' meetings: hours of the PUP career adviser for disabled persons, PUP job
# broker, MOPS social worker, MOPS psychologist, NGO psychologist, NGO lawyer, NGO IT instructor,
# and the MOPS benefits paid in that round: social assistance, housing allowance, family
# benefits, alimony fund (PLN).
MEETING_TASKS = ("pup_counselling", "pup_job_brokering", "ops_social_work", "ops_psych_support",
                 "ngo_psych_support", "ngo_legal_advice", "ngo_it_classes")


class Round(NamedTuple):
    hours: tuple[str, str, str, str, str, str, str]
    benefits: tuple[str, str, str, str]


class Client(NamedTuple):
    code: str
    gender: str
    medical: str  # who pays the medical check: pup, ngo, none
    useful_work: str | None  # socially useful work pay (PLN), None = not in the plan
    course: str | None  # vocational training cost (PLN), None = not in the plan
    stipend: str | None  # internship stipend paid (PLN), None = no internship
    employed: bool
    rounds: tuple[Round, ...]
    replaces: str | None = None  # recruited in the place of this client


def r(hours: str, benefits: str) -> Round:
    return Round(tuple(hours.split()), tuple(benefits.split()))  # type: ignore[arg-type]


STD = "1 1 5.5 3.5 5 2 6"  # the usual month or so of meetings
TWO = "2 2 11 7 10 4 12"  # the same over a longer round (one review for Feb-June)
CLIENTS = [
    #      code   gender    medical useful   course   stipend  employed rounds
    Client("B01", "female", "pup", "1104.00", None, "3096.00", False,
           (r("3 2 11 7 10 4 12", "1648 498.32 124 350"),)),
    Client("B02", "male", "none", None, None, None, True,
           (r(STD, "842 212.64 372 500"),)),
    Client("B03", "female", "pup", None, "1800.00", "3096.00", False,
           (r("2 3.5 11 7 10 4 12", "1476 0 372 300"),)),
    Client("B04", "female", "ngo", "1104.00", "1800.00", None, False,
           (r("1 1 5.5 3.5 5 2 10.5", "842 212.64 124 500"), r(STD, "880 146.35 248 0"))),
    Client("B05", "male", "ngo", "1104.00", None, None, False,
           (r(STD, "842 0 0 0"), r("1 1 8.5 3.5 5 2 6", "738 146.35 248 0"))),
    Client("B06", "male", "pup", None, None, "3096.00", True,
           (r(TWO, "1544 425.10 124 800"),)),
    Client("B07", "female", "ngo", None, "1800.00", None, True,
           (r(TWO, "1612 188.20 496 500"),)),
    Client("B08", "female", "pup", "1104.00", None, "3096.00", False,
           (r(TWO, "1532 376.40 95 0"),)),
    Client("B09", "female", "ngo", "1104.00", None, None, False,
           (r("1 1 5.5 6.5 5 2 6", "842 0 124 0"), r(STD, "774 212.64 0 0"))),
    Client("B10", "female", "pup", None, None, "3096.00", False,
           (r(TWO, "1570 212.64 124 350"),)),
    Client("B11", "female", "none", None, None, None, False,
           (r(STD, "774 0 248 0"),), replaces="B02"),
]
# Hours and money of the tasks every client goes through (or every client on that branch).
TASK_HOURS = {
    "recruit_client": "1", "verify_pup_registration": "0.5", "verify_mops_client": "0.5", "support_plan": "2",
    "medical_check_pup": "0.5", "medical_check_ngo": "0.5", "useful_work": "4", "useful_work_settlement": "1",
    "vocational_training": "60", "internship_start": "2", "internship_end": "1", "job_placement": "1",
    "programme_exit": "1", "follow_up_6m": "0",  # the follow-up falls after the reported period
}
MEDICAL_CHECK_COST = {"pup": "120.00", "ngo": "110.00"}
BENEFIT_FIELDS = ("social_assistance_paid", "housing_allowance_paid", "family_benefits_paid", "alimony_fund_paid")


def plan_answers(c: Client) -> dict[str, dict[str, Any]]:
    """Form data (besides hours) of the tasks whose answers follow from the client's plan alone."""
    situation = "employed" if c.employed else "unemployed"
    medical = {"medical_check_date": "2013-02-12", "fit_for_work": "fit_limited",
               "medical_check_cost": MEDICAL_CHECK_COST.get(c.medical)}
    return {
        "recruit_client": {"entry_date": "2013-02-01", "entry_situation": "unemployed", "gender": c.gender,
                           "disability_degree": "moderate"},
        "verify_pup_registration": {"registered_pup": True},
        "verify_mops_client": {"mops_client": True},
        "support_plan": {"plan_date": "2013-02-05", "plan_goals": "indywidualny plan wsparcia",
                         "medical_check_payer": c.medical, "plan_useful_work": c.useful_work is not None,
                         "plan_training": c.course is not None, "plan_internship": c.stipend is not None,
                         "plan_signed_by_client": True},
        "medical_check_pup": medical,
        "medical_check_ngo": medical,
        "useful_work": {"useful_work_start": "2013-04-02", "useful_work_place": "MOPS Bartoszyce",
                        "client_work_hours": 120},
        "useful_work_settlement": {"settlement_date": "2013-06-28", "useful_work_pay": c.useful_work},
        "vocational_training": {"course_name": "szkolenie zawodowe SION", "course_start": "2013-04-08",
                                "course_cost": c.course, "training_completed": True},
        "internship_start": {"internship_employer": "pracodawca", "internship_start_date": "2013-06-03",
                             "internship_agreement_signed": True},
        "internship_end": {"internship_end_date": "2013-12-02", "internship_stipend_paid": c.stipend,
                           "internship_completed": True},
        "job_placement": {"employed_open_market": c.employed},
        "programme_exit": {"exit_date": "2013-06-30", "exit_situation": situation,
                           "exit_reason": "employed" if c.employed else "completed"},
        "follow_up_6m": {"follow_up_date": "2014-01-15", "situation_6m": situation},
    }


class Replay:
    """Answers each open task of each client's case from the client's plan."""

    def __init__(self, driver: PathwayDriver) -> None:
        self.driver = driver
        self.cases: dict[str, int] = {}
        self.client: dict[int, Client] = {}
        self.rounds_done: Counter[int] = Counter()

    def recruit(self, client: Client) -> None:
        case = self.driver.start(KEY, beneficiary=client.code)
        self.cases[client.code], self.client[case] = case, client

    def answer(self, case: int, element: str) -> dict[str, Any]:
        """The form data a task is completed with: from the client's plan and, for meetings, the round."""
        c = self.client[case]
        if element in MEETING_TASKS:
            return {"hours": c.rounds[self.rounds_done[case]].hours[MEETING_TASKS.index(element)]}
        if element == "mops_benefits":
            paid = c.rounds[self.rounds_done[case]].benefits
            return {"benefits_paid_on": "2013-03-10", **dict(zip(BENEFIT_FIELDS, paid, strict=True))}
        if element == "progress_review":
            self.rounds_done[case] += 1
            more = self.rounds_done[case] < len(c.rounds)
            return {"review_date": "2013-03-29", "client_status": "continue" if more else "activate"}
        if element == "recruit_replacement":
            replacement = next((x for x in CLIENTS if x.replaces == c.code), None)
            if replacement is None:  # a job taken at the end of the testing period: no new place
                return {"replacement_recruited": False, "replacement_notes": "okres testowania zakończony"}
            self.recruit(replacement)  # the coordinator recruits the new person: a new case
            return {"replacement_recruited": True, "replacement_date": "2013-03-15"}
        hours = {"hours": TASK_HOURS[element]} if element in TASK_HOURS else {}
        return {**hours, **plan_answers(c)[element]}

    def run(self) -> None:
        """Work every open task until all cases wait for time; then move the clock; until all end."""
        for _ in range(10):
            settled: set[int] = set()
            while pending := [case for case in self.client if case not in settled]:  # replacements join
                for case in pending:
                    while tasks := self.driver.open_tasks(case):
                        for element in tasks:
                            self.driver.complete(case, element, self.answer(case, element))
                    settled.add(case)
            if all(self.driver.case(case).status == "completed" for case in self.client):
                return
            self.driver.advance(days=92)
        stuck = {c.code: self.driver.case(case).stage for case, c in self.client.items()
                 if self.driver.case(case).status != "completed"}
        raise AssertionError(f"the replay did not finish; still active (stage): {stuck}")
