"""Server-side page sessions: the signed cookie carries only a random session id.

Why a table rather than the user's id in the cookie: a signed cookie cannot be taken back. With
the id of a `web_sessions` row in it, logging out deletes the row and every copy of the cookie
is dead; disabling a user or setting their password deletes all their rows (and revokes their
API tokens) in the same transaction. The cookie's id is `secrets.token_urlsafe(32)` and only
its SHA-256 is stored, so a copy of the database opens no session.

A session ends `idle` after its last request and `absolute` after signing in. To keep every
page a read, `last_seen_at` is written at most once a minute (`TOUCH_EVERY`): a session may end
up to that much before its idle time is over, never after.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from pathways.base import clock
from pathways.store.db import Store
from pathways.store.models import ApiToken, User, WebSession
from pathways.tasks import audit

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def of(cls, idle_minutes: float, hours: float) -> SessionLimits:
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=hours))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(store: Store, user: User, limits: SessionLimits, *, address: str = "") -> str:
    """A new session of `user` (audited `web.login`); returns the id for the cookie, shown once.

    The user's sessions that are already over are removed on the way, so the table stays small.
    """
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    with store.unit_of_work() as uow:
        s = uow.session
        s.execute(delete(WebSession).where(WebSession.user_id == user.id, or_(
            WebSession.last_seen_at <= now - limits.idle, WebSession.created_at <= now - limits.absolute)))
        s.add(WebSession(id_hash=_hash(session_id), user_id=user.id, created_at=now, last_seen_at=now))
        audit.record(s, user, "web.login", detail={"address": address} if address else None)
        uow.commit()
    return session_id


def resolve_session(store: Store, session_id: str | None, limits: SessionLimits) -> User | None:
    """The active user of a live session (agency and roles loaded), or None.

    One read for the session, its user, agency and roles; a write only when the session is over
    (the row goes) or `last_seen_at` is older than TOUCH_EVERY.
    """
    if not session_id or not isinstance(session_id, str):
        return None
    query = (select(WebSession.id, WebSession.created_at, WebSession.last_seen_at, User)
             .join(User, User.id == WebSession.user_id).where(WebSession.id_hash == _hash(session_id))
             .options(joinedload(User.agency), joinedload(User.role_rows)))
    with store.unit_of_work(write=False) as uow:
        row = uow.session.execute(query).unique().first()
    if row is None:
        return None
    now = clock.now()
    last_seen = clock.aware(row.last_seen_at)
    over = now - last_seen >= limits.idle or now - clock.aware(row.created_at) >= limits.absolute
    if over or not row.User.active:
        _delete(store, row.id)
        return None
    if now - last_seen >= TOUCH_EVERY:
        with store.unit_of_work() as uow:
            uow.session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
            uow.commit()
    user: User = row.User
    return user


def end_session(store: Store, session_id: str | None) -> None:
    """Log out: the session's row goes (audited `web.logout`); unknown ids are ignored."""
    if not session_id or not isinstance(session_id, str):
        return
    with store.unit_of_work() as uow:
        s = uow.session
        found = s.execute(select(WebSession.id, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.id_hash == _hash(session_id))).first()
        if found is None:
            return
        s.execute(delete(WebSession).where(WebSession.id == found.id))
        audit.record(s, found.User, "web.logout")
        uow.commit()


def end_all_access(s: Session, user_id: int) -> tuple[int, int]:
    """End every session and revoke every live token of a user, in the caller's transaction.

    Returns (sessions ended, tokens revoked).
    """
    ended: CursorResult[Any] = s.execute(delete(WebSession).where(WebSession.user_id == user_id))  # type: ignore[assignment]
    revoked: CursorResult[Any] = s.execute(  # type: ignore[assignment]
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now()))
    return int(ended.rowcount or 0), int(revoked.rowcount or 0)


def _delete(store: Store, row_id: int) -> None:
    with store.unit_of_work() as uow:
        uow.session.execute(delete(WebSession).where(WebSession.id == row_id))
        uow.commit()
