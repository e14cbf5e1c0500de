"""`pathways lint`: every problem in a set of BPMN/DMN files, located, with a hint.

The checks read the XML directly (so one broken element does not hide the others), then each
executable process is built with the real parser, so what lints clean also deploys. Nothing here
lets an exception escape: an unexpected failure becomes a located problem too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lxml import etree

from pathways.decisions import feel
from pathways.engine import data_objects, feel_conditions, juel, lint_calls, lint_camunda, lint_data, lint_multi
from pathways.engine.definitions import Document, DocumentIndex, SourceFile, build_spec, etree_localname
from pathways.engine.errors import InvalidDefinition
from pathways.engine.lint_dmn import check_dmn
from pathways.engine.lint_events import check_events
from pathways.engine.lint_structure import check_structure
from pathways.engine.parser import BPMN_NS, CAMUNDA_NS, read_assignment
from pathways.engine.problems import Problem
from pathways.engine.problems import located as _problem
from pathways.engine.roles import RoleVocabulary
from pathways.engine.sandbox import REFUSED_NAMES, check_source
from pathways.engine.timers import check_timer_text

HUMAN_TASKS = {"userTask", "manualTask"}
SUPPORTED_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
}
UNSUPPORTED_NODES = {"complexGateway"}
FORM_TYPES = {"string", "long", "decimal", "boolean", "date", "enum"}



def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


#: a process's `retention` (docs/privacy.md): an ISO 8601 date duration, years, months, weeks, days
RETENTION = re.compile(r"^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,3})W)?(?:(\d{1,5})D)?$")


#: keys the engine writes in event records beside form values (`CaseStarted`/`CaseCompleted` nest the
#: case data under `data`; `ValueCorrected` records the correction under `correction`)
PAYLOAD_KEYS = frozenset({"data", "correction"})


def retention_problem(value: str) -> str | None:
    """Why `value` is no retention period, or None (`pathways.privacy.retention` reads it)."""
    text = value.strip().upper()
    if text != "P" and RETENTION.match(text):
        return None
    return f"retention {value[:40]!r} is not an ISO 8601 duration of years, months, weeks or days"


def lint(files: Iterable[SourceFile], roles: RoleVocabulary,
         on_file: Callable[[str], None] | None = None) -> list[Problem]:
    """All problems of the given files, read together (so cross-file references resolve).

    `on_file` is called once per file as it is finished (for a progress bar).
    """
    index = DocumentIndex.build(files)
    problems = [Problem(name, p.line, None, str(p), "fix the XML or export again from the modeler")
                for name, p in index.unreadable.items()]
    for name in index.unreadable:
        if on_file:
            on_file(name)
    for doc in index.documents:
        checks: list[Callable[[Document, DocumentIndex, RoleVocabulary], Iterator[Problem]]] = (
            [_check_bpmn, _check_build] if doc.kind == "bpmn" else [check_dmn]
        )
        for check in checks:
            try:
                problems.extend(check(doc, index, roles))
            except Exception as exc:  # a check must never crash the run; report where it failed
                problems.append(Problem(doc.source.filename, None, None,
                                        f"could not be checked: {type(exc).__name__}: {exc}"))
        if on_file:
            on_file(doc.source.filename)
    return list(dict.fromkeys(problems))  # one lane with many tasks is one problem



def _check_bpmn(doc: Document, index: DocumentIndex, roles: RoleVocabulary) -> Iterator[Problem]:
    root = doc.root
    processes = list(root.iter(_q("process")))
    if not processes:
        yield _problem(doc, root, "no bpmn:process in this file", "a collaboration needs at least one process")
    for process in processes:
        if process.get("isExecutable", "true").lower() != "true":
            yield _problem(doc, process, "process is not executable and will not be deployed",
                           "set isExecutable=\"true\" in the modeler", "warning")
    for process in processes:
        # a malformed period would stop every export and retention run that meets the pathway
        for prop in process.findall(f"./{_q('extensionElements')}/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"):
            if (prop.get("name") or prop.get("id")) == "retention" and (
                    problem := retention_problem(prop.get("value") or "")):
                yield _problem(doc, process, problem, "e.g. P5Y, P10Y6M or P30D (docs/privacy.md)")
    yield from _check_unique_ids(doc)
    yield from check_structure(doc)
    yield from check_events(doc)
    yield from lint_camunda.check_file(doc)
    yield from lint_data.check_file(doc)
    yield from lint_multi.check_file(doc)
    lane_of = {ref.text.strip(): ref.getparent() for ref in root.iter(_q("flowNodeRef")) if ref.text}
    for node in root.iter():
        if isinstance(node.tag, str):
            yield from _check_node(doc, index, roles, node, etree_localname(node.tag), lane_of)


def _check_unique_ids(doc: Document) -> Iterator[Problem]:
    """A BPMN element's id must be unique in its file: the parser finds elements by id, so an enum value
    or form field sharing a flow node's id makes that node unbuildable. (Form fields and enum values
    may repeat ids across tasks: each form is its own scope.)"""
    used: dict[str, list[Any]] = {}
    for node in doc.root.iter():
        if isinstance(node.tag, str) and node.get("id"):
            used.setdefault(node.get("id"), []).append(node)
    for node_id, nodes in used.items():
        bpmn = [n for n in nodes if etree.QName(n).namespace == BPMN_NS]
        if data_objects.form_field_of_object(bpmn, nodes):  # the form writes the data object: the same name
            continue
        if bpmn and len(nodes) > 1:
            others = ", ".join(f"{etree_localname(n.tag)} on line {n.sourceline}" for n in nodes if n is not bpmn[0])
            yield _problem(doc, bpmn[0], f"id {node_id!r} is also used by: {others}",
                           "give each element its own id; form fields and enum values must not reuse element ids")


def _check_node(doc: Document, index: DocumentIndex, roles: RoleVocabulary, node: Any, name: str,
                lane_of: dict[str, Any]) -> Iterator[Problem]:
    if name in UNSUPPORTED_NODES:
        yield _problem(doc, node, f"bpmn:{name} is not supported", "model it with exclusive/parallel gateways")
    elif name in HUMAN_TASKS:
        yield from _check_human_task(doc, roles, node, lane_of.get(node.get("id", "")))
    elif name in ("exclusiveGateway", "inclusiveGateway"):
        yield from _check_gateway(doc, node)
    elif name in ("conditionExpression", "condition"):
        yield from _check_condition(doc, node)
    elif name == "scriptTask":
        yield from _check_script(doc, node)
    elif name == "serviceTask" and any(node.get(f"{{{CAMUNDA_NS}}}{a}") for a in
                                       ("class", "delegateExpression", "expression", "type")):
        yield _problem(doc, node, "serviceTask calls Java/external code, which pathways cannot run",
                       "use a scriptTask or a userTask")
    elif name == "timerEventDefinition":
        yield from _check_timer(doc, node)
    elif name == "callActivity":
        called = node.get("calledElement")
        if not called or called not in index.processes:
            yield _problem(doc, node, f"calledElement {called!r} is not a process in the deployed files",
                           "deploy the called process's file together with this one")
    elif name == "businessRuleTask":
        ref = node.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if not ref or ref not in index.decisions:
            yield _problem(doc, node, f"decisionRef {ref!r} is not a decision in the deployed DMN files",
                           "set camunda:decisionRef to a decision id and deploy its .dmn file")


def _check_human_task(doc: Document, roles: RoleVocabulary, node: Any, lane: Any) -> Iterator[Problem]:
    assignment = read_assignment(node)
    for group in assignment.candidate_groups:
        if group not in roles:
            yield _problem(doc, node, f"candidate group {group!r} is not a known role",
                           "use role keys from workflows/roles.toml, e.g. ops.social_worker")
    if not assignment.candidate_groups:
        if lane is None:
            yield _problem(doc, node, "user task has no lane and no camunda:candidateGroups",
                           "put it in a lane named after a role, or set candidate groups" + (
                               " (its camunda:assignee must hold one of them)" if assignment.assignee else ""))
        else:
            found = roles.lane_roles(lane.get("name") or "")
            if len(found) != 1:
                what = "is ambiguous between " + ", ".join(sorted(found)) if found else "names no known role"
                yield _problem(doc, lane, f"lane {lane.get('name')!r} {what}",
                               "name the lane 'Role name (AGENCY)' as in workflows/roles.toml")
    due = assignment.due_date
    if due and juel.is_juel(due):
        yield from lint_camunda.untranslated(doc, node, "camunda:dueDate", due)
    elif due and (message := check_timer_text("duration" if due.upper().startswith("P") else "date", due)):
        yield _problem(doc, node, f"camunda:dueDate: {message}", "e.g. PT72H, P14D or 2026-12-01")
    raw_priority = (node.get(f"{{{CAMUNDA_NS}}}priority") or "50").strip()
    if not raw_priority.isdigit() or not 0 <= int(raw_priority) <= 100:
        yield _problem(doc, node, f"camunda:priority {raw_priority!r} is not a whole number 0-100",
                       "50 is normal; higher comes first in the inbox")
    yield from lint_camunda.check_assignment(doc, node)
    yield from _check_form(doc, node)


def _check_form(doc: Document, node: Any) -> Iterator[Problem]:
    for field in node.iter(f"{{{CAMUNDA_NS}}}formField"):
        field_id = field.get("id") or ""
        if not field_id.isidentifier() or field_id in REFUSED_NAMES or field_id.startswith("_"):
            yield _problem(doc, node, f"form field id {field_id!r} cannot be used in expressions",
                           "use a plain snake_case name such as risk_level (not type, input, open, _x)")
        elif field_id in PAYLOAD_KEYS:
            yield _problem(doc, node, f"form field id {field_id!r} is a key of the engine's own event records",
                           "rename it, e.g. " + field_id + "_notes (the timeline and corrections use this key)")
        if field.get("type") not in FORM_TYPES:
            yield _problem(doc, node, f"form field {field.get('id')!r} has type {field.get('type')!r}",
                           "use one of: " + ", ".join(sorted(FORM_TYPES)))


def _check_gateway(doc: Document, node: Any) -> Iterator[Problem]:
    gateway_id = node.get("id")
    process = node.getparent()
    outgoing = [f for f in process.iter(_q("sequenceFlow")) if f.get("sourceRef") == gateway_id]
    if len(outgoing) < 2:
        return
    for flow in outgoing:
        has_condition = flow.find(_q("conditionExpression")) is not None
        if not has_condition and flow.get("id") != node.get("default"):
            yield _problem(doc, flow, f"flow leaving gateway {gateway_id} has no condition and is not the default",
                           "add a condition expression or mark one flow as the default")


def _check_condition(doc: Document, node: Any) -> Iterator[Problem]:
    """A flow's condition, or a conditional event's (located at the event; an empty one: `lint_events`)."""
    text, flow = (node.text or "").strip(), node.getparent()
    if etree_localname(node.tag) == "condition":
        if etree_localname(flow.tag) != "conditionalEventDefinition" or not text:
            return
        flow = flow.getparent()
    if text and feel_conditions.is_feel(feel_conditions.language_of(node)):
        yield from _check_feel_condition(doc, flow, feel_conditions.source_of(text))
    elif not text:
        yield _problem(doc, flow, "condition is empty", "write a Python expression, e.g. risk_level == 'high'")
    elif juel.is_juel(text):
        yield from lint_camunda.check_condition(doc, flow, text)
    else:
        for message in check_source(text, "eval"):
            yield _problem(doc, flow, f"condition: {message}", "write a Python expression")


def _check_feel_condition(doc: Document, flow: Any, source: str) -> Iterator[Problem]:
    try:
        feel.parse(source)
    except feel.FeelSyntaxError as exc:
        yield _problem(doc, flow, f"FEEL condition: {exc}", "write a FEEL expression, e.g. risk = \"high\"")


def _check_script(doc: Document, node: Any) -> Iterator[Problem]:
    script_format = (node.get("scriptFormat") or "python").lower()
    if script_format not in ("python", "py"):
        yield _problem(doc, node, f"scriptFormat {script_format!r} is not supported", "write the script in Python")
        return
    script = node.find(_q("script"))
    if script is None or not (script.text or "").strip():
        yield _problem(doc, node, "script task has no script")
        return
    for message in check_source(script.text, "exec"):
        yield _problem(doc, node, f"script: {message}")


def _check_timer(doc: Document, node: Any) -> Iterator[Problem]:
    event = node.getparent()
    for kind, tag in (("date", "timeDate"), ("duration", "timeDuration"), ("cycle", "timeCycle")):
        child = node.find(_q(tag))
        if child is not None:
            message = check_timer_text(kind, (child.text or "").strip())
            if message:
                yield _problem(doc, event, message, "e.g. PT72H, P6M, 2026-12-01T09:00:00Z, R3/PT1H")
            return
    yield _problem(doc, event, "timer has no timeDate, timeDuration or timeCycle", "set the timer in the modeler")


def _check_build(doc: Document, index: DocumentIndex, roles: RoleVocabulary) -> Iterator[Problem]:
    """Build each executable process of this file with the real parser (not when its structure, a
    multi-instance, a data store or a mapping is refused: the parser would only repeat a problem located
    already, less clearly)."""
    refused = (*check_structure(doc), *lint_multi.check_file(doc), *lint_data.check_file(doc),
               *lint_calls.check_file(doc))  # (multi-instance, data, mappings: the parser would fail there too)
    if any(p.severity == "error" for p in refused):
        return
    for key, _name, owner in index.executable_processes():
        if owner is not doc:
            continue
        try:
            build_spec([d.source for d in index.dependencies(key)], key)
        except InvalidDefinition as exc:
            cause = exc.__cause__
            yield Problem(getattr(cause, "file_name", "") or doc.source.filename,
                          getattr(cause, "line_number", None) or index.process_elements[key].sourceline or None,
                          getattr(cause, "id", "") or key, exc.message,
                          "open the element in the modeler and complete it")


