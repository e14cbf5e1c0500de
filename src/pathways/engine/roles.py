"""The role vocabulary: which lane names mean which role in which kind of agency.

`workflows/roles.toml` lists role keys (`ops.social_worker`) with their agency kind and Polish
and English names. A lane matches a role by its key, its Polish or English name, or either name
followed by " (AGENCY)"; a name that fits roles of two agencies must carry the suffix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

#: Roles every installation has, whatever roles.toml says.
BUILTIN_ROLES = {
    "admin": ("SUPERVISION", "Administrator", "Administrator"),
    "designer": ("SUPERVISION", "Projektant ścieżek", "Pathway designer"),
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
        return cls([
            Role(key, str(v["agency"]).upper(), str(v.get("pl", key)), str(v.get("en", key)))
            for key, v in data.get("roles", {}).items()
        ])

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

    def __contains__(self, role: str) -> bool:
        return role in self.roles
