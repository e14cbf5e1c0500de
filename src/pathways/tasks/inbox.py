"""The inbox: the open tasks a case worker may work, filtered, sorted and paged in the database.

A task is in a user's inbox when it is open, its case has the user's agency among its agencies,
and it is either claimed by the user or offered to them and still unclaimed. Offered means one of
the task's roles (`task_candidates`) is a role the user holds whose agency kind is the kind of
the user's agency (the rule of `tasks/offers.py`). A page is one SQL query, the total one more;
`counts` answers every view's count in one query.

Views: `all` (mine + my roles' unclaimed, the default), `mine` (claimed by me), `unclaimed`,
`overdue` (due before now), `due_today` (due during today's calendar day in `TIMEZONE`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from pathways.engine import clock
from pathways.engine.errors import InvalidData
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Agency, Case, CaseAgency, HumanTask, PathwayVersion, TaskCandidate, User
from pathways.tasks import audit

VIEWS = ("all", "mine", "unclaimed", "overdue", "due_today")
SORTS = ("due", "priority", "created", "name")
MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1  # case ids and numbers beyond a database integer are refused, not sent
TIMEZONE = ZoneInfo("Europe/Warsaw")  # "today" is the case workers' calendar day


@dataclass(frozen=True)
class InboxQuery:
    view: str = "all"
    pathway: str | None = None
    stage: str | None = None
    case_id: int | None = None
    priority_min: int | None = None
    q: str | None = None
    sort: str = "due"
    order: str | None = None  # asc | desc; default: desc for priority, asc otherwise
    page: int = 1
    per_page: int = 25

    def check(self) -> None:
        problems = {}
        if self.view not in VIEWS:
            problems["view"] = f"must be one of: {', '.join(VIEWS)}"
        if self.sort not in SORTS:
            problems["sort"] = f"must be one of: {', '.join(SORTS)}"
        if self.order not in (None, "asc", "desc"):
            problems["order"] = "must be asc or desc"
        if self.page < 1:
            problems["page"] = "must be at least 1"
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"must be between 1 and {MAX_PER_PAGE}"
        if self.page > MAX_ID // MAX_PER_PAGE:
            problems["page"] = "is too large"
        for name in ("case_id", "priority_min"):
            value = getattr(self, name)
            if value is not None and not -MAX_ID <= value <= MAX_ID:
                problems[name] = "is out of range"
        if problems:
            raise InvalidData("the inbox query is not valid", fields=problems)


@dataclass(frozen=True)
class InboxPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int


# -- who sees what -------------------------------------------------------------------------------
def agency_kind(s: Session, user: User) -> str:
    """The kind of the user's agency (no query when the user came with the agency loaded)."""
    loaded = user.__dict__.get("agency")
    if isinstance(loaded, Agency):
        return loaded.kind
    return s.scalars(select(Agency.kind).where(Agency.id == user.agency_id)).one()


def offered_roles(user: User, kind: str, vocabulary: RoleVocabulary) -> set[str]:
    """The user's roles that can be offered tasks: those of their agency's kind."""
    return {role for role in user.roles if vocabulary.agency_kind(role) == kind}


@dataclass(frozen=True)
class _Conditions:
    visible: ColumnElement[bool]
    mine: ColumnElement[bool]
    unclaimed: ColumnElement[bool]
    overdue: ColumnElement[bool]
    due_today: ColumnElement[bool]

    @property
    def all(self) -> ColumnElement[bool]:
        return or_(self.mine, self.unclaimed)

    def view(self, name: str) -> ColumnElement[bool]:
        if name in ("mine", "unclaimed"):
            return self.mine if name == "mine" else self.unclaimed
        if name in ("overdue", "due_today"):
            return and_(self.all, self.overdue if name == "overdue" else self.due_today)
        return self.all


