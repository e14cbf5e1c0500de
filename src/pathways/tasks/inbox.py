"""The inbox: the open tasks a case worker may work, filtered, sorted and paged in the database.

A task is in a user's inbox when it is open, its case has the user's agency among its agencies,
and it is either claimed by the user or offered to them and still unclaimed. Offered means one of
the task's roles is a role the user holds whose agency kind is the kind of the user's agency (the
rule of `tasks/offers.py`); `task_offers` holds exactly those open, unclaimed tasks per role and
agency, so the inbox reads them by index instead of testing every open task of the agency's cases.
A page is one SQL query, the total one more; `counts` answers every view's count in one query.

Views: `all` (mine + my roles' unclaimed, the default), `mine` (claimed by me), `unclaimed`,
`overdue` (due before now), `due_today` (due during today's calendar day in `TIMEZONE`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select, true, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select, Subquery

from pathways.base import clock
from pathways.engine.errors import InvalidData
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import (
    Agency,
    Case,
    CaseAgency,
    HumanTask,
    PathwayVersion,
    TaskCandidate,
    TaskOffer,
    TaskUserOffer,
    User,
)
from pathways.tasks import audit, candidates, substitutes
from pathways.tasks.access import held_roles
from pathways.tasks.bounds import check_texts

VIEWS = ("all", "mine", "unclaimed", "overdue", "due_today")
SORTS = ("due", "priority", "created", "name")
MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1  # case ids and numbers beyond a database integer are refused, not sent
TIMEZONE = clock.WARSAW  # "today" is the case workers' calendar day


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
    role: str | None = None  # offered for this role (a role key)
    agency: str | None = None  # the case has this agency (its code) among its agencies
    due_by: date | None = None  # due on or before this calendar day (in `TIMEZONE`)

    def check(self) -> None:
        check_texts({"pathway": self.pathway, "stage": self.stage, "q": self.q, "role": self.role,
                     "agency": self.agency})
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


_KeyRows = Select[str, datetime | None, datetime, int, bool]  # id, due_at, created_at, priority, mine


@dataclass(frozen=True)
class _Views:
    """Each view's tasks, for one user at one moment, as rows `(id, due_at, created_at, priority, mine)`.

    A view's tasks are the user's own open claims (a few rows, by `ix_human_tasks_claimed`) and
    the tasks waiting for their roles in their agency (`task_offers`: one range of
    `ix_task_offers_agency_role_due` per role, read from the index alone). A view's due-time
    window applies inside both, so "overdue" reads only overdue offers. The rows carry what the
    sorts by due time, priority and creation need, so a page is chosen before any task row is read.
    """

    user: User
    roles: set[str]
    now: datetime

    def _mine(self, view: str) -> _KeyRows:
        # the user's claims and those of the users they stand in for now (`tasks/substitutes.py`), in the
        # same statement: `IN (user, absent...)` reads `ix_human_tasks_claimed` once per claimer
        claimer = HumanTask.claimed_by.in_(substitutes.claimers(self.user, self.now))
        return select(HumanTask.id.label("id"), HumanTask.due_at, HumanTask.created_at, HumanTask.priority,
                      true().label("mine")).where(
            claimer, HumanTask.status == "open", *self.window(view, HumanTask.due_at),
            exists().where(CaseAgency.case_id == HumanTask.case_id, CaseAgency.agency_id == self.user.agency_id))

    def _offered(self, view: str) -> _KeyRows:
        return select(TaskOffer.task_id.label("id"), TaskOffer.due_at, TaskOffer.created_at, TaskOffer.priority,
                      false().label("mine")).where(
            TaskOffer.agency_id == self.user.agency_id, TaskOffer.role.in_(sorted(self.roles)),
            *self.window(view, TaskOffer.due_at))

    def window(self, view: str, column: Any) -> list[ColumnElement[bool]]:
        """The due-time condition of a view (none for mine, unclaimed and all)."""
        if view == "overdue":
            return [column < self.now]
        if view == "due_today":
            local_day = self.now.astimezone(TIMEZONE).date()
            start = datetime.combine(local_day, time(0), TIMEZONE)
            end = datetime.combine(local_day + timedelta(days=1), time(0), TIMEZONE)
            return [column >= start.astimezone(UTC), column < end.astimezone(UTC)]
        return []

    def keys(self, view: str) -> Subquery:
        """The view's rows; UNION drops the second row of a task offered for two of the user's roles.
        Tasks offered to the user by name (`tasks.candidates`) join the offered ones."""
        if view == "mine" or not self.roles:
            found = self._mine(view)
            return (found.where(false()) if view == "unclaimed" else found).subquery("k")
        named = candidates.inbox_rows(self.user, self.window(view, TaskUserOffer.due_at))
        if view == "unclaimed":
            return union(self._offered(view), named).subquery("k")
        return union(self._mine(view), self._offered(view), named).subquery("k")



def _views(s: Session, user: User, vocabulary: RoleVocabulary, now: datetime) -> _Views:
    return _Views(user, held_roles(user, vocabulary, agency_kind(s, user)), now)


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
    if query.role:
        found.append(exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.role == query.role))
    if query.agency:
        found.append(exists().where(CaseAgency.case_id == HumanTask.case_id, CaseAgency.agency_id == Agency.id,
                                    Agency.code == query.agency))
    if query.due_by is not None:
        end = datetime.combine(query.due_by + timedelta(days=1), time(0), TIMEZONE).astimezone(UTC)
        found.append(HumanTask.due_at < end)
    if query.q and query.q.strip():
        pattern = "%" + _escape_like(query.q.strip()) + "%"
        found.append(or_(HumanTask.name.ilike(pattern, escape="\\"), Case.beneficiary.ilike(pattern, escape="\\")))
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(query: InboxQuery, keys: Any) -> list[Any]:
    """ORDER BY of a page; `keys` has the sort columns (`id`, `due_at`, `created_at`, `priority`)."""
    desc = (query.order or ("desc" if query.sort == "priority" else "asc")) == "desc"

    def direction(column: Any) -> Any:
        return column.desc() if desc else column.asc()

    found: list[Any] = []
    if query.sort == "due":  # no due date: last
        found = [direction(keys.due_at).nulls_last()]
    elif query.sort == "priority":
        found = [direction(keys.priority), keys.due_at.asc().nulls_last()]
    elif query.sort == "name":
        found = [direction(HumanTask.name)]
    return [*found, direction(keys.created_at), direction(keys.id)]


# -- the queries ---------------------------------------------------------------------------------
def _chosen(keys: Subquery, query: InboxQuery) -> Select[Any]:
    """The ids of the view's tasks that pass the query's filters (the task and case are read only for those)."""
    chosen = select(keys.c.id).select_from(keys)
    filters = _filters(query)
    if filters or query.sort == "name":
        chosen = chosen.join(HumanTask, HumanTask.id == keys.c.id)
        if query.pathway or (query.q and query.q.strip()):
            chosen = chosen.join(Case, Case.id == HumanTask.case_id)
    return chosen.where(*filters)


def list_tasks(s: Session, user: User, vocabulary: RoleVocabulary, query: InboxQuery) -> InboxPage:
    """One page of the user's inbox and the total (two queries)."""
    query.check()
    now = clock.now()
    keys = _views(s, user, vocabulary, now).keys(query.view)
    chosen = _chosen(keys, query)
    page = (chosen.order_by(*_order(query, keys.c)).limit(query.per_page)
            .offset((query.page - 1) * query.per_page).subquery("page"))
    claimer = User.__table__.alias("claimer")
    overdue = case((and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now), True), else_=False)
    page_query = (
        select(HumanTask.id, HumanTask.name, HumanTask.element_id, HumanTask.case_id, Case.beneficiary,
               Case.pathway_key, PathwayVersion.name.label("pathway_name"), HumanTask.stage, HumanTask.roles,
               HumanTask.priority, HumanTask.due_at, overdue.label("overdue"), HumanTask.created_at,
               claimer.c.username.label("claimed_by"), HumanTask.claimed_at, Case.status.label("case_status"))
        .select_from(page).join(HumanTask, HumanTask.id == page.c.id)
        .join(Case, Case.id == HumanTask.case_id)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .outerjoin(claimer, claimer.c.id == HumanTask.claimed_by)
        .order_by(*_order(query, HumanTask))
    )
    items = [_row(r._mapping) for r in s.execute(page_query)]
    total = s.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    return InboxPage(items, int(total), query.page, query.per_page)


