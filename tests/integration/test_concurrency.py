"""Concurrent commands on one case: one wins, the other loses cleanly; timers fire once."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func, select

from pathways.engine.cases import Actor, Engine
from pathways.engine.errors import Conflict
from pathways.store.db import Store
from pathways.store.models import CaseEvent, HumanTask, Timer
from tests.helpers import WORKFLOWS

IDENTIFY = {"needs_crisis_support": True, "risk_level": "low", "intake_date": "2026-11-02"}


def _open(store, case_id, element):
    with store.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.element_id == element, HumanTask.status == "open")).one()


def _engine(url: str) -> Engine:
    from pathways.engine.roles import RoleVocabulary

    return Engine(Store(url), RoleVocabulary.load(WORKFLOWS / "roles.toml"))


def _complete_in_child(url, task_id, barrier, results):
    engine = _engine(url)
    barrier.wait()
    try:
        engine.complete_task(Actor("racer"), task_id, IDENTIFY)
        results.put("ok")
    except Conflict as exc:  # TaskNotOpen is a Conflict too
        results.put(type(exc).__name__)
    except Exception as exc:
        results.put(f"unexpected {type(exc).__name__}: {exc}")
    finally:
        engine.store.dispose()


def _fire_in_child(url, barrier, results):
    engine = _engine(url)
    barrier.wait()
    try:
        results.put(engine.fire_due_timers())
    except Exception as exc:
        results.put(f"unexpected {type(exc).__name__}: {exc}")
    finally:
        engine.store.dispose()


def _race(target, args, processes=2):
    ctx = multiprocessing.get_context("fork")  # children inherit the frozen clock
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    children = [ctx.Process(target=target, args=(*args, barrier, results)) for _ in range(processes)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_complete_one_task(store, engine, round_):
    case_id = engine.start_case(Actor("cli"), "intake_referral", {})
    task_id = _open(store, case_id, "identify")
    store.dispose()  # no pooled connection crosses the fork
    outcomes = _race(_complete_in_child, (store.url, task_id))
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
    assert all(o in ("ok", "Conflict", "TaskNotOpen") for o in outcomes), outcomes
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.task_id == task_id, CaseEvent.kind == "TaskCompleted")) == 1
        assert s.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")) == 2  # the parallel split, once


def test_threads_complete_one_task(store, engine):
    """The same race inside one process (server threads), on every database."""
    case_id = engine.start_case(Actor("cli"), "intake_referral", {})
    task_id = _open(store, case_id, "identify")
    barrier, outcomes = threading.Barrier(4), []

    def run():
        barrier.wait()
        try:
            engine.complete_task(Actor("racer"), task_id, IDENTIFY)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert len(outcomes) == 4


@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # SKIP LOCKED claiming is PostgreSQL's
def test_two_workers_fire_each_timer_once(store, engine, frozen_clock):
    cases = [engine.start_case(Actor("cli"), "intake_referral", {}) for _ in range(30)]
    for case_id in cases:
        engine.complete_task(Actor("cli"), _open(store, case_id, "identify"), IDENTIFY)
    frozen_clock.advance(hours=73)
    store.dispose()
    outcomes = _race(_fire_in_child, (store.url,))
    assert all(isinstance(o, int) for o in outcomes), outcomes
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        fired = s.execute(select(CaseEvent.case_id, func.count()).where(CaseEvent.kind == "TimerFired")
                          .group_by(CaseEvent.case_id)).all()
        assert sorted(tuple(row) for row in fired) == [(c, 1) for c in cases]
        escalations = s.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.element_id == "escalate_overdue"))
        assert escalations == 30
        assert s.scalar(select(func.count()).select_from(Timer)) == 0
