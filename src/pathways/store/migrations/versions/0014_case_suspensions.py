"""case_suspensions: the times a case was suspended and resumed

A suspended case's tasks can be neither claimed nor completed and its timers wait; at resume the
due times shift by the suspension's length or the overdue ones fire (`pathways.engine.lifecycle`,
`PATHWAYS_RESUME_TIMERS`). The open row (no `resumed_at`) is the current suspension.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_suspensions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("suspended_at", TZ, nullable=False),
        sa.Column("suspended_by", sa.String(64), nullable=False),
        sa.Column("resumed_at", TZ),
        sa.Column("resumed_by", sa.String(64)),
    )
    op.create_index("ix_case_suspensions_case_id", "case_suspensions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_suspensions_case_id", table_name="case_suspensions")
    op.drop_table("case_suspensions")
