"""Run the TCK's test cases through `pathways.decisions`: one model folder at a time.

A folder holds the model under test (the test file's `modelName`), the test file, and sometimes other
models it imports (by namespace); those are read first and passed as `imports`. Each result node is
one `evaluate` call: of the decision it names, or, for a decision service case, of the service named by
`invocableName` (the node then names one of the service's output decisions). A case passes when all its
result nodes do. Anything that raises out of `read_root` or `evaluate` is our bug, not a TCK failure:
it is recorded in `raised` so that the test can list it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathways.decisions as decisions
from pathways.base.xml import parse_xml

from .compare import difference, same
from .tck import ResultNode, TestCase, read_test_file


@dataclass
class CaseOutcome:
    """One test case: passed or not, and what differed (for the report and for whoever fixes it)."""

    id: str
    passed: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class ModelOutcome:
    """One model folder of a level: its cases, or the reason it could not be read at all."""

    level: int
    folder: str
    cases: list[CaseOutcome] = field(default_factory=list)
    load_error: str | None = None
    raised: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def fully_passing(self) -> bool:
        return self.total > 0 and self.passed == self.total


def _definitions(folder: Path) -> dict[str, tuple[Path, Any]]:
    """Every model of the folder by file name: its path and safely parsed root."""
    return {path.name: (path, parse_xml(path.read_bytes())) for path in sorted(folder.glob("*.dmn"))}


def load_model(folder: Path, name: str) -> Any:
    """Read model `name` of `folder`, with the folder's models it imports (by namespace, transitively)."""
    roots = _definitions(folder)
    by_namespace = {root.get("namespace"): file for file, (_, root) in roots.items()}
    loaded: dict[str, Any] = {}

    def read(file: str, seen: tuple[str, ...]) -> Any:
        if file in loaded:
            return loaded[file]
        path, root = roots[file]
        imported = [by_namespace[ns] for ns in (i.get("namespace") for i in root.iter("{*}import"))
                    if ns in by_namespace and by_namespace[ns] not in seen]
        models = [read(other, (*seen, other)) for other in imported]
        loaded[file] = decisions.read_root(root, filename=path.name, imports=models)
        return loaded[file]
    return read(name, (name,))


class CaseRun:
    """The evaluations of one case, each done once (a decision service answers all its result nodes)."""

    def __init__(self, model: Any, case: TestCase) -> None:
        self.model, self.case = model, case
        self.evaluations: dict[str, Any] = {}

    def evaluation(self, ref: str) -> Any:
        if ref not in self.evaluations:
            self.evaluations[ref] = decisions.evaluate(self.model, ref, self.case.inputs)
        return self.evaluations[ref]

    def value(self, node: ResultNode) -> tuple[Any, Any]:
        """The computed value for a result node, and the evaluation it comes from."""
        if self.case.type == "decision" or not self.case.invocable_name:
            evaluation = self.evaluation(node.name)
            return evaluation.value, evaluation
        evaluation = self.evaluation(self.case.invocable_name)
        if evaluation.error is not None:
            return None, evaluation
        if node.name in evaluation.results:
            return evaluation.results[node.name], evaluation
        if isinstance(evaluation.value, dict) and node.name in evaluation.value:
            return evaluation.value[node.name], evaluation
        return evaluation.value, evaluation

    def check(self, node: ResultNode) -> str | None:
        """None when the node passes, else what went wrong."""
        value, evaluation = self.value(node)
        if node.error_result:
            if evaluation.error is not None or value is None:
                return None
            return f"{node.name}: expected an error, got {difference(None, value).split(', got ', 1)[1]}"
        if same(node.expected, value):
            return None
        detail = f" (error: {evaluation.error})" if evaluation.error else (
            f" (warnings: {'; '.join(evaluation.warnings[:2])})" if evaluation.warnings else "")
        return f"{node.name}: {difference(node.expected, value)}{detail}"


def run_case(model: Any, case: TestCase, raised: list[str], where: str) -> CaseOutcome:
    run, problems = CaseRun(model, case), []
    for node in case.results:
        try:
            problem = run.check(node)
        except Exception as error:  # evaluate must never raise: recorded, and the test fails
            problem = f"{node.name}: raised {type(error).__name__}: {error}"
            raised.append(f"{where} case {case.id}, {node.name}: {type(error).__name__}: {error}\n"
                          + "".join(traceback.format_exception(error)[-3:]))
        if problem:
            problems.append(problem)
    return CaseOutcome(case.id, not problems, problems)


def run_folder(folder: Path, level: int) -> ModelOutcome:
    outcome = ModelOutcome(level, folder.name)
    for test_path in sorted(folder.glob("*-test-*.xml")):
        tests = read_test_file(test_path)
        where = f"level {level} {folder.name}"
        try:
            model = load_model(folder, tests.model_name)
        except decisions.DmnError as error:
            outcome.load_error = f"{tests.model_name}: {error}"
            model = None
        except Exception as error:  # reading must not raise anything but DmnError
            outcome.load_error = f"{tests.model_name}: raised {type(error).__name__}: {error}"
            outcome.raised.append(f"{where}: reading {tests.model_name} raised {type(error).__name__}: {error}\n"
                                  + "".join(traceback.format_exception(error)[-3:]))
            model = None
        for case in tests.cases:
            if model is None:
                outcome.cases.append(CaseOutcome(case.id, False, [f"model not read: {outcome.load_error}"]))
            else:
                outcome.cases.append(run_case(model, case, outcome.raised, where))
    return outcome


def run_level(test_cases: Path, level: int,
              progress: Callable[[ModelOutcome], None] | None = None) -> list[ModelOutcome]:
    """Every model folder of `compliance-level-N`, in name order."""
    outcomes = []
    for folder in sorted(p for p in (test_cases / f"compliance-level-{level}").iterdir() if p.is_dir()):
        outcomes.append(run_folder(folder, level))
        if progress:
            progress(outcomes[-1])
    return outcomes
