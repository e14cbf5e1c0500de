"""saved inbox filters and substitutions (issue 18, people)

`saved_filters`: an inbox filter saved under a name by a user, maybe shared with their agency.
`substitutions`: a user names a colleague of their agency to work their claimed tasks for a period.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("owner_id", "name"),
    )
    op.create_index("ix_saved_filters_agency_shared", "saved_filters", ["agency_id", "shared"])
    op.create_table(
        "substitutions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("absent_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("substitute_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("ended_at", TZ),
    )
    op.create_index("ix_substitutions_absent_id", "substitutions", ["absent_id"])
    op.create_index("ix_substitutions_substitute_period", "substitutions", ["substitute_id", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_substitutions_substitute_period", table_name="substitutions")
    op.drop_index("ix_substitutions_absent_id", table_name="substitutions")
    op.drop_table("substitutions")
    op.drop_index("ix_saved_filters_agency_shared", table_name="saved_filters")
    op.drop_table("saved_filters")
