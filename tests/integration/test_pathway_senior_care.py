"""The Z@opiekowani pathway (care for dependent people over 60, Warsaw 2017-2019) on the real engine and store.

Every branch is driven: each eligibility criterion failing, the 14-day escalation of a late needs
diagnosis, care services and telecare started in parallel, the 3-monthly review that continues,
changes the path or ends care, and the exit with and without the 6-month follow-up.
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

KEY = "senior_care"

SOCIAL_WORKER = {("ops.social_worker", "OPS")}
CARER = {("ops.carer", "OPS")}
TELECARE = {("ngo.telecare_operator", "NGO")}
SUPERVISOR = {("supervision.supervisor", "SUPERVISION")}


def referral(**changes: Any) -> dict[str, Any]:
    return {"referral_date": "2026-11-02", "referral_source": "family", "person_identity": "Anna K., 4403...",
            "home_address": "ul. Grójecka 1, Warszawa", "age": 78, "warsaw_resident": True, "dependent": True,
            "receives_care_services": False, "hours": 1, **changes}


DIAGNOSIS = {"diagnosis_date": "2026-11-09", "entry_date": "2026-11-09", "entry_situation": "inactive",
             "barthel_score": 45, "health_conditions": "niewydolność serca, cukrzyca", "cognitive_impairment": False,
             "mobility": "with_aid", "lives_alone": True, "informal_carers": "córka raz w tygodniu",
             "needs_summary": "higiena, posiłki, zakupy", "hours": 4}
PATH = {"path_date": "2026-11-12", "path_goals": "bezpieczne życie w domu", "care_hours_weekly": 10,
        "care_scope": "higiena, posiłki", "telecare_scope": "opaska SOS", "hours": 3}


def report(hours: float, cost: float) -> dict[str, Any]:
    return {"period_start": "2026-11-16", "period_end": "2027-02-15", "services_delivered": "higiena, zakupy",
            "health_changes": "bez zmian", "care_services_cost": cost, "hours": hours}


def review(decision: str) -> dict[str, Any]:
    return {"review_date": "2027-02-16", "telecare_alarms": 2, "review_notes": "stan stabilny",
            "review_decision": decision, "hours": 1.5}


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: FrozenClock) -> Engine:
    """The conftest engine, with only this pathway's files deployed (the whole folder costs ~0.6 s a test)."""
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn"]), roles)
    return Engine(store, roles)


