"""`pathways privacy export | rectify | retention | erase | register`, run as an operator would."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from pathways.engine.cases import Actor, Engine
from pathways.engine.roles import RoleVocabulary
from pathways.privacy.identity import seal_identity
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.db import Store
from pathways.store.models import AuditEntry, Beneficiary, Case, CaseEvent, Identity
from pathways.tasks.accounts import add_agency, create_user
from tests.helpers import WORKFLOWS
from tests.privacy_fixtures import IDENTITY


@pytest.fixture
def run(tmp_path):
    """`pathways ...` in a subprocess on a database of its own (as tests/e2e/test_cli.py runs it)."""
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS), "PATHWAYS_SECRET_KEY": secrets.token_urlsafe(32)}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathways.cli", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    return call


def _setup(tmp_path) -> tuple[Store, Engine, list[str], list[int]]:
    store = Store(f"sqlite:///{tmp_path / 'cli.db'}")
    roles = RoleVocabulary.load(WORKFLOWS / "roles.toml")
    engine = Engine(store, roles)
    add_agency(store, "ngo-x", "NGO", "Fundacja X", "Olsztyn")
    create_user(store, roles, "marta", "ngo-x", ["ngo.crisis_interventionist"], "haslo-dlugie-1", "Marta",
                check_policy=False)
    people, cases = [], []
    for _ in range(2):
        with store.unit_of_work() as uow:
            s = uow.session
            agency_id = s.scalars(select(Beneficiary.agency_id)).first() or 1
            person = Beneficiary(pseudonym=new_pseudonym(), agency_id=agency_id)
            s.add(person)
            s.flush()
            s.add(seal_identity(person, IDENTITY))
            uow.commit()
            people.append(person.pseudonym)
            person_id = person.id
        case_id = engine.start_case(Actor("cli"), "intake_referral", {}, ["ngo-x"], people[-1])
        with store.unit_of_work() as uow:
            uow.session.execute(update(Case).where(Case.id == case_id).values(beneficiary_id=person_id))
            uow.commit()
        cases.append(case_id)
    return store, engine, people, cases


def test_privacy_commands(run, tmp_path):
    assert run("db", "upgrade").returncode == 0
    assert run("deploy").returncode == 0
    store, engine, (first, second), (case_one, case_two) = _setup(tmp_path)

    exported = run("privacy", "export", first.lower())
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["person"]["identity"]["pesel"] == IDENTITY["pesel"]
    out = tmp_path / "osoba.html"
    html = run("privacy", "export", first, "--format", "html", "-o", str(out))
    assert html.returncode == 0 and "Informacja o danych osobowych" in out.read_text(encoding="utf-8")
    bad = run("privacy", "export", "Jan Kowalski")
    assert bad.returncode == 1 and "B-7K3Q-9M" in bad.stderr and "Traceback" not in bad.stderr

    marta = run("privacy", "rectify", str(case_one), "beneficiary_pseudonym", '"x"', "--reason", "r", "--as", "marta")
    assert marta.returncode == 1 and "not a form field" in marta.stderr

    register = run("privacy", "register")
    assert register.returncode == 0 and "| `shelter_location` |" in register.stdout

    engine.close_case(Actor("cli"), case_one, "rezygnacja")
    with store.unit_of_work() as uow:  # it ended years ago: past the default five years
        uow.session.execute(update(CaseEvent).where(CaseEvent.case_id == case_one).values(
            at=datetime(2019, 5, 1, tzinfo=UTC)))
        uow.commit()
    dry = run("privacy", "retention", "--dry-run")
    assert dry.returncode == 0 and f"case {case_one} intake_referral {first}" in dry.stdout
    assert "kept until 2024-12-31" in dry.stdout and f"case {case_two} " not in dry.stdout
    with store.unit_of_work(write=False) as uow:
        assert uow.session.get(Case, case_one).anonymised_at is None  # a dry run changes nothing
    applied = run("privacy", "retention", "--apply")
    assert applied.returncode == 0 and "1 case(s) anonymised" in applied.stderr

    refused = run("privacy", "erase", second, "--reason", "wniosek z 1.12.2026")
    assert refused.returncode == 1 and "is active" in refused.stderr and "Traceback" not in refused.stderr
    erased = run("privacy", "erase", first, "--reason", "wniosek z 1.12.2026")
    assert erased.returncode == 0, erased.stderr
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        assert s.get(Case, case_one).anonymised_at is not None
        identities = {b.pseudonym for b in s.scalars(select(Beneficiary).join(
            Identity, Identity.beneficiary_id == Beneficiary.id))}
        assert identities == {second}
        actions = {(e.action, e.username.startswith("cli")) for e in s.scalars(select(AuditEntry))}
        assert {("privacy.export", True), ("privacy.anonymise", True), ("privacy.erase", True)} <= actions
    store.dispose()
