"""The role vocabulary: which lane names mean which role in which kind of agency.

`workflows/roles.toml` lists role keys (`ops.social_worker`) with their agency kind and Polish
and English names. A lane matches a role by its key, its Polish or English name, or either name
followed by " (AGENCY)"; a name that fits roles of two agencies must carry the suffix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pathways.engine.errors import InvalidDefinition

#: Roles every installation has, whatever roles.toml says.
BUILTIN_ROLES = {
    "admin": ("SUPERVISION", "Administrator", "Administrator"),
    "designer": ("SUPERVISION", "Projektant ścieżek", "Pathway designer"),
    "auditor": ("SUPERVISION", "Audytor (inspektor ochrony danych)", "Auditor (data protection officer)"),
    # another agency's system sending messages and signals to any case (`pathways.tasks.messages`)
    "integration": ("SUPERVISION", "Integracja (system zewnętrzny)", "Integration (external system)"),
}


@dataclass(frozen=True)
class Role:
    key: str
    agency: str
    pl: str
    en: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class RoleVocabulary:
    def __init__(self, roles: list[Role]) -> None:
        self.roles = {r.key: r for r in roles}
        for key, (agency, pl, en) in BUILTIN_ROLES.items():
            self.roles.setdefault(key, Role(key, agency, pl, en))
        self._names: dict[str, set[str]] = {}
        for role in self.roles.values():
            for name in {role.key, role.pl, role.en}:
                self._names.setdefault(_norm(name), set()).add(role.key)
                self._names.setdefault(_norm(f"{name} ({role.agency})"), set()).add(role.key)

    @classmethod
    def load(cls, path: Path) -> RoleVocabulary:
        """Read roles.toml; a missing file gives the built-in roles only."""
        if not path.exists():
            return cls([])
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        roles = [Role(key, str(v["agency"]).upper(), str(v.get("pl", key)), str(v.get("en", key)))
                 for key, v in data.get("roles", {}).items()]
        for role in roles:  # the task_offers migration (0006) relies on this rule
            if not role.key.startswith(role.agency.lower() + "."):
                raise InvalidDefinition(f"{path}: role {role.key!r}: its key must start with its agency kind "
                                        f"in lower case and a dot ({role.agency.lower()}.…)")
        return cls(roles)

    def lane_roles(self, lane: str) -> set[str]:
        """Every role a lane name could mean (empty: unknown; several: ambiguous)."""
        return set(self._names.get(_norm(lane), set()))

    def resolve_lane(self, lane: str | None) -> str | None:
        """The one role a lane names, or None when unknown or ambiguous."""
        found = self.lane_roles(lane or "")
        return found.pop() if len(found) == 1 else None

    def agency_kind(self, role: str) -> str | None:
        found = self.roles.get(role)
        return found.agency if found else None

    def offers(self, task_roles: Iterable[str], agencies: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
        """(agency id, role) pairs a task is offered to: each role, in each case agency of its kind.

        `agencies` are the case's (id, kind) pairs; see `tasks/offers.py` for the whole rule.
        """
        agencies = list(agencies)
        return [(agency_id, role) for role in dict.fromkeys(task_roles)
                for agency_id, kind in agencies if kind == self.agency_kind(role)]

    def __contains__(self, role: str) -> bool:
        return role in self.roles