def _row(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "element": row["element_id"], "case_id": row["case_id"],
        "beneficiary": row["beneficiary"], "pathway": row["pathway_key"], "pathway_name": row["pathway_name"],
        "stage": row["stage"], "roles": list(row["roles"] or []), "priority": row["priority"],
        "due_at": clock.aware(row["due_at"]), "overdue": bool(row["overdue"]),
        "created_at": clock.aware(row["created_at"]), "claimed_by": row["claimed_by"],
        "claimed_at": clock.aware(row["claimed_at"]),
        "case_status": row["case_status"],  # `suspended`: the task waits (`engine.lifecycle`)
    }



def count_tasks(s: Session, user: User, vocabulary: RoleVocabulary, query: InboxQuery | None = None,
                ) -> dict[str, int]:
    """How many tasks each view holds (one query); the filters of `query` apply, its view not."""
    query = query or InboxQuery()
    views = _views(s, user, vocabulary, clock.now())
    keys = views.keys("all")
    within = {"all": true(), "mine": keys.c.mine, "unclaimed": not_(keys.c.mine),
              "overdue": and_(*views.window("overdue", keys.c.due_at)),
              "due_today": and_(*views.window("due_today", keys.c.due_at))}
    counts = [func.count(case((within[view], 1))).label(view) for view in VIEWS]
    chosen = _chosen(keys, replace(query, sort="due"))
    row = s.execute(chosen.with_only_columns(*counts, maintain_column_froms=True)).one()
    return {view: int(row._mapping[view] or 0) for view in VIEWS}


# -- the service functions the API calls ---------------------------------------------------------
def inbox(store: Store, user: User, vocabulary: RoleVocabulary, query: InboxQuery) -> InboxPage:
    """The user's inbox page; the read is audited (`task.list`) with the cases it showed."""
    with store.unit_of_work(write=False) as uow:
        page = list_tasks(uow.session, user, vocabulary, query)
        shown = sorted({item["case_id"] for item in page.items})
        audit.record_read(uow, user, "task.list", detail={"query": audit.filters(query), "total": page.total,
                                                          "cases": shown})
    return page


def counts(store: Store, user: User, vocabulary: RoleVocabulary, query: InboxQuery | None = None) -> dict[str, int]:
    """Counts per view. Not audited: numbers only, no case data (a UI polls them)."""
    with store.unit_of_work(write=False) as uow:
        return count_tasks(uow.session, user, vocabulary, query)
