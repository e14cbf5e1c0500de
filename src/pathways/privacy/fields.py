"""What a pathway collects: every form field of a deployed version, where, and for whom.

One catalogue read from the built specs serves the person's rights: rectification (which roles
collect a field, its form type, whether it feeds a measure), retention (which values to wipe) and
the records of processing (the register). A field id may appear in several forms (a later task
asks again); the catalogue merges them: the field is sensitive or identifying if any form says so.

Field properties (`camunda:properties` of a form field, docs/bpmn-conventions.md):
`sensitive` = `true` (shown only to the collecting roles and `visible_to`), `identifying` = `true`
(wiped on anonymisation whatever its type), `benefit` = kind (a measure).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pathways.engine.built import Definition, task_roles
from pathways.engine.measures import HOURS_FIELD
from pathways.tasks.forms import FieldSpec, read_fields

#: The ESF+ common indicators every pathway records under these ids (reports/esf.py reads them):
#: kept on anonymisation, dates too, so the participant table a funder audits stays the same;
#: a pathway that marks one of them sensitive or identifying gets it wiped all the same.
ESF_FIELDS = frozenset({"entry_date", "entry_situation", "exit_date", "exit_situation", "situation_6m"})
#: types whose values are free text or dates: wiped on anonymisation (they can name or date a person)
FREE_TYPES = frozenset({"string", "textarea", "date"})


@dataclass(frozen=True)
class Collected:
    """One task (or start event) whose form asks for the field."""

    element: str
    name: str
    stage: str | None
    roles: tuple[str, ...]


@dataclass
class FieldInfo:
    id: str
    label: str
    type: str
    spec: FieldSpec
    sensitive: bool = False
    identifying: bool = False
    benefit: str | None = None
    visible_to: set[str] = field(default_factory=set)
    collected: list[Collected] = field(default_factory=list)

    @property
    def roles(self) -> set[str]:
        """The roles of the tasks collecting the field: they may see and correct it."""
        return {r for c in self.collected for r in c.roles}

    @property
    def feeds_measures(self) -> bool:
        """Hours and benefits become measure rows when submitted: a correction would not follow."""
        return self.id == HOURS_FIELD or bool(self.benefit)

    @property
    def wiped(self) -> bool:
        """Whether anonymisation removes the field's values (see the module docstring of retention)."""
        if self.sensitive or self.identifying:
            return True
        return self.type in FREE_TYPES and self.id not in ESF_FIELDS


def _specs(definition: Definition) -> Iterator[Any]:
    for process in (definition.spec, *definition.subprocess_specs.values()):
        yield from process.task_specs.values()


def _true(raw: Any, name: str) -> bool:
    return str(raw.get_property(name) or "").strip().lower() == "true"


def catalogue(definition: Definition) -> dict[str, FieldInfo]:
    """Every form field of a version, in the order first met, with the tasks that collect it."""
    found: dict[str, FieldInfo] = {}
    for spec in _specs(definition):
        form = getattr(spec, "form", None)
        raws = getattr(form, "fields", None) or ()
        if not raws:
            continue
        roles = task_roles(spec, definition.roles) if hasattr(spec, "lane") else ()
        where = Collected(str(spec.bpmn_id), str(getattr(spec, "bpmn_name", None) or spec.bpmn_id),
                          (getattr(spec, "extensions", None) or {}).get("stage"), tuple(roles))
        for raw, parsed in zip(raws, read_fields(spec), strict=True):
            info = found.get(parsed.id)
            if info is None:
                info = found[parsed.id] = FieldInfo(parsed.id, parsed.label, parsed.type, parsed)
            info.sensitive |= parsed.sensitive
            info.identifying |= _true(raw, "identifying")
            benefit = raw.get_property("benefit")
            info.benefit = info.benefit or (str(benefit).strip() or None if benefit else None)
            extra = raw.get_property("visible_to") or ""
            info.visible_to.update(r.strip() for r in str(extra).split(",") if r.strip())
            if where.element not in {c.element for c in info.collected}:
                info.collected.append(where)
    return found


def wiped_keys(fields: dict[str, FieldInfo]) -> frozenset[str]:
    return frozenset(f.id for f in fields.values() if f.wiped)
