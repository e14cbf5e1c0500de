"""FEEL's one error: while evaluating, it becomes null and a warning (`scope.guarded`)."""

from __future__ import annotations


class FeelError(Exception):
    """An error while evaluating: the expression's value becomes null, the message a warning."""
