"""Brute force: failed logins are throttled per account name and per client address, with 429 and
Retry-After, the same for unknown names; the counters live in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import AuditEntry, LoginThrottle
from pathways.tasks import accounts, throttle
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401 - fixtures
from tests.security.web import sign_in, signed_in

TOKEN = "/api/v1/auth/token"


def _api(client, username, password, address="10.0.0.1"):
    return client.post(TOKEN, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_twenty_wrong_passwords_lead_to_429_over_the_api(any_app, frozen_clock):  # noqa: F811 - fixture
    client = any_app.test_client()
    statuses = [_api(client, "anna.ops", f"wrong-{n}").status_code for n in range(20)]
    assert statuses[:9] == [401] * 9 and set(statuses[9:]) == {429}
    locked = _api(client, "anna.ops", PASSWORD)  # the right password during the lock: refused too
    body = locked.get_json()
    assert locked.status_code == 429 and body["code"] == "too_many_attempts" and body["status"] == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert _api(client, "anna.ops", PASSWORD, address="10.9.9.9").status_code == 429  # another address too
    frozen_clock.advance(minutes=15)
    assert _api(client, "anna.ops", PASSWORD).status_code == 201


def test_twenty_wrong_passwords_lead_to_429_on_the_login_page(any_app, frozen_clock):  # noqa: F811 - fixture
    web = any_app.test_client()
    statuses = [sign_in(web, "piotr.ops", f"wrong-{n}").status_code for n in range(20)]
    assert statuses[:9] == [401] * 9 and set(statuses[9:]) == {429}
    locked = sign_in(web, "piotr.ops", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Zbyt wiele nieudanych prób logowania" in locked.get_data(as_text=True) and not signed_in(web)
    assert _api(any_app.test_client(), "piotr.ops", PASSWORD).status_code == 429  # one counter for both
    frozen_clock.advance(minutes=15, seconds=1)
    assert sign_in(web, "piotr.ops", PASSWORD).status_code == 302 and signed_in(web)


def test_unknown_names_answer_exactly_like_known_ones(any_app, frozen_clock):  # noqa: F811 - fixture
    client = any_app.test_client()
    known = [_api(client, "ewa.pup", "wrong") for _ in range(11)]
    unknown = [_api(client, "no.such.user", "wrong") for _ in range(11)]
    for a, b in zip(known, unknown, strict=True):
        assert (a.status_code, a.get_json()) == (b.status_code, b.get_json())
        assert a.headers.get("Retry-After") == b.headers.get("Retry-After")


def test_unknown_names_cost_a_password_hash_too(any_app, monkeypatch, frozen_clock):  # noqa: F811 - fixture
    """Similar timing: a name that matches no user is checked against a dummy hash."""
    checks = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password", lambda h, p: checks.append(h) or real(h, p))
    client = any_app.test_client()
    _api(client, "ewa.pup", "wrong")
    _api(client, "no.such.user", "wrong")
    assert len(checks) == 2 and all(h.startswith("scrypt:") for h in checks)


def test_a_successful_login_resets_the_account_count(any_app, frozen_clock):  # noqa: F811 - fixture
    client = any_app.test_client()
    for _ in range(3):
        for n in range(9):
            assert _api(client, "marek.ngo", f"wrong-{n}").status_code == 401
        assert _api(client, "marek.ngo", PASSWORD).status_code == 201  # 27 failures, never locked


def test_the_window_forgets_old_failures(any_app, frozen_clock):  # noqa: F811 - fixture
    client = any_app.test_client()
    for n in range(9):
        assert _api(client, "teresa.sup", f"wrong-{n}").status_code == 401
    frozen_clock.advance(minutes=16)
    assert _api(client, "teresa.sup", "wrong-again").status_code == 401  # a new window: count 1


def test_one_address_trying_many_names_is_locked(any_app, frozen_clock):  # noqa: F811 - fixture
    client = any_app.test_client()
    statuses = [_api(client, f"guess{n}", "wrong", address="10.6.6.6").status_code for n in range(51)]
    assert statuses[:49] == [401] * 49 and set(statuses[49:]) == {429}
    assert _api(client, "anna.ops", PASSWORD, address="10.6.6.6").status_code == 429
    assert _api(client, "anna.ops", PASSWORD, address="10.0.0.2").status_code == 201  # others are not


def test_failures_are_audited_without_the_password_and_counted_in_the_database(any_app, frozen_clock):  # noqa: F811
    client = any_app.test_client()
    _api(client, "anna.ops", "hunter2-secret-guess")
    # over HTTP a NUL is refused before any service runs (docs/security.md, "Input bounds"); a
    # caller of the service itself still gets its failure audited, the NUL replaced
    assert _api(client, "Nobody\x00", "another-secret-guess").status_code == 400
    store = services(any_app).store
    with pytest.raises(accounts.NotAuthenticated):
        accounts.log_in(store, accounts.LoginAttempt("Nobody\x00", "another-secret-guess", "10.0.0.1", "api"))
    with store.unit_of_work(write=False) as uow:
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.failed")).all()
        rows = uow.session.scalars(select(LoginThrottle)).all()
    # the typed name is never kept (people type passwords there): only the throttle's key of it
    assert [e.detail["account_key"] for e in entries] == [throttle.account_key("anna.ops"),
                                                          throttle.account_key("Nobody\x00")]
    assert "Nobody" not in repr([e.detail for e in entries])
    assert entries[0].username == "anna.ops" and entries[1].username == "anonymous"
    assert {e.detail["channel"] for e in entries} == {"api"} and entries[0].detail["address"] == "10.0.0.1"
    assert "secret-guess" not in repr([e.detail for e in entries])
    # two names and one address; the table holds hashes, never the names or the address
    assert len(rows) == 3 and not any("anna" in r.key or "10.0.0.1" in r.key for r in rows)


def test_an_ipv6_subscriber_counts_as_one_address_whatever_address_of_its_64_it_takes():
    from pathways.tasks import throttle

    same = {throttle.address_key(f"2001:db8:1:2:{n:x}::1") for n in range(50)}
    assert len(same) == 1
    assert throttle.address_key("2001:db8:1:3::1") not in same  # the next /64 is someone else
    assert throttle.address_key("::ffff:192.0.2.7") == throttle.address_key("192.0.2.7")
    assert throttle.address_key("192.0.2.7") != throttle.address_key("192.0.2.8")


def test_a_burst_of_parallel_guesses_gets_no_more_hashed_than_the_limit(any_app, monkeypatch, frozen_clock):  # noqa: F811
    """24 simultaneous wrong passwords for one account (limit 10): each attempt is counted before
    its password is checked, so at most 10 are hashed (before, the lock check and the count were
    separate transactions and about 16 got through), and then even the right password waits."""
    import threading

    hashed = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password", lambda h, p: hashed.append(p) or real(h, p))
    store = services(any_app).store
    start, outcomes = threading.Barrier(24), []

    def guess(n):
        start.wait()
        try:
            accounts.log_in(store, accounts.LoginAttempt("ewa.pup", f"wrong-{n}", f"10.0.1.{n}", "api"))
            outcomes.append("in")
        except accounts.TooManyAttempts:
            outcomes.append(429)
        except accounts.NotAuthenticated:
            outcomes.append(401)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 24 and len(hashed) <= 10, (len(hashed), outcomes)
    assert outcomes.count(429) >= 14
    with store.unit_of_work(write=False) as uow:
        (row,) = uow.session.scalars(select(LoginThrottle).where(
            LoginThrottle.key == throttle.account_key("ewa.pup"))).all()
        assert row.locked_until is not None
    with pytest.raises(accounts.TooManyAttempts):
        accounts.log_in(store, accounts.LoginAttempt("ewa.pup", PASSWORD, "10.0.2.1", "api"))
