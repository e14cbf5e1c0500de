"""The person's export as a readable, printable HTML document in Polish (GDPR art. 15(3): a copy).

Rendered with Jinja2 alone (no Flask: the command line writes the same file), autoescaped: every
value in the export is data and is shown as text. `render` gives the whole document with its own
print style (a file the auditor saves or prints and hands over); `render_body` the same content
without the document around it, for the auditor's page, which styles it with the site's CSS.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pathways.base import clock

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUSES = {"active": "w toku", "completed": "zakończona", "failed": "zakończona błędem", "cancelled": "przerwana",
            "closed": "zamknięta", "open": "otwarte"}
PERSON_STATUSES = {"active": "zarejestrowana", "erased": "tożsamość usunięta"}
BASES = {"own": "własne zadanie ustawowe agencji prowadzącej", "consent": "zgoda osoby",
         "statute": "przepis prawa"}
IDENTITY = {"first_name": "Imię", "last_name": "Nazwisko", "pesel": "PESEL", "birth_date": "Data urodzenia",
            "phone": "Telefon", "email": "E-mail", "address": "Adres"}


def when(value: Any) -> str:
    """A time as Warsaw reads it (`3.11.2026 09:15`); text as it is; empty for nothing."""
    if isinstance(value, datetime):
        return f"{clock.aware(value).astimezone(clock.WARSAW):%d.%m.%Y %H:%M}"
    return "" if value is None else str(value)


def shown(value: Any) -> str:
    """A stored value as text: yes/no for booleans, compact JSON for structures, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "tak" if value else "nie"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(when=when, shown=shown, STATUSES=STATUSES, PERSON_STATUSES=PERSON_STATUSES, BASES=BASES,
                    IDENTITY=IDENTITY)


def render(export: dict[str, Any]) -> str:
    return _env.get_template("export.html").render(export=export)


def render_body(export: dict[str, Any]) -> str:
    return _env.get_template("export_body.html").render(export=export)