def _conditions(user: User, roles: set[str], now: datetime) -> _Conditions:
    offered: ColumnElement[bool] = exists().where(
        TaskCandidate.task_id == HumanTask.id, TaskCandidate.role.in_(sorted(roles))) if roles else false()
    local_day = now.astimezone(TIMEZONE).date()
    start = datetime.combine(local_day, time(0), TIMEZONE)
    end = datetime.combine(local_day + timedelta(days=1), time(0), TIMEZONE)
    return _Conditions(
        visible=and_(HumanTask.status == "open", exists().where(
            CaseAgency.case_id == HumanTask.case_id, CaseAgency.agency_id == user.agency_id)),
        mine=HumanTask.claimed_by == user.id,
        unclaimed=and_(HumanTask.claimed_by.is_(None), offered),
        overdue=HumanTask.due_at < now,
        due_today=and_(HumanTask.due_at >= _utc(start), HumanTask.due_at < _utc(end)),
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _filters(query: InboxQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.pathway:
        found.append(Case.pathway_key == query.pathway)
    if query.stage:
        found.append(HumanTask.stage == query.stage)
    if query.case_id is not None:
        found.append(HumanTask.case_id == query.case_id)
    if query.priority_min is not None:
        found.append(HumanTask.priority >= query.priority_min)
    if query.q and query.q.strip():
        pattern = "%" + _escape_like(query.q.strip()) + "%"
        found.append(or_(HumanTask.name.ilike(pattern, escape="\\"), Case.beneficiary.ilike(pattern, escape="\\")))
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(query: InboxQuery) -> list[Any]:
    desc = (query.order or ("desc" if query.sort == "priority" else "asc")) == "desc"

    def direction(column: Any) -> Any:
        return column.desc() if desc else column.asc()

    keys: list[Any] = []
    if query.sort == "due":  # no due date: last (NULLS LAST, so the open-task index gives the order)
        keys = [direction(HumanTask.due_at).nulls_last()]
    elif query.sort == "priority":
        keys = [direction(HumanTask.priority), HumanTask.due_at.asc().nulls_last()]
    elif query.sort == "name":
        keys = [direction(HumanTask.name)]
    return [*keys, direction(HumanTask.created_at), direction(HumanTask.id)]


# -- the queries ---------------------------------------------------------------------------------
def _base(columns: list[Any], where: list[ColumnElement[bool]], query: InboxQuery | None = None) -> Select[Any]:
    """The tasks matching `where`; joined to their case for a page, or for a count whose filters need it."""
    found = select(*columns).select_from(HumanTask)
    if query is None or query.pathway or (query.q and query.q.strip()):
        found = found.join(Case, Case.id == HumanTask.case_id)
    return found.where(*where)


def list_tasks(s: Session, user: User, vocabulary: RoleVocabulary, query: InboxQuery) -> InboxPage:
    """One page of the user's inbox and the total (two queries)."""
    query.check()
    now = clock.now()
    cond = _conditions(user, offered_roles(user, agency_kind(s, user), vocabulary), now)
    where = [cond.visible, cond.view(query.view), *_filters(query)]
    claimer = User.__table__.alias("claimer")
    overdue = case((and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now), True), else_=False)
    columns = [
        HumanTask.id, HumanTask.name, HumanTask.element_id, HumanTask.case_id, Case.beneficiary,
        Case.pathway_key, PathwayVersion.name.label("pathway_name"), HumanTask.stage, HumanTask.roles,
        HumanTask.priority, HumanTask.due_at, overdue.label("overdue"), HumanTask.created_at,
        claimer.c.username.label("claimed_by"), HumanTask.claimed_at,
    ]
    page_query = (
        _base(columns, where)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .outerjoin(claimer, claimer.c.id == HumanTask.claimed_by)
        .order_by(*_order(query)).limit(query.per_page).offset((query.page - 1) * query.per_page)
    )
    items = [_row(r._mapping) for r in s.execute(page_query)]
    total = s.scalar(_base([func.count()], where, query)) or 0
    return InboxPage(items, int(total), query.page, query.per_page)


def _row(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "element": row["element_id"], "case_id": row["case_id"],
        "beneficiary": row["beneficiary"], "pathway": row["pathway_key"], "pathway_name": row["pathway_name"],
        "stage": row["stage"], "roles": list(row["roles"] or []), "priority": row["priority"],
        "due_at": clock_aware(row["due_at"]), "overdue": bool(row["overdue"]),
        "created_at": clock_aware(row["created_at"]), "claimed_by": row["claimed_by"],
        "claimed_at": clock_aware(row["claimed_at"]),
    }


def clock_aware(value: datetime | None) -> datetime | None:
    """Stored times are UTC; SQLite hands them back naive."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def count_tasks(s: Session, user: User, vocabulary: RoleVocabulary, query: InboxQuery | None = None,
                ) -> dict[str, int]:
    """How many tasks each view holds (one query); the filters of `query` apply, its view not."""
    query = query or InboxQuery()
    cond = _conditions(user, offered_roles(user, agency_kind(s, user), vocabulary), clock.now())
    counts = [func.count(case((cond.view(view), 1))).label(view) for view in VIEWS]
    row = s.execute(_base(counts, [cond.visible, cond.all, *_filters(query)], query)).one()
    return {view: int(row._mapping[view] or 0) for view in VIEWS}


# -- the service functions the API calls ---------------------------------------------------------
def inbox(store: Store, user: User, vocabulary: RoleVocabulary, query: InboxQuery) -> InboxPage:
    """The user's inbox page; the read is audited (`task.list`) with the cases it showed."""
    with store.unit_of_work(write=False) as uow:
        page = list_tasks(uow.session, user, vocabulary, query)
    shown = sorted({item["case_id"] for item in page.items})
    filters = {k: v for k, v in asdict(query).items() if v is not None}
    audit.record_read(store, user, "task.list", detail={"query": filters, "total": page.total, "cases": shown})
    return page


def counts(store: Store, user: User, vocabulary: RoleVocabulary, query: InboxQuery | None = None) -> dict[str, int]:
    """Counts per view. Not audited: numbers only, no case data (a UI polls them)."""
    with store.unit_of_work(write=False) as uow:
        return count_tasks(uow.session, user, vocabulary, query)
