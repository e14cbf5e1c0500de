"""The models and the migrations describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pathways.store.db import Store
from pathways.store.models import Base

#: Created by migration 0005 only where PostgreSQL has pg_trgm; an expression index the models leave out.
OPTIONAL = {"ix_cases_beneficiary_trgm"}


def test_models_match_the_migrated_database(store: Store) -> None:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return name not in OPTIONAL

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "models.py and the migrations differ: " + repr(differences)
