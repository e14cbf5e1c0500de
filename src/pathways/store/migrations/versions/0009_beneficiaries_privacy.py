"""beneficiaries and data protection: people, identities, legal bases, consents, bases on case agencies

A case now references a registered person (`cases.beneficiary_id`); the person's identity is held
apart, sealed (`identities`). Each participating agency of a case records the legal basis it takes
part on (`case_agencies.basis`, `consent_id`, `statute`), from the person's `consents` or the list
of statutory `legal_bases` an admin keeps (seeded here with the acts the partnerships work under).
`audit_log.beneficiary_id` lets a person's access log be read (art. 15). `cases.anonymised_at`
marks cases whose identifying values retention or erasure wiped.

Sealing needs no column change: sealed values are text in the same columns (`store/sealed.py`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

#: code, title, reference, GDPR provisions: the starting list; admins add and retire bases
LEGAL_BASES = [
    ("social_assistance_act", "Zadania pomocy społecznej (ustawa o pomocy społecznej)",
     "ustawa z dnia 12 marca 2004 r. o pomocy społecznej, art. 23, art. 100-101",
     "art. 6(1)(c) and (e), art. 9(2)(b) and (h)"),
    ("labour_market_act", "Usługi rynku pracy (ustawa o rynku pracy i służbach zatrudnienia)",
     "ustawa z dnia 20 marca 2025 r. o rynku pracy i służbach zatrudnienia",
     "art. 6(1)(c) and (e), art. 9(2)(b)"),
    ("domestic_violence_act", "Przeciwdziałanie przemocy domowej (procedura Niebieskie Karty)",
     "ustawa z dnia 29 lipca 2005 r. o przeciwdziałaniu przemocy domowej, art. 9a-9d",
     "art. 6(1)(c) and (e), art. 9(2)(g)"),
    ("esf_monitoring", "Monitorowanie projektu EFS+ przez partnerstwo",
     "rozporządzenie (UE) 2021/1060, art. 4 i 72; rozporządzenie (UE) 2021/1057, art. 17",
     "art. 6(1)(c) and (e), art. 9(2)(g)"),
]


def upgrade() -> None:
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pseudonym", sa.String(16), nullable=False, unique=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False, index=True),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("registered_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("erased_at", TZ),
    )
    op.create_table(
        "identities",
        sa.Column("beneficiary_id", sa.Integer(), sa.ForeignKey("beneficiaries.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("pesel_index", sa.String(64), index=True),
        sa.Column("updated_at", TZ, nullable=False),
    )
    bases = op.create_table(
        "legal_bases",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(500), nullable=False),
        sa.Column("gdpr", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    now = datetime.now(UTC)
    op.bulk_insert(bases, [{"code": c, "title": t, "reference": r, "gdpr": g, "active": True, "created_at": now}
                           for c, t, r, g in LEGAL_BASES])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("beneficiary_id", sa.Integer(), sa.ForeignKey("beneficiaries.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("identity_shared", sa.Boolean(), nullable=False),
        sa.Column("given_on", TZ, nullable=False),
        sa.Column("taken_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("withdrawn_at", TZ),
        sa.Column("withdrawn_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("withdrawal_note", sa.String(500)),
    )
    # Columns only, never a copy of the table: on SQLite a batch "move and copy" of `cases` would drop
    # the old table, and with foreign keys on that deletes every task, event and offer of every case.
    _add_reference("cases", "beneficiary_id", sa.Integer(), "beneficiaries", "id", "fk_cases_beneficiary_id")
    op.add_column("cases", sa.Column("anonymised_at", TZ, nullable=True))
    op.create_index("ix_cases_beneficiary_id", "cases", ["beneficiary_id"])
    op.add_column("case_agencies", sa.Column("basis", sa.String(16), nullable=True))
    _add_reference("case_agencies", "consent_id", sa.Integer(), "consents", "id", "fk_case_agencies_consent_id")
    _add_reference("case_agencies", "statute", sa.String(64), "legal_bases", "code", "fk_case_agencies_statute")
    op.add_column("case_agencies", sa.Column("added_at", TZ, nullable=True))
    op.add_column("case_agencies", sa.Column("added_by", sa.String(64), nullable=True))
    op.create_index("ix_case_agencies_consent_id", "case_agencies", ["consent_id"])
    op.add_column("audit_log", sa.Column("beneficiary_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_beneficiary_id", "audit_log", ["beneficiary_id"])


def _add_reference(table: str, column: str, type_: sa.types.TypeEngine[Any], target: str, target_column: str,
                   name: str) -> None:
    """A nullable column referencing `target`: SQLite declares the reference in ADD COLUMN itself."""
    if op.get_bind().dialect.name == "sqlite":
        kind = type_.compile(dialect=op.get_bind().dialect)
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind} "
                   f"CONSTRAINT {name} REFERENCES {target} ({target_column})")
        return
    op.add_column(table, sa.Column(column, type_, nullable=True))
    op.create_foreign_key(name, table, target, [column], [target_column])

def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column that references another table, and copying `cases` to drop it
        # would cascade-delete every case's rows: restore the backup taken before the upgrade instead.
        raise RuntimeError("0009 cannot be downgraded on SQLite: restore the database backup made before upgrading")
    op.drop_index("ix_audit_log_beneficiary_id", table_name="audit_log")
    op.drop_column("audit_log", "beneficiary_id")
    op.drop_index("ix_case_agencies_consent_id", table_name="case_agencies")
    op.drop_index("ix_cases_beneficiary_id", table_name="cases")
    op.drop_constraint("fk_case_agencies_statute", "case_agencies", type_="foreignkey")
    op.drop_constraint("fk_case_agencies_consent_id", "case_agencies", type_="foreignkey")
    op.drop_constraint("fk_cases_beneficiary_id", "cases", type_="foreignkey")
    for column in ("added_by", "added_at", "statute", "consent_id", "basis"):
        op.drop_column("case_agencies", column)
    op.drop_column("cases", "anonymised_at")
    op.drop_column("cases", "beneficiary_id")
    op.drop_table("consents")
    op.drop_table("legal_bases")
    op.drop_table("identities")
    op.drop_table("beneficiaries")
