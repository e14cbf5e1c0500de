"""Lint of call activities and variable mappings: version binding, `camunda:in`/`out`, `camunda:inputOutput`.

- `camunda:calledElementBinding` (Modeler: *Called element → Binding*): `deployment` runs the
  called pathway deployed together with the caller, which is what pathways always does (no
  problem); `latest` (Camunda's default, meaning the newest version *when the call starts*) runs
  the same, bound when the caller is deployed: a warning says so. `version` and `versionTag` pin
  a version number or tag pathways does not resolve: refused, with the way to pin one.
- Mappings (`engine.mappings`): a `camunda:in`/`out` needs a `target` (or `variables="all"`);
  expressions (`sourceExpression`, parameter values) must translate to Python (`engine.juel`);
  `camunda:script` values and `businessKey` are not run. `camunda:in`/`out` elsewhere than on a
  call activity are warnings (`lint_camunda`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pathways.engine import juel
from pathways.engine.definitions import Document
from pathways.engine.lint_multi import executable, variable_problem
from pathways.engine.parser import BPMN_NS, CAMUNDA_NS
from pathways.engine.problems import Problem, located
from pathways.engine.sandbox import check_source

_PIN_HINT = ("pathways runs the called pathway deployed together with the caller: deploy the caller with the "
             "called file you want and set the binding to deployment (or leave it empty)")


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def check_file(doc: Document) -> Iterator[Problem]:
    for process in executable(doc.root):
        yield from _check_process(doc, process)


def _check_process(doc: Document, process: Any) -> Iterator[Problem]:
    for node in process.iter(f"{{{BPMN_NS}}}callActivity"):
        yield from _binding(doc, node)
        for kind in ("in", "out"):
            for mapping in node.findall(f"./{{{BPMN_NS}}}extensionElements/{_c(kind)}"):
                yield from _call_mapping(doc, node, kind, mapping)
    for io in process.iter(_c("inputOutput")):
        owner = io.getparent().getparent()
        for parameter in io:
            if isinstance(parameter.tag, str) and parameter.tag in (_c("inputParameter"), _c("outputParameter")):
                yield from _parameter(doc, owner, parameter)


def _binding(doc: Document, node: Any) -> Iterator[Problem]:
    binding = (node.get(_c("calledElementBinding")) or "").strip()
    if binding == "latest":
        yield located(doc, node, "camunda:calledElementBinding 'latest' is bound when this pathway is deployed: "
                      "its cases run the called pathway deployed together with it, not a version deployed later",
                      "deploy the caller again with the called file to let new cases use a newer called "
                      "pathway (running cases keep theirs); binding deployment says the same without this warning",
                      "warning")
    elif binding in ("version", "versionTag"):
        pinned = node.get(_c("calledElementVersion" if binding == "version" else "calledElementVersionTag"))
        yield located(doc, node, f"camunda:calledElementBinding {binding!r} (pinned to {pinned!r}) is not run: "
                      "pathways does not look up a called pathway's version by number or tag", _PIN_HINT)
    elif binding not in ("", "deployment"):
        yield located(doc, node, f"camunda:calledElementBinding {binding[:40]!r} is not a binding",
                      "use deployment (or latest), or leave it empty")
    if binding in ("", "latest", "deployment"):
        for extra in ("calledElementVersion", "calledElementVersionTag"):
            if node.get(_c(extra)) is not None:
                yield located(doc, node, f"camunda:{extra} is not applied without binding "
                              f"{'version' if extra.endswith('Version') else 'versionTag'}", _PIN_HINT, "warning")


def _call_mapping(doc: Document, owner: Any, kind: str, mapping: Any) -> Iterator[Problem]:
    what = f"camunda:{kind}"
    if mapping.get("businessKey") is not None:
        yield located(doc, owner, f"{what} businessKey is not applied: a called pathway runs inside the caller's case",
                      "remove it; the called pathway can read the case data it is given", "warning")
        return
    if mapping.get("variables") == "all":
        return
    target = (mapping.get("target") or "").strip()
    if not target:
        yield located(doc, owner, f"{what} without target", "set target (the variable's name on the other side) "
                      "or variables=\"all\"")
    elif problem := variable_problem(target):
        yield located(doc, owner, f"{what} target {target[:40]!r} {problem}", "use a snake_case name")
    expression = mapping.get("sourceExpression")
    if expression is not None:
        yield from _expression(doc, owner, f"{what} sourceExpression", expression)
    elif not (mapping.get("source") or "").strip() and target:
        yield located(doc, owner, f"{what} {target!r} has neither source nor sourceExpression",
                      "set source (a variable name) or sourceExpression (${...})")


def _parameter(doc: Document, owner: Any, parameter: Any) -> Iterator[Problem]:
    what = f"camunda:{'inputParameter' if parameter.tag == _c('inputParameter') else 'outputParameter'}"
    name = (parameter.get("name") or "").strip()
    if problem := variable_problem(name):
        yield located(doc, owner, f"{what} name {name[:40]!r} {problem}", "use a snake_case name")
    for node in parameter.iter():
        if node.tag == _c("script"):
            yield located(doc, owner, f"{what} {name!r} is a script, which pathways does not run here",
                          "compute the value in a script task, or write an expression ${...}")
            return
        if node.tag in (parameter.tag, _c("value"), _c("entry")) and node.text and ("${" in node.text
                                                                                     or "#{" in node.text):
            yield from _expression(doc, owner, f"{what} {name!r}", node.text)


def _expression(doc: Document, owner: Any, what: str, text: str) -> Iterator[Problem]:
    try:
        python = juel.translate(text.strip())
    except juel.JuelError as exc:
        yield located(doc, owner, f"{what}: Camunda expression {text.strip()[:80]!r}: {exc.message} "
                      f"(column {exc.column})", exc.hint)
        return
    for message in check_source(python, "eval"):
        yield located(doc, owner, f"{what}: {text.strip()[:80]!r} translates to {python!r}: {message}",
                      "rename the variable to a plain snake_case name")
