"""Every user-visible string of the pages has a Polish translation, and the compiled catalog is current."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers import ROOT

SOURCE = ROOT / "src" / "pathways"
CATALOG = SOURCE / "translations" / "pl" / "LC_MESSAGES"
METHODS = [("web/**.py", "python"), ("reports/**.py", "python"), ("web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(SOURCE), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _po():
    with (CATALOG / "messages.po").open("rb") as fh:
        return read_po(fh, locale="pl")


def test_every_page_string_has_a_polish_translation():
    catalog = _po()
    untranslated = sorted(m for m in _extracted()
                          if m not in catalog or not all(catalog[m].string if isinstance(catalog[m].string, tuple)
                                                         else [catalog[m].string]))
    assert untranslated == [], "run `make i18n` and translate the new entries"


def test_compiled_catalog_matches_the_po_file():
    def key(value):  # plural messages have a tuple of ids and a list of forms
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with (CATALOG / "messages.mo").open("rb") as fh:
        compiled = {key(m.id): key(m.string) for m in read_mo(fh) if m.id}
    source = {key(m.id): key(m.string) for m in _po() if m.id and m.string and not m.fuzzy}
    assert compiled == source, "recompile: .venv/bin/pybabel compile -d src/pathways/translations"
