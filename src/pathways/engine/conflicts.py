"""Telling a lost race from a failure, by the database's error codes rather than its words.

A command that loses a race with a concurrent one writes nothing and raises `Conflict`; the caller
reloads and tries again (the API answers 409). Everything else the database raises is a failure
and propagates unchanged. What counts as a lost race:

- the ORM's `StaleDataError`: ORM work of a `within` callback found its row changed;
- PostgreSQL (psycopg 3 puts the SQLSTATE on the exception as `sqlstate`): `40001`
  serialization_failure, `40P01` deadlock_detected, `55P03` lock_not_available (a `lock_timeout`
  or `NOWAIT` that expired);
- SQLite (Python's sqlite3 puts the extended result code on the exception as
  `sqlite_errorcode`): primary codes `SQLITE_BUSY` (the busy timeout ran out waiting for the
  write lock) and `SQLITE_LOCKED`, whatever their extended variant.

The version check itself (`UPDATE cases ... WHERE version = v` matching no row) raises `Conflict`
in the write path, not here.

The driver's message never goes into the `Conflict`: it can quote the statement's parameters,
which are case values, and a `Conflict` message reaches users. It goes to the server log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from pathways.engine.errors import Conflict
from pathways.store.db import Store, UnitOfWork

log = logging.getLogger("pathways.engine")

LOST = "the case was changed by another command at the same time; nothing was written, reload and try again"
#: SQLSTATEs of a transaction that lost to a concurrent one.
POSTGRES_LOST = frozenset({"40001", "40P01", "55P03"})
#: SQLite primary result codes of a lock another connection held.
SQLITE_LOST = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def lost_race(error: DBAPIError) -> bool:
    """True when the driver's error says a concurrent transaction won (see the module docstring)."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in POSTGRES_LOST
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in SQLITE_LOST  # the low byte is the primary code of an extended one
    return False


@contextmanager
def command(store: Store) -> Iterator[UnitOfWork]:
    """A write transaction whose lost races surface as `Conflict` (with nothing written)."""
    try:
        with store.unit_of_work() as uow:
            yield uow
    except StaleDataError:
        raise Conflict(LOST) from None
    except DBAPIError as exc:
        if not lost_race(exc):
            raise
        # the driver's text may quote a row's values (`Key (stage)=(...)`): its class and SQLSTATE only
        log.info("a command lost a race and wrote nothing (%s, SQLSTATE %s)", type(exc.orig).__name__,
                 getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "-")
        raise Conflict(LOST) from None
