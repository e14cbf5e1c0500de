"""Accounts and tokens against the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pathways.engine.errors import InvalidData
from pathways.store.models import ApiToken, User
from pathways.tasks import accounts

STRONG = "lantern-orchard-47"


@pytest.fixture
def agency(store):
    return accounts.add_agency(store, "mops-x", "ops", "MOPS X", "Iks")


def test_create_user_and_authenticate(store, roles, agency):
    user = accounts.create_user(store, roles, "ala", "mops-x", ["ops.social_worker", "designer"], STRONG, "Ala K")
    assert user.agency.code == "mops-x" and user.roles == {"ops.social_worker", "designer"}
    with store.unit_of_work(write=False) as uow:
        stored = uow.session.scalars(select(User).where(User.username == "ala")).one()
    assert stored.password_hash.startswith("scrypt:") and STRONG not in stored.password_hash
    assert accounts.authenticate(store, "ala", STRONG).id == user.id
    for username, password in (("ala", "wrong"), ("nobody", STRONG), ("ala", "")):
        with pytest.raises(accounts.NotAuthenticated, match="wrong username or password"):
            accounts.authenticate(store, username, password)


def test_create_user_refuses_bad_input(store, roles, agency):
    with pytest.raises(InvalidData, match="unknown role"):
        accounts.create_user(store, roles, "ala", "mops-x", ["ops.wizard"], STRONG)
    with pytest.raises(InvalidData, match="unknown agency"):
        accounts.create_user(store, roles, "ala", "nowhere", ["ops.social_worker"], STRONG)
    accounts.create_user(store, roles, "ala", "mops-x", ["ops.social_worker"], STRONG)
    with pytest.raises(InvalidData, match="already exists"):
        accounts.create_user(store, roles, "ala", "mops-x", ["ops.social_worker"], STRONG)
    with pytest.raises(InvalidData, match="already exists"):
        accounts.add_agency(store, "mops-x", "OPS", "again")
    with pytest.raises(InvalidData, match="unknown agency kind"):
        accounts.add_agency(store, "zoo", "ZOO", "Zoo")


def test_tokens_resolve_expire_and_revoke(store, roles, agency, frozen_clock):
    user = accounts.create_user(store, roles, "ala", "mops-x", ["ops.social_worker"], STRONG)
    issued = accounts.issue_token(store, user, hours=2)
    assert issued.expires_at == frozen_clock() + timedelta(hours=2)
    with store.unit_of_work(write=False) as uow:
        row = uow.session.scalars(select(ApiToken)).one()
    assert row.token_hash == accounts.token_hash(issued.token) and issued.token not in row.token_hash
    resolved = accounts.resolve_token(store, issued.token)
    assert resolved.username == "ala" and resolved.agency.code == "mops-x" and resolved.roles == {"ops.social_worker"}
    for bad in (None, "", "not-a-token"):
        with pytest.raises(accounts.NotAuthenticated):
            accounts.resolve_token(store, bad)
    frozen_clock.advance(hours=2)
    with pytest.raises(accounts.NotAuthenticated, match="expired"):
        accounts.resolve_token(store, issued.token)
    second = accounts.issue_token(store, user)
    accounts.revoke_token(store, second.token)
    with pytest.raises(accounts.NotAuthenticated, match="revoked"):
        accounts.resolve_token(store, second.token)


def test_disabled_user_cannot_log_in_or_use_a_token(store, roles, agency):
    user = accounts.create_user(store, roles, "ala", "mops-x", ["ops.social_worker"], STRONG)
    issued = accounts.issue_token(store, user)
    with store.unit_of_work() as uow:
        uow.session.get(User, user.id).active = False
        uow.commit()
    with pytest.raises(accounts.NotAuthenticated):
        accounts.authenticate(store, "ala", STRONG)
    with pytest.raises(accounts.NotAuthenticated, match="disabled"):
        accounts.resolve_token(store, issued.token)
