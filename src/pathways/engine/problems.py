"""A lint problem: where (file, line, element), what, and how to fix it; shared by BPMN and DMN checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pathways.engine.definitions import Document


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element: str | None
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" {self.element}:" if self.element else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        label = "" if self.severity == "error" else f" {self.severity}:"
        return f"{where}:{label}{element} {self.message}{hint}"



def located(doc: Document, node: Any, message: str, hint: str = "", severity: str = "error") -> Problem:
    """A problem at an XML element of `doc`: its line and id."""
    return Problem(doc.source.filename, getattr(node, "sourceline", None), node.get("id"), message, hint, severity)
