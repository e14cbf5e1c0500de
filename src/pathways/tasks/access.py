"""Who may see what: cases by participating agency, sensitive fields by role.

One rule for cases: a user sees a case (its data, tasks, timeline) only when their agency takes
part in it. Supervisors see their partnership's cases because the partnership's agency takes part;
admins manage accounts and definitions but see case data only on the same terms.

Sensitive fields are marked in the BPMN with the form-field property `sensitive` = `true`. Such a
field's value is visible to the roles that work the task collecting it, plus the roles listed in
the field property `visible_to` (comma-separated role keys). Everyone else gets the data without it.
A role counts only in an agency of its own kind (`held_roles`): an OPS account that was somehow
granted an NGO role does not see what the NGO's role sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from pathways.engine.built import Definition
from pathways.engine.errors import NotFound
from pathways.engine.roles import RoleVocabulary
from pathways.store.models import Case, CaseAgency, User

#: the largest id a case can have (ids are 32-bit INTEGER columns on PostgreSQL)
MAX_ID = 2**31 - 1

#: field id -> roles allowed to see its value
SensitiveFields = Mapping[str, frozenset[str]]


def case_visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause on `Case`: the user's agency participates in the case."""
    return exists().where(CaseAgency.case_id == Case.id, CaseAgency.agency_id == user.agency_id)


def visible_case(s: Session, user: User, case_id: int) -> Case:
    """The case if the user may see it; NotFound otherwise (no existence leak)."""
    if not 0 < case_id <= MAX_ID:  # beyond any database's integer column: no such case
        raise NotFound(f"case {case_id} does not exist")
    case = s.scalars(select(Case).where(Case.id == case_id, case_visible_to(user))).first()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def sensitive_fields(definition: Definition) -> dict[str, frozenset[str]]:
    """Every sensitive form field of a pathway version and the roles allowed to see it.

    The rule lives with the definition (`Definition.sensitive`), as the engine seals the same
    fields at rest."""
    return dict(definition.sensitive)


def held_roles(user: User, vocabulary: RoleVocabulary, kind: str | None = None) -> set[str]:
    """The user's roles that count for case work and visibility: those of their agency's kind.

    Tasks are offered for these roles only, and sensitive values shown for these only. Built-in
    roles (admin, designer, auditor) have no kind and never count here. `kind` is the user's
    agency kind, read from the agency `accounts` loads with the user unless given.
    """
    kind = kind if kind is not None else user.agency.kind
    return {role for role in user.roles if vocabulary.agency_kind(role) == kind}


def hidden_fields(sensitive: SensitiveFields, user_roles: Iterable[str]) -> set[str]:
    held = set(user_roles)
    return {field_id for field_id, allowed in sensitive.items() if not allowed & held}


def hidden_from(definition: Definition, user: User) -> set[str]:
    """The sensitive fields of a pathway version whose values `user` may not see."""
    return hidden_fields(sensitive_fields(definition), held_roles(user, definition.roles))


def redact(data: Mapping[str, Any] | None, hidden: set[str]) -> dict[str, Any] | None:
    """A copy of `data` without the hidden fields (None stays None)."""
    if data is None:
        return None
    return {k: v for k, v in data.items() if k not in hidden}


def redact_event(payload: Mapping[str, Any] | None, hidden: set[str]) -> dict[str, Any] | None:
    """An event's before/after without hidden fields, also inside its `data` (CaseStarted, CaseCompleted);
    a correction of a hidden field (`ValueCorrected`) loses its reason too, which may tell the value."""
    redacted = redact(payload, hidden)
    if redacted is not None and isinstance(redacted.get("data"), Mapping):
        redacted["data"] = redact(redacted["data"], hidden)
    correction = redacted.get("correction") if redacted is not None else None
    if isinstance(correction, Mapping) and correction.get("field") in hidden:
        redacted["correction"] = {"field": correction["field"]}  # type: ignore[index]
    return redacted


#: roles that manage the platform or oversee cases but do not work them
NON_CASE_WORK_ROLES = frozenset({"admin", "designer", "auditor", "integration", "supervision.supervisor"})


def is_case_worker(user: User) -> bool:
    """The user holds a role that works cases (any role of roles.toml but the supervisor's)."""
    return bool(user.roles - NON_CASE_WORK_ROLES)
