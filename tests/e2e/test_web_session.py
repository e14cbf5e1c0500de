"""Signing in and out of the pages, the language switch, CSRF and cookie flags (Flask test client)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from pathways.demo import PASSWORD
from tests.e2e.api_fixtures import _template_db, api_app  # noqa: F401 - fixtures


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    return api_app.test_client()


def csrf(web, path="/login"):
    page = web.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(web, username="anna.ops", password=PASSWORD, next_path=None):
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return web.post(url, data={"username": username, "password": password, "csrf_token": csrf(web)})


def test_login_page_is_polish_by_default(web):
    page = web.get("/login").get_data(as_text=True)
    assert '<html lang="pl">' in page
    assert "Zaloguj się" in page and "Nazwa użytkownika" in page
    assert "Sign in" not in page


def test_wrong_password_is_refused_with_a_message_and_no_session(web):
    response = sign_in(web, password="nope")
    assert response.status_code == 401
    assert "Nieprawidłowa nazwa użytkownika lub hasło." in response.get_data(as_text=True)
    assert web.get("/inbox").status_code == 302


def test_a_post_without_csrf_token_is_refused(web):
    response = web.post("/login", data={"username": "anna.ops", "password": PASSWORD})
    assert response.status_code == 400
    assert web.get("/inbox").status_code == 302


def test_the_start_page_sends_to_the_login_or_the_inbox(web):
    assert web.get("/").headers["Location"].endswith("/login")
    assert web.get("/home").headers["Location"].endswith("/login")
    sign_in(web)
    assert web.get("/").headers["Location"].endswith("/inbox")
    assert web.get("/home").headers["Location"].endswith("/inbox")


def test_sign_in_shows_name_agency_and_roles_then_sign_out(web):
    response = sign_in(web)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = web.get("/inbox").get_data(as_text=True)
    assert "Anna Kowalska" in page and "Miejski Ośrodek Pomocy Społecznej w Bartoszycach" in page
    assert "Pracownik socjalny" in page
    response = web.post("/logout", data={"csrf_token": csrf(web, "/inbox")})
    assert response.status_code == 302
    assert web.get("/inbox").status_code == 302


def test_language_switch_to_english_and_back(web):
    sign_in(web)
    web.post("/language", data={"lang": "en", "next": "/inbox", "csrf_token": csrf(web, "/inbox")})
    page = web.get("/inbox").get_data(as_text=True)
    assert '<html lang="en">' in page and "Social worker" in page and "Sign out" in page
    web.post("/language", data={"lang": "xx", "next": "/inbox", "csrf_token": csrf(web, "/inbox")})
    assert '<html lang="en">' in web.get("/inbox").get_data(as_text=True)  # an unknown language changes nothing
    web.post("/language", data={"lang": "pl", "next": "/inbox", "csrf_token": csrf(web, "/inbox")})
    assert "Wyloguj" in web.get("/inbox").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_no_open_redirect_after_sign_in(web, target):
    response = sign_in(web, next_path=target)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    assert "evil" not in response.headers["Location"]


def test_next_page_is_kept_through_sign_in(web):
    assert web.get("/inbox").headers["Location"].endswith("/login?next=/inbox")
    assert sign_in(web, next_path="/inbox").headers["Location"].endswith("/inbox")


def test_the_menu_shows_designer_and_supervisor_only_to_those_roles(web):
    sign_in(web)  # anna.ops: a social worker
    page = web.get("/inbox").get_data(as_text=True)
    assert "Skrzynka zadań" in page and "Projektant" not in page and ">Nadzór<" not in page
    web.post("/logout", data={"csrf_token": csrf(web, "/inbox")})
    sign_in(web, "teresa.sup")
    page = web.get("/inbox").get_data(as_text=True)
    assert ">Nadzór<" in page and "Projektant" not in page
