"""Database engines and the unit of work.

SQLite (WAL, a busy timeout, foreign keys on) is the embedded default; any SQLAlchemy URL,
PostgreSQL through psycopg 3 in production, comes from PATHWAYS_DATABASE_URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pathways.base import logs

DEFAULT_URL = "sqlite:///instance/pathways.db"
#: the execution option of a write transaction (on SQLite it begins with `BEGIN IMMEDIATE`)
WRITE = "pathways_write"


logs.trust_messages(OSError, OperationalError)  # connections, files, locks: no case values


def normalise_url(url: str) -> str:
    """Accept the common `postgresql://` spelling and route it through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """An engine for `url`. Statement parameters are case values: SQLAlchemy keeps them out of its
    log and its error texts (`hide_parameters`), whatever level its loggers are at."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # PostgreSQL's JIT compiles any query its planner costs above 100,000, which on the inbox and
    # search queries took longer than running them (docs/benchmarks.md, "Inbox at scale"); it is
    # off for pathways' connections unless the URL passes its own `options`.
    connect_args = {} if "options=" in url else {"options": "-c jit=off"}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions; WAL lets readers work while one writer commits.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # deleted and overwritten content is zeroed, not left in free pages: an anonymised or erased
    # value must not be readable from a copy of the file (some SQLite builds default to off)
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A command takes the write lock at BEGIN, so two writers queue (busy timeout) instead of one
    # failing to upgrade its read lock; reads begin deferred and never wait for writers (WAL).
    write = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_busy(error: OperationalError) -> bool:
    """SQLITE_BUSY or one of its extended codes (BUSY_SNAPSHOT: another writer committed since our reads)."""
    orig = error.orig
    return isinstance(orig, sqlite3.OperationalError) and (getattr(orig, "sqlite_errorcode", 0) & 0xFF) == 5


class UnitOfWork:
    """One command, one transaction: rolls back unless `commit()` was called."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back anything uncommitted and detaches objects without expiring them,
        # so what a query returned stays readable after the unit of work ends.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def commit_appending(self, append: Callable[[Session], None]) -> None:
        """End a read by appending rows (`append(session)` adds them) in the read's own transaction.

        For what a read must leave behind, its audit entry: the rows commit with the read or the
        call raises, so the caller never returns data without them, and no second transaction is
        opened on the usual path. The objects the read loaded are detached first (still loaded,
        as `close()` leaves them), so a rollback below cannot expire them under the caller.

        A read unit of work on SQLite began deferred (`BEGIN`, no write lock while reading); the
        insert upgrades it to a writer. SQLite refuses that upgrade at once, without waiting in
        the busy timeout, when another writer holds the lock or committed since the reads began
        (SQLITE_BUSY, BUSY_SNAPSHOT). The reads are done by then, so the rows are written in a
        write transaction of their own (`BEGIN IMMEDIATE`) on the same session, which waits its
        turn like any command.
        """
        s = self.session
        s.expunge_all()
        append(s)
        try:
            s.commit()
            return
        except OperationalError as error:
            if not _sqlite_busy(error):
                raise
            s.rollback()
        # the same session and, from the pool, most likely the same connection: a second session
        # here would hold two connections per request thread and overflow the pool
        s.connection(execution_options={WRITE: True})
        append(s)
        s.commit()

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name


class Store:
    """An engine plus a session factory: what every command needs to open a unit of work."""

    def __init__(self, url: str = DEFAULT_URL, **kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(**{WRITE: True})
        self.write_sessions = sessionmaker(writer, expire_on_commit=False)

    def unit_of_work(self, write: bool = True) -> UnitOfWork:
        """A transaction for one command (`write=True`) or one read-only query."""
        return UnitOfWork(self.write_sessions if write else self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()
