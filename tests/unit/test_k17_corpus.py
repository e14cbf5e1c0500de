"""The conformance corpus (`../shared/conformance`) files that use call activities, multi-instance, data
objects or stores, or candidateUsers: each lints without a traceback and is refused with located
problems, or runs; the executable ones whose expected behaviour is stated are run here."""

from __future__ import annotations

from pathlib import Path

from pathways.base.xml import XmlProblem, parse_xml
from pathways.engine.definitions import SourceFile
from pathways.engine.lint import lint
from pathways.engine.runtime import CaseRuntime
from tests.helpers import load_definition

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CONSTRUCTS = ("callActivity", "multiInstanceLoopCharacteristics", "dataObjectReference", "dataStoreReference")


def _uses_constructs(path: Path) -> bool:
    try:
        root = parse_xml(path.read_bytes())
    except XmlProblem:
        return False
    return any(True for _ in root.iter(*(f"{{{BPMN}}}{c}" for c in CONSTRUCTS))) or \
        b"candidateUsers" in path.read_bytes()


def test_every_corpus_file_with_these_constructs_lints_to_located_problems(roles, conformance) -> None:
    found = sorted(p for p in (conformance / "files").rglob("*") if p.suffix in (".bpmn", ".xml") and
                   _uses_constructs(p))
    assert len(found) >= 25
    for path in found:
        problems = lint([SourceFile(str(path), path.read_bytes())], roles)
        for problem in problems:
            assert problem.line or problem.element, f"unlocated: {problem}"
            assert "Traceback" not in problem.message and "could not be checked" not in problem.message, problem


def test_the_spiffworkflow_multi_instance_models_run(conformance, frozen_clock) -> None:
    folder = conformance / "files" / "spiffworkflow"
    parallel = load_definition("main", folder / "parallel_multiinstance_loop_input.bpmn")
    runtime = CaseRuntime.start(parallel, {"input_data": [1, 2, 3]})
    instances = runtime.open_tasks(None)  # an abstract task waits to be done, like a manual task
    assert [runtime.task(t.id).data["input_item"] for t in instances] == [1, 2, 3]
    for task in reversed(instances):
        runtime.complete(task.id, {"output_item": runtime.task(task.id).data["input_item"] * 10})
    assert runtime.completed and runtime.data()["output_data"] == [10, 20, 30]  # in input order, not completion order
    assert "input_item" not in runtime.data()
    sequential = load_definition("main", folder / "sequential_multiinstance_cardinality.bpmn")
    runtime = CaseRuntime.start(sequential, {})
    for _ in range(3):
        [task] = runtime.open_tasks(None)
        runtime.complete(task.id, {})
    assert runtime.completed and runtime.data()["output_data"] == [None, None, None]  # (no instance set output_item)


def test_the_spiffworkflow_call_activity_pair_runs(conformance, frozen_clock) -> None:
    folder = conformance / "files" / "spiffworkflow"
    definition = load_definition("Process_8200379", folder / "call_activity_end_event.bpmn",
                                 folder / "call_activity_call_activity.bpmn")
    runtime = CaseRuntime.start(definition, {})
    data = runtime.data()
    assert runtime.completed and (data["my_var"], data["my_other_var"]) == ("World", "Mike")
    assert "remove_this_var" not in data  # the called process deleted it; no camunda:out: all data comes back
    assert "pre_var" in data


def test_a_data_store_a_task_uses_is_refused_on_that_task(roles, conformance) -> None:
    path = conformance / "files" / "bpmn-js" / "kitchen-sink.bpmn"
    problems = lint([SourceFile(str(path), path.read_bytes())], roles)
    refused = {p.element for p in problems if "no data store shared between cases" in p.message}
    assert {"Activity_0vheewc", "Activity_0brc3us"} <= refused  # the tasks reading and writing the stores