@pytest.fixture
def driver(engine: Engine, store: Store, frozen_clock: FrozenClock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


def open_ids(driver: PathwayDriver, case_id: int) -> set[str]:
    return set(driver.open_tasks(case_id))


def to_services(driver: PathwayDriver) -> int:
    case_id = driver.start(KEY)
    driver.complete(case_id, "referral", referral())
    driver.complete(case_id, "needs_diagnosis", DIAGNOSIS)
    driver.complete(case_id, "support_path", PATH)
    return case_id


def start_services(driver: PathwayDriver, case_id: int) -> None:
    driver.complete(case_id, "telecare_setup", {"telecare_install_date": "2026-11-14", "telecare_device": "wristband",
                                                "emergency_contacts": "córka, 600...", "device_tested": True,
                                                "hours": 2})
    driver.complete(case_id, "care_start", {"care_start_date": "2026-11-16", "visit_schedule": "pn-pt 9-11",
                                            "first_visit_notes": "duszność przy wysiłku", "hours": 2})


def next_review(driver: PathwayDriver, case_id: int, decision: str, hours: float = 120, cost: float = 4200) -> None:
    """Three months later (at most 92 days): the carer reports the period, the social worker reviews it."""
    assert "care_period_report" not in open_ids(driver, case_id)
    driver.advance(days=92)
    assert open_ids(driver, case_id) == {"care_period_report"}
    driver.complete(case_id, "care_period_report", report(hours, cost))
    assert open_ids(driver, case_id) == {"periodic_review"}
    driver.complete(case_id, "periodic_review", review(decision))


# ---------------------------------------------------------------------------------------------
def test_only_dependent_warsaw_residents_over_60_without_care_services_are_admitted(driver: PathwayDriver) -> None:
    refused = [{"age": 60}, {"dependent": False}, {"receives_care_services": True}, {"warsaw_resident": False}]
    for changes in refused:
        case_id = driver.start(KEY)
        assert driver.offered(case_id, "referral") == SOCIAL_WORKER
        driver.complete(case_id, "referral", referral(**changes))
        case = driver.case(case_id)
        assert (case.status, open_ids(driver, case_id)) == ("completed", set()), changes
        assert driver.stages(case_id) == ["Zgłoszenie i kwalifikacja"]
        assert driver.outcomes(case_id) == []

    case_id = driver.start(KEY)
    driver.complete(case_id, "referral", referral(age=61))
    assert open_ids(driver, case_id) == {"needs_diagnosis"}
    assert driver.offered(case_id, "needs_diagnosis") == SOCIAL_WORKER
    assert driver.stages(case_id) == ["Zgłoszenie i kwalifikacja", "Diagnoza potrzeb"]
    assert driver.totals("hours") == {("ops.social_worker", "OPS"): Decimal("5")}  # five referrals of 1 hour


def test_a_late_needs_diagnosis_escalates_to_the_supervisor_after_14_days(driver: PathwayDriver) -> None:
    case_id = driver.start(KEY)
    driver.complete(case_id, "referral", referral())
    task = driver.task(case_id, "needs_diagnosis")
    assert task.priority == 70
    assert task.due_at is not None and task.due_at.replace(tzinfo=None) == \
        (driver.clock.current + timedelta(days=14)).replace(tzinfo=None)

    driver.advance(days=13, hours=23)
    assert open_ids(driver, case_id) == {"needs_diagnosis"}
    driver.advance(hours=1)
    assert open_ids(driver, case_id) == {"needs_diagnosis", "escalate_diagnosis"}
    assert driver.offered(case_id, "escalate_diagnosis") == SUPERVISOR
    driver.complete(case_id, "escalate_diagnosis", {"escalation_date": "2026-11-17",
                                                    "escalation_action": "deadline_extended",
                                                    "escalation_notes": "diagnoza do 20 listopada"})
    assert open_ids(driver, case_id) == {"needs_diagnosis"}  # the escalation does not cancel the diagnosis
    driver.complete(case_id, "needs_diagnosis", DIAGNOSIS)
    assert open_ids(driver, case_id) == {"support_path"}
    assert driver.data(case_id)["barthel_score"] == 45
    assert ("supervision.supervisor", "SUPERVISION") not in driver.totals("hours", case_id)


def test_care_and_telecare_run_in_parallel_with_reviews_every_3_months_until_exit(driver: PathwayDriver) -> None:
    case_id = to_services(driver)
    assert open_ids(driver, case_id) == {"care_start", "telecare_setup"}
    assert driver.offered(case_id, "care_start") == CARER
    assert driver.offered(case_id, "telecare_setup") == TELECARE
    assert driver.case(case_id).stage == "Usługi opiekuńcze i teleopieka"
    start_services(driver, case_id)
    assert open_ids(driver, case_id) == set()

    started = driver.clock.current  # the first review is due three months after both services started
    driver.advance(days=91)
    assert open_ids(driver, case_id) == set()
    driver.advance(seconds=(started.replace(year=2027, month=2) - driver.clock.current).total_seconds())
    assert open_ids(driver, case_id) == {"care_period_report"}
    assert driver.offered(case_id, "care_period_report") == CARER
    driver.complete(case_id, "care_period_report", report(120, 4200))
    assert driver.offered(case_id, "periodic_review") == SOCIAL_WORKER
    driver.complete(case_id, "periodic_review", review("continue"))
    assert open_ids(driver, case_id) == set()

    next_review(driver, case_id, "change_path", hours=130, cost=4550)
    assert open_ids(driver, case_id) == {"path_change"}
    assert driver.offered(case_id, "path_change") == SOCIAL_WORKER
    driver.complete(case_id, "path_change", {"change_date": "2027-05-20", "change_reason": "pogorszenie po upadku",
                                             "care_hours_weekly": 14, "care_scope": "higiena, posiłki, leki",
                                             "hours": 2})
    assert open_ids(driver, case_id) == set()
    assert driver.data(case_id)["care_hours_weekly"] == 14

    next_review(driver, case_id, "end", hours=168, cost=5880)
    assert open_ids(driver, case_id) == {"care_end"}
    driver.complete(case_id, "care_end", {"exit_date": "2027-08-20", "end_reason": "family_care",
                                          "exit_situation": "inactive", "telecare_device_returned": True,
                                          "hours": 1})
    assert driver.case(case_id).stage == "Monitoring po zakończeniu"
    driver.advance(days=180)
    assert open_ids(driver, case_id) == set()
    driver.advance(days=4)
    assert open_ids(driver, case_id) == {"follow_up"}
    assert driver.offered(case_id, "follow_up") == SOCIAL_WORKER
    driver.complete(case_id, "follow_up", {"follow_up_date": "2028-02-21", "situation_6m": "inactive",
                                           "living_situation_6m": "home_family_care", "hours": 0.5})

    assert driver.case(case_id).status == "completed"
    assert driver.stages(case_id) == ["Zgłoszenie i kwalifikacja", "Diagnoza potrzeb", "Ścieżka wsparcia",
                                      "Usługi opiekuńcze i teleopieka", "Zakończenie", "Monitoring po zakończeniu"]
    data = driver.data(case_id)
    assert (data["entry_date"], data["exit_date"], data["situation_6m"]) == ("2026-11-09", "2027-08-20", "inactive")
    assert data["end_reason"] == "family_care" and data["telecare_device"] == "wristband"
    assert driver.outcomes(case_id) == ["exited"]
    assert driver.totals("benefit", case_id) == {("care_services", "OPS"): Decimal("14630")}
    assert driver.totals("hours", case_id) == {
        ("ops.social_worker", "OPS"): Decimal("1") + 4 + 3 + 3 * Decimal("1.5") + 2 + 1 + Decimal("0.5"),
        ("ops.carer", "OPS"): Decimal("2") + 120 + 130 + 168,
        ("ngo.telecare_operator", "NGO"): Decimal("2"),
    }


def test_care_ended_by_death_closes_without_the_follow_up(driver: PathwayDriver) -> None:
    case_id = to_services(driver)
    start_services(driver, case_id)
    next_review(driver, case_id, "end", hours=40, cost=1400)
    driver.complete(case_id, "care_end", {"exit_date": "2027-02-10", "end_reason": "death",
                                          "exit_situation": "inactive", "hours": 1})
    assert driver.case(case_id).status == "completed"
    assert driver.stages(case_id)[-1] == "Zakończenie"
    driver.advance(days=200)
    assert open_ids(driver, case_id) == set()
    assert driver.outcomes(case_id) == ["exited"]
    assert driver.totals("benefit", case_id) == {("care_services", "OPS"): Decimal("1400")}
