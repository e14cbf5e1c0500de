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
from decimal import Decimal
from typing import Any

from pathways import decisions
from pathways.base.values import BOUNDS
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
        evaluation = decisions.evaluate(self.model, self.ref, case_inputs(self.model, task.data), variables=True)
        element = task.task_spec.bpmn_id
        if evaluation.warnings:
            _log.info("decision %s at %s: %d FEEL warning(s)", self.ref, element, len(evaluation.warnings))
        error = evaluation.error if evaluation.error is not None else unstorable(evaluation.value)
        if error is not None:
            reference = secrets.token_hex(4)
            _log.error("decision failure %s at %s: decision %s", reference, element, self.ref)
            raise DecisionFailed(f"decision {self.ref!r} gave no result: {error}; "
                                 f"reference {reference} in the server log", element=element,
                                 decision=self.ref, reference=reference)
        outputs = self.outputs(evaluation.value)  # before the record: a failure leaves the task untouched
        task.internal_data[DECIDED] = {
            "decision": self.ref, "file": self.filename, "version": self.version,
            "rules": {hit.decision_id: list(hit.rules) for hit in evaluation.hits},
        }
        return outputs

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


def case_inputs(model: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The case data as a decision's inputs, without what would stand in for the model's own work.

    `decisions.evaluate` takes an input that names a decision as that decision's value (the TCK
    supplies required decisions so), and a business rule task passes the whole case data: a case
    variable named like a decision (the decision's own result, written by this task the last time
    round a loop, or a field a form let someone fill in) would then replace the decision, unevaluated
    and unchecked. So names and ids of the model's decisions (and of the models it imports, as
    `import.name`) are left out, and names FEEL cannot spell that start with `?` (`?` is a unary
    test's input, `?types` the model's item definitions)."""
    hidden = decision_keys(model)
    inputs: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name in hidden or name.startswith("?"):
            continue
        inputs[name] = value
    for item in getattr(model, "imports", ()):
        nested = inputs.get(item.name)
        if item.model is not None and isinstance(nested, Mapping):
            names = {d.name for d in item.model.decisions.values()} | set(item.model.decisions)
            inputs[item.name] = {k: v for k, v in nested.items() if k not in names}
    return inputs


def decision_keys(model: Any) -> set[str]:
    keys = {key for decision in model.decisions.values() for key in (decision.id, decision.name)}
    for item in getattr(model, "imports", ()):
        if item.model is not None:
            keys |= {f"{item.name}.{d.name}" for d in item.model.decisions.values()}
    return keys


#: the largest magnitude of a number a decision may write (JSON and Python's `int` text stop near 4,300 digits)
MAX_EXPONENT = 1_000


def unstorable(value: Any) -> str | None:
    """Why a decision's value cannot become case data (None if it can), worded without the value.

    FEEL can make what JSON cannot hold or the case bounds refuse: a list that holds itself
    (`partial` in a `for`), lists nested thousands deep, a million references to one long string
    (small in memory, enormous as JSON), `10 ** 5000`. Written into the case, such a value would break
    this save and every later one; so it is the decision's failure instead. Iterative, never recursive.
    """
    found = BOUNDS.problem(value, "value")
    if found is not None:
        return f"its value is too large to keep in the case ({found[1]})"
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Decimal) and item.is_finite() and item and abs(item.adjusted()) > MAX_EXPONENT:
            return f"its value holds a number beyond 10^{MAX_EXPONENT} or below 10^-{MAX_EXPONENT}"
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


#: what a trial shows of the FEEL warnings (a loop can record one per step)
MAX_WARNINGS, MAX_WARNING_CHARS = 100, 500


def shown_warnings(warnings: list[str]) -> list[str]:
    """The first `MAX_WARNINGS` warnings, each cut to `MAX_WARNING_CHARS`, and how many were left out."""
    shown = [w if len(w) <= MAX_WARNING_CHARS else w[:MAX_WARNING_CHARS] + "…" for w in warnings[:MAX_WARNINGS]]
    if len(warnings) > MAX_WARNINGS:
        shown.append(f"… and {len(warnings) - MAX_WARNINGS:,} more warnings")
    return shown


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
        decision = decision_of(model, ref)
        evaluation = decisions.evaluate(model, decision.id, case_inputs(model, inputs), variables=True)
        decider = Decider(model, decision.id, filename, version)
        error = evaluation.error if evaluation.error is not None else unstorable(evaluation.value)
        return Trial(
            decision=decision.id, name=decision.name, file=filename, version=version,
            value=feel.to_json(evaluation.value) if error is None else None, error=error,
            outputs=decider.outputs(evaluation.value) if error is None else {},
            hits=[{"decision": hit.decision_id, "name": hit.decision_name, "rules": list(hit.rules),
                   "rule_ids": list(hit.rule_ids)} for hit in evaluation.hits],
            warnings=shown_warnings(evaluation.warnings))

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


def decision_of(model: Any, ref: str) -> Any:
    """The decision `ref` (its id, else its name) of a model `DecisionFiles.find` gave: never a BKM or
    decision service of that id, which `model.find` would prefer to a decision of that name."""
    found = model.decisions.get(ref)
    if found is None:
        found = next(decision for decision in model.decisions.values() if decision.name == ref)
    return found


def _imported(root: Any) -> set[str]:
    return {node.get("namespace", "") for node in root if isinstance(node.tag, str)
            and node.tag.rsplit("}", 1)[-1] == "import"}
