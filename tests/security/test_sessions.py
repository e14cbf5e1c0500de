"""Server-side page sessions: logout, idle timeout, absolute lifetime, and ending all of a user's
sessions and tokens when the account is disabled or its password set (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry, WebSession
from pathways.tasks import accounts
from pathways.tasks.sessions import TOUCH_EVERY
from tests.e2e.api_fixtures import _template_db, any_app, api_app, login, pg_app  # noqa: F401 - fixtures
from tests.security.web import session_cookie, sign_in, sign_out, signed_in

NEW_PASSWORD = "violet-harbour-lamp-93"


def test_a_cookie_replayed_after_logout_is_refused(any_app, frozen_clock):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web)
    stolen = session_cookie(web)
    assert sign_out(web).status_code == 302 and not signed_in(web)
    replay = any_app.test_client()
    replay.set_cookie("session", stolen)
    assert not signed_in(replay)
    with services(any_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(WebSession)).all() == []
        actions = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.username == "anna.ops")
                                           .order_by(AuditEntry.id)))
    assert "web.login" in actions and actions[-1] == "web.logout"


def test_the_cookie_carries_no_user_id(any_app):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web)
    serializer = any_app.session_interface.get_signing_serializer(any_app)
    content = serializer.loads(session_cookie(web))
    assert "user_id" not in content and len(content["sid"]) >= 40
    with services(any_app).store.unit_of_work(write=False) as uow:
        stored = uow.session.scalars(select(WebSession.id_hash)).one()
    assert content["sid"] not in stored  # only the hash is kept


def test_idle_timeout(any_app, frozen_clock):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web)
    for _ in range(4):  # active every 29 minutes: two hours later still signed in
        frozen_clock.advance(minutes=29)
        assert signed_in(web)
    frozen_clock.advance(minutes=30)
    assert not signed_in(web)
    frozen_clock.advance(minutes=1)
    assert not signed_in(web)  # and it stays over


def test_absolute_lifetime(any_app, frozen_clock):  # noqa: F811 - fixture
    web = any_app.test_client()
    sign_in(web)
    for _ in range(11 * 4 + 3):  # active every 15 minutes for 11 h 45 min
        frozen_clock.advance(minutes=15)
        assert signed_in(web)
    frozen_clock.advance(minutes=15)  # 12 h after signing in
    assert not signed_in(web)
    assert sign_in(web).status_code == 302 and signed_in(web)  # signing in again starts a new one


def test_limits_come_from_the_configuration(any_app, frozen_clock):  # noqa: F811 - fixture
    config = services(any_app).config
    config.session_idle_minutes, config.session_hours = 5, 1
    web = any_app.test_client()
    sign_in(web)
    frozen_clock.advance(minutes=4)
    assert signed_in(web)
    frozen_clock.advance(minutes=5)
    assert not signed_in(web)


def test_last_seen_is_written_at_most_once_a_minute(any_app, frozen_clock):  # noqa: F811 - fixture
    store = services(any_app).store
    web = any_app.test_client()
    sign_in(web)

    def last_seen():
        with store.unit_of_work(write=False) as uow:
            return uow.session.scalars(select(WebSession.last_seen_at)).one().replace(tzinfo=None)

    first = last_seen()
    frozen_clock.advance(seconds=30)
    assert signed_in(web) and last_seen() == first
    frozen_clock.advance(seconds=TOUCH_EVERY.total_seconds())
    assert signed_in(web) and last_seen() == first + timedelta(seconds=90)


def _disable(app, username):
    accounts.set_active(services(app).store, username, False, by="test")


def _set_password(app, username):
    accounts.set_password(services(app).store, username, NEW_PASSWORD, by="test")


def _revoke(app, username):
    accounts.revoke_access(services(app).store, username, by="test")


def test_disabling_revoking_or_setting_a_password_ends_every_session_and_token(any_app):  # noqa: F811
    client = any_app.test_client()
    store = services(any_app).store
    # the password stays `demo` until the last change sets a new one
    for change, action in ((_disable, "account.disabled"), (_revoke, "account.revoked"),
                           (_set_password, "account.password_set")):
        accounts.set_active(store, "anna.ops", True, by="test")
        browsers = [any_app.test_client() for _ in range(2)]
        for web in browsers:
            sign_in(web)
            assert signed_in(web), action
        tokens = [login(client, "anna.ops") for _ in range(2)]
        change(any_app, "anna.ops")
        for web in browsers:
            assert not signed_in(web), action
        for token in tokens:
            response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, action
        with store.unit_of_work(write=False) as uow:
            entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                        .order_by(AuditEntry.id.desc())).first()
        assert entry.username == "anna.ops" and entry.detail["sessions_ended"] == 2, action
        assert entry.detail["tokens_revoked"] == 2 and entry.detail["by"] == "test", action


def test_a_disabled_user_cannot_sign_in_and_the_new_password_works(any_app):  # noqa: F811 - fixture
    store = services(any_app).store
    _set_password(any_app, "ewa.pup")
    web = any_app.test_client()
    assert sign_in(web, "ewa.pup").status_code == 401  # the old password is gone
    assert sign_in(web, "ewa.pup", NEW_PASSWORD).status_code == 302 and signed_in(web)
    _disable(any_app, "ewa.pup")
    assert not signed_in(web)
    assert sign_in(web, "ewa.pup", NEW_PASSWORD).status_code == 401
    accounts.set_active(store, "ewa.pup", True, by="test")
    assert sign_in(web, "ewa.pup", NEW_PASSWORD).status_code == 302 and signed_in(web)
