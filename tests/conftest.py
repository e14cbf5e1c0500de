"""Shared fixtures: a migrated store on SQLite (always) and PostgreSQL (when configured).

Tests that take `store` run once per database. PostgreSQL comes from
PATHWAYS_TEST_POSTGRES_URL; without it those runs skip with the reason, unless
PATHWAYS_REQUIRE_POSTGRES=1 (CI), where an unreachable server fails the run.

The conformance corpus (`../shared/conformance`, beside the checkout) follows the same rule through
the `conformance` fixture: tests skip without it, unless PATHWAYS_REQUIRE_CONFORMANCE=1 (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Helper modules that assert on the tests' behalf: pytest rewrites only test modules and conftest
# files by itself, so a failing assert in these would say "AssertionError" and nothing more.
# This must run before anything imports them.
HELPERS_WITH_ASSERTS = ("tests.helpers", "tests.pathway_driver", "tests.bartoszyce", "tests.e2e.api_fixtures")
pytest.register_assert_rewrite(*HELPERS_WITH_ASSERTS)

# A fixed test data key ring (never a real one), for this process and every server or CLI it starts.
TEST_DATA_KEYS = "test1:" + "dGVzdCBkYXRhIGtleSwgMzIgYnl0ZXMgbG9uZyBvayE="
os.environ.setdefault("PATHWAYS_DATA_KEYS", TEST_DATA_KEYS)

from sqlalchemy import text  # noqa: E402

from pathways.base import clock, sealing  # noqa: E402
from pathways.engine.cases import Engine  # noqa: E402
from pathways.engine.definitions import collect  # noqa: E402
from pathways.engine.deploy import deploy  # noqa: E402
from pathways.engine.roles import RoleVocabulary  # noqa: E402
from pathways.store import schema  # noqa: E402
from pathways.store.db import Store  # noqa: E402
from pathways.store.models import Base, LegalBasis  # noqa: E402

sealing.configure(sealing.load_ring())

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFORMANCE = ROOT.parent / "shared" / "conformance"
POSTGRES_URL = os.environ.get("PATHWAYS_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("PATHWAYS_REQUIRE_POSTGRES") == "1"
REQUIRE_CONFORMANCE = os.environ.get("PATHWAYS_REQUIRE_CONFORMANCE") == "1"


def require_corpus(path: Path, required: bool) -> Path:
    """`path` if it is a folder; else skip the test, or fail it where the corpus must be (CI)."""
    if path.is_dir():
        return path
    reason = f"{path} is not beside the checkout"
    if required:
        pytest.fail(f"PATHWAYS_REQUIRE_CONFORMANCE=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def conformance() -> Path:
    """`../shared/conformance`: other engines' BPMN/DMN files the linter and the renderer must survive."""
    return require_corpus(CONFORMANCE, REQUIRE_CONFORMANCE)


def _postgres_store() -> Store:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PATHWAYS_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need PATHWAYS_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1/test)")
    store = Store(POSTGRES_URL)
    try:
        with store.engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        store.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    return store


def empty_database(store: Store) -> None:
    """Every table emptied, then the rows the migrations seed put back (the statutory legal bases)."""
    import importlib

    seeded = importlib.import_module("pathways.store.migrations.versions.0009_beneficiaries_privacy")
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(LegalBasis.__table__.insert(), [
            {"code": c, "title": t, "reference": r, "gdpr": g, "active": True, "created_at": clock.now()}
            for c, t, r, g in seeded.LEGAL_BASES])


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[Store]:
    """A clean, migrated PostgreSQL schema for the whole session."""
    store = _postgres_store()
    with store.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    schema.upgrade(store.engine)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'pathways.db'}")
        schema.upgrade(store.engine)
        yield store
        store.dispose()
        return
    store = request.getfixturevalue("postgres_schema")
    empty_database(store)
    yield store


@pytest.fixture(scope="session")
def roles() -> RoleVocabulary:
    return RoleVocabulary.load(WORKFLOWS / "roles.toml")


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    c = clock.FrozenClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC)).install()
    yield c
    clock.set_source(None)


@pytest.fixture
def engine(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> Engine:
    """An engine over a store with workflows/ deployed."""
    deploy(store, collect([WORKFLOWS]), roles)
    return Engine(store, roles)
