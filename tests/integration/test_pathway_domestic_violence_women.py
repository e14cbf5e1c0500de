"""Pathway `domestic_violence_women` ("Praca i godne życie"): every branch, on SQLite and PostgreSQL.

Recruitment with the target-group decision table, the individual plan, the parallel activity
stage (a fixed group track and individual consultations, plus an inclusive gateway for the
supports the plan chose: specialist consultations, therapy group, childcare, theatre), the
vocational course, the 6-month internship, employment, exit and the 6-month follow-up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.store.models import Case
from pathways.tasks.forms import build_form, task_spec
from tests.conftest import WORKFLOWS
from tests.pathway_driver import PathwayDriver

KEY = "domestic_violence_women"
FILES = [WORKFLOWS / f"{KEY}.bpmn", WORKFLOWS / f"{KEY}_eligibility.dmn"]
CORE = {
    "support_group": ("ops.psychologist", "OPS"),
    "individual_consultations": ("ops.psychologist", "OPS"),
}
OPTIONAL = {  # plan field -> (task, who is offered it)
    "plan_specialist": ("specialist_consultations", ("ops.specialist_counsellor", "OPS")),
    "plan_therapy_group": ("therapy_group", ("ops.therapist", "OPS")),
    "needs_childcare": ("childcare", ("ops.childcare_worker", "OPS")),
    "plan_theatre": ("theatre_workshop", ("ngo.trainer", "NGO")),
}
TASK_DATA = {
    "support_group": {"support_group_sessions": 10, "support_group_notes": "przemoc ekonomiczna", "hours": 20},
    "job_search_workshops": {"workshop_sessions": 6, "cv_prepared": True, "hours": 18},
    "job_club": {"job_club_meetings": 8, "job_applications": 12, "job_interviews": 3, "hours": 16},
    "individual_consultations": {"expectations": "Praca w handlu", "motivation_level": "high",
                                 "course_preference": "Sprzedawca", "hours": 4},
    "specialist_consultations": {"topic_violence": True, "topic_addiction": True, "topic_school_problems": False,
                                 "blue_card_procedure": True, "specialist_notes": "NK wszczęta", "hours": 6},
    "therapy_group": {"therapy_sessions": 12, "therapy_notes": "postępy", "hours": 24},
    "childcare": {"children_in_care": 2, "childcare_cost": 1450.75, "hours": 60},
    "theatre_workshop": {"theatre_sessions": 10, "performance_given": True, "hours": 30},
}


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect(FILES), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


def submit(driver: PathwayDriver, case_id: int, element_id: str, data: dict[str, Any]) -> None:
    """Validate `data` with the task's form (required fields, ranges, enums), then complete the task."""
    with driver.store.unit_of_work(write=False) as uow:
        version_id = uow.session.get(Case, case_id).pathway_version_id
        definition = driver.engine.definition(uow.session, version_id)
    driver.complete(case_id, element_id, build_form(task_spec(definition, element_id)).validate(data))


def recruitment(**changes: Any) -> dict[str, Any]:
    return {"entry_date": "2026-11-02", "entry_situation": "unemployed", "target_group": "unemployed",
            "experienced_violence": True, "consent_to_participate": True, "site": "warszawa",
            "children_count": 2, "violence_history": "Przemoc ze strony męża", "hours": 2, **changes}


def plan(**chosen: bool) -> dict[str, Any]:
    return {"plan_items": "Grupa wsparcia, warsztaty, kurs, staż", "signed_by_beneficiary": True,
            "signed_by_ops": True, "plan_signed_date": "2026-11-10", "hours": 3,
            **{field: chosen.get(field, False) for field in OPTIONAL}}


def do_activities(driver: PathwayDriver, case_id: int, chosen: set[str]) -> None:
    """Complete the activity stage; the course must not open before the last activity is done."""
    order = ["support_group", "job_search_workshops", "job_club", "individual_consultations",
             *[OPTIONAL[f][0] for f in OPTIONAL if f in chosen]]
    for element in order:
        assert "vocational_course" not in driver.open_tasks(case_id)
        submit(driver, case_id, element, TASK_DATA[element])
    assert driver.offered(case_id, "vocational_course") == {("ngo.trainer", "NGO")}


def start_to_activities(driver: PathwayDriver, chosen: set[str]) -> int:
    case = driver.start(KEY)
    assert driver.offered(case, "recruitment") == {("ops.social_worker", "OPS")}
    submit(driver, case, "recruitment", recruitment())
    assert driver.offered(case, "individual_plan") == {("ops.social_worker", "OPS")}
    submit(driver, case, "individual_plan", plan(**{f: True for f in chosen}))
    return case


