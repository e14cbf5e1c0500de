"""A first, read-only view of the server: health and the deployed pathways.

The full REST API (accounts, inbox, task commands) is built on top of this blueprint's app.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from markupsafe import escape
from sqlalchemy import func, select

from pathways.app import services
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


@bp.get("/")
def index() -> str:
    data = health()
    rows = "".join(f"<li><b>{escape(v['name'])}</b> <code>{escape(v['key'])}</code> v{v['version']}</li>"
                   for v in data["pathways"])
    return (
        "<!doctype html><html lang='pl'><meta charset='utf-8'><title>pathways</title>"
        "<body style='font-family:sans-serif;max-width:48rem;margin:2rem auto'>"
        f"<h1>pathways</h1><p>Baza: {data['database']} · sprawy: {escape(data['cases'])} · "
        f"otwarte zadania: {data['open_tasks']}</p><h2>Ścieżki</h2><ul>{rows}</ul>"
        "<p><a href='/api/v1/health'>/api/v1/health</a></p></body></html>"
    )
