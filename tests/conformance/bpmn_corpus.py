"""Running the BPMN files of `../shared/conformance` that pathways accepts, as far as each goes.

Every file is linted on its own (with `workflows/roles.toml`). A file with a lint error is
*refused*, with its first located problem. Each executable process of an accepted file is built
and run in memory (`CaseRuntime`, no database) with a runner that plays everyone around the case:
it completes each open human task with a value for every form field, moves a frozen clock to the
next timer, and sends each message the case waits for, until the case completes, fails, waits for
something the runner cannot give, or the step limit is reached. The outcome of each process is one
of `OUTCOMES`. What must never happen is a raw Python error: the run may only stop with a
`PathwaysError` (a located script error, a refused value), which is an outcome too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pathways.base import clock
from pathways.base.xml import XmlProblem, parse_xml
from pathways.engine.built import Definition
from pathways.engine.deciding import DMN_SUFFIXES
from pathways.engine.definitions import DocumentIndex, build_spec, collect
from pathways.engine.errors import PathwaysError
from pathways.engine.lint import lint
from pathways.engine.parser import BPMN_NS
from pathways.engine.roles import Role, RoleVocabulary
from pathways.engine.runtime import CaseRuntime

OUTCOMES = ("completed", "failed", "waiting", "step limit", "run-time error", "refused", "not executable")
STEP_LIMIT = 60
#: a run-time error's log reference is new at each run: left out of the report
_REFERENCE = re.compile(r"; reference [0-9a-f]+ in the server log")
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What happened to one process of one file (`process` is None for a refused file)."""

    file: str
    process: str | None
    result: str
    detail: str = ""
    steps: int = 0


def sample_value(field: Any) -> Any:
    """A value a worker could type into the field: the first option, a number, today, a word."""
    kind = getattr(field, "type", None)
    options = getattr(field, "options", None) or []
    if kind == "enum" and options:
        return getattr(options[0], "id", None)
    return {"boolean": True, "long": 1, "date": date(2026, 1, 5).isoformat()}.get(kind or "", "x")


def _form_data(spec: Any) -> dict[str, Any]:
    form = getattr(spec, "form", None)
    return {field.id: sample_value(field) for field in getattr(form, "fields", None) or ()}


def drive(runtime: CaseRuntime, frozen: clock.FrozenClock) -> tuple[str, str, int]:
    """Play the case's surroundings until it stops; (result, detail, steps)."""
    for step in range(STEP_LIMIT):
        if runtime.failure is not None:
            failure = runtime.failure
            return "failed", f"{failure.kind} {failure.code or ''} at {failure.element}".replace("  ", " "), step
        if runtime.completed:
            return "completed", "", step
        tasks = runtime.open_tasks(None)
        if tasks:
            runtime.complete(tasks[0].id, _form_data(runtime.task(tasks[0].id).task_spec))
            continue
        timers = runtime.waiting_timers()
        if timers:
            due = min(t.due_at for t in timers)
            frozen.current = max(frozen.current, due)
            runtime.fire_due_timers()
            continue
        messages = sorted(runtime.waiting_messages())
        if messages:
            runtime.receive_message(messages[0], {})
            continue
        return "waiting", "nothing the runner can give (no task, timer or message)", step
    return "step limit", f"still running after {STEP_LIMIT} steps", STEP_LIMIT


def run_file(path: Path, root: Path, roles: RoleVocabulary) -> list[Outcome]:
    """The outcome of every executable process of one file (one `refused` outcome if lint refuses it)."""
    name = str(path.relative_to(root))
    files = collect([path])
    roles = with_lanes(roles, files[0].content)
    problems = [p for p in lint(files, roles) if p.severity == "error"]
    if problems:
        first = problems[0]
        return [Outcome(name, None, "refused", f"line {first.line}: {first.message}" if first.line else first.message)]
    index = DocumentIndex.build(files)
    outcomes = []
    for key, _, _ in index.executable_processes():
        spec, subprocess_specs = build_spec([d.source for d in index.dependencies(key)], key)
        definition = Definition(0, key, spec, subprocess_specs, roles)
        frozen = clock.FrozenClock(START).install()
        try:
            runtime = CaseRuntime.start(definition, {})
            result, detail, steps = drive(runtime, frozen)
        except PathwaysError as exc:  # a located, worded error: an outcome, not a crash
            result, detail, steps = "run-time error", f"{type(exc).__name__}: {exc}", 0
        finally:
            clock.set_source(None)
        outcomes.append(Outcome(name, key, result, detail, steps))
    return outcomes or [Outcome(name, None, "not executable", "accepted; no process is marked executable")]


def with_lanes(roles: RoleVocabulary, content: bytes) -> RoleVocabulary:
    """`roles` plus a stand-in role for each lane name of the file: other tools' lanes ("Tester",
    "HR Department") name no role of ours, and refusing them would hide how the rest runs. What the
    real lint says of such lanes is tested elsewhere (tests/unit/test_lint.py)."""
    try:
        tree = parse_xml(content)
    except XmlProblem:
        return roles
    lanes = {(lane.get("name") or "").strip() for lane in tree.iter(f"{{{BPMN_NS}}}lane")} - {""}
    known = [lane for lane in sorted(lanes) if not roles.lane_roles(lane)]
    extra = [Role(f"corpus.lane_{i}", "CORPUS", lane, lane) for i, lane in enumerate(known)]
    return RoleVocabulary([*roles.roles.values(), *extra]) if extra else roles


def run_corpus(root: Path, roles: RoleVocabulary) -> list[Outcome]:
    bpmn = [Path(f.filename) for f in collect([root]) if not f.filename.lower().endswith(DMN_SUFFIXES)]
    return [o for path in bpmn for o in run_file(path, root, roles)]


def render(outcomes: Iterable[Outcome]) -> str:
    """docs/bpmn-corpus.md: the figures and one row per file and process."""
    outcomes = list(outcomes)
    counts = {kind: sum(o.result == kind for o in outcomes) for kind in OUTCOMES}
    lines = [
        "# The BPMN corpus, run",
        "",
        "Written by `tests/conformance/test_bpmn_corpus.py` (do not edit by hand): every BPMN file of",
        "`../shared/conformance/files` linted on its own; each executable process of an accepted file",
        "run in memory by a runner that completes every task with a value per form field, moves the",
        "clock to each timer and sends each message the case waits for (`tests/conformance/bpmn_corpus.py`).",
        "Refusals are other tools' dialects and drawing-only files, each with its located reason.",
        "",
        "| outcome | processes |",
        "|---|---|",
        *(f"| {kind} | {counts[kind]} |" for kind in OUTCOMES),
        "",
        "| file | process | outcome | steps | detail |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        detail = _REFERENCE.sub("", o.detail).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {o.file} | {o.process or ''} | {o.result} | {o.steps} | {detail[:160]} |")
    return "\n".join(lines) + "\n"
