"""Saved inbox filters: a user names a filter, may share it with their agency, and works its tasks in bulk.

A filter holds inbox filter fields only (`FIELDS`), never a result: whoever opens it, the owner or
a colleague it is shared with, runs it as *their own* inbox query (`tasks/inbox.py`), with their
own roles, claims and agency, so a shared filter never shows a colleague a task they may not see
and its count is the count their inbox would give. Sharing is with the owner's agency only (no
other agency may be named); a filter is listed to colleagues only while its owner is still of that
agency. Only the owner changes or deletes a filter.

Bulk claim / assign (`bulk`) takes the first `MAX_BULK` tasks the filter shows the user and runs
each as a single claim or assignment would (`tasks/work.py`: the same rules, audit entries and
events), reporting each task's result; one refused task does not stop the others.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound, PathwaysError
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import SavedFilter, User
from pathways.tasks import audit, inbox, work
from pathways.tasks.bounds import check_text
from pathways.tasks.inbox import InboxQuery

#: what a filter may hold; `due_within_days`: due by the end of today + N days (0: today; with overdue)
FIELDS = ("view", "pathway", "stage", "role", "agency", "q", "due_within_days")
MAX_NAME = 100
MAX_FILTERS = 50  # per user; also the most filters an inbox lists
MAX_BULK = 100
MAX_DAYS = 3660


def to_query(fields: dict[str, Any], **paging: Any) -> InboxQuery:
    """The inbox query of a filter's fields (checked as the inbox checks a query)."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidData("the filter is not valid", fields={k: "is not a filter field" for k in unknown})
    days = fields.get("due_within_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS):
        raise InvalidData("the filter is not valid", fields={"due_within_days": f"must be 0 to {MAX_DAYS}"})
    texts = {k: fields.get(k) for k in FIELDS if k != "due_within_days"}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise InvalidData("the filter is not valid", fields={key: "must be text"})
    due_by = (clock.now().astimezone(inbox.TIMEZONE).date() + timedelta(days=days)) if days is not None else None
    query = InboxQuery(view=texts["view"] or "all", pathway=texts["pathway"] or None, stage=texts["stage"] or None,
                       role=texts["role"] or None, agency=texts["agency"] or None, q=texts["q"] or None,
                       due_by=due_by, **paging)
    query.check()
    return query


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    to_query(fields)
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _visible(user: User) -> Any:
    """Filters the user may open: their own, and those shared in their agency by a colleague still in it."""
    shared = and_(SavedFilter.shared, SavedFilter.agency_id == user.agency_id,
                  select(User.agency_id).where(User.id == SavedFilter.owner_id).scalar_subquery() == user.agency_id)
    return or_(SavedFilter.owner_id == user.id, shared)


def _get(s: Session, user: User, filter_id: int) -> SavedFilter:
    found = s.scalars(select(SavedFilter).where(SavedFilter.id == filter_id, _visible(user))).first() \
        if 0 < filter_id < 2**31 else None
    if found is None:
        raise NotFound(f"saved filter {filter_id} does not exist")
    return found


def _describe(s: Session, user: User, row: SavedFilter, count: int | None = None) -> dict[str, Any]:
    owner = s.scalar(select(User.username).where(User.id == row.owner_id))
    return {"id": row.id, "name": row.name, "filter": dict(row.query), "shared": row.shared, "owner": owner,
            "mine": row.owner_id == user.id, "count": count}


@audit.refusals("filter.save")
def save_filter(store: Store, user: User, name: str, fields: dict[str, Any], shared: bool = False) -> dict[str, Any]:
    """Save (or, under a name already the user's, replace) a filter; `shared` offers it to the user's agency."""
    name = (name or "").strip()
    check_text("name", name, MAX_NAME)
    if not name:
        raise InvalidData("the filter needs a name", fields={"name": "required"})
    clean = _clean(fields)
    with store.unit_of_work() as uow:
        s = uow.session
        row = s.scalars(select(SavedFilter).where(SavedFilter.owner_id == user.id, SavedFilter.name == name)).first()
        if row is None:
            if len(s.scalars(select(SavedFilter.id).where(SavedFilter.owner_id == user.id)).all()) >= MAX_FILTERS:
                raise Conflict(f"you have {MAX_FILTERS} saved filters already: delete one first")
            row = SavedFilter(owner_id=user.id, name=name, created_at=clock.now())
            s.add(row)
        row.agency_id, row.query, row.shared = user.agency_id, clean, bool(shared)
        s.flush()
        audit.record(s, user, "filter.save", detail={"filter": row.id, "shared": row.shared,
                                                     "fields": sorted(clean)})
        uow.commit()
        return _describe(s, user, row)


@audit.refusals("filter.delete")
def delete_filter(store: Store, user: User, filter_id: int) -> None:
    with store.unit_of_work() as uow:
        s = uow.session
        row = _get(s, user, filter_id)
        if row.owner_id != user.id:
            raise NotAllowed("only the user who saved a filter may delete it")
        s.delete(row)
        audit.record(s, user, "filter.delete", detail={"filter": filter_id})
        uow.commit()


def list_filters(store: Store, user: User, vocabulary: RoleVocabulary) -> list[dict[str, Any]]:
    """The user's filters and those shared with them, each with the number of tasks it shows *them*.

    Not audited: names and numbers only (the inbox shows them on every page)."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        rows = s.scalars(select(SavedFilter).where(_visible(user))
                         .order_by(SavedFilter.owner_id != user.id, SavedFilter.name, SavedFilter.id)
                         .limit(MAX_FILTERS * 2)).all()
        found = []
        for row in rows:
            query = to_query(row.query)
            counts = inbox.count_tasks(s, user, vocabulary, query)
            found.append(_describe(s, user, row, counts[query.view]))
        return found


@audit.refusals("filter.run")
def run_filter(store: Store, user: User, vocabulary: RoleVocabulary, filter_id: int, *, page: int = 1,
               per_page: int = 25) -> tuple[dict[str, Any], inbox.InboxPage]:
    """The filter and the user's inbox page it shows (audited as the inbox is, `task.list`)."""
    with store.unit_of_work(write=False) as uow:
        row = _describe(uow.session, user, _get(uow.session, user, filter_id))
    query = to_query(row["filter"], page=page, per_page=per_page)
    return row, inbox.inbox(store, user, vocabulary, query)


@audit.refusals("filter.bulk")
def bulk(engine: Engine, user: User, filter_id: int, action: str, username: str | None = None) -> dict[str, Any]:
    """Claim (or assign to `username`) each task the filter shows the user, one by one; partial results."""
    if action not in ("claim", "assign") or (action == "assign") != bool(username):
        raise InvalidData("the bulk action is not valid",
                          fields={"action": "claim, or assign with a username"})
    with engine.store.unit_of_work(write=False) as uow:
        s = uow.session
        query = replace(to_query(_get(s, user, filter_id).query), per_page=MAX_BULK, sort="due")
        tasks = [item["id"] for item in inbox.list_tasks(s, user, engine.roles, query).items]
    results = []
    for task_id in tasks:
        try:
            done = work.claim(engine, user, task_id) if action == "claim" else \
                work.assign(engine, user, task_id, username or "")
            results.append({"id": task_id, "ok": True, "claimed_by": done["claimed_by"], "error": None})
        except PathwaysError as error:
            results.append({"id": task_id, "ok": False, "claimed_by": None, "error": error.code})
    with engine.store.unit_of_work() as uow:
        audit.record(uow.session, user, "filter.bulk", detail={
            "filter": filter_id, "action": action, "done": sum(r["ok"] for r in results),
            "refused": sum(not r["ok"] for r in results)})
        uow.commit()
    return {"filter": filter_id, "action": action, "results": results,
            "done": sum(1 for r in results if r["ok"]), "refused": sum(1 for r in results if not r["ok"])}
