"""Shared by the lifecycle tests (engine, HTTP, pages, CLI): `tests/fixtures/o18_life_lanes.bpmn`.

The pathway: `intake` (OPS social worker) forks into `job_plan` (PUP career adviser) and a week's
timer `wait_week` before `follow_up` (OPS). Its process allows closing early with `exited` or
`moved_away`. Agencies: `ops`, `pup`, `pup2` (PUP), `ngo`, `sup` (the partnership), `sup2` (another
partnership). Users: anna (ops worker), ewa (pup), pawel (pup2), teresa (sup coordinator),
root (an `admin` of ops), obca (the coordinator of sup2: sees no case of ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from pathways.engine.actors import Actor
from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.store.db import Store
from pathways.store.models import HumanTask, LegalBasis, Timer, User
from pathways.tasks import accounts
from tests.helpers import FIXTURES, WORKFLOWS

KEY = "o18_life_lanes"
FILE = FIXTURES / "o18_life_lanes.bpmn"
ACT = "o18_social_assistance_act"
STATUTE = {"basis": "statute", "statute": ACT}
AGENCIES = [("ops", "OPS"), ("pup", "PUP"), ("pup2", "PUP"), ("ngo", "NGO"), ("sup", "SUPERVISION"),
            ("sup2", "SUPERVISION")]
USERS = {
    "anna": ("ops", ["ops.social_worker"]),
    "ewa": ("pup", ["pup.career_adviser"]),
    "pawel": ("pup2", ["pup.career_adviser"]),
    "teresa": ("sup", ["supervision.supervisor"]),
    "root": ("ops", ["admin"]),
    "obca": ("sup2", ["supervision.supervisor"]),
}
#: a free-text note that must never reach the audit log or an error
NOTE = "przeprowadzka do Gdańska, u siostry Kowalskiej"


def deploy_life(store: Store, roles: Any) -> None:
    deploy(store, collect([FILE, WORKFLOWS / "intake_referral.bpmn"]), roles)


def seed(store: Store, engine: Engine) -> dict[str, User]:
    for code, kind in AGENCIES:
        accounts.add_agency(store, code, kind, code)
    users = {name: accounts.create_user(store, engine.roles, name, agency, roles, "pw", name.title(),
                                        check_policy=False) for name, (agency, roles) in USERS.items()}
    with store.unit_of_work() as uow:
        if uow.session.get(LegalBasis, ACT) is None:
            uow.session.add(LegalBasis(code=ACT, title="Ustawa o pomocy społecznej", reference="art. 23",
                                       gdpr="6(1)(c)"))
        uow.commit()
    return users


def start(engine: Engine, agencies: list[str] | None = None) -> int:
    return engine.start_case(Actor("anna"), KEY, {}, agencies or ["ops", "pup", "sup"], "B-TEST-01")


def task(store: Store, case_id: int, element: str, status: str = "open") -> HumanTask:
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.element_id == element, HumanTask.status == status)).one()


def timers(store: Store, case_id: int) -> list[tuple[str, Any]]:
    from pathways.base import clock

    with store.unit_of_work(write=False) as uow:
        return [(t.element_id, clock.aware(t.due_at)) for t in uow.session.scalars(
            select(Timer).where(Timer.case_id == case_id).order_by(Timer.due_at))]


@dataclass
class Intake:
    """Past the intake: `job_plan` and the week's timer wait."""

    case_id: int
    job_plan: str


def past_intake(store: Store, engine: Engine, agencies: list[str] | None = None) -> Intake:
    case_id = start(engine, agencies)
    engine.complete_task(Actor("anna"), task(store, case_id, "intake").id, {"notes": "ok"})
    return Intake(case_id, task(store, case_id, "job_plan").id)


def http_case(app: Any, agencies: tuple[str, ...] = ("mops-bartoszyce", "partnership")) -> tuple[int, str]:
    """On the demo app: (case id, job_plan task id) of a case of the lanes pathway past its intake,
    started by anna.ops for `agencies` (by default without the PUP its `job_plan` lane needs)."""
    from pathways.core import services

    pathways = services(app)
    pathways.deploy([FILE])
    with pathways.store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
        actor = Actor(anna.username, anna.id)
    case_id = pathways.engine.start_case(actor, KEY, {}, list(agencies), "B-DEM2-KT")
    pathways.engine.complete_task(actor, task(pathways.store, case_id, "intake").id, {"notes": "ok"})
    return case_id, task(pathways.store, case_id, "job_plan").id
