"""Lint of the Camunda 7 dialect: expressions, user assignment, and the attributes pathways does not use.

- A condition written as a Camunda expression (`${...}`/`#{...}`) is translated to Python when
  the file is parsed (`pathways.engine.juel`). Lint names the translation (a warning, so the
  designer can read what will run) or refuses what cannot be translated, with the column and a
  hint that fits the fault.
- `camunda:assignee` pre-assigns a user task to one user (`pathways.engine.preassign`). It must be
  a literal user name: an expression (`${initiator}`) is refused. Whether the user exists is
  not known here (lint sees no database): `deploy` checks it (`named_assignees`).
- `camunda:candidateUsers` offers a user task to the named users instead of its roles' queue
  (`pathways.engine.candidate_users`): literal user names only, checked by `deploy` like the assignee.
- Every other Camunda attribute or extension element that neither SpiffWorkflow nor pathways
  reads is a warning naming it and what pathways does instead: nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from pathways.engine import juel, lint_calls
from pathways.engine.definitions import Document, DocumentIndex, etree_localname
from pathways.engine.parser import BPMN_NS, CAMUNDA_NS
from pathways.engine.problems import Problem, located
from pathways.engine.sandbox import check_source

_NO_JOBS = "pathways runs each command in one transaction and has no job executor, so this has no effect"
#: attributes pathways does not apply, with what it does instead
IGNORED_ATTRIBUTES = {
    "formKey": "pathways shows the task's generated form (camunda:formData); embedded and external forms are not shown",
    "formRef": "pathways shows the task's generated form (camunda:formData); Camunda Forms are not shown",
    "formRefBinding": "pathways shows the task's generated form (camunda:formData)",
    "formRefVersion": "pathways shows the task's generated form (camunda:formData)",
    "asyncBefore": _NO_JOBS, "asyncAfter": _NO_JOBS, "async": _NO_JOBS, "exclusive": _NO_JOBS,
    "jobPriority": _NO_JOBS, "taskPriority": _NO_JOBS,
    "followUpDate": "pathways keeps a due date only (camunda:dueDate)",
    "historyTimeToLive": "pathways keeps cases for the process's `retention` property (docs/privacy.md)",
    "versionTag": "pathways numbers versions itself at each deploy of changed files",
    "isStartableInTasklist": "who may start a case is decided by roles (docs/security.md)",
    "candidateStarterGroups": "who may start a case is decided by roles (docs/security.md)",
    "candidateStarterUsers": "who may start a case is decided by roles (docs/security.md)",
    "initiator": "the user who started the case is recorded in its CaseStarted event, not in a variable",
    "calledElementTenantId": "pathways has no tenants", "tenantId": "pathways has no tenants",
    "caseRef": "pathways runs no CMMN cases",
    "variableMappingClass": "the called process gets the caller's data as it is",
    "variableMappingDelegateExpression": "the called process gets the caller's data as it is",
    "errorCodeVariable": "the error code is not stored in a variable",
    "errorMessageVariable": "the error message is not stored in a variable",
    "escalationCodeVariable": "the escalation code is not stored in a variable",
    "mapDecisionResult": "a decision's outputs are written as docs/decisions.md describes",
    "decisionRefBinding": "the decision is the one deployed together with the process",
    "decisionRefVersion": "the decision is the one deployed together with the process",
    "decisionRefTenantId": "pathways has no tenants",
    "errorMessage": "the error's code is what pathways keeps (docs/engine.md); its message is not shown",
    "diagramRelationId": "a modeler's bookkeeping: nothing to run",
    "variableName": "pathways evaluates a conditional event's condition after every change of the case data",
    "variableEvents": "pathways evaluates a conditional event's condition after every change of the case data",
}
#: extension elements pathways does not apply, with what it does instead
IGNORED_ELEMENTS = {
    "in": "variable mappings are applied on call activities only (engine.mappings)",
    "out": "variable mappings are applied on call activities only (engine.mappings)",
    "executionListener": "listeners are not run: put the work in a script task",
    "taskListener": "listeners are not run: put the work in a script task",
    "failedJobRetryTimeCycle": "failed steps are not retried by a job executor",
    "field": "field injection configures Java code, which pathways does not run",
    "potentialStarter": "who may start a case is decided by roles (docs/security.md)",
}
#: attributes and extension elements read by SpiffWorkflow or pathways (or refused elsewhere)
READ_ATTRIBUTES = frozenset({"candidateGroups", "dueDate", "priority", "decisionRef", "resultVariable", "expression",
                             "collection", "elementVariable", "assignee", "candidateUsers", "class",
                             "delegateExpression", "type", "topic", "calledElementBinding", "calledElementVersion",
                             "calledElementVersionTag"})  # (the call activity's binding: `lint_calls`)
#: (extension elements: those directly under bpmn:extensionElements; what is inside them belongs to them)
READ_ELEMENTS = frozenset({"properties", "formData", "connector", "inputOutput"})
#: extension elements read on call activities only (`engine.mappings`)
CALL_ELEMENTS = frozenset({"in", "out"})
_CALLS_CODE = ("class", "delegateExpression", "type")
#: elements whose text pathways runs as Python, untranslated (flow and conditional event conditions, and a
#: multi-instance's cardinality and completion condition, are translated: `engine.juel`, `engine.multi`)
_PYTHON_ELSEWHERE = {"completionCondition": "multi-instance completion condition",
                     "loopCardinality": "multi-instance cardinality"}


#: named users per task at most: a longer list is a role in disguise (and every deploy and task opening looks them up)
MAX_CANDIDATE_USERS = 50


@dataclass(frozen=True)
class NamedUser:
    """A literal user name in a file, for the deploy-time check that the user exists."""

    doc: Document
    node: Any
    username: str
    attribute: str = "assignee"


def check_condition(doc: Document, flow: Any, text: str) -> Iterator[Problem]:
    """A Camunda expression in a condition: its translation (a warning), or why there is none."""
    try:
        python = juel.translate(text)
    except juel.JuelError as exc:
        yield located(doc, flow, f"Camunda expression {text.strip()[:80]!r}: {exc.message} (column {exc.column})",
                      exc.hint)
        return
    problems = check_source(python, "eval")
    for message in problems:
        yield located(doc, flow, f"Camunda expression {text.strip()[:80]!r} translates to {python!r}: {message}",
                      "rename the variable to a plain snake_case name")
    if not problems:
        yield located(doc, flow, f"Camunda expression {text.strip()[:80]!r} runs as Python: {python}",
                      "check the translation, or write the Python yourself", "warning")


def untranslated(doc: Document, owner: Any, what: str, text: str) -> Iterator[Problem]:
    """A Camunda expression where pathways reads Python but does not translate (a due date, a multi-instance
    cardinality or completion condition): an error whose hint is the Python to write."""
    try:
        hint = f"write it in Python: {juel.translate(text)}"
    except juel.JuelError as exc:
        hint = exc.hint
    yield located(doc, owner, f"{what}: Camunda expression {text.strip()[:80]!r} is not translated here", hint)


def check_assignment(doc: Document, node: Any) -> Iterator[Problem]:
    """`camunda:assignee` (a literal user name) and `camunda:candidateUsers` (literal names) of a human task."""
    assignee = (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip()
    if assignee and (juel.is_juel(assignee) or "${" in assignee or "#{" in assignee):
        yield located(doc, node, f"camunda:assignee {assignee[:60]!r} is an expression, which pathways cannot "
                      "resolve to a user", "write a user name (e.g. anna.kowalska), or leave it empty: the task is "
                      "offered to the lane's role and whoever holds it claims it")
    users = (node.get(f"{{{CAMUNDA_NS}}}candidateUsers") or "").strip()
    if users and ("${" in users or "#{" in users):
        yield located(doc, node, f"camunda:candidateUsers {users[:60]!r} holds an expression, which pathways cannot "
                      "resolve to users", "write user names separated by commas (anna.kowalska, jan.nowak), or leave "
                      "it empty: the task is offered to the lane's role")
    elif len([u for u in users.split(",") if u.strip()]) > MAX_CANDIDATE_USERS:
        yield located(doc, node, f"camunda:candidateUsers names more than {MAX_CANDIDATE_USERS} users",
                      "offer the task to a role (its lane or camunda:candidateGroups) instead")


def check_file(doc: Document) -> Iterator[Problem]:
    """The Camunda attributes and extension elements of a BPMN file that nothing applies; call activities'
    bindings and variable mappings (`lint_calls`)."""
    yield from lint_calls.check_file(doc)
    for node in doc.root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
            continue
        name = etree_localname(node.tag)
        if name == "extensionElements":
            yield from _unused_elements(doc, node)
        elif name in _PYTHON_ELSEWHERE and juel.is_juel(node.text):
            yield from _expression_elsewhere(doc, node, name)
        else:
            yield from _unused_attributes(doc, node)
            yield from _calls_code(doc, node, name)


def _expression_elsewhere(doc: Document, node: Any, name: str) -> Iterator[Problem]:
    """A Camunda expression in a multi-instance's cardinality or completion condition is translated
    (`engine.multi`): its translation, as for a flow's condition; elsewhere it is refused with the Python."""
    owner = node.getparent()
    kind = etree_localname(owner.tag)
    if kind in ("multiInstanceLoopCharacteristics", "conditionalEventDefinition"):
        owner = owner.getparent()
    if kind == "multiInstanceLoopCharacteristics":
        yield from check_condition(doc, owner, node.text or "")
    else:
        yield from untranslated(doc, owner, _PYTHON_ELSEWHERE[name], node.text or "")


