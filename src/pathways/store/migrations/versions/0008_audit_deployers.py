"""audit view and deploy records: pathway_versions.deployed_by, audit_log indexes for its filters

The audit view filters the log by user and by action over a period (newest first); the case
filter already has `ix_audit_log_case_id` and the period `ix_audit_log_at`. `deployed_by` names
who deployed each version (a username, or `cli:<os user>`); versions deployed before stay empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pathway_versions") as batch_op:
        batch_op.add_column(sa.Column("deployed_by", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_username", "audit_log", ["username"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_username", table_name="audit_log")
    with op.batch_alter_table("pathway_versions") as batch_op:
        batch_op.drop_column("deployed_by")
