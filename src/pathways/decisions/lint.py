"""Lint of DMN files at upload: each problem located by file line, decision, rule and column.

    problems = lint_dmn(content, "eligibility.dmn")
    [str(p) for p in problems]   # ['line 14, decision "Eligibility", rule 2, column 1: FEEL syntax error: ...']

What it finds (docs/decisions.md, "Lint"): FEEL cells that do not parse, names no requirement
provides, UNIQUE tables whose rules overlap (statically, where the entries are simple: see
`overlap.py`), cycles and dangling references in the requirements graph, literal outputs outside
their allowed values or of the wrong type, and malformed tables. It walks the XML itself (through
`pathways.base.xml`) because it needs the line of every cell; the model reader (`read_root`) also
runs, so a file lint passes is one the evaluator can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pathways.base.xml import XmlProblem, parse_xml

from . import feel
from .dmn import DmnError, read_root
from .lint_feel import PYTHON_NAMES, syntax_problem, unknown_names
from .lint_graph import find_cycles, href_target
from .lint_tables import check_table
from .lint_walk import Cell, Walk, local


@dataclass(frozen=True)
class DmnProblem:
    """One finding: `severity` "error" (the file should not be deployed) or "warning"."""

    severity: str
    message: str
    hint: str | None = None
    line: int | None = None
    element: str | None = None
    decision: str | None = None
    rule: int | None = None
    column: int | None = None
    feel_column: int | None = None

    @property
    def place(self) -> str:
        """Where, without the line: 'decision "Grant", rule 2, column 1' (empty for a whole file)."""
        where = [f'decision "{self.decision}"'] if self.decision else []
        where += [f"rule {self.rule}"] if self.rule else []
        where += [f"column {self.column}"] if self.column else []
        return ", ".join(where)

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"line {self.line}" if self.line else "", self.place) if part)
        return (where + ": " if where else "") + self.message + (f" ({self.hint})" if self.hint else "")


def lint_dmn(content: bytes, filename: str, imports: Iterable[Any] = ()) -> list[DmnProblem]:
    """Every problem found in one DMN file, in file order (errors and warnings)."""
    try:
        root = parse_xml(content)
    except XmlProblem as problem:
        return [DmnProblem("error", str(problem), line=problem.line)]
    if local(root) != "definitions":
        return [DmnProblem("error", f"the root element is <{local(root)}>, not a DMN <definitions>",
                           line=root.sourceline)]
    imports = list(imports)
    walk = Walk(root)
    problems = [*_cells(walk), *_graph(walk, imports)]
    for table in walk.tables:
        problems += [DmnProblem(**found) for found in check_table(table, walk.item_types)]
    problems += _reader(root, filename, imports, problems)
    return sorted(problems, key=lambda p: (p.line or 0, p.rule or 0, p.column or 0))


def _cells(walk: Walk) -> list[DmnProblem]:
    problems = []
    for cell in walk.cells:
        problem = _cell(cell)
        if problem:
            problems.append(problem)
    return problems


def _cell(cell: Cell) -> DmnProblem | None:
    base = DmnProblem("error", "", line=cell.line, element=cell.element, decision=cell.decision, rule=cell.rule,
                      column=cell.column)
    try:
        if cell.unary:
            expression = feel.parse_unary_tests(cell.text, cell.known or ())
        else:
            expression = feel.parse(cell.text, cell.known or ())
    except feel.FeelSyntaxError as error:
        found = syntax_problem(cell.text, error)
        return replace(base, message=f"{cell.kind}: {found.message}", hint=found.hint,
                       line=(cell.line or 0) + found.line - 1 or None, feel_column=found.column)
    if cell.known is None:  # process variables: only Python's True/False/None are surely wrong
        unknown = [(name, hint) for name, hint in unknown_names(expression, set()) if name in PYTHON_NAMES]
    else:
        unknown = unknown_names(expression, cell.known)
    if not unknown:
        return None
    name, hint = unknown[0]
    more = f" (and {', '.join(n for n, _ in unknown[1:])})" if len(unknown) > 1 else ""
    return replace(base, message=f"{cell.kind}: unknown name `{name}`{more} in `{cell.text.strip()}`", hint=hint)


def _graph(walk: Walk, imports: list[Any]) -> list[DmnProblem]:
    problems = []
    namespaces = {getattr(model, "namespace", None): model for model in imports}
    namespaces.update({namespace: None for namespace in walk.import_namespaces if namespace not in namespaces})
    for requirement in walk.requirements:
        namespace, target = href_target(requirement.href)
        if namespace and namespace != walk.namespace:
            model = namespaces.get(namespace, False)
            if model is False:
                problems.append(DmnProblem(
                    "error", f"{requirement.kind} points to namespace {namespace}, which no <import> names",
                    "add an <import> of that file's namespace", requirement.line, requirement.owner_id,
                    requirement.owner))
            elif model is not None and not _found(model, target):
                problems.append(DmnProblem("error", f"{requirement.kind} points to `{target}`, not in {namespace}",
                                           None, requirement.line, requirement.owner_id, requirement.owner))
            continue
        if target not in walk.ids:
            problems.append(DmnProblem("error", f"{requirement.kind} points to `#{target}`, which is not in the file",
                                       "point it to the id of a decision, input data or knowledge model",
                                       requirement.line, requirement.owner_id, requirement.owner))
    for cycle in find_cycles(walk.needs):
        names = " -> ".join(walk.names.get(node, node) for node in cycle)
        first = walk.elements[cycle[0]]
        problems.append(DmnProblem("error", f"cycle in the requirements: {names}",
                                   "a decision cannot need itself; remove one of these requirements",
                                   first.sourceline, cycle[0], walk.names.get(cycle[0])))
    return problems


def _found(model: Any, target: str) -> bool:
    try:
        model.find(target)
    except Exception:  # the model's own DmnError: not there
        return False
    return True


def _reader(root: Any, filename: str, imports: list[Any], found: list[DmnProblem]) -> list[DmnProblem]:
    """What the model reader refuses that lint did not already say (on the same line)."""
    try:
        read_root(root, filename, imports)
    except DmnError as error:
        if any(p.severity == "error" and (p.line == error.line or error.line is None) for p in found):
            return []
        return [DmnProblem("error", error.message, error.hint, error.line, error.element)]
    except Exception as error:  # noqa: BLE001 - the reader's own bug; lint still answers, and says so
        return [DmnProblem("error", f"the model reader failed ({type(error).__name__})", None, root.sourceline)]
    return []
