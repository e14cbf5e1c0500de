"""Accounts: agencies, users with roles, passwords, and bearer tokens.

A token is `secrets.token_urlsafe(32)`, shown once; only its SHA-256 is stored, so a copy of the
database gives no working token. Tokens expire (`hours`, default 12) and can be revoked.
Passwords are hashed with scrypt (`pathways.tasks.passwords`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from pathways.base import clock
from pathways.engine.errors import InvalidData, PathwaysError
from pathways.engine.roles import BUILTIN_ROLES, RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Agency, ApiToken, User, UserRole
from pathways.tasks.passwords import check_password, hash_password

AGENCY_KINDS = ("OPS", "PUP", "NGO", "SUPERVISION")
DEFAULT_TOKEN_HOURS = 12.0
#: compared against when the username is unknown, so both paths take the same time
_DUMMY_HASH = hash_password("not-a-password")
#: scrypt takes 32 MiB for each check: two at a time bound a burst of logins (8 server threads
#: logging in at once took the server from 105 to 230 MB), and more would not run faster on 2 cores
_HASHING = threading.BoundedSemaphore(2)


class NotAuthenticated(PathwaysError):
    """No valid credentials: a wrong password, or a token missing, unknown, expired or revoked."""

    code = "unauthorized"


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret itself: returned once, never stored
    expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agency(store: Store, code: str, kind: str, name: str, city: str = "") -> Agency:
    kind = kind.upper()
    if kind not in AGENCY_KINDS:
        raise InvalidData(f"unknown agency kind {kind!r}", fields={"kind": f"one of {', '.join(AGENCY_KINDS)}"})
    with store.unit_of_work() as uow:
        s = uow.session
        if s.scalar(select(Agency.id).where(Agency.code == code)) is not None:
            raise InvalidData(f"agency {code!r} already exists", fields={"code": "already exists"})
        agency = Agency(code=code, kind=kind, name=name or code, city=city)
        s.add(agency)
        uow.commit()
        return agency


def create_user(store: Store, roles: RoleVocabulary, username: str, agency_code: str, role_keys: Iterable[str],
                password: str, full_name: str = "") -> User:
    """Create an active user; every role must exist in the vocabulary (or be built in)."""
    role_keys = list(dict.fromkeys(role_keys))
    unknown = [r for r in role_keys if r not in roles]
    if unknown:
        raise InvalidData(f"unknown role(s): {', '.join(unknown)}", fields={"roles": "unknown: " + ", ".join(unknown)})
    if not username.strip():
        raise InvalidData("a username is required", fields={"username": "required"})
    if not password:
        raise InvalidData("a password is required", fields={"password": "required"})
    with store.unit_of_work() as uow:
        s = uow.session
        agency = s.scalars(select(Agency).where(Agency.code == agency_code)).first()
        if agency is None:
            raise InvalidData(f"unknown agency {agency_code!r}", fields={"agency": "unknown"})
        check_role_kinds(roles, role_keys, agency)
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise InvalidData(f"user {username!r} already exists", fields={"username": "already exists"})
        user = User(username=username, full_name=full_name or username, agency_id=agency.id,
                    password_hash=hash_password(password), role_rows=[UserRole(role=r) for r in role_keys])
        s.add(user)
        uow.commit()
        return _load_user(store, user.id)


def check_role_kinds(roles: RoleVocabulary, role_keys: Iterable[str], agency: Agency) -> None:
    """Refuse a role of another agency kind than the account's agency (an OPS worker with an NGO role).

    Such a role would never be offered tasks nor show sensitive values (`access.held_roles`), so
    granting it is always a mistake, or an attempt to widen someone's access: say so at once.
    Built-in roles (admin, designer) belong to the platform, not to an agency kind: any agency may hold them.
    """
    foreign = [r for r in role_keys if r not in BUILTIN_ROLES and roles.agency_kind(r) != agency.kind]
    if foreign:
        raise InvalidData(f"role(s) {', '.join(foreign)} belong to another kind of agency than {agency.code} "
                          f"({agency.kind})", fields={"roles": "not of this agency's kind: " + ", ".join(foreign)})


def authenticate(store: Store, username: str, password: str) -> User:
    """The active user with these credentials; NotAuthenticated otherwise (same message either way)."""
    with store.unit_of_work(write=False) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    with _HASHING:
        valid = check_password(stored, password)
    if user is None or not user.active or not user.password_hash or not valid:
        raise NotAuthenticated("wrong username or password")
    return _load_user(store, user.id)


def issue_token(store: Store, user: User, hours: float = DEFAULT_TOKEN_HOURS) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(hours=hours)
    with store.unit_of_work() as uow:
        uow.session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=clock.now(),
                                 expires_at=expires_at))
        uow.commit()
    return IssuedToken(token, expires_at, user)


def resolve_token(store: Store, token: str | None) -> User:
    """The user a live token belongs to (agency and roles loaded); NotAuthenticated otherwise."""
    if not token:
        raise NotAuthenticated("authentication required: send Authorization: Bearer <token>")
    # Every API request runs this: one statement for the token, its user, agency and roles.
    query = (select(ApiToken.revoked_at, ApiToken.expires_at, User).join(User, User.id == ApiToken.user_id)
             .where(ApiToken.token_hash == token_hash(token))
             .options(joinedload(User.agency), joinedload(User.role_rows)))
    with store.unit_of_work(write=False) as uow:
        row = uow.session.execute(query).unique().first()
    if row is None or row.revoked_at is not None or clock.aware(row.expires_at) <= clock.now():
        raise NotAuthenticated("the token is unknown, expired or revoked; log in again")
    user: User = row.User
    if not user.active:
        raise NotAuthenticated("the account is disabled")
    return user


def revoke_token(store: Store, token: str) -> None:
    with store.unit_of_work() as uow:
        row = uow.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = clock.now()
            uow.commit()


def _query_user(s: Session, user_id: int) -> User | None:
    return s.scalars(select(User).options(joinedload(User.agency)).where(User.id == user_id)).first()


def _load_user(store: Store, user_id: int) -> User:
    with store.unit_of_work(write=False) as uow:
        user = _query_user(uow.session, user_id)
    assert user is not None
    return user



def load_active_user(store: Store, user_id: int) -> User:
    """The active user with this id (agency and roles loaded), for a signed-in page session."""
    with store.unit_of_work(write=False) as uow:
        user = _query_user(uow.session, user_id)
    if user is None or not user.active:
        raise NotAuthenticated("the account is disabled or no longer exists")
    return user
