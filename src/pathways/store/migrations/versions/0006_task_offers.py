"""task_offers: the inbox queue of open, unclaimed tasks per role and participating agency

The inbox's "my roles' unclaimed tasks" had to test, for every open task of every case of the
user's agency, whether one of its roles is the user's (docs/benchmarks.md, "Inbox at scale": 162
ms p95 for the largest town's 16,000 open tasks). `task_offers` holds a row per open, unclaimed
task, role and agency the task is offered to, with the task's due time, priority and creation
time, so the question is one index range (`ix_task_offers_agency_role_due`).

The rows of tasks already open are filled here from `task_candidates` and `case_agencies`. A
role's agency kind is the part of its key before the dot (`ops.social_worker` is an OPS role):
the rule `workflows/roles.toml` states and `RoleVocabulary.load` enforces.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_offers",
        sa.Column("task_id", sa.String(36), sa.ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), primary_key=True),
        sa.Column("role", sa.String(64), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_task_offers_agency_role_due", "task_offers",
                    ["agency_id", "role", "due_at", "created_at", "priority", "task_id"])
    op.execute(
        "INSERT INTO task_offers (task_id, agency_id, role, due_at, priority, created_at) "
        "SELECT t.id, ca.agency_id, c.role, t.due_at, t.priority, t.created_at "
        "FROM human_tasks t "
        "JOIN task_candidates c ON c.task_id = t.id "
        "JOIN case_agencies ca ON ca.case_id = t.case_id "
        "JOIN agencies a ON a.id = ca.agency_id "
        "WHERE t.status = 'open' AND t.claimed_by IS NULL AND c.role LIKE lower(a.kind) || '.%'")


def downgrade() -> None:
    op.drop_index("ix_task_offers_agency_role_due", "task_offers")
    op.drop_table("task_offers")
