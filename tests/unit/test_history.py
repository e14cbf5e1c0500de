"""History pruning (engine/history.py): long cases behave as with their full history, in bounded space.

Most tests play one script of commands on two runtimes of the same definition, one dumping its
snapshot with pruning and one without, restoring after every command as the engine does, and
compare what the engine reads after each command: open tasks, waiting timers, stages entered,
outcomes reached, case data, completion.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from pathways.engine import runtime as runtime_module
from pathways.engine.built import Definition
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.runtime import CaseRuntime
from pathways.store.models import CaseEvent, CaseState, HumanTask, Measure
from tests.helpers import FIXTURES, load_definition, open_by_element

Action = tuple[Any, ...]


class Run:
    """One case, restored from its own snapshot after every command."""

    def __init__(self, definition: Definition, prune: bool, data: dict[str, Any] | None = None) -> None:
        self.definition, self.prune = definition, prune
        self.runtime = CaseRuntime.start(definition, data or {})
        self.text = ""
        self.first = self.settle()

    def settle(self) -> tuple[Any, ...]:
        rt = self.runtime
        seen = (
            sorted((t.element_id, t.roles, t.stage) for t in rt.open_tasks(None)),
            sorted((t.element_id, t.due_at) for t in rt.waiting_timers()),
            rt.enter_stages(),
            rt.reached_outcomes(),
            rt.data(),
            rt.completed,
        )
        self.text = rt.dump(prune=self.prune)
        self.runtime = CaseRuntime.restore(self.definition, self.text)
        return seen

    def do(self, action: Action) -> tuple[Any, ...]:
        kind, *args = action
        rt = self.runtime
        if kind == "complete":
            element, data = args
            rt.complete(open_by_element(rt)[element].id, data)
        elif kind == "fire":
            rt.fire_due_timers()
        elif kind == "catch":  # the event-based gateway's message
            name, payload = args
            rt.receive_message(name, payload)
        return self.settle()

    @property
    def size(self) -> int:
        return len(self.text)

    @property
    def tasks(self) -> int:
        wf = self.runtime.workflow
        return len(wf.tasks) + sum(len(sp.tasks) for sp in wf.subprocesses.values())


def play(definition: Definition, script: list[Action], clock: Any, data: dict[str, Any] | None = None) -> Run:
    """Play `script` on a pruned and an unpruned run in step; assert they see the same; return the pruned run."""
    pruned, full = Run(definition, True, data), Run(definition, False, data)
    assert pruned.first == full.first
    for number, action in enumerate(script):
        if action[0] == "wait":
            clock.advance(hours=action[1])
            action = ("fire",)
        assert pruned.do(action) == full.do(action), f"command {number}: {action}"
    assert pruned.tasks < full.tasks or len(script) < 3
    return pruned


def measures_loop(rounds: int) -> list[Action]:
    return [("complete", "consultation", {"hours": 1})] + [
        ("complete", "placement", {"hours": 1, "found_job": False}) for _ in range(rounds)]


@pytest.fixture
def measures() -> Definition:
    return load_definition("measures", FIXTURES / "measures.bpmn")


@pytest.fixture
def monitoring() -> Definition:
    return load_definition("history_loop", FIXTURES / "history_loop.bpmn")


def test_a_long_loop_behaves_as_with_full_history_and_its_snapshot_stays_small(measures, frozen_clock):
    short = play(measures, measures_loop(20), frozen_clock)
    long = play(measures, [*measures_loop(150), ("complete", "placement", {"found_job": True})], frozen_clock)
    assert long.runtime.completed
    full = Run(measures, False)
    for action in measures_loop(150):
        full.do(action)
    assert long.size < 4096
    assert full.size > 25 * short.size
    assert len(long.runtime.workflow.tasks) <= 10


def test_snapshot_size_does_not_grow_with_rounds(measures, frozen_clock):
    run = Run(measures, True)
    sizes, counts = {}, {}
    for number, action in enumerate(measures_loop(200), start=1):
        run.do(action)
        if number in (20, 200):
            sizes[number], counts[number] = run.size, run.tasks
    assert counts[200] == counts[20]
    assert abs(sizes[200] - sizes[20]) < 64  # the same tasks; only ids and times differ


def monitoring_round(number: int, *, overdue: bool = False, both: bool = False, answer: bool = True,
                     last: bool = False) -> list[Action]:
    """One round of history_loop: review, parallel a+b, inclusive x/y, subprocess, call activity, gateway."""
    script: list[Action] = []
    if overdue:
        script += [("wait", 25), ("complete", "escalate", {})]  # the boundary timer fires; review stays open
    script += [("complete", "review", {"want_x": both or number % 2 == 0, "want_y": both or number % 3 == 0}),
               ("complete", "task_b", {"round": number}), ("complete", "task_a", {})]
    x = both or number % 2 == 0
    y = both or number % 3 == 0 or not x
    script += [("complete", e, {}) for e, on in (("task_x", x), ("task_y", y)) if on]
    script += [("complete", "sub_task", {"sub": number}), ("complete", "called_task", {"done": last})]
    script += [("catch", "answer", {"round": number})] if answer else [("wait", 2)]
    return script


def test_joins_timers_subprocesses_and_event_gateways_in_a_loop(monitoring, frozen_clock):
    script = monitoring_round(0, both=True, answer=False)
    script += monitoring_round(1, overdue=True)
    for number in range(2, 6):
        script += monitoring_round(number, answer=number % 2 == 1, overdue=number == 4)
    script += monitoring_round(7, last=True)  # rounds after the first take one inclusive branch (see below)
    run = play(monitoring, script, frozen_clock, {"done": False})
    assert run.runtime.completed
    assert run.runtime.data()["wait_gw_Response"] == {"round": 7}
    assert len(run.runtime.workflow.subprocesses) <= 2


def test_monitoring_history_stays_bounded(monitoring, frozen_clock):
    run = Run(monitoring, True, {"done": False})
    counts = []
    for number in range(12):
        for action in monitoring_round(number, answer=True):
            run.do(action)
        counts.append((run.tasks, len(run.runtime.workflow.subprocesses)))
    assert counts[-1] == counts[3]
    assert counts[-1][1] == 0  # finished subprocesses of earlier rounds are gone


def test_joins_in_a_loop_wait_for_every_branch_of_the_round(monitoring, frozen_clock):
    """With the full history SpiffWorkflow 3.2 counts earlier rounds' arrivals: pruned, each round waits."""
    run = Run(monitoring, True, {"done": False})
    for action in monitoring_round(0, both=True):
        run.do(action)
    run.do(("complete", "review", {"want_x": True, "want_y": True}))
    run.do(("complete", "task_a", {}))  # last round, b arrived last: now a arrives first
    assert sorted(open_by_element(run.runtime)) == ["task_b"]
    run.do(("complete", "task_b", {}))
    assert sorted(open_by_element(run.runtime)) == ["task_x", "task_y"]
    run.do(("complete", "task_y", {}))
    assert sorted(open_by_element(run.runtime)) == ["task_x"]
    run.do(("complete", "task_x", {}))
    assert sorted(open_by_element(run.runtime)) == ["sub_task"]


