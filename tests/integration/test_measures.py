"""Service hours, benefits and outcomes become `measures` rows in the command's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import ScriptError
from tests.helpers import FIXTURES
from tests.pathway_driver import PathwayDriver


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect([FIXTURES / "measures.bpmn"]), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


def test_hours_benefits_and_outcomes_are_recorded(driver):
    case = driver.start("measures")
    assert driver.offered(case, "consultation") == {("ngo.psychologist", "NGO")}
    driver.complete(case, "consultation", {"hours": 1.5, "stipend": "12,40"})
    driver.complete(case, "placement", {"hours": 2, "found_job": False})  # loops back
    driver.complete(case, "placement", {"hours": 0.5, "found_job": True})

    assert driver.case(case).status == "completed"
    assert driver.totals("hours") == {("ngo.psychologist", "NGO"): Decimal("1.5"),
                                      ("pup.job_broker", "PUP"): Decimal("2.5")}
    assert driver.totals("benefit") == {("travel_refund", "NGO"): Decimal("12.40")}
    assert driver.outcomes(case) == ["employed"]
    employed = [m for m in driver.measures(case) if m.kind == "outcome"][0]
    assert (employed.element_id, employed.agency_kind) == ("employed", "PUP")
    hours = [m for m in driver.measures(case) if m.kind == "hours"]
    assert all(m.agency_id is not None and m.user_id is not None and m.task_id for m in hours)


def test_empty_and_zero_values_record_nothing(driver):
    case = driver.start("measures")
    driver.complete(case, "consultation", {"hours": 0, "stipend": None})
    assert driver.measures(case) == []


def test_a_failed_command_records_no_measure(driver, monkeypatch):
    case = driver.start("measures")

    def broken(*_args):
        raise ScriptError("boom")

    monkeypatch.setattr("pathways.engine.runtime.CaseRuntime._advance", broken)
    with pytest.raises(ScriptError):
        driver.complete(case, "consultation", {"hours": 3})
    assert driver.measures(case) == []
    assert "consultation" in driver.open_tasks(case)
