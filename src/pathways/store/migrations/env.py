"""Alembic environment: runs migrations on the connection `pathways.store.schema` hands over."""

from alembic import context

from pathways.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `pathways db upgrade` (pathways.store.schema.upgrade)")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