def test_every_support_then_course_internship_and_employment(driver):
    case = start_to_activities(driver, set(OPTIONAL))
    expected = {**CORE, **{task: who for task, who in OPTIONAL.values()}}
    assert set(driver.open_tasks(case)) == set(expected)
    for element, who in expected.items():
        assert driver.offered(case, element) == {who}
    assert driver.case(case).stage == "Aktywizacja"
    submit(driver, case, "support_group", TASK_DATA["support_group"])
    assert driver.offered(case, "job_search_workshops") == {("ops.social_worker", "OPS")}
    submit(driver, case, "job_search_workshops", TASK_DATA["job_search_workshops"])
    assert driver.offered(case, "job_club") == {("ops.social_worker", "OPS")}
    for element in ["job_club", "individual_consultations", *[t for t, _ in OPTIONAL.values()]]:
        assert "vocational_course" not in driver.open_tasks(case)  # the joins wait for every activity
        submit(driver, case, element, TASK_DATA[element])

    assert driver.offered(case, "vocational_course") == {("ngo.trainer", "NGO")}
    assert driver.case(case).stage == "Kurs zawodowy"
    submit(driver, case, "vocational_course", {"course_name": "Sprzedawca z obsługą kasy fiskalnej",
                                               "course_cost": 2100, "course_completed": True,
                                               "certificate_obtained": True, "hours": 120})
    assert driver.offered(case, "arrange_internship") == {("pup.internship_organiser", "PUP")}
    submit(driver, case, "arrange_internship", {
        "employer_name": "Sklep Społem", "internship_start": "2027-03-01", "flexible_arrangement": "part_time",
        "internship_signed_by_beneficiary": True, "internship_signed_by_employer": True,
        "internship_signed_by_pup": True, "internship_agreement_date": "2027-02-25", "hours": 3})
    assert driver.advance(days=180) == 0  # six calendar months are 181 days from 2 November
    assert driver.advance(days=1) == 1
    submit(driver, case, "internship_completion", {"internship_end": "2027-08-31", "internship_completed": True,
                                                   "internship_stipend_total": 6300, "hours": 2})
    assert driver.offered(case, "job_placement") == {("pup.job_broker", "PUP")}
    submit(driver, case, "job_placement", {"employment_result": "employed_at_internship",
                                           "employer_hired": "Sklep Społem", "employment_start": "2027-09-01",
                                           "hours": 2})
    assert driver.offered(case, "exit_programme") == {("ops.social_worker", "OPS")}
    submit(driver, case, "exit_programme", {"exit_date": "2027-09-01", "exit_situation": "employed", "hours": 1})
    assert driver.advance(days=150) == 0
    assert driver.advance(days=35) == 1
    assert driver.offered(case, "follow_up_6m") == {("ops.social_worker", "OPS")}
    submit(driver, case, "follow_up_6m", {"follow_up_date": "2028-03-01", "situation_6m": "employed",
                                          "violence_recurred": False, "hours": 1})

    assert driver.case(case).status == "completed"
    assert driver.stages(case) == ["Rekrutacja", "Plan wsparcia", "Aktywizacja", "Kurs zawodowy",
                                   "Staż i zatrudnienie", "Zakończenie", "Monitoring po zakończeniu"]
    assert driver.outcomes(case) == ["trained", "internship", "employed"]
    data = driver.data(case)
    assert (data["eligible"], data["eligibility_note"]) == (True, "Spełnia kryteria grupy docelowej")
    assert (data["entry_situation"], data["exit_situation"], data["situation_6m"]) == \
        ("unemployed", "employed", "employed")
    assert driver.totals("hours", case) == {
        ("ops.social_worker", "OPS"): Decimal("41"),  # 2 + 3 + 18 + 16 + 1 + 1
        ("ops.psychologist", "OPS"): Decimal("24"),
        ("ops.specialist_counsellor", "OPS"): Decimal("6"),
        ("ops.therapist", "OPS"): Decimal("24"),
        ("ops.childcare_worker", "OPS"): Decimal("60"),
        ("ngo.trainer", "NGO"): Decimal("150"),
        ("pup.internship_organiser", "PUP"): Decimal("5"),
        ("pup.job_broker", "PUP"): Decimal("2"),
    }
    assert driver.totals("benefit", case) == {
        ("childcare", "OPS"): Decimal("1450.75"),
        ("course", "NGO"): Decimal("2100"),
        ("internship_stipend", "PUP"): Decimal("6300"),
    }


