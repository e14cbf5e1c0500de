"""Shared fixtures for the HTTP API tests: an app with workflows/ deployed and the demo data loaded.

Import what a test module uses (`from tests.e2e.api_fixtures import api_app, client, token`).

- `api_app`: `create_app` on a fresh SQLite file (copied from one template built per session, so
  each test starts from the same state in milliseconds), `run_scheduler=False`.
- `pg_app`: the same on PostgreSQL (PATHWAYS_TEST_POSTGRES_URL; skipped without it).
- `any_app`: both, for the tests where the database matters.
- `client`: Flask's test client of `api_app`; `token(client, username)` logs a demo user in and
  returns the bearer token; `bearer(client, username)` returns the headers to send.
- `outsider`: a user of an agency that takes part in no demo case (NGO kind, psychologist role).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pathways.app import create_app
from pathways.core import services
from pathways.demo import PASSWORD, load_demo
from pathways.engine.errors import InvalidDefinition
from pathways.tasks.accounts import add_agency, create_user
from tests.conftest import POSTGRES_URL, _postgres_store, empty_database
from tests.helpers import WORKFLOWS, TestConfig, register_person

OUTSIDER = "olga.far"
OUTSIDER_AGENCY = "ngo-far-away"


def make_app(database_url: str) -> Flask:
    return create_app(TestConfig(database_url=database_url))


def deploy_workflows(app: Flask) -> None:
    """Deploy workflows/; should a pathway being written there not lint yet, deploy the others."""
    pathways = services(app)
    try:
        pathways.deploy()
    except InvalidDefinition:
        for path in sorted(WORKFLOWS.glob("*.bpmn")):
            with contextlib.suppress(InvalidDefinition):
                pathways.deploy([path, *WORKFLOWS.glob("*.dmn")])


def seed(app: Flask) -> None:
    """Schema, workflows/, demo data, and one user of an agency outside every demo case."""
    pathways = services(app)
    pathways.upgrade_db()
    deploy_workflows(app)
    load_demo(pathways.store, pathways.engine)
    add_agency(pathways.store, OUTSIDER_AGENCY, "NGO", "Fundacja Daleko", "Suwałki")
    create_user(pathways.store, pathways.roles, OUTSIDER, OUTSIDER_AGENCY, ["ngo.psychologist"], PASSWORD,
                "Olga Daleka", check_policy=False)


def person(app: Flask, agency: str = "mops-bartoszyce") -> str:
    """The pseudonym of a person newly registered by `agency`."""
    return register_person(services(app).store, agency)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-template") / "template.db"
    app = make_app(f"sqlite:///{path}")
    seed(app)
    services(app).close()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def api_app(_template_db: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "api.db"
    shutil.copyfile(_template_db, path)
    app = make_app(f"sqlite:///{path}")
    yield app
    services(app).close()


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    store = _postgres_store()  # skips (or fails under PATHWAYS_REQUIRE_POSTGRES=1) without a server
    store.dispose()
    assert POSTGRES_URL
    app = make_app(POSTGRES_URL)
    pathways = services(app)
    pathways.upgrade_db()
    empty_database(pathways.store)
    pathways.engine._cache.clear()
    seed(app)
    yield app
    pathways.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> Flask:
    return request.getfixturevalue("api_app" if request.param == "sqlite" else "pg_app")  # type: ignore[no-any-return]


@pytest.fixture
def client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["token"])


@pytest.fixture
def token() -> Callable[[FlaskClient, str], str]:
    """`token(client, username)`: a bearer token of a demo user (password `demo`), cached per client."""
    cache: dict[tuple[int, str], str] = {}

    def get(client: FlaskClient, username: str) -> str:
        key = (id(client), username)
        if key not in cache:
            cache[key] = login(client, username)
        return cache[key]

    return get


@pytest.fixture
def bearer(token: Callable[[FlaskClient, str], str]) -> Callable[[FlaskClient, str], dict[str, Any]]:
    """`bearer(client, username)`: the Authorization header of a logged-in demo user."""
    return lambda client, username: {"Authorization": f"Bearer {token(client, username)}"}
