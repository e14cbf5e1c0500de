"""Who issues a command: a user, or the system itself (timers)."""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a user (name + id) or the system (timers)."""

    name: str = SYSTEM
    user_id: int | None = None
