"""FEEL becomes the expression language of DMN files: pathway_versions.dmn_language

DMN files that declare no `expressionLanguage` are FEEL from now on, as the DMN standard says.
Versions deployed before were built with Python expressions in their DMN cells, and their running
cases must keep deciding as they did: their column stays NULL, which the engine reads as Python.
Every version deployed from now on records "feel".

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pathway_versions", sa.Column("dmn_language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pathway_versions") as batch_op:
        batch_op.drop_column("dmn_language")
