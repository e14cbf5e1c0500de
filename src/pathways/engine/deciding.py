"""Business rule tasks decide through `pathways.decisions`: the one place the engine calls it.

A `camunda:decisionRef` names a decision of a deployed DMN file. The parser (`engine.parser`)
reads every DMN file of a version with `pathways.decisions.read_root` and gives each business
rule task a `Decider` as SpiffWorkflow's `dmnEngine`: SpiffWorkflow calls `result(task)` and
merges what it returns into the task's data. The decider evaluates the decision on the case
data, records on the task which decision, which file version and which rules decided (the
timeline's `DecisionMade`, reported by `CaseRuntime.decisions_made`), and turns the decision's
value into case data: the outputs of a decision table by name, anything else under the
decision's variable name (or the task's `camunda:resultVariable`).

Files that declare `expressionLanguage="python"`, and the files of versions deployed before FEEL
became the default (`PathwayVersion.dmn_language` is NULL), run as before through SpiffWorkflow's
DMN engine and the script sandbox.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pathways import decisions
from pathways.base.xml import XmlProblem, parse_xml
from pathways.decisions import feel
from pathways.engine.errors import InvalidDefinition, NotFound, ScriptError

#: the names DMN files go by (`engine.definitions.SUFFIXES` adds BPMN's)
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
#: where the decider leaves its record on the task (`internal_data`), until the timeline took it
DECIDED = "pathways_decided"
#: the `dmn_language` of versions deployed before FEEL became the default (NULL in the database)
LEGACY_LANGUAGE = "python"
_log = logging.getLogger("pathways.engine")


class DecisionFailed(ScriptError):
    """A decision gave no result: a hit policy violated, a value outside its allowed values.

    The message names the decision and what the model says went wrong (rules, hit policy, type),
    never a case value; the FEEL warnings, which may quote values, go to the server log only.
    """

    code = "decision_failed"


@dataclass(frozen=True)
class Decider:
    """Evaluates one decision of one DMN file for a business rule task."""

    model: Any  # pathways.decisions.Model
    ref: str
    filename: str
    version: str  # the first 12 hex digits of the file's SHA-256, as its deployed blob is named
    result_variable: str | None = None

    def result(self, task: Any) -> dict[str, Any]:
        evaluation = decisions.evaluate(self.model, self.ref, task.data, variables=True)
        element = task.task_spec.bpmn_id
        if evaluation.warnings:
            _log.info("decision %s at %s: %d FEEL warning(s)", self.ref, element, len(evaluation.warnings))
        if evaluation.error is not None:
            reference = secrets.token_hex(4)
            _log.error("decision failure %s at %s: decision %s", reference, element, self.ref)
            raise DecisionFailed(f"decision {self.ref!r} gave no result: {evaluation.error}; "
                                 f"reference {reference} in the server log", element=element,
                                 decision=self.ref, reference=reference)
        task.internal_data[DECIDED] = {
            "decision": self.ref, "file": self.filename, "version": self.version,
            "rules": {hit.decision_id: list(hit.rules) for hit in evaluation.hits},
        }
        return self.outputs(evaluation.value)

    def outputs(self, value: Any) -> dict[str, Any]:
        """The case data a decision writes: a table's outputs by name, else one variable."""
        decision = self.model.find(self.ref)
        if self.result_variable:
            return {self.result_variable: feel.to_json(value)}
        table = getattr(decision, "table", None)
        names = [output.name for output in table.outputs if output.name] if table is not None else []
        if names and not isinstance(value, list):  # one hit (or none): each output under its name
            if len(names) == 1:
                return {names[0]: feel.to_json(value)}
            found = value if isinstance(value, dict) else {}
            return {name: feel.to_json(found.get(name)) for name in names}
        return {decision.variable_name: feel.to_json(value)}


@dataclass(frozen=True)
class Trial:
    """A decision evaluated on given inputs (`pathways decide`, the API, the designer page)."""

    decision: str
    name: str
    file: str
    version: str
    value: Any  # JSON
    error: str | None
    outputs: dict[str, Any]  # what a business rule task would write into the case data
    hits: list[dict[str, Any]]  # per decision table evaluated: its rules that matched (1-based)
    warnings: list[str]