def _calls_code(doc: Document, node: Any, name: str) -> Iterator[Problem]:
    """Java, connector or external-task implementations (of service tasks: lint.py refuses the attributes)."""
    found = [a for a in _CALLS_CODE if node.get(f"{{{CAMUNDA_NS}}}{a}")] if name != "serviceTask" else []
    if found:
        kind = (f"an external task (topic {node.get(f'{{{CAMUNDA_NS}}}topic')!r}), which needs a Camunda "
                "external-task worker" if node.get(f"{{{CAMUNDA_NS}}}type") == "external"
                else f"Java code (camunda:{found[0]})")
        yield located(doc, node, f"{name} calls {kind}, which pathways cannot run",
                      "use a script task, or leave the implementation empty")
    if node.find(f"./{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") is not None:
        yield located(doc, node, f"{name} calls a Camunda connector (camunda:connector), which pathways cannot run",
                      "use a script task or a user task")


def _unused_elements(doc: Document, extensions: Any) -> Iterator[Problem]:
    owner = extensions.getparent()
    for child in extensions:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != CAMUNDA_NS:
            continue
        name = etree_localname(child.tag)
        if name in CALL_ELEMENTS and etree_localname(owner.tag) == "callActivity":
            continue
        if name not in READ_ELEMENTS:
            yield located(doc, owner, f"camunda:{name} is not applied",
                          IGNORED_ELEMENTS.get(name, "pathways does not read this Camunda extension"), "warning")


