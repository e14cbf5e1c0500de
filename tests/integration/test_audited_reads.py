"""A read and its audit entry commit in one transaction (SQLite and PostgreSQL).

- no second transaction for the entry, and on SQLite no `BEGIN IMMEDIATE` while reading;
- no read without its entry: when the entry cannot be written the read raises;
- on SQLite, when another writer committed while the read ran (the deferred transaction cannot
  become a writer), the entry is still written, in a write transaction of its own;
- a refused command leaves no read entry committed before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text

from pathways.engine.errors import InvalidData, PathwaysError, TaskNotOpen
from pathways.store.models import AuditEntry, User
from pathways.tasks import audit, work
from tests.integration.test_inbox import IDENTIFY, World, build_world, engine  # noqa: F401  (fixture)


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return build_world(store, engine)


def _actions(world: World) -> list[str]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@contextmanager
def _transactions(world: World) -> Iterator[list[str]]:
    """The statements that begin a transaction (SQLite's explicit BEGIN) and each DBAPI begin."""
    begun: list[str] = []

    def on_begin(conn: Any) -> None:
        begun.append("begin")

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(world.store.engine, "begin", on_begin)
    event.listen(world.store.engine, "before_cursor_execute", on_statement)
    try:
        yield begun
    finally:
        event.remove(world.store.engine, "begin", on_begin)
        event.remove(world.store.engine, "before_cursor_execute", on_statement)


def test_a_task_read_and_its_entry_are_one_transaction_without_the_write_lock(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    with _transactions(world) as begun:
        work.get_task(world.engine, world.users["anna"], task)
    assert begun.count("begin") == 1
    assert "BEGIN IMMEDIATE" not in begun
    assert _actions(world)[-1] == "task.read"


def test_every_audited_read_writes_its_entry(world: World) -> None:
    from pathways.tasks import cases, inbox
    from pathways.tasks.cases import CaseQuery

    case = world.start("BEN-1")
    task = world.task(case, "identify")
    anna = world.users["anna"]
    work.get_task(world.engine, anna, task)
    work.list_comments(world.engine, anna, task)
    inbox.inbox(world.store, anna, world.engine.roles, inbox.InboxQuery())
    cases.list_cases(world.store, anna, CaseQuery())
    cases.case_detail(world.store, world.engine, anna, case)
    reads = [a for a in _actions(world) if a.endswith((".read", ".list", ".comments"))]
    assert reads == ["task.read", "task.comments", "task.list", "case.list", "case.read"]


@contextmanager
def _audit_refused(world: World) -> Iterator[None]:
    """Every insert into the audit log fails in the database (a trigger), as a full disk would."""
    s = world.store
    postgres = s.engine.dialect.name == "postgresql"
    with s.engine.begin() as conn:
        if postgres:
            conn.execute(text("CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                              "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"))
        else:
            conn.execute(text("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                              "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"))
    try:
        yield
    finally:
        with s.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_audit" + (" ON audit_log" if postgres else "")))
            if postgres:
                conn.execute(text("DROP FUNCTION refuse_audit()"))


def test_no_read_without_its_entry(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    before = _actions(world)
    with _audit_refused(world), pytest.raises(Exception, match="audit refused") as failure:
        work.get_task(world.engine, world.users["anna"], task)
    assert not isinstance(failure.value, PathwaysError)  # a server error (500), not a user's mistake
    assert _actions(world) == before


def test_a_writer_committing_during_the_read_does_not_lose_the_entry(world: World) -> None:
    """SQLite refuses to turn the read into a writer (BUSY_SNAPSHOT): the entry gets its own transaction."""
    anna = world.users["anna"]
    with world.store.unit_of_work(write=False) as uow:
        uow.session.scalars(select(AuditEntry)).all()  # the read's snapshot starts here
        with world.store.unit_of_work() as other:  # another request's command commits meanwhile
            audit.record(other.session, anna, "task.claim")
            other.commit()
        with _transactions(world) as begun:
            audit.record_read(uow, anna, "task.read", detail={"probe": True})
    assert _actions(world)[-2:] == ["task.claim", "task.read"]
    if world.store.engine.dialect.name == "sqlite":  # the upgrade was refused: the fallback wrote it
        assert "BEGIN IMMEDIATE" in begun


def test_the_entry_is_written_while_another_writer_holds_the_lock_then_commits(world: World) -> None:
    """The fallback write waits its turn (busy timeout) behind a writer that holds the lock."""
    import threading

    anna = world.users["anna"]
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        with world.store.unit_of_work() as other:
            audit.record(other.session, anna, "task.claim")
            other.session.flush()  # holds the write lock (SQLite) until commit
            locked.set()
            release.wait(10)
            other.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(10)
        with world.store.unit_of_work(write=False) as uow:
            uow.session.scalars(select(User)).all()
            threading.Timer(0.3, release.set).start()
            audit.record_read(uow, anna, "task.read")
    finally:
        release.set()
        thread.join(10)
    assert sorted(_actions(world)[-2:]) == ["task.claim", "task.read"]


def test_a_refused_completion_leaves_no_read_entry(world: World) -> None:
    task = world.task(world.start("BEN-1"), "identify")
    anna = world.users["anna"]
    before = _actions(world)
    fields = work.form_fields(world.engine, anna, task)  # what a page parses the posted form with
    assert {f["id"] for f in fields} >= {"risk_level", "intake_date"} and all(f["value"] is None for f in fields)
    with pytest.raises(InvalidData):
        work.complete(world.engine, anna, task, {"risk_level": "extreme"})
    assert _actions(world) == before
    work.complete(world.engine, anna, task, IDENTIFY)
    with pytest.raises(TaskNotOpen):  # 409: completed already
        work.complete(world.engine, anna, task, IDENTIFY)
    assert _actions(world) == [*before, "task.complete"]
