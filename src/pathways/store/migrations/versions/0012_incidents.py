"""incidents: background work of a case that kept failing, waiting for an administrator

A timer whose firing fails `PATHWAYS_INCIDENT_ATTEMPTS` times in a row (with back-off) opens an
incident on its case (`pathways.engine.incidents`); the case's timers stop until an admin retries
or cancels. The row holds ids, the element, the error's code and class and a log reference only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("error_kind", sa.String(40), nullable=False),
        sa.Column("error_class", sa.String(100), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", TZ),
        sa.Column("closed_by", sa.String(64)),
    )
    op.create_index("ix_incidents_case_id", "incidents", ["case_id"])
    op.create_index("ix_incidents_status_element", "incidents", ["status", "element_id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_status_element", table_name="incidents")
    op.drop_index("ix_incidents_case_id", table_name="incidents")
    op.drop_table("incidents")
