"""Which language a page is shown in: the user's choice in the session, else Polish."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, session
from flask_babel import get_locale

from pathways.core import services

DEFAULT = "pl"
LANGUAGES = {"pl": "Polski", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT


def current_locale() -> str:
    return str(get_locale() or DEFAULT)


def role_names(keys: Iterable[str]) -> list[str]:
    """Role keys as people read them, in the page's language (roles.toml has pl and en names)."""
    vocabulary = services(current_app).roles.roles
    english = current_locale() == "en"
    return sorted((vocabulary[k].en if english else vocabulary[k].pl) if k in vocabulary else k for k in keys)
