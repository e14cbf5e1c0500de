"""inbox and search indexes: open tasks by case, cases by agency, candidates by role, beneficiary text

Measured on 100,000 cases and 1,000,000 task rows (benchmarks/scale_generate.py, docs/benchmarks.md
"Inbox at scale"): the inbox read every open task's heap row (a bitmap heap scan of ~25,000 pages)
to find the few of one agency; these indexes let PostgreSQL answer from indexes alone.

- `ix_human_tasks_open_case`: the open tasks only (a partial index, ~7% of the rows), by case,
  with the claimer, due time and id the views and counts test;
- `ix_case_agencies_agency_case`: an agency's cases without visiting the table;
- `ix_task_candidates_role_task`: the tasks offered to a role without visiting the table;
- PostgreSQL: statistics of (status, claimed_by) together: most open tasks are unclaimed, most
  others claimed, and the planner, taking the columns as independent, thought "open and
  unclaimed" ten times rarer than it is and chose to read the table;
- PostgreSQL: `ix_cases_beneficiary_trgm`, a trigram index for the case search's "text in the
  pseudonym" (`lower(beneficiary) LIKE '%...%'`), and `ix_cases_pathway_version_id` (the search's
  pathway-name match), when the pg_trgm extension is available.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index("ix_human_tasks_open_case", "human_tasks", ["case_id", "claimed_by", "due_at", "id"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_case_agencies_agency_case", "case_agencies", ["agency_id", "case_id"])
    op.create_index("ix_task_candidates_role_task", "task_candidates", ["role", "task_id"])
    op.create_index("ix_cases_pathway_version_id", "cases", ["pathway_version_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_human_tasks_status_claimed (mcv) ON status, claimed_by "
                   "FROM human_tasks")
        op.execute("ANALYZE human_tasks")
    if bind.dialect.name == "postgresql" and bind.scalar(
            sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_cases_beneficiary_trgm ON cases USING gin (lower(beneficiary) gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_beneficiary_trgm")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_human_tasks_status_claimed")
    op.drop_index("ix_cases_pathway_version_id", "cases")
    op.drop_index("ix_task_candidates_role_task", "task_candidates")
    op.drop_index("ix_case_agencies_agency_case", "case_agencies")
    op.drop_index("ix_human_tasks_open_case", "human_tasks")
