"""Who may deploy which pathway: an installation's `workflows/deployers.toml`.

    [deployers]
    trafficking_survivors = ["ngo-bartoszyce"]   # pathway key (BPMN process id) -> agency codes
    "*" = ["partnership"]                         # every pathway not listed (optional)

A designer (or admin) may deploy a new version of a pathway through the API or the designer page
only when their agency is listed for it; a pathway that no entry names, with no `"*"` entry, may
be deployed by any designer. Without the file nothing is restricted. `pathways deploy` on the
server is an operator's act and is never asked. Refusals answer 403 and are audited.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pathways.engine.errors import InvalidDefinition

ANY = "*"


@dataclass(frozen=True)
class DeployPolicy:
    #: pathway key (or ANY) -> codes of the agencies whose designers may deploy it
    rules: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, agency_code: str, key: str) -> bool:
        allowed = self.rules.get(key, self.rules.get(ANY))
        return allowed is None or agency_code in allowed

    @classmethod
    def load(cls, path: Path) -> DeployPolicy:
        """Read the file; a missing file restricts nothing, a malformed one is refused (naming it)."""
        if not path.exists():
            return cls()
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidDefinition(f"{path}: not valid TOML: {exc}") from None
        table = data.get("deployers", {})
        if not isinstance(table, dict):
            raise InvalidDefinition(f"{path}: [deployers] must be a table of pathway key = [agency codes]")
        rules: dict[str, frozenset[str]] = {}
        for key, codes in table.items():
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise InvalidDefinition(f"{path}: deployers.{key} must be a list of agency codes")
            rules[key] = frozenset(codes)
        return cls(rules)
