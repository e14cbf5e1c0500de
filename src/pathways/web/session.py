"""Logging in and out of the pages, choosing the language, and the signed-in user of a request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import PathwaysError
from pathways.tasks import accounts
from pathways.web.i18n import LANGUAGES

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")


@bp.before_request
def protect_forms() -> None:
    """Every page form POST carries the session's CSRF token (Flask-WTF); the API uses bearer tokens."""
    current_app.extensions["csrf"].protect()


@bp.before_request
def load_user() -> None:
    """Put the signed-in user (agency and roles loaded) on `g.user`, or None."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    try:
        g.user = accounts.load_active_user(services(current_app).store, int(user_id))
    except PathwaysError:
        session.pop("user_id", None)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            user = accounts.authenticate(services(current_app).store, username, request.form.get("password", ""))
        except accounts.NotAuthenticated:
            error = _("Wrong username or password.")
        else:
            lang = session.get("lang")
            session.clear()  # a new session on login: no fixation
            session["user_id"] = user.id
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username), status  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> Response:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have been signed out."))
    return redirect(url_for("web.login"))


@bp.post("/language")
def language() -> Response:
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/home")
@bp.get("/")
def home() -> Response:
    """The start: the inbox for a signed-in user, the login page for anyone else."""
    return redirect(url_for("web.inbox" if g.user is not None else "web.login"))
