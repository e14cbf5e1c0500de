"""SQLAlchemy models: the persistent state of pathways.

A case's workflow snapshot (instance state only) sits beside derived, queryable rows — human
tasks, timers, the stage history and the event log — and all of them change in one transaction.
Definitions are stored once, by content hash, and shared by every case that runs them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pathways.base import clock
from pathways.store.sealed import SealedText, SealedValues


def _now() -> datetime:
    return clock.now()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # OPS, PUP, NGO, SUPERVISION
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class DefinitionBlob(Base):
    """One BPMN or DMN file's exact bytes, stored once by SHA-256."""

    __tablename__ = "definition_blobs"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class PathwayVersion(Base):
    """A deployed, executable process: version N of pathway `key`, built from `files`."""

    __tablename__ = "pathway_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    bundle_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[list[Any]] = mapped_column()  # blob hashes, main file first
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: who deployed it: a username (API, designer page) or `cli:<os user>`; None before 0008
    deployed_by: Mapped[str | None] = mapped_column(String(64))
    #: the expression language of its DMN files that declare none: "feel" (set by `engine.deploy`);
    #: None for versions deployed before 0010, whose DMN files were written in Python (docs/decisions.md)
    dmn_language: Mapped[str | None] = mapped_column(String(16))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_key_status_stage", "pathway_key", "status", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_version_id: Mapped[int] = mapped_column(ForeignKey("pathway_versions.id"), index=True)
    pathway_key: Mapped[str] = mapped_column(String(200))
    beneficiary: Mapped[str] = mapped_column(String(200), default="")  # the person's pseudonym, never a name
    #: the registered person the case is for (None: a case started without one, or before 0009)
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    #: when retention or an erasure request wiped what could identify the person (privacy/retention.py)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, completed, cancelled, closed
    stage: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    pathway_version: Mapped[PathwayVersion] = relationship(lazy="joined")
    agency_rows: Mapped[list[CaseAgency]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    state_row: Mapped[CaseState] = relationship(cascade="all, delete-orphan", lazy="select")

    __mapper_args__ = {"version_id_col": version}

    @property
    def agency_ids(self) -> set[int]:
        return {a.agency_id for a in self.agency_rows}


class CaseAgency(Base):
    """An agency participating in a case: its users may see the case and be offered its tasks.

    `basis` records why it may (GDPR art. 6 and 9): `own` (the agency that started the case, under
    its own mandate), `consent` (the person's `consent_id`) or `statute` (a `legal_bases` code the
    admin keeps). Rows written by the engine alone (tests, before 0009) have none.
    """

    __tablename__ = "case_agencies"
    __table_args__ = (Index("ix_case_agencies_agency_case", "agency_id", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    basis: Mapped[str | None] = mapped_column(String(16))  # own, consent, statute
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"), index=True)
    statute: Mapped[str | None] = mapped_column(ForeignKey("legal_bases.code"))
    added_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str | None] = mapped_column(String(64))


class CaseState(Base):
    """The SpiffWorkflow instance state of a case, without the process definition."""

    __tablename__ = "case_states"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(SealedText)  # JSON, written by pathways.engine.state; sealed at rest


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_status_due", "status", "due_at"),
        Index("ix_human_tasks_claimed", "claimed_by", "status"),
        # the open tasks only (a few percent of the rows), by case, with what the inbox tests
        Index("ix_human_tasks_open_case", "case_id", "claimed_by", "due_at", "id",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column()
    stage: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, completed, cancelled
    priority: Mapped[int] = mapped_column(Integer, default=50)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    candidate_rows: Mapped[list[TaskCandidate]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class TaskCandidate(Base):
    """One role a human task is offered to (indexed, for the inbox query)."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_role_task", "role", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class TaskOffer(Base):
    """An open, unclaimed task waiting in the inbox of one role in one participating agency.

    The inbox's queue: a row exists exactly while its task is open and unclaimed, for each of the
    task's roles and each agency of the case whose kind is the role's kind (the rule of
    `tasks/offers.py`). The engine writes and removes rows as tasks open and close; claiming
    removes them and unclaiming puts them back (`tasks/work.py`). The due time, priority and
    creation time are copied from the task (none of them changes) so that "my roles' unclaimed
    tasks, by due date" reads one index range of one agency.
    """

    __tablename__ = "task_offers"
    __table_args__ = (Index("ix_task_offers_agency_role_due", "agency_id", "role", "due_at", "created_at", "priority",
                            "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Timer(Base):
    """A waiting timer; the row exists exactly while the timer waits."""

    __tablename__ = "timers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Set while a worker holds the due timer (`Engine.fire_due_timers` claims a batch, then advances
    # each case in its own transaction); a claim left by a stopped worker lapses at this time.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StageVisit(Base):
    __tablename__ = "stage_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEvent(Base):
    """The append-only log: who did what to a case, when, with the data before and after."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    # sensitive values inside are sealed (`Sealed` markers, written by the engine), the rest plain JSON
    before: Mapped[dict[str, Any] | None] = mapped_column(SealedValues)
    after: Mapped[dict[str, Any] | None] = mapped_column(SealedValues)


class Measure(Base):
    """One countable fact a pathway recorded: service hours, a benefit paid, an outcome reached.

    Written by the engine in the same transaction as the task completion or element that produced
    it (see `pathways.engine.measures`), so reports sum rows instead of replaying case data.
    `kind` is `hours`, `benefit` or `outcome`; `key` is the role key (hours), the benefit kind
    (benefit) or the outcome name (outcome); `value` is hours, PLN, or 1.
    """

    __tablename__ = "measures"
    __table_args__ = (Index("ix_measures_kind_key", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    agency_kind: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored; it expires and can be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in page session: the cookie carries a random id, only its SHA-256 is stored.

    Deleting the row ends the session on the server (logout, disabling the user, a new password),
    whatever copy of the cookie is still around. `last_seen_at` moves at most once a minute.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed logins of one account name or one client address in the current window.

    `key` is the SHA-256 of `account:<name as typed, casefolded>` or `address:<ip>`, so the table
    holds neither typed names nor addresses; names that match no user are counted like real ones.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who read or wrote which case data, signed in, was refused, when (append-only; tasks/audit.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40))  # e.g. case.read, task.complete, definition.deploy
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    #: the person whose record was read or written (identity reads, searches, consents, exports)
    beneficiary_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column()


class TaskComment(Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    text: Mapped[str] = mapped_column(SealedText)  # free text may name anyone: sealed at rest


class Beneficiary(Base):
    """A person served by one or more cases, known to most users by a pseudonym only.

    The pseudonym (`B-7K3Q-9M`, `pathways.privacy.pseudonyms`) is generated, never typed. The
    registering agency sees the identity; other agencies only where the person consented to share
    it with them (`Consent.identity_shared`). `status` is `active` or `erased` (identity gone).
    """

    __tablename__ = "beneficiaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Identity(Base):
    """Who a beneficiary is (name, PESEL, date of birth, contact, address), held apart from case data.

    `sealed` is the JSON of those fields as one token bound to the person's pseudonym; `pesel_index`
    a blind index (`KeyRing.index`) so a PESEL already known can be found without storing it.
    """

    __tablename__ = "identities"

    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="CASCADE"),
                                                primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    pesel_index: Mapped[str | None] = mapped_column(String(64), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class LegalBasis(Base):
    """A statutory basis for sharing a case with an agency, from the list an admin keeps."""

    __tablename__ = "legal_bases"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    #: the act and article, e.g. "ustawa z dnia 12 marca 2004 r. o pomocy społecznej, art. 23"
    reference: Mapped[str] = mapped_column(String(500), default="")
    #: the GDPR provisions it rests on, e.g. "art. 6(1)(c), art. 9(2)(b)"
    gdpr: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Consent(Base):
    """A person's consent to share their case data with one agency, for one purpose, until withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: the case it was given for (None: any case of the person)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(String(500))
    identity_shared: Mapped[bool] = mapped_column(default=False)
    given_on: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_note: Mapped[str | None] = mapped_column(String(500))


class Incident(Base):
    """Background work of a case that kept failing and now waits for an administrator (`engine.incidents`).

    Holds ids, the element, the error's kind and class and a log reference: never a case value
    nor an exception's text (either may quote the data, and the list is read across a partnership).
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_element", "status", "element_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: what kind of background work failed: "timer" (a timer fired), "message" (a delivery)
    source: Mapped[str] = mapped_column(String(16))
    #: the element that failed (the script or gateway), else the timer's element
    element_id: Mapped[str] = mapped_column(String(200))
    #: the error's stable code (`script_error`, `limit_exceeded`, `internal_error`) and its class name
    error_kind: Mapped[str] = mapped_column(String(40))
    error_class: Mapped[str] = mapped_column(String(100))
    #: the server log's reference of the last failure (its traceback is logged under it)
    reference: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: open, resolved (a retry succeeded) or cancelled (the case was cancelled or ended)
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
class MessageWait(Base):
    """A message or signal a case waits for now (`pathways.engine.postbox` keeps these rows with the snapshot).

    `key_index` is the blind index of the case's value of the catch's `correlation` field, never the value."""

    __tablename__ = "message_waits"
    __table_args__ = (Index("ix_message_waits_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # message | signal
    name: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(200))
    key_index: Mapped[str | None] = mapped_column(String(100))


class PendingMessage(Base):
    """A message (or a signal a case threw) not yet delivered: kept until a case waits for it or it expires.

    A case's thrown message is written in the thrower's transaction and delivered after the commit
    (`pathways.engine.messages`); one nobody waits for stays here, its payload sealed."""

    __tablename__ = "pending_messages"
    __table_args__ = (Index("ix_pending_messages_open", "kind", "name", "delivered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # message | signal
    name: Mapped[str] = mapped_column(String(200))
    key_name: Mapped[str | None] = mapped_column(String(200))  # the correlation key's name (never its value)
    key_index: Mapped[str | None] = mapped_column(String(100))  # the blind index of its value
    target_case_id: Mapped[int | None] = mapped_column(Integer)  # a `case_id` correlation: the case meant
    payload: Mapped[str] = mapped_column(SealedText)  # JSON of the payload, sealed as a whole
    sealed_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)  # sealed in the receivers' timelines
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    sender: Mapped[str] = mapped_column(String(64))
    #: agency ids whose cases it may reach (None: any, a case's throw or an integration's message)
    audience: Mapped[list[Any] | None] = mapped_column(JSON)
    #: agency codes a case it starts takes part in
    start_agencies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_to: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the case ids it reached
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))  # an error code, never a case value
    #: set while one process delivers it (`pathways.engine.messages.deliver_pending`); a claim left by a
    #: stopped process lapses at this time
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
class TaskUserOffer(Base):
    """An open task offered to one named user (`camunda:candidateUsers`, `engine.candidate_users`).

    A task with such rows waits in those users' inboxes and in no role's queue (it has no
    `task_offers` rows), and only they may claim it. The rows live while the task is open; whether
    it is claimed is read from the task. Due time, priority and creation are copied from the task
    for the inbox's index, as in `task_offers`.
    """

    __tablename__ = "task_user_offers"
    __table_args__ = (Index("ix_task_user_offers_user_due", "user_id", "due_at", "created_at", "priority",
                            "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseSuspension(Base):
    """A time a case was suspended (`pathways.engine.lifecycle`): its tasks wait, its timers wait.

    The open row (`resumed_at` None) is the case's current suspension; its length moves the due
    times at resume (`PATHWAYS_RESUME_TIMERS=shift`). The note why is sealed in the case's
    `CaseSuspended` event, not here.
    """

    __tablename__ = "case_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    suspended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    suspended_by: Mapped[str] = mapped_column(String(64))
    resumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resumed_by: Mapped[str | None] = mapped_column(String(64))


class SavedFilter(Base):
    """An inbox filter a user saved under a name (`pathways.tasks.saved_filters`), maybe shared with their agency.

    `query` holds the filter's fields only (view, pathway, stage, role, due, agency, q), never a
    page; a shared filter is run for each colleague with *their* inbox and visibility.
    """

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("owner_id", "name"), Index("ix_saved_filters_agency_shared", "agency_id",
                                                                  "shared"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the owner's agency when saved: a shared filter is offered to this agency's users only
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column()
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Substitution(Base):
    """`substitute` works `absent`'s claimed tasks from `starts_at` until `ends_at` (`pathways.tasks.substitutes`).

    Both are users of one agency; `ended_at` is set when the absence is called off early.
    """

    __tablename__ = "substitutions"
    __table_args__ = (Index("ix_substitutions_substitute_period", "substitute_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    absent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
