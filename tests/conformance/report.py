"""docs/dmn-conformance.md: our TCK figures per model beside Camunda 7.21's, written by the TCK test."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .runner import ModelOutcome


@dataclass(frozen=True)
class Doubt:
    """A TCK case we believe wrong in the TCK itself, and why. It still counts as a failure."""

    level: int
    folder: str
    case: str
    reason: str


def camunda_results(csv_path: Path) -> dict[tuple[int, str], tuple[int, int]]:
    """Camunda's published results by (level, model folder): cases SUCCESS, cases listed."""
    success: Counter[tuple[int, str]] = Counter()
    total: Counter[tuple[int, str]] = Counter()
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or not row[0].startswith("compliance-level-"):
                continue
            level_part, _, folder = row[0].partition("/")
            key = (int(level_part.rsplit("-", 1)[1]), folder)
            total[key] += 1
            success[key] += row[3] == "SUCCESS"
    return {key: (success[key], total[key]) for key in total}


def _camunda_cell(result: tuple[int, int] | None) -> str:
    return "not run" if result is None else f"{result[0]} / {result[1]}"


def _totals(outcomes: list[ModelOutcome], camunda: Mapping[tuple[int, str], tuple[int, int]]) -> str:
    level = outcomes[0].level
    theirs = [camunda[(level, o.folder)] for o in outcomes if (level, o.folder) in camunda]
    return (f"| level {level} | {sum(o.fully_passing for o in outcomes)} of {len(outcomes)} "
            f"| {sum(o.passed for o in outcomes):,} of {sum(o.total for o in outcomes):,} "
            f"| {sum(s == t and t > 0 for s, t in theirs)} of {len(theirs)} "
            f"| {sum(s for s, _ in theirs):,} of {sum(t for _, t in theirs):,} |")


RULES = """\
## How results are compared

As the TCK's own runners do (tests/conformance/compare.py):

- Numbers are equal within 1e-8 absolute or 1e-10 relative. Our numbers are decimal, so this tolerance
  matters only for irrational results (`sqrt`, `log`, `exp`) that the TCK rounds.
- Lists are compared element by element, and contexts key by key (the same keys, in any order).
- Dates, times, dates and times and durations are compared by value: `PT24H` equals `P1D`, but a zoned
  value never equals an unzoned one, and a days-and-time duration never equals a years-and-months one.
- Strings and booleans by type and equality; null equals only null.
- A result node with `errorResult="true"` passes when the evaluation fails: `Evaluation.error` is set
  or the value is null.
- A test case passes when all of its result nodes pass; a model passes fully when all of its cases do.
- Fractional seconds are held to the microsecond (as Python's times hold them): the TCK's nanosecond
  digits are cut on both sides, so values compare equal, and only a `string()` of such a value differs.
- An expected value FEEL cannot hold (a year beyond ±999,999,999) would equal nothing; the TCK has none.
"""


def render(levels: Iterable[list[ModelOutcome]], camunda: Mapping[tuple[int, str], tuple[int, int]],
           doubts: Iterable[Doubt]) -> str:
    levels = [outcomes for outcomes in levels if outcomes]
    lines = [
        "# DMN TCK conformance", "",
        "Written by `tests/conformance/test_dmn_tck.py` on every run with the TCK beside the checkout",
        "(`../shared/conformance/dmn-tck`); do not edit by hand. Camunda 7.21's figures are its published",
        "results for the same folders (`TestResults/Camunda/7.21.0/tck_results.csv`: cases SUCCESS of cases",
        "listed; \"not run\" where its results predate the folder).", "",
        "## Totals", "",
        "| level | models fully passing | cases passing | Camunda 7.21: models | Camunda 7.21: cases |",
        "|---|---|---|---|---|",
        *(_totals(outcomes, camunda) for outcomes in levels), "",
        RULES,
    ]
    for outcomes in levels:
        level = outcomes[0].level
        lines += [f"## Level {level}", "", "| model | passed | total | Camunda 7.21 | failing cases |",
                  "|---|---|---|---|---|"]
        for o in outcomes:
            failing = ", ".join(case.id for case in o.cases if not case.passed)
            if len(failing) > 200:
                failing = failing[:197].rsplit(",", 1)[0] + ", ..."
            lines.append(f"| {o.folder} | {o.passed} | {o.total} | {_camunda_cell(camunda.get((level, o.folder)))} "
                         f"| {failing} |")
        lines.append("")
    doubts = list(doubts)
    lines += ["## TCK cases we believe wrong", "",
              "They count as failures like any other: no code treats them specially.", ""]
    if doubts:
        lines += ["| level | model | case | why we believe the TCK is wrong |", "|---|---|---|---|"]
        lines += [f"| {d.level} | {d.folder} | {d.case} | {d.reason} |" for d in doubts]
    else:
        lines.append("None so far.")
    return "\n".join(lines) + "\n"
