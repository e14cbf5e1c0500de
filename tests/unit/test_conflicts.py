"""Lost races are told from failures by SQLSTATE and SQLite result codes, never by message words."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import psycopg.errors
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from pathways.engine.conflicts import command, lost_race
from pathways.engine.errors import Conflict

CASE_VALUE = "Jan Kowalski, ul. Polna 3"  # a statement parameter the driver's text may quote


def _sqlite(code: int, message: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # what sqlite3 sets on the errors it raises
    return error


def _wrapped(orig: BaseException, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    return kind("UPDATE cases SET stage = ? WHERE id = ?", (CASE_VALUE, 1), orig)


@pytest.mark.parametrize("orig", [
    psycopg.errors.SerializationFailure("could not serialize access"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    _sqlite(sqlite3.SQLITE_BUSY, "database is locked"),
    _sqlite(sqlite3.SQLITE_BUSY_SNAPSHOT, "database is locked"),
    _sqlite(sqlite3.SQLITE_LOCKED, "database table is locked"),
    _sqlite(sqlite3.SQLITE_BUSY, "an unexpected wording"),  # the code decides, not the words
])
def test_lost_races(orig):
    assert lost_race(_wrapped(orig))


@pytest.mark.parametrize("orig", [
    psycopg.errors.UniqueViolation("duplicate key value"),
    psycopg.errors.UndefinedTable("relation does not exist"),
    psycopg.errors.QueryCanceled("could not serialize: deadlock; database is locked"),  # words, wrong code
    _sqlite(sqlite3.SQLITE_ERROR, "database is locked"),
    _sqlite(sqlite3.SQLITE_READONLY, "attempt to write a readonly database"),
    sqlite3.OperationalError("database is locked"),  # no result code: not known to be a race
    ValueError("not a driver error"),
])
def test_failures_that_are_not_races(orig):
    assert not lost_race(_wrapped(orig))


class _Store:
    """Just enough of a Store for `command`: a unit of work that does nothing."""

    @contextmanager
    def unit_of_work(self):
        yield object()


def test_a_lost_race_becomes_a_conflict_without_the_drivers_text(caplog):
    with caplog.at_level("INFO", logger="pathways.engine"), pytest.raises(Conflict) as lost, command(_Store()):
        raise _wrapped(psycopg.errors.SerializationFailure(f"could not serialize: Key (stage)=({CASE_VALUE})"))
    assert CASE_VALUE not in str(lost.value) and "serialize" not in lost.value.message
    assert lost.value.__cause__ is None and lost.value.__suppress_context__
    logged = [r.getMessage() for r in caplog.records if r.name == "pathways.engine"]
    assert any("SerializationFailure" in m for m in logged)  # the operator learns what happened ...
    assert not any(CASE_VALUE in m for m in logged)  # ... but not the values the driver quoted


def test_a_stale_orm_row_is_a_conflict():
    with pytest.raises(Conflict), command(_Store()):
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s); 0 were matched")


def test_other_database_errors_pass_through_unchanged():
    error = _wrapped(psycopg.errors.UniqueViolation("duplicate key"), IntegrityError)
    with pytest.raises(IntegrityError) as raised, command(_Store()):
        raise error
    assert raised.value is error
