"""Hostile pathways, on SQLite and PostgreSQL: loops without a wait state, huge multi-instance
tasks and case data beyond the state size are stopped with a located error, the case is never
marked completed, and nothing of the command is committed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from pathways.engine.budget import EngineLimits
from pathways.engine.cases import Actor, Engine
from pathways.engine.definitions import SourceFile
from pathways.engine.deploy import deploy
from pathways.engine.errors import LimitExceeded
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Case, CaseEvent, HumanTask

SECRET = "KOWALSKA-7781"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="hostile_case" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="prepare"/>
    <bpmn:userTask id="prepare" camunda:candidateGroups="pup.job_broker">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="secret" label="Secret" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="prepare" targetRef="first"/>
"""
TAIL = """    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
# a loop through a script and a gateway whose condition always holds
SCRIPT_LOOP = """    <bpmn:scriptTask id="first" scriptFormat="python"><bpmn:script>laps = 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="lap"/>
    <bpmn:scriptTask id="lap" scriptFormat="python"><bpmn:script>laps = laps + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="lap" targetRef="again"/>
    <bpmn:exclusiveGateway id="again" default="out"/>
    <bpmn:sequenceFlow id="back" sourceRef="again" targetRef="lap">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">laps &gt;= 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="out" sourceRef="again" targetRef="end"/>
"""
# a loop with no script at all: an event and a gateway leading to each other
PLAIN_LOOP = """    <bpmn:intermediateThrowEvent id="first"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="spin"/>
    <bpmn:exclusiveGateway id="spin"/>
    <bpmn:sequenceFlow id="f3" sourceRef="spin" targetRef="first"/>
"""
MI_CARDINALITY = """    <bpmn:task id="first">
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>COUNT</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:task>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="end"/>
"""
MI_COLLECTION = """    <bpmn:scriptTask id="first" scriptFormat="python">
      <bpmn:script>items = list(range(COUNT))</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="each"/>
    <bpmn:task id="each">
      <bpmn:multiInstanceLoopCharacteristics SEQUENTIAL camunda:collection="items" camunda:elementVariable="item"/>
    </bpmn:task>
    <bpmn:sequenceFlow id="f3" sourceRef="each" targetRef="end"/>
"""
# each script stays under the state limit; the snapshot, with each branch's data on its waiting task, does not
BIG_STATE = """    <bpmn:parallelGateway id="first"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="left"/>
    <bpmn:sequenceFlow id="f3" sourceRef="first" targetRef="right"/>
    <bpmn:scriptTask id="left" scriptFormat="python"><bpmn:script>a = 'x' * 600000</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="right" scriptFormat="python"><bpmn:script>b = 'y' * 600000</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="left" targetRef="wait_left"/>
    <bpmn:sequenceFlow id="f5" sourceRef="right" targetRef="wait_right"/>
    <bpmn:userTask id="wait_left" camunda:candidateGroups="pup.job_broker"/>
    <bpmn:userTask id="wait_right" camunda:candidateGroups="pup.job_broker"/>
    <bpmn:sequenceFlow id="f6" sourceRef="wait_left" targetRef="end"/>
    <bpmn:sequenceFlow id="f7" sourceRef="wait_right" targetRef="end2"/>
    <bpmn:endEvent id="end2"/>
