"""Rectification (GDPR art. 16): a case worker corrects one stored value of a case.

Who may: a user of an agency taking part in the case (anyone else: "not found", as for cases)
who holds, in an agency of its kind, one of the roles of the task(s) whose form collects the
field: the people who collect a value are the ones who can check it against the person or the
papers. A reason is required. The new value is checked by the field's own form type and limits
(`tasks.forms`), so a correction can never store what the form would refuse.

Refused: fields that feed measures (`hours`, a field with the `benefit` property): their value
was counted in the hours and benefit reports when the task was completed, and correcting it in
the data would leave the reports and the case disagreeing; such a mistake is corrected by the
supervisor in the reports' source (the measures), not here.

The correction is the engine command `Engine.correct_value` (one transaction, version check,
event `ValueCorrected` with before/after and the reason); the audit entry `case.rectify` names
the field, never the values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pathways.engine.cases import Actor, Engine
from pathways.engine.errors import Conflict, InvalidData, NotAllowed
from pathways.engine.runtime import CaseRuntime
from pathways.privacy.fields import catalogue
from pathways.store.db import Store
from pathways.store.models import CaseState, User
from pathways.tasks import audit
from pathways.tasks.access import held_roles, visible_case
from pathways.tasks.bounds import MAX_KEY, check_text
from pathways.tasks.forms import Form, FormSchema

MAX_REASON = 1000


def check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidData("a correction needs a reason", fields={"reason": "required"})
    check_text("reason", reason, MAX_REASON)
    return reason.strip()


@audit.refusals("case.rectify")
def rectify(store: Store, engine: Engine, user: User, case_id: int, field: str, value: Any, reason: str,
            version: int | None = None, expected: Any = None, check_expected: bool = False) -> dict[str, Any]:
    """Correct `field` of a visible case to `value`; returns the case id, field and new version.

    `version` (the case's version) or, with `check_expected`, `expected` (the value the user saw
    and corrects): when the case or the value changed since, `Conflict` and nothing is written.
    """
    check_text("field", field, MAX_KEY)
    reason = check_reason(reason)
    with store.unit_of_work(write=False) as uow:
        case = visible_case(uow.session, user, case_id)
        if case.anonymised_at is not None:
            raise Conflict(f"case {case_id} was anonymised: it keeps no values to correct")
        definition = engine.definition(uow.session, case.pathway_version_id)
        kind = user.agency.kind
    info = catalogue(definition).get(field)
    if info is None:
        raise InvalidData(f"{field} is not a form field of this pathway", fields={"field": "unknown field"})
    if not held_roles(user, definition.roles, kind) & info.roles:
        raise NotAllowed(f"{field} is corrected by the roles that collect it: {', '.join(sorted(info.roles))}")
    if info.feeds_measures:
        raise InvalidData(f"{field} feeds the hours and benefits reports (a measure was recorded when it was "
                          "submitted); it cannot be corrected in the case data",
                          fields={"field": "feeds measures: cannot be corrected"})
    spec = replace(info.spec, readonly=False)
    try:
        checked = Form((spec,), FormSchema((spec,))).validate({field: value})
    except InvalidData as invalid:
        problems = invalid.details.get("fields")
        problem = problems.get(field, "not valid") if isinstance(problems, dict) else "not valid"
        raise InvalidData(f"the new value of {field} is not valid: {problem}", fields={"value": problem}) from None
    new_version = engine.correct_value(
        Actor(user.username, user.id), case_id, field, checked.get(field), reason, sensitive=info.sensitive,
        version=version, expected=expected, check_expected=check_expected,
        within=audit.recorder(user, "case.rectify", detail={"field": field}))
    return {"case_id": case_id, "field": field, "version": new_version}


@audit.refusals("case.rectify")
def correctable_fields(store: Store, engine: Engine, user: User, case_id: int) -> list[dict[str, Any]]:
    """The fields of a visible case this user may correct now (for the case page's form): the
    stored ones their roles collect, that feed no measure; none on an anonymised case. Not audited:
    it reads the form, not the values (the page that shows it has its own `case.read` entry)."""
    with store.unit_of_work(write=False) as uow:
        case = visible_case(uow.session, user, case_id)
        if case.anonymised_at is not None:
            return []
        definition = engine.definition(uow.session, case.pathway_version_id)
        kind = user.agency.kind
        snapshot = uow.session.get(CaseState, case.id)
        stored = set(CaseRuntime.restore(definition, snapshot.state).data()) if snapshot and snapshot.state else set()
    held = held_roles(user, definition.roles, kind)
    return [{"id": f.id, "label": f.label, "type": f.type, "options": [{"id": o.id, "label": o.label}
                                                                       for o in f.spec.options]}
            for f in catalogue(definition).values()
            if f.id in stored and held & f.roles and not f.feeds_measures]
