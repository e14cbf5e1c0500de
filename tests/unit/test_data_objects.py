"""Data objects and data stores (`engine.data_objects`, `engine.lint_data`): a data object's value is seen
by the scope that declares it; a data store a task uses is refused, one drawn only is a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.engine import data_objects
from pathways.engine.definitions import SourceFile
from pathways.engine.lint import lint
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element

OBJECTS = FIXTURES / "k17_data_objects.bpmn"


def test_a_data_object_is_seen_by_its_scope_and_its_sub_processes(frozen_clock) -> None:
    runtime = CaseRuntime.start(load_definition("k17_data_objects", OBJECTS), {})
    review = runtime.task(open_by_element(runtime)["review"].id)
    assert review.data == {"score": 7}  # the process's object, read by a task of the sub-process
    assert data_objects.values(runtime.workflow) == {"score": 7}
    assert "score" not in runtime.data()  # written to the object, not left in the case data


def test_a_sub_processes_data_object_stays_in_the_sub_process(frozen_clock) -> None:
    runtime = CaseRuntime.start(load_definition("k17_data_objects", OBJECTS), {})
    runtime.complete(open_by_element(runtime)["review"].id, {"note": 3})
    after = runtime.task(open_by_element(runtime)["after"].id)
    assert "note" not in after.data and data_objects.values(runtime.workflow) == {"score": 7}
    restored = CaseRuntime.restore(load_definition("k17_data_objects", OBJECTS), runtime.dump())
    assert data_objects.values(restored.workflow) == {"score": 7}


STORE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:dataStore id="register" name="Rejestr" />
  <bpmn:process id="k17_store" isExecutable="true">
    <bpmn:dataStoreReference id="register_ref" name="Rejestr" dataStoreRef="register" />
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work" camunda:candidateGroups="ops.social_worker">ASSOCIATION</bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
WRITES = ('<bpmn:dataOutputAssociation id="a1"><bpmn:targetRef>register_ref</bpmn:targetRef>'
          '</bpmn:dataOutputAssociation>')


def _problems(roles, text: str) -> list:
    return lint([SourceFile("store.bpmn", text.encode())], roles)


def test_a_data_store_a_task_writes_is_refused_with_the_reason(roles) -> None:
    found = [p for p in _problems(roles, STORE.replace("ASSOCIATION", WRITES)) if p.severity == "error"]
    [error] = found  # one located problem, not also the parser's
    assert error.element == "work" and error.line == 9 and "no data store shared between cases" in error.message


def test_a_data_store_drawn_only_is_a_warning_and_the_process_runs(roles, frozen_clock, tmp_path: Path) -> None:
    text = STORE.replace("ASSOCIATION", "")
    [warning] = _problems(roles, text)
    assert warning.severity == "warning" and warning.element == "register_ref" and "drawn only" in warning.message
    path = tmp_path / "k17_store.bpmn"
    path.write_text(text)
    runtime = CaseRuntime.start(load_definition("k17_store", path), {})
    assert list(open_by_element(runtime)) == ["work"]


BAD_ID = '<bpmn:dataObject id="bad-id" /><bpmn:dataObjectReference id="bad_ref" dataObjectRef="bad-id" />'
USES_BAD = ('<bpmn:dataOutputAssociation id="a2"><bpmn:targetRef>bad_ref</bpmn:targetRef>'
            '</bpmn:dataOutputAssociation>')


@pytest.mark.parametrize(("fragment", "association", "element", "words"), [
    (BAD_ID, USES_BAD, "bad-id", "is not a variable name"),
    ('<bpmn:dataObjectReference id="dangling" dataObjectRef="nothing" />', "", "dangling", "refers to no data object"),
])
def test_a_data_object_pathways_could_not_name_is_refused(roles, fragment: str, association: str, element: str,
                                                          words: str) -> None:
    text = STORE.replace('<bpmn:dataStoreReference id="register_ref" name="Rejestr" dataStoreRef="register" />',
                         fragment).replace("ASSOCIATION", association)
    errors = [p for p in _problems(roles, text) if p.severity == "error"]
    assert [(p.element, words in p.message, p.line) for p in errors] == [(element, True, 6)]


def test_a_data_object_no_task_uses_may_have_any_id(roles) -> None:  # drawn for the reader (other tools' ids)
    text = STORE.replace('<bpmn:dataStoreReference id="register_ref" name="Rejestr" dataStoreRef="register" />',
                         BAD_ID).replace("ASSOCIATION", "")
    assert [p for p in _problems(roles, text) if p.severity == "error"] == []


def test_a_form_field_may_carry_its_data_objects_id(roles) -> None:
    problems = lint([SourceFile(OBJECTS.name, OBJECTS.read_bytes())], roles)
    assert [p for p in problems if p.severity == "error"] == []
