"""Small helpers shared by tests (not fixtures)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from pathways.base import clock
from pathways.config import Config
from pathways.engine.built import Definition
from pathways.engine.definitions import DocumentIndex, build_spec, collect
from pathways.engine.roles import RoleVocabulary
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: a key made at random per test run: no test relies on a value written in the source
TEST_SECRET_KEY = secrets.token_urlsafe(32)


@dataclass
class TestConfig(Config):
    """The configuration tests build apps from: workflows/, no scheduler, a random secret key, and
    cookies without the Secure flag (the test client and the browser tests speak plain http)."""

    __test__ = False  # not a test class, whatever its name

    workflows_dir: Path = WORKFLOWS
    secret_key: str = field(default_factory=lambda: TEST_SECRET_KEY)
    run_scheduler: bool = False
    secure_cookies: bool = False


def load_definition(key: str, *paths: Path, roles: RoleVocabulary | None = None) -> Definition:
    """Build one process's specs from files, as a deployed version would be built."""
    files = collect(list(paths) or [WORKFLOWS])
    index = DocumentIndex.build(files)
    spec, subprocess_specs = build_spec([d.source for d in index.dependencies(key)], key)
    return Definition(0, key, spec, subprocess_specs, roles or RoleVocabulary.load(WORKFLOWS / "roles.toml"))


def open_by_element(runtime: object) -> dict[str, object]:
    """Open tasks keyed by BPMN element id."""
    return {t.element_id: t for t in runtime.open_tasks(None)}  # type: ignore[attr-defined]


def register_person(store: Store, agency_code: str) -> str:
    """A person registered by `agency_code`, without identity (the row `pathways.privacy` writes); the pseudonym."""
    with store.unit_of_work() as uow:
        agency_id = uow.session.scalars(select(Agency.id).where(Agency.code == agency_code)).one()
        pseudonym = new_pseudonym()
        uow.session.add(Beneficiary(pseudonym=pseudonym, agency_id=agency_id, registered_at=clock.now(),
                                    status="active"))
        uow.commit()
    return pseudonym


def statute(*codes: str, law: str = "social_assistance_act") -> dict[str, dict[str, str]]:
    """`bases` for a case start: each agency code on the statutory basis `law`."""
    return {code: {"basis": "statute", "statute": law} for code in codes}


def cli_rows(tmp_path: Path, query: object) -> list[object]:
    """The rows of `query` in the database the CLI tests' commands use (`tmp_path / 'cli.db'`)."""
    from pathways.core import Pathways

    pathways = Pathways(TestConfig(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        with pathways.store.unit_of_work(write=False) as uow:
            return list(uow.session.execute(query))  # type: ignore[call-overload]
    finally:
        pathways.close()