def test_only_the_supports_chosen_in_the_plan_open_and_an_unfinished_course_ends_the_project(driver):
    case = start_to_activities(driver, {"plan_specialist", "needs_childcare"})
    assert set(driver.open_tasks(case)) == {*CORE, "specialist_consultations", "childcare"}
    do_activities(driver, case, {"plan_specialist", "needs_childcare"})
    submit(driver, case, "vocational_course", {"course_name": "Opiekunka osoby starszej", "course_cost": 1900,
                                               "course_completed": False, "hours": 60})
    # not completed: no internship, straight to exit
    assert set(driver.open_tasks(case)) == {"exit_programme"}
    submit(driver, case, "exit_programme", {"exit_date": "2027-02-01", "exit_situation": "unemployed", "hours": 1})
    driver.advance(days=185)
    submit(driver, case, "follow_up_6m", {"follow_up_date": "2027-08-01", "situation_6m": "inactive", "hours": 0.5})

    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == []
    assert "Staż i zatrudnienie" not in driver.stages(case)
    hours = driver.totals("hours", case)
    assert ("ops.therapist", "OPS") not in hours and ("ops.childcare_worker", "OPS") in hours
    assert driver.totals("benefit", case) == {("childcare", "OPS"): Decimal("1450.75"),
                                              ("course", "NGO"): Decimal("1900")}


def test_no_optional_support_and_an_internship_without_a_job(driver):
    case = start_to_activities(driver, set())
    assert set(driver.open_tasks(case)) == set(CORE)  # the inclusive gateway took its default flow
    do_activities(driver, case, set())
    submit(driver, case, "vocational_course", {"course_name": "Magazynierka", "course_completed": True, "hours": 80})
    submit(driver, case, "arrange_internship", {
        "employer_name": "Hurtownia", "internship_start": "2027-03-01",
        "internship_signed_by_beneficiary": True, "internship_signed_by_employer": True,
        "internship_signed_by_pup": True, "internship_agreement_date": "2027-02-25", "hours": 2})
    driver.advance(days=185)
    submit(driver, case, "internship_completion", {"internship_end": "2027-08-31", "internship_completed": True,
                                                   "internship_stipend_total": 6000, "hours": 1})
    submit(driver, case, "job_placement", {"employment_result": "not_employed", "hours": 3})
    assert driver.offered(case, "exit_programme") == {("ops.social_worker", "OPS")}
    submit(driver, case, "exit_programme", {"exit_date": "2027-09-01", "exit_situation": "unemployed", "hours": 1})
    driver.advance(days=185)
    submit(driver, case, "follow_up_6m", {"follow_up_date": "2028-03-01", "situation_6m": "employed", "hours": 1})
    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == ["trained", "internship"]
    assert driver.data(case)["situation_6m"] == "employed"


@pytest.mark.parametrize(("changes", "note"), [
    ({"consent_to_participate": False}, "Brak zgody na udział"),
    ({"experienced_violence": False}, "Brak doświadczenia przemocy domowej"),
    ({"target_group": "other"}, "Poza grupą docelową projektu"),
])
def test_the_decision_table_turns_away_women_outside_the_target_group(driver, changes, note):
    case = driver.start(KEY)
    submit(driver, case, "recruitment", recruitment(**changes))
    assert driver.case(case).status == "completed"
    assert driver.open_tasks(case) == {}
    assert (driver.data(case)["eligible"], driver.data(case)["eligibility_note"]) == (False, note)
    assert driver.stages(case) == ["Rekrutacja"]
    assert driver.outcomes(case) == []


@pytest.mark.parametrize("group", ["at_risk_of_job_loss", "convicted"])
def test_the_other_target_groups_are_admitted(driver, group):
    case = driver.start(KEY)
    submit(driver, case, "recruitment", recruitment(target_group=group, entry_situation="employed"))
    assert set(driver.open_tasks(case)) == {"individual_plan"}
    assert driver.data(case)["eligible"] is True


def test_violence_history_and_therapy_notes_are_sensitive(driver):
    case = driver.start(KEY)
    with driver.store.unit_of_work(write=False) as uow:
        definition = driver.engine.definition(uow.session, uow.session.get(Case, case).pathway_version_id)
    sensitive = {element: {f.id for f in build_form(task_spec(definition, element)).fields if f.sensitive}
                 for element in ("recruitment", "therapy_group", "childcare", "follow_up_6m")}
    assert sensitive == {"recruitment": {"violence_history"}, "therapy_group": {"therapy_notes"},
                         "childcare": set(), "follow_up_6m": {"violence_recurred"}}
