"""Anonymising one case: wipe every value that can identify the person, keep what is counted.

Wiped (set to null), wherever it is stored: the values of the pathway's form fields that are
marked `sensitive` or `identifying`, or are free text or dates (`fields.FieldInfo.wiped`; the
ESF+ indicator fields are kept), and, inside case data, any text value under a key that is no
form field of the pathway (script or message values of unknown meaning). Where: the workflow
snapshot (every task's data and every other place the key occurs), the events' before/after
(also inside their `data`; the free-text `reason` of cancelling, closing and corrections too),
the audit details of the case (only ids are put there, but a key of the wiped fields is blanked
should one be found), and every comment's text (replaced). Kept: numbers, booleans and choices
that are not sensitive, the stage history, tasks, every measure row and the pseudonym, so every
report and ESF table counts the case exactly as before.

The person's identity goes once no case of theirs is left un-anonymised (`retention.finish_person`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.built import Definition
from pathways.privacy.fields import catalogue, wiped_keys
from pathways.store.models import AuditEntry, Case, CaseEvent, CaseState, TaskComment

#: the text a comment is replaced by
WIPED_COMMENT = "[usunięto: anonimizacja danych]"
#: keys of the engine's own event payloads and system data, never wiped
SYSTEM_KEYS = frozenset({"stage", "roles", "agencies", "beneficiary_pseudonym", "field", "data", "correction"})
#: keys of SpiffWorkflow's snapshot structure: a field of one of these names is wiped only inside data
STRUCTURAL = frozenset({"id", "parent", "children", "state", "task_spec", "triggered", "internal_data", "data",
                        "last_state_change", "typename", "format", "root", "tasks", "subprocesses",
                        "bpmn_events", "correlations", "completed", "success", "spec", "name", "value"})


class Scrubber:
    """The wiping rule of one pathway version."""

    def __init__(self, definition: Definition) -> None:
        fields = catalogue(definition)
        self.known = frozenset(fields)
        self.wiped = wiped_keys(fields)

    def _drops(self, key: str, value: Any) -> bool:
        if key in SYSTEM_KEYS:
            # the engine's own key, unless a wiped form field has that name and this is its value
            # (a designer may call a free-text field `data` or `stage`): structures are walked instead
            return key in self.wiped and not isinstance(value, dict)
        return key in self.wiped or (key not in self.known and isinstance(value, str))

    def data(self, value: Any) -> Any:
        """Case data (a task's data, an event's before/after): wiped keys and unknown text blanked."""
        if isinstance(value, dict):
            return {k: None if self._drops(k, v) else self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def snapshot(self, value: Any, inside_data: bool = False) -> Any:
        """A workflow snapshot: `data` objects by the data rule, the wiped keys blanked everywhere else."""
        if isinstance(value, dict):
            if inside_data:
                return self.data(value)
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k in ("data", "payload") and isinstance(v, dict):
                    out[k] = self.data(v)
                elif k in self.wiped and k not in STRUCTURAL:
                    out[k] = None
                else:
                    out[k] = self.snapshot(v)
            return out
        if isinstance(value, list):
            return [self.snapshot(v) for v in value]
        return value

    def keys_only(self, value: Any) -> Any:
        """An audit detail: only the wiped keys are blanked (the rest is ids and names)."""
        if isinstance(value, dict):
            return {k: None if k in self.wiped else self.keys_only(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.keys_only(v) for v in value]
        return value


def anonymise_case(s: Session, case: Case, definition: Definition) -> None:
    """Wipe the case in the session's transaction (the caller commits, with its audit entry)."""
    scrub = Scrubber(definition)
    state = s.get(CaseState, case.id)
    if state is not None and state.state:
        state.state = json.dumps(scrub.snapshot(json.loads(state.state)), separators=(",", ":"))
    for event in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        event.before = scrub.data(event.before) if event.before is not None else None
        event.after = scrub.data(event.after) if event.after is not None else None
    for comment in s.scalars(select(TaskComment).where(TaskComment.case_id == case.id)):
        comment.text = WIPED_COMMENT
    for entry in _entries(s, [case.id]):
        if entry.detail:
            entry.detail = scrub.keys_only(entry.detail)
    case.anonymised_at = clock.now()


def _entries(s: Session, case_ids: Iterable[int]) -> Iterable[AuditEntry]:
    return s.scalars(select(AuditEntry).where(AuditEntry.case_id.in_(list(case_ids))))
