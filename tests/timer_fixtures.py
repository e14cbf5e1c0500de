"""Shared by the timer tests over HTTP, on the pages and in the CLI: cases waiting on a timer.

`waiting_case(app, wait)` starts a case of `tests/fixtures/o18_timer_wait.bpmn` for the OPS and
the partnership (the demo admin's agency takes part) that waits `wait` (ISO 8601) at `wait`.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from pathways.core import services
from pathways.engine.cases import Actor
from pathways.store.models import CaseEvent, HumanTask, Timer, User
from tests.helpers import FIXTURES

KEY, ELEMENT = "o18_timer_wait", "wait"
REASON = "Pani Nowak w szpitalu do 20 grudnia"  # free text about a person: sealed, never audited


def waiting_case(app: Flask, wait: str = "P3D") -> tuple[int, str]:
    """(case id, timer id) of a new case waiting `wait` on its timer."""
    pathways = services(app)
    pathways.deploy([FIXTURES / "o18_timer_wait.bpmn"])
    with pathways.store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
    case_id = pathways.engine.start_case(Actor(anna.username, anna.id), KEY, {"wait_for": wait},
                                         ["mops-bartoszyce", "partnership"])
    with pathways.store.unit_of_work(write=False) as uow:
        timer_id = uow.session.scalars(select(Timer.id).where(Timer.case_id == case_id)).one()
    return case_id, timer_id


def review_open(app: Flask, case_id: int) -> bool:
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == "review", HumanTask.status == "open")) is not None


def event_kinds(app: Flask, case_id: int) -> list[str]:
    with services(app).store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                                        .order_by(CaseEvent.id)))