def test_a_loop_inside_one_parallel_branch(frozen_clock):
    definition = load_definition("history_branch_loop", FIXTURES / "history_branch_loop.bpmn")
    rounds = [("complete", "contact", {"again": True})] * 40
    run = play(definition, [*rounds, ("complete", "contact", {"again": False}), ("complete", "housing", {})],
               frozen_clock)
    assert run.runtime.completed
    grown = Run(definition, True)
    counts = []
    for action in rounds * 3:
        grown.do(action)
        counts.append(grown.tasks)
    assert counts[-1] == counts[10]
    assert sorted(open_by_element(grown.runtime)) == ["contact", "housing"]


IDENTIFY = {"needs_crisis_support": True, "risk_level": "high", "intake_date": "2026-11-02", "notes": ""}


@pytest.mark.parametrize("recommendation", ["positive", "negative"])
def test_intake_referral_boundary_timer_and_join(frozen_clock, recommendation):
    end_task = "career_plan" if recommendation == "positive" else "follow_up_support"
    script: list[Action] = [
        ("complete", "identify", IDENTIFY), ("wait", 73), ("complete", "escalate_overdue", {}),
        ("complete", "psych_diagnosis", {"recommendation": recommendation}),
        ("complete", "crisis_intervention", {"hours": 3, "outcome": "stabilised"}),
        ("complete", end_task, {"plan_items": "kurs", "hours": 2}),
    ]
    assert play(load_definition("intake_referral"), script, frozen_clock).runtime.completed


