"""Instance migration for the people who fix pathways: the dry run and the move (`engine.migration`).

Who may (docs/security.md, docs/operations-migr.md):

- **Dry run and apply**: a `designer` or an `admin` (`MIGRATE_ROLES`, the roles that deploy), and
  only for a pathway their agency may deploy (`workflows/deployers.toml`, `tasks.deployers`): who
  may publish a corrected version may move the cases onto it. A case worker, a supervisor or an
  auditor gets 403 (audited as `access.denied`).
- **What they see**: per case its id, whether it can move and why not, the task and timer ids with
  element ids, names from the definition, due times and form field ids: never a value of the
  case's data (a designer may not read cases of agencies their own does not take part in).
- **The operator** on the server (`pathways migrate`, `user=None` with `actor`) reaches every
  pathway, as `pathways deploy` does.

The dry run is audited once (`migration.plan`, with the request); the move once per case
(`case.migrate`, with the request and the outcome), in the transaction of that case's move, a
refused or skipped case included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from pathways.engine import migration
from pathways.engine.cases import Engine, Within
from pathways.engine.errors import NotAllowed
from pathways.store.models import User
from pathways.tasks import audit
from pathways.tasks.deployers import DeployPolicy

MIGRATE_ROLES = frozenset({"designer", "admin"})
#: the most cases one HTTP request moves; the rest wait for the next request (or the CLI)
HTTP_LIMIT = 500


def _allow(engine: Engine, user: User | None, key: str, attempted: str, policy: DeployPolicy | None) -> None:
    if user is None:
        return
    audit.require_role(engine.store, user, MIGRATE_ROLES, attempted,
                       "moving cases to another version needs the designer or admin role")
    agency = user.agency.code
    if policy is not None and not policy.allows(agency, key):
        error = NotAllowed(f"your agency may not deploy pathway {key!r}, nor move its cases", pathway=key)
        audit.refused(engine.store, user, attempted, error, detail={"pathway": key, "agency": agency})
        raise error



@audit.refusals("migration.plan")
def dry_run(engine: Engine, user: User | None, request: migration.Request, *, policy: DeployPolicy | None = None,
            actor: str | None = None) -> dict[str, Any]:
    """What moving the pathway's running cases of version N to M would do, case by case."""
    _allow(engine, user, request.key, "migration.plan", policy)
    result = migration.plan(engine, request)
    with engine.store.unit_of_work() as uow:
        audit.record(uow.session, user, "migration.plan", actor=actor,
                     detail={**request.record(), "movable": result["movable"], "refused": result["refused"]})
        uow.commit()
    return result


def _audit(user: User | None, actor: str | None, request: migration.Request
           ) -> Callable[[str, dict[str, Any]], Within]:
    def entry(outcome: str, _plan: dict[str, Any]) -> Within:
        def add(s: Session, case_id: int) -> None:
            audit.record(s, user, "case.migrate", case_id=case_id, actor=actor,
                         detail={**request.record(), "outcome": outcome})
        return add
    return entry


@audit.refusals("case.migrate")
def apply(engine: Engine, user: User | None, request: migration.Request, *, policy: DeployPolicy | None = None,
          actor: str | None = None, progress: Callable[[dict[str, Any]], None] | None = None,
          limit: int | None = None, batch: int = migration.BATCH) -> dict[str, Any]:
    """Move the pathway's running cases of version N to M, each in its own transaction, audited each."""
    _allow(engine, user, request.key, "case.migrate", policy)
    if user is not None:
        limit = min(limit or HTTP_LIMIT, HTTP_LIMIT)
    summary = migration.apply(engine, audit.acting(user, actor), request, progress=progress,
                              within=_audit(user, actor, request), limit=limit, batch=batch)
    summary["remaining"] = len(migration.pending(engine, request, limit=HTTP_LIMIT))
    return summary
