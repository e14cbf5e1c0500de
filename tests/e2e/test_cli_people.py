"""`pathways person show`: an operator reads a person; the identity only with --identity; audited."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from pathways.privacy.beneficiaries import register_person
from pathways.store.db import Store
from pathways.store.models import AuditEntry, User
from pathways.tasks import accounts
from tests.e2e.test_cli import run  # noqa: F401  (fixture)
from tests.integration.test_people_store import KOWALSKA


def test_person_show_prints_the_identity_only_when_asked_and_is_audited(run, tmp_path):  # noqa: F811
    assert run("db", "upgrade").returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'cli.db'}")
    accounts.add_agency(store, "ops", "OPS", "OPS")
    from pathways.engine.roles import RoleVocabulary
    from tests.helpers import WORKFLOWS

    accounts.create_user(store, RoleVocabulary.load(WORKFLOWS / "roles.toml"), "anna", "ops", ["ops.social_worker"],
                         "pw", check_policy=False)
    with store.unit_of_work(write=False) as uow:
        anna = uow.session.scalars(select(User).options(joinedload(User.agency))).one()
    pseudonym = register_person(store, anna, KOWALSKA)["pseudonym"]

    plain = run("person", "show", pseudonym.lower())
    assert plain.returncode == 0, plain.stderr
    assert pseudonym in plain.stdout and "registered" in plain.stdout and "by ops" in plain.stdout
    assert KOWALSKA["pesel"] not in plain.stdout and KOWALSKA["last_name"] not in plain.stdout
    full = run("person", "show", pseudonym, "--identity", "--json")
    assert full.returncode == 0 and json.loads(full.stdout)["identity"]["pesel"] == KOWALSKA["pesel"]
    missing = run("person", "show", "B-2222-22")
    assert missing.returncode == 1 and "person" in missing.stderr and "Traceback" not in missing.stderr
    junk = run("person", "show", "Jan Kowalski\x1b[2J")
    assert junk.returncode == 1 and "Traceback" not in junk.stderr
    assert "Kowalski" not in junk.stderr and "\x1b" not in junk.stderr  # what was typed is never echoed
    with store.unit_of_work(write=False) as uow:
        logged = [(e.action, e.username, e.detail) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("person.%")).order_by(AuditEntry.id))]
    store.dispose()
    assert [a for a, _, _ in logged] == ["person.register", "person.read", "person.identity.read"]
    assert all(user.startswith("cli") for _, user, _ in logged[1:])
    assert KOWALSKA["pesel"] not in str(logged)
