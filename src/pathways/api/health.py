"""The server's health as JSON: the database, the deployed pathways, case and open-task counts.

`/` belongs to the pages (pathways.web): it sends a signed-in user to the inbox, others to the login.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import func, select

from pathways.core import services
from pathways.store.models import Case, HumanTask, PathwayVersion

bp = Blueprint("health", __name__)


@bp.get("/api/v1/health")
def health() -> dict[str, Any]:
    pathways = services(current_app)
    with pathways.store.unit_of_work(write=False) as uow:
        s = uow.session
        versions = s.scalars(select(PathwayVersion).order_by(PathwayVersion.key, PathwayVersion.version)).all()
        cases = {status: n for status, n in s.execute(select(Case.status, func.count()).group_by(Case.status))}
        open_tasks = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
    return {
        "status": "ok",
        "database": pathways.store.engine.dialect.name,
        "pathways": [{"key": v.key, "version": v.version, "name": v.name} for v in versions],
        "cases": cases,
        "open_tasks": open_tasks,
    }

