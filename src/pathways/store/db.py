"""Database engines and the unit of work.

SQLite (WAL, a busy timeout, foreign keys on) is the embedded default; any SQLAlchemy URL,
PostgreSQL through psycopg 3 in production, comes from PATHWAYS_DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///instance/pathways.db"


def normalise_url(url: str) -> str:
    """Accept the common `postgresql://` spelling and route it through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    url = normalise_url(url)
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
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A command takes the write lock at BEGIN, so two writers queue (busy timeout) instead of one
    # failing to upgrade its read lock; reads begin deferred and never wait for writers (WAL).
    write = conn.get_execution_options().get("pathways_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


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
        writer = self.engine.execution_options(pathways_write=True)
        self.write_sessions = sessionmaker(writer, expire_on_commit=False)

    def unit_of_work(self, write: bool = True) -> UnitOfWork:
        """A transaction for one command (`write=True`) or one read-only query."""
        return UnitOfWork(self.write_sessions if write else self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()
