"""Counters of failed logins, in the database so that every server process agrees.

One row per account name (as typed) and per client address. Attempts count within a window
(`LoginLimits.window`), each before its password is checked; reaching a limit locks that key
until `lock` has passed. The counters
know nothing of users: `accounts.log_in` decides what counts as a failure and what resets.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.store.models import LoginThrottle


@dataclass(frozen=True)
class LoginLimits:
    #: failures are counted over this period
    window: timedelta = timedelta(minutes=15)
    #: failures of one account name within the window that lock it
    per_account: int = 10
    #: failures from one client address within the window that lock it (offices share addresses)
    per_address: int = 50
    #: how long a lock lasts
    lock: timedelta = timedelta(minutes=15)


DEFAULT_LIMITS = LoginLimits()


def account_key(username: str) -> str:
    """The key of an account name as typed: casefolded, so `Anna.Ops` counts with `anna.ops`."""
    return _hash(f"account:{username.casefold()}")


def address_key(address: str) -> str:
    """The key of a client address; an IPv6 address counts with its whole /64 (one subscriber
    usually holds a /64, and could otherwise take a fresh address for every guess)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return _hash(f"address:{address}")
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return _hash(f"address:{parsed.ipv4_mapped}")
        return _hash(f"address:{ipaddress.IPv6Network((parsed, 64), strict=False)}")
    return _hash(f"address:{parsed}")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def locked_for(s: Session, keys: list[str]) -> int:
    """Seconds until the last of these keys' locks ends (0: none is locked)."""
    now = clock.now()
    ends = [clock.aware(until) for until in s.scalars(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.locked_until.is_not(None)))]
    remaining = max([(end - now).total_seconds() for end in ends if end is not None] + [0.0])
    return math.ceil(remaining)


def count_attempt(s: Session, key: str, limit: int, limits: LoginLimits) -> int:
    """Count one login attempt for `key` before its password is checked (in the caller's write
    transaction); returns the attempts within the window, this one included.

    Counting before hashing is what makes the limit hold against a burst of parallel guesses:
    the row is read under a lock, so each attempt sees the ones before it, and one counted past
    the limit is refused unhashed (`log_in`). Reaching the limit locks the key; attempts counted
    beyond it (a burst that raced the lock) never prolong it. The row is created if missing
    (INSERT ... ON CONFLICT DO NOTHING), so concurrent first attempts cannot collide.
    """
    now = clock.now()
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(dialect.insert(LoginThrottle).values(key=key, failures=0, window_start=now)
              .on_conflict_do_nothing(index_elements=["key"]))
    row = s.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if clock.aware(row.window_start) + limits.window <= now:
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures == limit:
        row.locked_until = now + limits.lock
    return int(row.failures)


def uncount_attempt(s: Session, key: str, limit: int) -> None:
    """Take back an attempt that turned out right (the address of a successful login)."""
    row = s.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).first()
    if row is None:
        return
    row.failures = max(row.failures - 1, 0)
    if row.failures < limit:
        row.locked_until = None


def reset(s: Session, key: str) -> None:
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def forget_stale(s: Session, limits: LoginLimits) -> None:
    """Drop rows whose window and lock are over, so the table holds only current attackers."""
    now = clock.now()
    s.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start <= now - limits.window,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)))


