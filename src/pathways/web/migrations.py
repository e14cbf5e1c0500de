"""The designer's migration page: move a pathway's running cases from one version to another.

The same service as `POST /api/v1/definitions/{key}/migrations` (`pathways.tasks.migrations`):
designers and admins whose agency may deploy the pathway; everyone else gets 403 (audited). The
page shows the dry run as a table, case by case (what changes, or why a case cannot move: ids,
element ids, names and due times, never a value of the case), and an apply button that moves the
cases and shows, case by case, what was done.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import gettext as _

from pathways.core import services
from pathways.engine import migration
from pathways.engine.errors import InvalidData, NotFound
from pathways.tasks import definitions, migrations
from pathways.web.cases import HELPERS
from pathways.web.designer import _require_designer
from pathways.web.session import bp, login_required


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def _form() -> dict[str, Any]:
    source = request.form if request.method == "POST" else request.args
    return {"from_version": _number(source.get("from_version")), "to_version": _number(source.get("to_version")),
            "map": source.get("map", "")[:10_000]}


def change_name(word: str) -> str:
    """A change or an outcome of the plan (`engine.migration`) as people read it."""
    names = {"kept": _("kept"), "renamed": _("renamed"), "mapped": _("mapped"), "created": _("created"),
             "removed": _("removed"), "rescheduled": _("rescheduled"), "migrated": _("moved"),
             "skipped": _("skipped"), "refused": _("refused"), "conflict": _("changed meanwhile")}
    return str(names.get(word, word))


def _render(key: str, form: dict[str, Any], *, plan: dict[str, Any] | None = None,
            applied: dict[str, Any] | None = None, error: str | None = None, status: int = 200) -> tuple[str, int]:
    pathways = services(current_app)
    detail = definitions.definition_detail(pathways.store, pathways.engine, key)
    return render_template("designer_migrate.html", d=detail, form=form, plan=plan, applied=applied, error=error,
                           change_name=change_name, **HELPERS), status


def _run(key: str, apply: bool) -> tuple[str, int]:
    _require_designer()
    form = _form()
    if form["from_version"] is None or form["to_version"] is None:
        if apply:
            return _render(key, form, error=_("Choose the version the cases run and the version to move them to."),
                           status=400)
        return _render(key, form)
    pathways = services(current_app)
    try:
        mapping = migration.parse_mapping([line for line in form["map"].splitlines() if line.strip()])
        req = migration.Request(key, form["from_version"], form["to_version"], mapping)
        if apply:
            return _render(key, form, applied=migrations.apply(pathways.engine, g.user, req, policy=pathways.deployers))
        return _render(key, form, plan=migrations.dry_run(pathways.engine, g.user, req, policy=pathways.deployers))
    except (InvalidData, NotFound) as refused:
        fields = refused.details.get("fields")
        text = "; ".join(str(v) for v in fields.values()) if isinstance(fields, dict) else refused.message
        return _render(key, form, error=text, status=400)


@bp.get("/designer/<string:key>/migrate", endpoint="designer_migrate")
@login_required
def migrate_page(key: str) -> tuple[str, int]:
    """The form, and the dry run once the versions are chosen."""
    return _run(key, apply=False)


@bp.post("/designer/<string:key>/migrate", endpoint="designer_migrate_apply")
@login_required
def migrate_apply(key: str) -> tuple[str, int]:
    """Move the cases; the page shows what was done to each."""
    return _run(key, apply=True)
