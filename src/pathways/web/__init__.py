"""Server-rendered pages for case workers, designers and supervisors, in Polish (default) and English.

The pages call the same services as the API (`pathways.tasks.*`), so a page never shows what the
API would refuse the same user. Sessions live on the server (`pathways.tasks.sessions`; the signed
cookie, HttpOnly, SameSite=Lax, Secure by default, carries their id); every form carries a CSRF
token (Flask-WTF); no page runs inline script (the Content-Security-Policy of
`pathways.http_security`). No asset comes from another host: public offices run closed
networks.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect

from pathways.web import i18n
from pathways.web.session import bp

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT)
    # The API authenticates with bearer tokens, not cookies: only the pages need CSRF tokens.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories=str(TRANSLATIONS))
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(languages=i18n.LANGUAGES, current_locale=i18n.current_locale,
                                 role_names=i18n.role_names, main_menu=main_menu)


#: The main menu: (endpoint, label, roles that see it; empty: everyone signed in).
#: Entries whose page is not registered are not shown.
MENU = [
    ("web.inbox", _l("Inbox"), ()),
    ("web.cases", _l("Cases"), ()),
    ("web.designer", _l("Designer"), ("designer", "admin")),
    ("web.supervisor", _l("Supervisor"), ("supervision.supervisor", "admin")),
    ("web.audit", _l("Audit log"), ("auditor", "admin")),
    ("web.incidents", _l("Incidents"), ("admin", "supervision.supervisor")),
    ("web.timers", _l("Timers"), ("admin",)),
    ("web.privacy_export", _l("A person's data"), ("auditor",)),
    ("web.team", _l("Substitutes and handover"), ()),
]


def main_menu() -> list[tuple[str, str]]:
    """The menu entries this app serves and the signed-in user may open."""
    held = g.user.roles if getattr(g, "user", None) is not None else set()
    return [(endpoint, str(label)) for endpoint, label, roles in MENU
            if endpoint in current_app.view_functions and (not roles or held & set(roles))]


# Each area of pages registers its routes on `bp` when imported (one module per area).
from pathways.web import (  # noqa: E402,F401
    audit,
    cases,
    decisions,
    designer,
    inbox,
    incidents,
    lifecycle,
    migrations,
    people,
    privacy,
    sharing,
    staffing,
    supervisor,
    task,
    timers,
)
