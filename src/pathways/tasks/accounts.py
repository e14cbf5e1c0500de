"""Accounts: agencies, users with roles, passwords, logging in, bearer tokens, account changes.

A token is `secrets.token_urlsafe(32)`, shown once; only its SHA-256 is stored, so a copy of the
database gives no working token. Tokens expire (`hours`, default 12) and can be revoked.
Passwords are hashed with scrypt (`pathways.tasks.passwords`) and must pass
`check_password_policy`.

Logging in goes through `log_in`, for the API and the pages alike: it refuses locked account
names and client addresses (`TooManyAttempts`, before any hashing), checks the password (a
dummy hash for unknown names, so both take the same time), counts failures (`throttle`) and
audits them. Disabling a user or setting a password ends all their sessions and tokens at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from pathways.base import clock
from pathways.engine.errors import InvalidData, NotFound, PathwaysError
from pathways.engine.roles import BUILTIN_ROLES, RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import Agency, ApiToken, User, UserRole
from pathways.tasks import audit, sessions, throttle
from pathways.tasks.bounds import MAX_CITY, MAX_CODE, MAX_NAME, check_text
from pathways.tasks.passwords import check_password, hash_password
from pathways.tasks.throttle import DEFAULT_LIMITS, LoginLimits

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


class TooManyAttempts(PathwaysError):
    """Too many failed logins for this account name or from this address: wait `retry_after` s.

    The same for names that match no user, so the answer tells nobody which names exist.
    """

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins: try again later", retry_after=retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginAttempt:
    """Credentials as typed, and where they came from (`channel`: api or web)."""

    username: str
    password: str
    address: str = ""
    channel: str = "api"


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret itself: returned once, never stored
    expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agency(store: Store, code: str, kind: str, name: str, city: str = "") -> Agency:
    for field, value, length in (("code", code, MAX_CODE), ("name", name, MAX_NAME), ("city", city, MAX_CITY)):
        check_text(field, value, length)
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
                password: str, full_name: str = "", *, check_policy: bool = True, by: str = "") -> User:
    """Create an active user; every role must exist in the vocabulary (or be built in).

    The password must pass `check_password_policy`; `check_policy=False` is for demo data and
    tests only (their users share one short password), never for an entry point a person uses.
    """
    role_keys = list(dict.fromkeys(role_keys))
    unknown = [r for r in role_keys if r not in roles]
    if unknown:
        raise InvalidData(f"unknown role(s): {', '.join(unknown)}", fields={"roles": "unknown: " + ", ".join(unknown)})
    if not username.strip():
        raise InvalidData("a username is required", fields={"username": "required"})
    check_text("username", username, MAX_CODE)
    check_text("full_name", full_name, MAX_NAME)
    check_text("agency", agency_code, MAX_CODE)
    if not password:
        raise InvalidData("a password is required", fields={"password": "required"})
    if check_policy:
        check_password_policy(password, username)
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
        s.flush()
        audit.record(s, user, "account.created", detail={"by": by, "agency": agency_code, "roles": role_keys})
        uow.commit()
        return _load_user(store, user.id)


def check_role_kinds(roles: RoleVocabulary, role_keys: Iterable[str], agency: Agency) -> None:
    """Refuse a role of another agency kind than the account's agency (an OPS worker with an NGO role).

    Such a role would never be offered tasks nor show sensitive values (`access.held_roles`), so
    granting it is always a mistake, or an attempt to widen someone's access: say so at once.
    Built-in roles (admin, designer, auditor) belong to the platform, not to an agency kind: any agency may hold them.
    """
    foreign = [r for r in role_keys if r not in BUILTIN_ROLES and roles.agency_kind(r) != agency.kind]
    if foreign:
        raise InvalidData(f"role(s) {', '.join(foreign)} belong to another kind of agency than {agency.code} "
                          f"({agency.kind})", fields={"roles": "not of this agency's kind: " + ", ".join(foreign)})


def authenticate(store: Store, username: str, password: str) -> User:
    """The active user with these credentials; NotAuthenticated otherwise (same message either way).

    Not throttled and not audited: the entry points (API, pages) log in through `log_in`.
    """
    with store.unit_of_work(write=False) as uow:
        user = _user_or_none(uow.session, username)
        stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    with _HASHING:
        valid = check_password(stored, password)
    if user is None or not user.active or not user.password_hash or not valid:
        raise NotAuthenticated("wrong username or password")
    return _load_user(store, user.id)


def log_in(store: Store, attempt: LoginAttempt, limits: LoginLimits = DEFAULT_LIMITS) -> User:
    """The user these credentials belong to, for the API and the pages alike.

    TooManyAttempts while the account name or the address is locked (checked before hashing, so
    a locked name answers as fast whether it exists or not, and a right password does not help);
    NotAuthenticated for wrong credentials, counted and audited (`auth.failed`, with the account
    when the name is one, else only the name's throttle key; never the typed name or password).
    Success clears the account's count and stamps `last_login_at`; the address's count stays, or
    one valid account would reset an attacker's budget.
    """
    keys = [throttle.account_key(attempt.username), throttle.address_key(attempt.address)]
    wait = _admit(store, attempt, limits, keys)
    if wait:
        raise TooManyAttempts(wait)
    try:
        user = authenticate(store, attempt.username, attempt.password)
    except NotAuthenticated:
        with store.unit_of_work() as uow:
            wait = throttle.locked_for(uow.session, keys)  # this attempt may have reached a limit
            _audit_failure(uow.session, attempt, "wrong credentials", locked=bool(wait))
            uow.commit()
        if wait:
            raise TooManyAttempts(wait) from None
        raise
    with store.unit_of_work() as uow:
        throttle.reset(uow.session, keys[0])
        throttle.uncount_attempt(uow.session, keys[1], limits.per_address)
        found = uow.session.get(User, user.id)
        if found is not None:
            found.last_login_at = clock.now()
        uow.commit()
    return user


def _admit(store: Store, attempt: LoginAttempt, limits: LoginLimits, keys: list[str]) -> int:
    """Count the attempt, or refuse it: the seconds to wait (0: go on and check the password).

    One write transaction: a locked name or address is refused without counting (knocking does
    not prolong a lock); otherwise the attempt is counted on both keys first, so of a burst of
    parallel guesses only those within the limits get hashed. A refusal is audited.
    """
    with store.unit_of_work() as uow:
        s = uow.session
        wait = throttle.locked_for(s, keys)
        if not wait:
            throttle.forget_stale(s, limits)
            by_account = throttle.count_attempt(s, keys[0], limits.per_account, limits)
            by_address = throttle.count_attempt(s, keys[1], limits.per_address, limits)
            if by_account > limits.per_account or by_address > limits.per_address:  # raced a lock
                wait = max(throttle.locked_for(s, keys), 1)
        if wait:
            _audit_failure(s, attempt, "locked", locked=True)
        uow.commit()
    return wait


def _audit_failure(s: Session, attempt: LoginAttempt, reason: str, *, locked: bool) -> None:
    known = _user_or_none(s, attempt.username)
    # never the name as typed: people type their password into the name field; the throttle's
    # key (SHA-256 of the casefolded name) lets an auditor match a name they already know
    audit.record(s, known, "auth.failed", detail={
        "account_key": throttle.account_key(attempt.username), "address": attempt.address,
        "channel": attempt.channel, "reason": reason, "locked": locked})


def _user_or_none(s: Session, username: str) -> User | None:
    """The user of this name; None for a name no database could store (NUL, a lone surrogate),
    which PostgreSQL would refuse to even compare."""
    if "\x00" in username or (not username.isascii() and _unencodable(username)):
        return None
    return s.scalars(select(User).where(User.username == username)).first()


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def issue_token(store: Store, user: User, hours: float = DEFAULT_TOKEN_HOURS) -> IssuedToken:
    """A new bearer token of `user`, audited `auth.login` in the same transaction."""
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(hours=hours)
    with store.unit_of_work() as uow:
        uow.session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=clock.now(),
                                 expires_at=expires_at))
        audit.record(uow.session, user, "auth.login")
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
    """Log out of the API: the token is revoked (audited `auth.logout`)."""
    with store.unit_of_work() as uow:
        row = uow.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = clock.now()
            audit.record(uow.session, uow.session.get(User, row.user_id), "auth.logout")
            uow.commit()


def _query_user(s: Session, user_id: int) -> User | None:
    return s.scalars(select(User).options(joinedload(User.agency)).where(User.id == user_id)).first()


def _load_user(store: Store, user_id: int) -> User:
    with store.unit_of_work(write=False) as uow:
        user = _query_user(uow.session, user_id)
    assert user is not None
    return user



# -- the password policy --------------------------------------------------------------------------
MIN_PASSWORD_LENGTH = 12
#: a password whose core contains one of these is refused whatever surrounds it
_FORBIDDEN_WORDS = ("password", "pathways", "haslo")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _core(password: str) -> str:
    """What a guesser tries first: lowercased, digits and punctuation cut from both ends, common
    letter-for-symbol swaps undone (`P@ssw0rd2024!` -> `password`)."""
    return _EDGES.sub("", password.casefold()).translate(_LEET)


@cache
def _common_cores() -> frozenset[str]:
    text = resources.files("pathways.tasks").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(_core(line) for line in lines if line and not line.startswith("#"))


def check_password_policy(password: str, username: str = "") -> None:
    """InvalidData (field `password`) unless the password is long and not an obvious guess.

    At least MIN_PASSWORD_LENGTH characters; not a common password (the shipped list) or a
    variant of one (digits or punctuation added at the ends, letters swapped for look-alikes);
    without `password`/`pathways` in it; not containing the username; not one character
    repeated. Length matters most: these rules only remove what a guesser tries first.
    """
    problem = _password_problem(password, username)
    if problem:
        raise InvalidData(f"the password is too weak: {problem}", fields={"password": problem})


def _password_problem(password: str, username: str) -> str | None:
    core = _core(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    if username.strip() and username.strip().casefold() in password.casefold():
        return "it must not contain the username"
    if not core or len(set(password)) < 5:
        return "it is too simple (too few different characters, or only digits and punctuation)"
    if core in _common_cores() or any(word in core for word in _FORBIDDEN_WORDS):
        return "it is a common password, or a variant of one"
    return None


# -- account changes (the `pathways user ...` commands) -----------------------------------------
@dataclass(frozen=True)
class AccountSummary:
    username: str
    full_name: str
    agency: str
    roles: list[str]
    active: bool
    last_login_at: datetime | None


def list_users(store: Store) -> list[AccountSummary]:
    """Every user with agency, roles, state and last login, by username."""
    with store.unit_of_work(write=False) as uow:
        users = uow.session.scalars(select(User).options(joinedload(User.agency)).order_by(User.username)).all()
        return [_summarise(u) for u in users]


def _summarise(user: User) -> AccountSummary:
    return AccountSummary(user.username, user.full_name, user.agency.code, sorted(user.roles), user.active,
                          clock.aware(user.last_login_at))


def set_active(store: Store, username: str, active: bool, *, by: str) -> AccountSummary:
    """Enable or disable a user; disabling ends every session and token of theirs at once."""
    with store.unit_of_work() as uow:
        user = _user_named(uow.session, username)
        user.active = active
        ended = sessions.end_all_access(uow.session, user.id) if not active else (0, 0)
        audit.record(uow.session, user, "account.disabled" if not active else "account.enabled",
                     detail={"by": by, "sessions_ended": ended[0], "tokens_revoked": ended[1]})
        uow.commit()
    return _summary(store, username)


def set_password(store: Store, username: str, password: str, *, by: str) -> AccountSummary:
    """A new password (policy checked); every session and token of the user ends with the old one."""
    check_password_policy(password, username)
    hashed = hash_password(password)
    with store.unit_of_work() as uow:
        user = _user_named(uow.session, username)
        user.password_hash = hashed
        ended = sessions.end_all_access(uow.session, user.id)
        throttle.reset(uow.session, throttle.account_key(username))
        audit.record(uow.session, user, "account.password_set",
                     detail={"by": by, "sessions_ended": ended[0], "tokens_revoked": ended[1]})
        uow.commit()
    return _summary(store, username)


def revoke_access(store: Store, username: str, *, by: str) -> tuple[int, int]:
    """End every session and revoke every token of a user (a lost laptop); (sessions, tokens)."""
    with store.unit_of_work() as uow:
        user = _user_named(uow.session, username)
        ended = sessions.end_all_access(uow.session, user.id)
        audit.record(uow.session, user, "account.revoked",
                     detail={"by": by, "sessions_ended": ended[0], "tokens_revoked": ended[1]})
        uow.commit()
    return ended


def _user_named(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _summary(store: Store, username: str) -> AccountSummary:
    with store.unit_of_work(write=False) as uow:
        user = uow.session.scalars(select(User).options(joinedload(User.agency))
                                   .where(User.username == username)).one()
        return _summarise(user)
