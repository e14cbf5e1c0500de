"""What evaluating a decision gives: its value or error, every decision on the way, the rules that hit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..feel import to_python


@dataclass(frozen=True)
class Hit:
    """The rules of one decision table that matched (1-based numbers, and their ids), in rule order."""

    decision_id: str
    decision_name: str
    rules: tuple[int, ...]
    rule_ids: tuple[str, ...]


@dataclass
class Evaluation:
    """The result of `evaluate`: never an exception, the failure (if any) in `error`."""

    value: Any = None
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def python(self) -> Any:
        """The value as plain Python (whole numbers as int)."""
        return to_python(self.value)