"""
LIMITS = EngineLimits(max_engine_steps=300, max_multi_instance=50)
ACTOR = Actor("ewa.pup")


def _engine(store: Store, roles: RoleVocabulary, body: str, limits: EngineLimits = LIMITS) -> Engine:
    deploy(store, [SourceFile("hostile_case.bpmn", (HEAD + body + TAIL).encode())], roles)
    return Engine(store, roles, limits=limits)


def _state(store: Store, case_id: int) -> tuple[Any, ...]:
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        case = s.get(Case, case_id)
        assert case is not None
        events = s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))
        tasks = sorted(s.scalars(select(HumanTask.element_id).where(HumanTask.case_id == case_id,
                                                                     HumanTask.status == "open")))
        return case.status, case.version, events, tasks


def _stopped(store: Store, engine: Engine, element: str, words: str) -> LimitExceeded:
    case_id = engine.start_case(ACTOR, "hostile_case")
    before = _state(store, case_id)
    assert before[0] == "active" and before[3] == ["prepare"]
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id))
    with pytest.raises(LimitExceeded) as caught:
        engine.complete_task(ACTOR, str(task_id), {"secret": SECRET})
    error = caught.value
    assert element in error.message and words in error.message, error.message
    assert SECRET not in error.message and error.details["element"] == (element or error.details["element"])
    assert _state(store, case_id) == before  # never completed, nothing committed
    return error


def test_a_loop_through_scripts_and_a_gateway_is_stopped_at_the_step_budget(store, roles, frozen_clock):
    error = _stopped(store, _engine(store, roles, SCRIPT_LOOP), "", "more than 300 steps")
    assert error.details["limit"] == "steps" and error.details["element"] in ("lap", "again")


def test_a_loop_without_any_script_is_stopped_too(store, roles, frozen_clock):
    error = _stopped(store, _engine(store, roles, PLAIN_LOOP), "", "more than 300 steps")
    assert error.details["element"] in ("first", "spin")


def test_a_loop_is_stopped_at_the_command_time_budget(store, roles, frozen_clock):
    limits = EngineLimits(max_engine_steps=10**9, max_command_seconds=0.3)
    error = _stopped(store, _engine(store, roles, SCRIPT_LOOP, limits), "", "longer than 0.3 s")
    assert error.details["limit"] == "command_seconds"


@pytest.mark.parametrize("count", ["51", "10**9"])
def test_multi_instance_cardinality_is_bounded(store, roles, frozen_clock, count):
    error = _stopped(store, _engine(store, roles, MI_CARDINALITY.replace("COUNT", count)), "first",
                     "more than 50 instances")
    assert error.details["limit"] == "multi_instance"


@pytest.mark.parametrize("sequential", ["", 'isSequential="true"'])
def test_multi_instance_collection_is_bounded(store, roles, frozen_clock, sequential):
    body = MI_COLLECTION.replace("COUNT", "51").replace("SEQUENTIAL", sequential)
    _stopped(store, _engine(store, roles, body), "each", "more than 50 instances")


def test_multi_instance_within_the_bound_runs(store, roles, frozen_clock):
    engine = _engine(store, roles, MI_COLLECTION.replace("COUNT", "50").replace("SEQUENTIAL", ""))
    case_id = engine.start_case(ACTOR, "hostile_case")
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id))
    engine.complete_task(ACTOR, str(task_id), {"secret": SECRET})
    assert _state(store, case_id)[0] == "active"  # 50 instances made (each a manual task, waiting)


def test_case_state_beyond_the_limit_is_refused_with_its_element(store, roles, frozen_clock):
    error = _stopped(store, _engine(store, roles, BIG_STATE), "", "over the limit of 1,048,576 bytes")
    assert error.details["limit"] == "state_size" and error.details["element"] in ("left", "right")


def test_a_case_stored_larger_before_the_limit_may_still_be_cancelled(store, roles, frozen_clock):
    engine = _engine(store, roles, BIG_STATE, EngineLimits(max_state_bytes=4 * 1024 * 1024))
    case_id = engine.start_case(ACTOR, "hostile_case")
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id))
    engine.complete_task(ACTOR, str(task_id), {"secret": SECRET})  # 1.2 MB, under this engine's limit
    strict = Engine(store, roles, limits=LIMITS)  # then the limit is lowered to 1 MiB
    strict.cancel_case(ACTOR, case_id, "test")  # shrinking or ending is allowed, growing is not
    assert _state(store, case_id)[0] == "cancelled"