def named_assignees(index: DocumentIndex) -> list[NamedUser]:
    """The literal `camunda:assignee` and `camunda:candidateUsers` user names of the indexed BPMN files
    (expressions excluded)."""
    found = []
    for doc in index.documents:
        if doc.kind != "bpmn":
            continue
        for node in doc.root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
            name = (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip()
            if name and "{" not in name:
                found.append(NamedUser(doc, node, name))
            users = node.get(f"{{{CAMUNDA_NS}}}candidateUsers") or ""
            if "{" not in users:
                found.extend(NamedUser(doc, node, u.strip(), "candidateUsers") for u in users.split(",") if u.strip())
    return found


def unknown_user(named: NamedUser) -> Problem:
    return located(named.doc, named.node,
                   f"camunda:{named.attribute} {named.username!r} is not a user of this installation",
                   "write an existing user name (pathways users list), or leave it empty")


def _unused_attributes(doc: Document, node: Any) -> Iterator[Problem]:
    for key in node.attrib:
        qname = etree.QName(key)
        if qname.namespace != CAMUNDA_NS:
            continue
        name = qname.localname
        if name in READ_ATTRIBUTES and name not in IGNORED_ATTRIBUTES:
            continue
        yield located(doc, node, f"camunda:{name} is not applied",
                      IGNORED_ATTRIBUTES.get(name, "pathways does not read this Camunda attribute"), "warning")
