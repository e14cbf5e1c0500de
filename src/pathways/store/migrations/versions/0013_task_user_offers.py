"""task_user_offers: `camunda:candidateUsers`, an open task offered to named users

A user task whose `camunda:candidateUsers` names users is offered to each named user who may
work it (exists, is active, works in an agency of the case holding one of the task's roles
there: `engine.candidate_users`), instead of to its roles' queue. A row per open task and user;
the inbox reads a user's rows by `ix_task_user_offers_user_due`. The rows stay while the task is
open (claimed or not: the inbox and the claim rule read the claim from the task), so a task given
back returns to the same users; closing the task removes them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_user_offers",
        sa.Column("task_id", sa.String(36), sa.ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_task_user_offers_user_due", "task_user_offers",
                    ["user_id", "due_at", "created_at", "priority", "task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_user_offers_user_due", "task_user_offers")
    op.drop_table("task_user_offers")
