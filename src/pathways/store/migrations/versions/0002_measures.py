"""measures: service hours, benefits paid and outcomes recorded by pathways

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Numeric(14, 2), nullable=False),
        sa.Column("agency_kind", sa.String(length=16), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_measures_case_id", "measures", ["case_id"])
    op.create_index("ix_measures_at", "measures", ["at"])
    op.create_index("ix_measures_kind_key", "measures", ["kind", "key"])


def downgrade() -> None:
    op.drop_table("measures")
