"""Logging in and out of the pages, choosing the language, and the signed-in user of a request.

The signed cookie carries a server-side session id (`pathways.tasks.sessions`), never the user's
id: logging out, the idle timeout and the absolute lifetime end the session on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.tasks import accounts, sessions
from pathways.web.errors import is_local_path
from pathways.web.i18n import LANGUAGES

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")


@bp.before_request
def protect_forms() -> None:
    """Every page form POST carries the session's CSRF token (Flask-WTF); the API uses bearer tokens."""
    current_app.extensions["csrf"].protect()


def _limits() -> sessions.SessionLimits:
    config = services(current_app).config
    return sessions.SessionLimits.of(config.session_idle_minutes, config.session_hours)


@bp.before_request
def load_user() -> None:
    """Put the signed-in user (agency and roles loaded) on `g.user`, or None."""
    g.user = None
    session_id = session.get("sid")
    if session_id is None:
        return
    g.user = sessions.resolve_session(services(current_app).store, session_id, _limits())
    if g.user is None:
        session.pop("sid", None)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """The `next` of the login, if it is a path on this site (`is_local_path`), else the home page."""
    return target if target is not None and is_local_path(target) else url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int, dict[str, str]]:
    error, status, headers = None, 200, {}
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        pathways = services(current_app)
        attempt = accounts.LoginAttempt(username, request.form.get("password", ""), request.remote_addr or "", "web")
        try:
            user = accounts.log_in(pathways.store, attempt)
        except accounts.TooManyAttempts as exc:
            error, status, headers = _("Too many failed sign-ins. Try again later."), 429, {
                "Retry-After": str(exc.retry_after)}
        except accounts.NotAuthenticated:
            error, status = _("Wrong username or password."), 401
        else:
            _restart_session(sessions.open_session(pathways.store, user, _limits(), address=attempt.address))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=username), status, headers


def _restart_session(session_id: str | None) -> None:
    """A fresh cookie (no fixation: nothing of the old one but the language) with this session id."""
    lang = session.get("lang")
    session.clear()
    if session_id:
        session["sid"] = session_id
    if lang:
        session["lang"] = lang


@bp.post("/logout")
def logout() -> Response:
    """Ends the session on the server: a copy of the cookie kept anywhere opens nothing."""
    sessions.end_session(services(current_app).store, session.get("sid"))
    _restart_session(None)
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
