"""Shared by the incident tests over HTTP, on the pages and in the CLI: cases stuck on a failing timer.

`stuck_case(app, later)` starts a case of `tests/fixtures/i17_failing_timer.bpmn` for the OPS and
the partnership, completes its intake with a household size its script cannot read (a case
value, `SECRET`, quoted by the exception's text), and fires its timer until it is an incident.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from pathways.base import clock
from pathways.core import services
from pathways.engine import firing, incidents
from pathways.engine.cases import Actor
from pathways.store.models import HumanTask, Incident, User
from tests.helpers import FIXTURES

SECRET = "dwoje Kowalskich z Lipowej"
KEY, ELEMENT = "i17_failing_timer", "share"


@pytest.fixture
def later() -> Iterator[clock.FrozenClock]:
    """A clock frozen now (the demo data was made at the real time), moved on by the tests."""
    frozen = clock.FrozenClock(datetime.now(UTC)).install()
    yield frozen
    clock.set_source(None)


def stuck_case(app: Flask, later: clock.FrozenClock, household: str = SECRET) -> tuple[int, int]:
    """(case id, incident id) of a new case whose timer failed `INCIDENT_ATTEMPTS` times."""
    pathways = services(app)
    pathways.deploy([FIXTURES / "i17_failing_timer.bpmn"])
    with pathways.store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
        actor = Actor(anna.username, anna.id)
    case_id = pathways.engine.start_case(actor, KEY, {}, ["mops-bartoszyce", "partnership"])
    with pathways.store.unit_of_work(write=False) as uow:
        intake = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).one()
    pathways.engine.complete_task(actor, intake, {"allowance": 1200, "household_size": household})
    later.advance(days=7, seconds=1)
    for n in range(1, incidents.INCIDENT_ATTEMPTS + 1):
        pathways.engine.fire_due_timers()
        later.advance(seconds=firing.backoff(n).total_seconds())
    with pathways.store.unit_of_work(write=False) as uow:
        incident_id = uow.session.scalars(select(Incident.id).where(Incident.case_id == case_id)).one()
    return case_id, incident_id
