"""A deployed version, built: its specs, its role vocabulary, and what follows from them once.

`Definition` is what the engine keeps per version in its cache (`Engine.definition`): the parsed
specs of the process and its sub-processes, plus the rules derived from the forms (which fields are
sensitive and to whom, which values are sealed in events) and the roles a task is offered to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pathways.engine.roles import RoleVocabulary

#: form field types whose values are free text, sealed in events (`Definition.sealed_fields`)
FREE_TEXT_TYPES = frozenset({"string", "textarea"})


@dataclass(frozen=True)
class Definition:
    """A deployed version's built specs plus what assignment needs."""

    version_id: int
    key: str
    spec: Any
    subprocess_specs: dict[str, Any]
    roles: RoleVocabulary

    @cached_property
    def sensitive(self) -> dict[str, frozenset[str]]:
        """Every sensitive form field (property `sensitive` = `true`) and the roles allowed to see it.

        The one rule for both uses: `pathways.tasks.access` hides these values from other roles,
        and the engine seals them in the events it writes (`sealed_fields`). Computed once per
        built version (the definition cache keeps it), as every command that writes events needs it.
        """
        found: dict[str, set[str]] = {}
        for process in (self.spec, *self.subprocess_specs.values()):
            for spec in process.task_specs.values():
                form = getattr(spec, "form", None)
                for field in getattr(form, "fields", None) or ():
                    if str(field.get_property("sensitive") or "").lower() != "true":
                        continue
                    allowed = found.setdefault(field.id, set())
                    allowed.update(task_roles(spec, self.roles))
                    extra = field.get_property("visible_to") or ""
                    allowed.update(r.strip() for r in str(extra).split(",") if r.strip())
        return {field_id: frozenset(roles) for field_id, roles in found.items()}

    @cached_property
    def sealed_fields(self) -> frozenset[str]:
        """The fields whose values the engine seals wherever it writes them in an event: the
        sensitive ones, and every free-text one (`string`, `textarea`), marked or not, since notes
        name people and circumstances as often as marked fields do (anonymisation wipes them as
        identifying). Choices, numbers, yes/no and dates stay plain JSON, where the reports read
        them in SQL; so does the pseudonym a case is started for (also on the case row)."""
        free = {field.id for process in (self.spec, *self.subprocess_specs.values())
                for spec in process.task_specs.values()
                for field in getattr(getattr(spec, "form", None), "fields", None) or ()
                if getattr(field, "type", None) in FREE_TEXT_TYPES}
        return frozenset(self.sensitive) | frozenset(free - {"beneficiary_pseudonym"})


def task_roles(spec: Any, roles: RoleVocabulary) -> tuple[str, ...]:
    """The roles a human task is offered to: its candidate groups, else its lane's role."""
    assignment = getattr(spec, "assignment", None)
    if assignment and assignment.candidate_groups:
        return tuple(assignment.candidate_groups)
    lane_role = roles.resolve_lane(spec.lane)
    return (lane_role,) if lane_role else ()
