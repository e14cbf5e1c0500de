"""The two ways DMN goes wrong: a file that cannot be read, and a decision that has no result."""

from __future__ import annotations

from ..feel import FeelError


class DmnError(Exception):
    """A DMN file that cannot be read (or a reference that names nothing): where and why, for the designer.

    `str()` is "line N, element X: message" so a log line or an upload error says where to look.
    """

    def __init__(self, message: str, line: int | None = None, element: str | None = None,
                 hint: str | None = None) -> None:
        self.message, self.line, self.element, self.hint = message, line, element, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (f"line {self.line}" if self.line else "",
                                   f"element {self.element}" if self.element else "") if part]
        return (", ".join(where) + ": " if where else "") + self.message


class DecisionFailure(FeelError):
    """A decision with no result (UNIQUE rules overlapping, a value outside its allowed values...).

    A FEEL error on purpose: raised inside a BKM that FEEL invokes it becomes null plus a warning,
    as the standard says; raised by a decision's own expression it becomes `Evaluation.error`.
    """
