"""BPMN conditions written in FEEL, as Camunda 8 users write them.

A condition is FEEL when its `conditionExpression` says so (`language="feel"`, or a FEEL URI) or,
without one, when the definitions declare FEEL as their `expressionLanguage`; otherwise it is
Python, run by the sandbox as before. A leading `=` (Camunda 8's mark of an expression) is
dropped. The parser hands SpiffWorkflow a `FeelCondition` (a `str`, so the spec stays as it was)
and the script engine evaluates it with `pathways.decisions.feel` in the server: FEEL has no way to
reach Python, the file system or the network, and its evaluation is bounded
(`pathways.decisions.feel`'s limits). A condition that is not `true` (false, or null after an
error) does not take its flow.

A Camunda 7 expression (`${...}` or `#{...}`, in a file that is not FEEL) is translated to Python
here (`pathways.engine.juel`), so it runs as any Python condition does.
"""

from __future__ import annotations

import logging
from typing import Any

from pathways.decisions import feel
from pathways.engine import juel

_log = logging.getLogger("pathways.engine")


class FeelCondition(str):
    """A condition's text, marked as FEEL."""

    __slots__ = ()


def language_of(node: Any) -> str:
    """The expression language of a `conditionExpression`: its own, else its definitions'."""
    own = node.get("language") or node.get("expressionLanguage")
    if own:
        return str(own)
    root = node.getroottree().getroot()
    return str(root.get("expressionLanguage") or "python")


def is_feel(language: str) -> bool:
    return "feel" in language.lower()


def source_of(text: str) -> str:
    """The FEEL expression in a condition's text, without Camunda 8's leading `=`."""
    stripped = text.strip()
    return stripped[1:].lstrip() if stripped.startswith("=") else stripped


def condition(node: Any) -> str | None:
    """The condition SpiffWorkflow is given for a `conditionExpression` element (None without one)."""
    if node is None:
        return None
    text: str | None = node.text
    if text and text.strip() and is_feel(language_of(node)):
        return FeelCondition(source_of(text))
    if juel.is_juel(text):
        try:
            return juel.translate(text or "")
        except juel.JuelError:
            return text  # lint refuses it (`engine.lint_camunda`), so no such file deploys
    return text


def evaluate(expression: FeelCondition, data: dict[str, Any]) -> bool:
    """True only when the condition is FEEL `true`; a warning (an error that became null) is logged
    by count, never with its text, which may quote a case value.

    Case variables whose names start with `?` are left out: FEEL cannot spell them, and FEEL keeps
    its own values under such names (`?` a unary test's input, `?types` a model's type checks), which a
    case variable must not replace. A variable FEEL has no value for is null (with a warning)."""
    variables: dict[str, Any] = {}
    problems = 0
    for key, value in data.items():
        if str(key).startswith("?"):
            continue
        try:
            variables[str(key)] = feel.from_python(value)
        except feel.FeelError:
            variables[str(key)], problems = None, problems + 1
    result = feel.evaluate(str(expression), variables, convert=False)
    if problems:
        result.warnings.append(f"{problems} case variable(s) have no FEEL value; they are null")
    if result.warnings:
        _log.info("FEEL condition gave %d warning(s)", len(result.warnings))
    return result.value is True
