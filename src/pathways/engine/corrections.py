"""Correcting one stored value of a case (GDPR art. 16, rectification), as an engine command.

The value is changed where the workflow keeps it: in the data of every task of the snapshot that
holds the field (the finished ones, whose data the case's current data is read from, and the
waiting ones, which would carry the old value on), so what the case shows and what it decides
with from now on is the corrected value. Nothing runs: no gateway is re-evaluated, no task
reopens. One transaction with the case's version check, like every command; the `ValueCorrected`
event records the field, the value before and after (sealed for a sensitive field, so the
timeline hides them from users who may not see the field, as it does for other events) and the
reason (sealed: it is free text about a person).

Who may, and whether the new value is valid, is the caller's rule (`pathways.privacy.rectify`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from pathways.base.sealing import Sealed
from pathways.base.values import jsonable
from pathways.engine.actors import Actor
from pathways.engine.errors import Conflict, InvalidData
from pathways.engine.writes import Rows, Within, finish, load_case, load_rows
from pathways.store.models import Case

if TYPE_CHECKING:
    from pathways.engine.cases import Engine

EVENT = "ValueCorrected"
#: `expected` not given: the value is corrected whatever it is now
ANY = object()


def correct_value(engine: Engine, actor: Actor, case_id: int, field: str, value: Any, reason: str, *,
                  sensitive: bool = False, version: int | None = None, expected: Any = ANY,
                  within: Within | None = None) -> int:
    """Set `field` to `value` in the case's workflow data; returns the case's new version.

    `version` (the case version the caller saw) or `expected` (the value the caller saw): a case
    or a value changed since is refused with `Conflict`, nothing written. A field the case holds
    no value of is refused with `InvalidData` (nothing to correct).
    """
    value = jsonable(value)
    with engine._command() as uow:  # noqa: SLF001 - a command of the engine, kept in its own module
        conn = uow.session.connection()
        case = load_case(conn, case_id)
        # checked inside the command: a caller's earlier check can be overtaken by an anonymisation,
        # and a correction written after it would put a value back into a case that must hold none
        if conn.scalar(select(Case.anonymised_at).where(Case.id == case_id)) is not None:
            raise Conflict(f"case {case_id} was anonymised: it keeps no values to correct")
        if version is not None and case.version != version:
            raise Conflict(f"case {case_id} changed since version {version} (it is {case.version}): "
                           "reload it and correct again")
        rows = load_rows(conn, case) if case.status == "active" else Rows(case, {}, {})
        runtime = engine._restore(uow.session, case)  # noqa: SLF001
        data = runtime.data()
        if field not in data:
            raise InvalidData(f"the case holds no value of {field}: there is nothing to correct",
                              fields={"field": "no stored value"})
        before = data[field]
        if expected is not ANY and jsonable(expected) != before:
            raise Conflict(f"{field} of case {case_id} changed since you saw it: reload it and correct again")
        for task in runtime._all_tasks():  # noqa: SLF001
            if field in task.data:
                task.data[field] = value

        rows.sealed = runtime.definition.sealed_fields  # free text sealed as in every other event

        def hide(x: Any) -> Any:
            return Sealed(x) if sensitive else x

        rows.event(actor, EVENT, before={field: hide(before)},
                   after={field: hide(value), "correction": {"field": field, "reason": Sealed(reason)}})
        finish(uow, rows, runtime.dump(), within)
        engine._runtimes.put(rows.case, runtime)  # noqa: SLF001
        return rows.case.version
