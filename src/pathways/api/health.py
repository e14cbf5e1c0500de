"""The server's health as JSON.

Anyone (a load balancer, a monitor) may ask whether the service and its database are up, and
learns nothing else: `{"status": "ok", "database": "up"}`, or 503 with `"database": "down"`.
The deployed pathways and the case and open-task counts describe the partnership's work, so they
are added only for an authenticated admin (`Authorization: Bearer ...`).

`/` belongs to the pages (pathways.web): it sends a signed-in user to the inbox, others to the login.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pathways.api.auth import bearer_token
from pathways.core import services
from pathways.engine.errors import PathwaysError
from pathways.store.models import Case, HumanTask, PathwayVersion
from pathways.tasks import accounts

bp = Blueprint("health", __name__)


@bp.get("/api/v1/health")
def health() -> tuple[dict[str, Any], int]:
    pathways = services(current_app)
    try:
        with pathways.store.unit_of_work(write=False) as uow:
            uow.session.execute(text("SELECT 1"))
            details = _details(uow.session) if _is_admin(bearer_token()) else {}
    except SQLAlchemyError:
        current_app.logger.exception("health check: the database does not answer")
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "up", **details}, 200


def _is_admin(token: str | None) -> bool:
    if token is None:
        return False
    try:
        user = accounts.resolve_token(services(current_app).store, token)
    except PathwaysError:  # a wrong or lapsed token gets the anonymous answer, not an error
        return False
    return "admin" in user.roles


def _details(s: Session) -> dict[str, Any]:
    versions = s.scalars(select(PathwayVersion).order_by(PathwayVersion.key, PathwayVersion.version)).all()
    cases = {status: n for status, n in s.execute(select(Case.status, func.count()).group_by(Case.status))}
    open_tasks = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
    return {
        "dialect": services(current_app).store.engine.dialect.name,
        "pathways": [{"key": v.key, "version": v.version, "name": v.name} for v in versions],
        "cases": cases,
        "open_tasks": open_tasks,
    }