def read_files(files: Iterable[Any], default_language: str = "feel") -> DecisionFiles:
    """The FEEL DMN files among `files` (`SourceFile`s), for trying their decisions."""
    found = DecisionFiles()
    for source in files:
        if not source.filename.lower().endswith(DMN_SUFFIXES):
            continue
        try:
            root = parse_xml(source.content)
        except XmlProblem as problem:
            raise InvalidDefinition(f"{source.filename}: {problem}") from None
        if uses_feel(root, default_language):
            found.add(root, source.filename, source.hash[:12])
    return found


def uses_feel(root: Any, default: str) -> bool:
    """Whether a DMN file's expressions are FEEL: its `expressionLanguage`, else the version's default."""
    language = (root.get("expressionLanguage") or default).strip().lower()
    return "feel" in language  # FEEL's URIs (`https://www.omg.org/spec/DMN/20191111/FEEL/`) and `feel`


class DecisionFiles:
    """The FEEL DMN files of one build, read into models once, imports resolved by namespace."""

    def __init__(self) -> None:
        self._sources: list[tuple[Any, str, str]] = []  # (root, filename, version)
        self._models: dict[str, tuple[Any, str, str]] | None = None  # decision id -> (model, filename, version)
        self._by_name: dict[str, tuple[Any, str, str]] = {}

    def add(self, root: Any, filename: str, version: str) -> None:
        self._sources.append((root, filename, version))
        self._models = None

    def find(self, ref: str) -> tuple[Any, str, str]:
        """(model, file name, file version) of decision `ref` (its id, or its name); NotFound if none."""
        models = self._read()
        found = models.get(ref) or self._by_name.get(ref)
        if found is None:
            known = ", ".join(sorted(models)) or "none"
            raise NotFound(f"no decision {ref!r} in the FEEL DMN files here (their decisions: {known}); one in a "
                           "file that declares expressionLanguage=\"python\" can only run in a case")
        return found

    def decision_ids(self) -> list[str]:
        return sorted(self._read())

    def trial(self, ref: str, inputs: Mapping[str, Any]) -> Trial:
        """Evaluate decision `ref` on `inputs` as a business rule task would, without a case."""
        model, filename, version = self.find(ref)
        decision = model.find(ref)
        evaluation = decisions.evaluate(model, decision.id, inputs, variables=True)
        decider = Decider(model, decision.id, filename, version)
        return Trial(
            decision=decision.id, name=decision.name, file=filename, version=version,
            value=feel.to_json(evaluation.value), error=evaluation.error,
            outputs=decider.outputs(evaluation.value) if evaluation.error is None else {},
            hits=[{"decision": hit.decision_id, "name": hit.decision_name, "rules": list(hit.rules),
                   "rule_ids": list(hit.rule_ids)} for hit in evaluation.hits],
            warnings=list(evaluation.warnings))

    def decider(self, ref: str, node: Any) -> Decider | None:
        """The decider of decision `ref` for a business rule task, None if no FEEL file has it."""
        found = self._read().get(ref)
        if found is None:
            return None
        model, filename, version = found
        result_variable = (node.get("{http://camunda.org/schema/1.0/bpmn}resultVariable") or "").strip() or None
        return Decider(model, ref, filename, version, result_variable)

    def _read(self) -> dict[str, tuple[Any, str, str]]:
        """Every file read once, each after the files it imports (by namespace)."""
        if self._models is not None:
            return self._models
        read: dict[str, Any] = {}  # namespace -> model
        pending = list(self._sources)
        found: dict[str, tuple[Any, str, str]] = {}
        while pending:
            ready = [s for s in pending if _imported(s[0]) <= set(read)] or pending[:1]  # a missing import:
            for source in ready:  # read_root reports it, located
                root, filename, version = source
                model = decisions.read_root(root, filename, imports=list(read.values()))
                read[model.namespace] = model
                for decision_id, decision in model.decisions.items():
                    found.setdefault(decision_id, (model, filename, version))
                    self._by_name.setdefault(decision.name, (model, filename, version))
                pending.remove(source)
        self._models = found
        return found


def _imported(root: Any) -> set[str]:
    return {node.get("namespace", "") for node in root if isinstance(node.tag, str)
            and node.tag.rsplit("}", 1)[-1] == "import"}
