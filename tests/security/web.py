"""Helpers for the security tests: page sign-in with the CSRF token, the session cookie."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from pathways.demo import PASSWORD


def csrf(web: FlaskClient, path: str = "/login") -> str:
    page = web.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(web: FlaskClient, username: str = "anna.ops", password: str = PASSWORD) -> Any:
    return web.post("/login", data={"username": username, "password": password, "csrf_token": csrf(web)})


def sign_out(web: FlaskClient) -> Any:
    return web.post("/logout", data={"csrf_token": csrf(web, "/inbox")})


def session_cookie(web: FlaskClient) -> str:
    cookie = web.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def signed_in(web: FlaskClient) -> bool:
    """True if /inbox opens (not the redirect to the login page)."""
    return web.get("/inbox").status_code == 200
