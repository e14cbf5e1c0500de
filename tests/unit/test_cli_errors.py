"""`pathways.cli.database_problem`: advice from the error's class and SQLSTATE, never the statement
or its parameters (they can be case data), for drivers the e2e tests cannot make fail on demand."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, StatementError

from pathways.cli import BEHIND, NOT_SET_UP, database_problem

STATEMENT = "UPDATE cases SET data = %(data)s WHERE cases.id = %(id)s"
PARAMS = {"data": '{"pesel": "90010112345"}', "id": 7}


class DriverError(Exception):
    def __init__(self, text: str, sqlstate: str | None = None, sqlite_errorname: str | None = None) -> None:
        super().__init__(text)
        if sqlstate is not None:
            self.sqlstate = sqlstate
        if sqlite_errorname is not None:
            self.sqlite_errorname = sqlite_errorname


URL = "sqlite:///nowhere/cli-errors-test.db"


def problem(exc: Exception, url: str = URL) -> str:
    message = database_problem(exc, url)  # type: ignore[arg-type]
    assert "\n" not in message and "UPDATE" not in message and "90010112345" not in message, message
    return message


def test_postgres_missing_tables_and_columns_are_told_by_sqlstate(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"  # the advice reads Alembic's table: none here
    assert problem(ProgrammingError(STATEMENT, PARAMS, DriverError('relation "cases" does not exist', "42P01")),
                   url) == NOT_SET_UP
    assert problem(ProgrammingError(STATEMENT, PARAMS, DriverError('column "x" does not exist', "42703")),
                   url) == NOT_SET_UP  # no schema at all: set it up, whichever object was missing


def test_a_migrated_but_older_schema_is_behind(tmp_path):
    from pathways.store import schema
    from pathways.store.db import make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    schema.upgrade(engine, "0004")
    engine.dispose()
    assert problem(OperationalError(STATEMENT, PARAMS, DriverError("no such column: cases.x", None, "SQLITE_ERROR")),
                   url) == BEHIND


def test_connection_failures_name_the_url_without_its_password():
    failed = OperationalError(None, None, DriverError("connection failed: Connection refused\nmore detail"))
    message = problem(failed, "postgresql://u:hunter2@db.example:5432/p")
    assert message == "cannot connect to the database postgresql+psycopg://u:***@db.example:5432/p: " \
                      "connection failed: Connection refused"
    broken = OperationalError(STATEMENT, PARAMS, DriverError("server closed the connection", "08006"))
    assert problem(broken).startswith("cannot connect to the database")


def test_other_errors_give_their_class_and_code_only():
    duplicate = IntegrityError(STATEMENT, PARAMS, DriverError('duplicate key value: (pesel)=(90010112345)', "23505"))
    assert problem(duplicate) == "database error: IntegrityError (23505)"
    locked = OperationalError(STATEMENT, PARAMS, DriverError("database is locked", None, "SQLITE_BUSY"))
    assert problem(locked) == "the database is locked by another process: try again"
    assert problem(StatementError("bad value 90010112345", STATEMENT, PARAMS, ValueError("x"))) \
        == "database error: StatementError"
