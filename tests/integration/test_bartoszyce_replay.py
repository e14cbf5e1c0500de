"""The Bartoszyce partnership (PUP + MOPS + SION, February-June 2013) replayed through the engine.

The source reports: 11 clients served (10 recruited, one recruited in the place of a client who
took a job); 3 completed vocational training, 5 did socially useful work, 5 started internships,
3 were employed on the open market; 783.5 service hours (PUP 114.5, MOPS 222.5, NGO 446.5) and
51,986.28 PLN of benefits paid.

The per-client plan is data in tests/bartoszyce.py (CLIENTS: what each client's support plan
chose, the hours each specialist recorded in each round of meetings, and the money paid; the
reports tests replay it too). `Replay` answers each task a case opens from that plan (as the
partners' staff would), moves the clock over the 6-month internships and follow-ups, and the
test then checks that the totals summed from the recorded measures (driver.measures()) are the
reported ones. Nothing adds the plan up for the engine: the figures come back from the rows the
cases wrote.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from tests.bartoszyce import (
    CLIENTS,
    REPORTED_BENEFITS_TOTAL,
    REPORTED_HOURS,
    REPORTED_HOURS_TOTAL,
    REPORTED_OUTCOMES,
    TASK_HOURS,
    Replay,
)
from tests.pathway_driver import PathwayDriver

D = Decimal


@pytest.fixture
def driver(engine, store, frozen_clock) -> PathwayDriver:
    return PathwayDriver(engine, store, frozen_clock)


def test_the_plan_is_the_reported_programme():
    """The table itself describes the source's programme: 10 recruited + 1 replacement, 7 women and 3 men."""
    assert len(CLIENTS) == 11 and sum(c.replaces is None for c in CLIENTS) == 10
    first_ten = [c.gender for c in CLIENTS if c.replaces is None]
    assert (first_ten.count("female"), first_ten.count("male")) == (7, 3)


def test_bartoszyce_replay_gives_the_reported_results(driver):
    replay = Replay(driver)
    for client in CLIENTS:
        if client.replaces is None:
            replay.recruit(client)
    replay.run()
    assert len(replay.cases) == 11  # the replacement was recruited when B02 took a job
    assert sorted(replay.rounds_done.values()) == [1] * 8 + [2] * 3  # the meetings loop, as planned

    rows = driver.measures()
    assert {m.case_id for m in rows} == set(replay.client)

    outcomes = Counter(m.key for m in rows if m.kind == "outcome")
    assert outcomes == REPORTED_OUTCOMES

    hours_by_agency: dict[str | None, Decimal] = defaultdict(Decimal)
    hours_by_role: dict[str, Decimal] = defaultdict(Decimal)
    for m in rows:
        if m.kind == "hours":
            hours_by_agency[m.agency_kind] += Decimal(m.value)
            hours_by_role[m.key] += Decimal(m.value)
    assert dict(hours_by_agency) == REPORTED_HOURS
    assert sum(hours_by_agency.values()) == REPORTED_HOURS_TOTAL
    # Hours by specialist kind, as the source breaks them down (every partner's specialists count).
    assert set(hours_by_role) == {
        "pup.disabled_career_adviser", "pup.job_broker", "pup.internship_organiser", "pup.useful_work_clerk",
        "ops.social_worker", "ops.psychologist", "ops.useful_work_clerk",
        "ngo.psychologist", "ngo.lawyer", "ngo.it_instructor", "ngo.trainer", "ngo.doctor"}
    assert hours_by_role["ngo.trainer"] == 3 * D(TASK_HOURS["vocational_training"])

    benefits: dict[str, Decimal] = defaultdict(Decimal)
    for m in rows:
        if m.kind == "benefit":
            benefits[m.key] += Decimal(m.value)
    assert sum(benefits.values()) == REPORTED_BENEFITS_TOTAL
    assert set(benefits) == {"social_assistance", "housing_allowance", "family_benefits", "alimony_fund",
                             "socially_useful_work", "medical_check", "course", "internship_stipend"}
    assert benefits["internship_stipend"] == 5 * D("3096.00")
    assert benefits["medical_check"] == 5 * D("120.00") + 4 * D("110.00")

    # Per client: what the case recorded is what that client's plan said.
    for code, case in replay.cases.items():
        client = replay.client[case]
        got = Counter(m.key for m in driver.measures(case) if m.kind == "outcome")
        assert got["employed"] == int(client.employed), code
        assert got["internship"] == int(client.stipend is not None), code
        assert got["trained"] == int(client.course is not None), code
        assert got["socially_useful_work"] == int(client.useful_work is not None), code
        assert driver.case(case).status == "completed"
        assert driver.stages(case)[-1] == "Monitoring po zakończeniu"
