"""Pathway `clubhouse_transitional_employment` ("Twarzą w twarz z rynkiem pracy"), on SQLite and PostgreSQL.

Admission, training in the clubhouse, work units repeated until the readiness table says ready,
choosing a Transitional Employment Place (MZP) with an employer prepared by a seminar, monthly
monitoring while the placement lasts, evaluation (open-market job, or back to the work units),
exit and the 6-month follow-up; also a member who leaves and one who is not admitted.
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

KEY = "clubhouse_transitional_employment"
FILES = [WORKFLOWS / f"{KEY}.bpmn", WORKFLOWS / f"{KEY}_readiness.dmn"]
CLUB = ("ngo.clubhouse_coordinator", "NGO")
TRAINER = ("ngo.trainer", "NGO")
TEP = ("ngo.employment_coordinator", "NGO")


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


ADMISSION = {"entry_date": "2026-11-02", "entry_situation": "inactive", "referral_source": "mental_health_clinic",
             "admitted": True, "mental_health_info": "schizofrenia, w remisji",
             "membership_signed_by_member": True, "membership_signed_by_clubhouse": True,
             "membership_date": "2026-11-02", "hours": 2}
TRAINING = {"training_topics": "Praca w zespole, obsługa komputera", "training_sessions": 12,
            "training_completed": True, "hours": 24}
EXIT = {"exit_date": "2027-12-01", "exit_situation": "employed", "hours": 1}


def work_units(**changes: Any) -> dict[str, Any]:
    return {"work_unit": "kitchen", "unit_period_start": "2026-12-01", "unit_weeks": 8, "attendance_percent": 85,
            "unit_leader_opinion": "ready", "member_wants_tep": True, "member_leaves": False, "hours": 40,
            **changes}


def placement() -> dict[str, Any]:
    return {"placement_start": "2027-03-01", "hours_per_week": 20, "planned_months": 6, "monthly_wage": 2400,
            "tep_signed_by_member": True, "tep_signed_by_employer": True, "tep_signed_by_ngo": True,
            "tep_agreement_date": "2027-02-25", "hours": 4}


def monitoring(status: str, month: int) -> dict[str, Any]:
    return {"monitoring_date": "2027-04-01", "placement_month": month, "attendance_ok": True, "coverage_days": 2,
            "employer_feedback": "good", "placement_status": status, "hours": 3}


def admitted_to_work_units(driver: PathwayDriver) -> int:
    case = driver.start(KEY)
    assert driver.offered(case, "admission") == {CLUB}
    submit(driver, case, "admission", ADMISSION)
    assert driver.offered(case, "clubhouse_training") == {TRAINER}
    submit(driver, case, "clubhouse_training", TRAINING)
    assert driver.offered(case, "work_units") == {CLUB}
    return case


def test_work_units_until_ready_two_placements_monthly_monitoring_and_employment(driver):
    case = admitted_to_work_units(driver)

    # attendance too low: the readiness table keeps the member in the work units
    submit(driver, case, "work_units", work_units(attendance_percent=50))
    assert set(driver.open_tasks(case)) == {"work_units"}
    assert driver.data(case)["readiness_reason"] == "Frekwencja w sekcji poniżej 60%"
    submit(driver, case, "work_units", work_units())
    assert driver.data(case)["readiness"] == "ready"

    # first MZP: the employer needs a seminar, declines after it, a second employer agrees
    assert driver.offered(case, "select_mzp") == {TEP}
    assert driver.case(case).stage == "Zatrudnienie przejściowe"
    submit(driver, case, "select_mzp", {"employer_name": "Drukarnia A", "mzp_position": "Pomocnik",
                                        "employer_prepared": False, "hours": 2})
    assert driver.offered(case, "employer_seminar") == {TEP}
    submit(driver, case, "employer_seminar", {"seminar_date": "2027-02-01", "seminar_participants": 4,
                                              "employer_agrees": False, "hours": 6})
    assert set(driver.open_tasks(case)) == {"select_mzp"}
    submit(driver, case, "select_mzp", {"employer_name": "Hotel B", "mzp_position": "Recepcja",
                                        "employer_prepared": False, "hours": 2})
    submit(driver, case, "employer_seminar", {"seminar_date": "2027-02-15", "seminar_participants": 3,
                                              "employer_agrees": True, "hours": 6})
    assert driver.offered(case, "mzp_placement") == {TEP}
    submit(driver, case, "mzp_placement", placement())

    # monitored every month while the placement lasts
    assert driver.advance(days=27) == 0
    assert driver.open_tasks(case) == {}
    assert driver.advance(days=5) == 1
    assert driver.offered(case, "monthly_monitoring") == {TEP}
    submit(driver, case, "monthly_monitoring", monitoring("continue", 1))
    assert driver.open_tasks(case) == {}
    assert driver.advance(days=31) == 1
    submit(driver, case, "monthly_monitoring", monitoring("ended", 2))
    assert driver.offered(case, "placement_evaluation") == {TEP}
    submit(driver, case, "placement_evaluation", {"placement_end": "2027-05-01", "employer_rating": "neutral",
                                                  "next_step": "back_to_work_units", "hours": 2})

    # back to the work units, then a second placement with an employer already prepared
    assert driver.offered(case, "work_units") == {CLUB}
    assert driver.case(case).stage == "Sekcje robocze"
    submit(driver, case, "work_units", work_units(work_unit="office"))
    submit(driver, case, "select_mzp", {"employer_name": "Hotel B", "mzp_position": "Biuro",
                                        "employer_prepared": True, "hours": 1})
    assert set(driver.open_tasks(case)) == {"mzp_placement"}  # no seminar this time
    submit(driver, case, "mzp_placement", placement())
    driver.advance(days=32)
    submit(driver, case, "monthly_monitoring", monitoring("ended", 1))
    submit(driver, case, "placement_evaluation", {"placement_end": "2027-09-01", "employer_rating": "positive",
                                                  "next_step": "open_market_job",
                                                  "open_market_employer": "Hotel B", "hours": 2})

    assert driver.offered(case, "exit_programme") == {CLUB}
    submit(driver, case, "exit_programme", EXIT)
    assert driver.advance(days=180) == 0
    assert driver.advance(days=5) == 1
    assert driver.offered(case, "follow_up_6m") == {CLUB}
    submit(driver, case, "follow_up_6m", {"follow_up_date": "2028-06-01", "situation_6m": "employed",
                                          "still_member": True, "hours": 1})

    assert driver.case(case).status == "completed"
    assert driver.stages(case) == ["Przyjęcie", "Szkolenie w domu-klubie", "Sekcje robocze",
                                   "Zatrudnienie przejściowe", "Sekcje robocze", "Zatrudnienie przejściowe",
                                   "Zakończenie", "Monitoring po zakończeniu"]
    assert driver.outcomes(case) == ["transitional_employment", "transitional_employment", "employed"]
    assert {m.agency_kind for m in driver.measures(case) if m.kind == "outcome"} == {"NGO"}
    assert driver.totals("hours", case) == {
        CLUB: Decimal("124"),  # 2 + 40 * 3 + 1 + 1
        TRAINER: Decimal("24"),
        TEP: Decimal("38"),  # 2+6+2+6+4+3+3+2 = 28 (first MZP) + 1+4+3+2 = 10 (second)
    }
    assert driver.totals("benefit", case) == {}  # wages are paid by the employer, not a benefit
    data = driver.data(case)
    assert (data["entry_situation"], data["exit_situation"], data["situation_6m"]) == \
        ("inactive", "employed", "employed")
    assert data["open_market_employer"] == "Hotel B"


def test_a_member_who_leaves_the_work_units_exits_without_an_outcome(driver):
    case = admitted_to_work_units(driver)
    submit(driver, case, "work_units", work_units(member_leaves=True))
    assert driver.data(case)["readiness"] == "leaves"
    assert driver.offered(case, "exit_programme") == {CLUB}
    submit(driver, case, "exit_programme", {**EXIT, "exit_situation": "inactive"})
    driver.advance(days=185)
    submit(driver, case, "follow_up_6m", {"follow_up_date": "2027-06-01", "situation_6m": "inactive", "hours": 1})
    assert driver.case(case).status == "completed"
    assert driver.outcomes(case) == []
    assert driver.stages(case) == ["Przyjęcie", "Szkolenie w domu-klubie", "Sekcje robocze", "Zakończenie",
                                   "Monitoring po zakończeniu"]


def test_a_person_not_admitted_ends_at_admission(driver):
    case = driver.start(KEY)
    submit(driver, case, "admission", {**ADMISSION, "admitted": False})
    assert driver.case(case).status == "completed"
    assert driver.open_tasks(case) == {}
    assert driver.stages(case) == ["Przyjęcie"]
    assert driver.totals("hours", case) == {CLUB: Decimal("2")}


@pytest.mark.parametrize(("changes", "reason"), [
    ({"member_wants_tep": False}, "Członek nie chce jeszcze podjąć pracy"),
    ({"unit_leader_opinion": "not_yet"}, "Lider sekcji: jeszcze nie"),
])
def test_the_readiness_table_keeps_the_member_in_the_work_units(driver, changes, reason):
    case = admitted_to_work_units(driver)
    submit(driver, case, "work_units", work_units(**changes))
    assert (driver.data(case)["readiness"], driver.data(case)["readiness_reason"]) == ("not_ready", reason)
    assert set(driver.open_tasks(case)) == {"work_units"}


def test_health_information_is_sensitive(driver):
    case = driver.start(KEY)
    with driver.store.unit_of_work(write=False) as uow:
        definition = driver.engine.definition(uow.session, uow.session.get(Case, case).pathway_version_id)
    sensitive = {element: {f.id for f in build_form(task_spec(definition, element)).fields if f.sensitive}
                 for element in ("admission", "work_units", "monthly_monitoring")}
    assert sensitive == {"admission": {"mental_health_info"}, "work_units": {"unit_notes"},
                         "monthly_monitoring": {"monitoring_notes"}}