def test_stages_and_outcomes_not_yet_reported_are_kept(monitoring, frozen_clock):
    """A caller that dumps without asking for stages and outcomes gets them all later."""
    rt = CaseRuntime.start(monitoring, {"done": False})
    for number in range(3):
        for action in monitoring_round(number):
            kind, *args = action
            if kind == "complete":
                rt.complete(open_by_element(rt)[args[0]].id, args[1])
            else:
                rt.receive_message(args[0], {})
            rt = CaseRuntime.restore(monitoring, rt.dump())
    assert [s for s, _ in rt.enter_stages()] == ["Monitoring"] * 4
    assert [o for o, _, _ in rt.reached_outcomes()] == ["round_done"] * 3
    rt = CaseRuntime.restore(monitoring, rt.dump())
    assert rt.enter_stages() == [] and rt.reached_outcomes() == []


def test_pruning_is_idempotent(monitoring, frozen_clock):
    run = Run(monitoring, True, {"done": False})
    for action in monitoring_round(0, both=True) + monitoring_round(1)[:4]:
        run.do(action)
    text = run.text
    assert CaseRuntime.restore(monitoring, text).dump() == text
    assert run.runtime.prune_history() == 0


def test_a_snapshot_stored_before_pruning_loads_and_runs(measures, frozen_clock, monkeypatch):
    old = Run(measures, False)
    for action in measures_loop(60):
        old.do(action)
    restored = CaseRuntime.restore(measures, old.text)  # small enough to load as it is
    assert restored.dump(prune=False) == old.text
    restored.complete(open_by_element(restored)["placement"].id, {"found_job": False})
    assert len(restored.dump()) < old.size / 10
    assert list(open_by_element(restored)) == ["placement"]

    monkeypatch.setattr(runtime_module, "_UNPRUNED", 100)  # a large old snapshot is pruned as it loads
    large = CaseRuntime.restore(measures, old.text)
    assert len(large.workflow.tasks) < 100
    assert json.loads(large.dump())["last_task"] == json.loads(old.text)["last_task"]
    large.complete(open_by_element(large)["placement"].id, {"found_job": True})
    assert large.completed
    assert large.reached_outcomes() == [("employed", "employed", "Pośrednik pracy (PUP)")]


def test_a_long_case_through_the_engine(store, roles, frozen_clock):
    """Rows keep the whole history (events, measures) while the stored snapshot stays small."""
    deploy(store, collect([FIXTURES / "measures.bpmn"]), roles)
    engine, actor = Engine(store, roles), Actor("bench")
    case_id = engine.start_case(actor, "measures", {})

    def open_task() -> str:
        with store.unit_of_work(write=False) as uow:
            return uow.session.scalars(select(HumanTask.id).where(
                HumanTask.case_id == case_id, HumanTask.status == "open")).one()

    engine.complete_task(actor, open_task(), {"hours": 1})
    for _ in range(80):
        engine.complete_task(actor, open_task(), {"hours": 1, "found_job": False})
    engine.complete_task(actor, open_task(), {"hours": 1, "found_job": True})
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        completed = s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "TaskCompleted"))
        hours = s.scalar(select(func.sum(Measure.value)).where(Measure.case_id == case_id, Measure.kind == "hours"))
        outcomes = s.scalars(select(Measure.key).where(Measure.case_id == case_id, Measure.kind == "outcome")).all()
        snapshot = s.get(CaseState, case_id)
        assert snapshot is not None
        size = len(snapshot.state)
    assert completed == 82 and hours == 82 and outcomes == ["employed"]
    assert size < 4096
