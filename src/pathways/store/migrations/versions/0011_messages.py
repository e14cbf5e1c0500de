"""messages between cases: what cases wait for (message_waits) and messages kept for later (pending_messages)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_waits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("key_index", sa.String(length=100), nullable=True),
    )
    op.create_index("ix_message_waits_case_id", "message_waits", ["case_id"])
    op.create_index("ix_message_waits_kind_name", "message_waits", ["kind", "name"])
    op.create_table(
        "pending_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=True),
        sa.Column("key_index", sa.String(length=100), nullable=True),
        sa.Column("target_case_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),  # sealed (SealedText)
        sa.Column("sealed_fields", sa.JSON(), nullable=False),
        sa.Column("source_case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=True),
        sa.Column("start_agencies", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_to", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_pending_messages_open", "pending_messages", ["kind", "name", "delivered_at"])
    op.create_index("ix_pending_messages_expires_at", "pending_messages", ["expires_at"])
    op.create_index("ix_pending_messages_source_case_id", "pending_messages", ["source_case_id"])


def downgrade() -> None:
    op.drop_table("pending_messages")
    op.drop_table("message_waits")
