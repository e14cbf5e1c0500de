"""Instance migration: move a pathway's running cases to another version.

    POST /api/v1/definitions/{key}/migrations   designer or admin whose agency may deploy the pathway:
                                                {from_version, to_version, map, dry_run}

`dry_run` (the default) answers what moving each running case of `from_version` would do, or why
it cannot; `dry_run: false` moves them (at most `tasks.migrations.HTTP_LIMIT` per request: send it
again for the rest, or use `pathways migrate`). Who may what: `pathways.tasks.migrations`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.errors import ErrorSchema
from pathways.api.migration_schemas import MigrationRequestSchema, MigrationResultSchema
from pathways.core import services
from pathways.engine.migration import Request
from pathways.tasks import migrations

blp = Blueprint("migrations", __name__, url_prefix="/api/v1/definitions",
                description="Instance migration: move running cases to a corrected version (designer, admin).")


@blp.route("/<string:key>/migrations", methods=["POST"])
@auth_required
@blp.arguments(MigrationRequestSchema)
@blp.response(200, MigrationResultSchema)
@blp.alt_response(400, schema=ErrorSchema, description="The same version twice, or a mapping naming unknown elements")
@blp.alt_response(403, schema=ErrorSchema, description="Needs the designer or admin role and an agency that "
                  "`workflows/deployers.toml` allows to deploy the pathway (refusals are audited)")
@blp.alt_response(404, schema=ErrorSchema, description="No such pathway or version")
def migrate(args: dict[str, Any], key: str) -> dict[str, Any]:
    """Dry run (default) or move the running cases of one version to another, case by case."""
    pathways = services(current_app)
    request = Request(key, args["from_version"], args["to_version"], dict(args["map"]))
    if args["dry_run"]:
        result = migrations.dry_run(pathways.engine, current_user(), request, policy=pathways.deployers)
    else:
        result = migrations.apply(pathways.engine, current_user(), request, policy=pathways.deployers)
    return {**result, "dry_run": args["dry_run"]}
