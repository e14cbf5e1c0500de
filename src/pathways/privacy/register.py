"""Records of processing (GDPR art. 30): what each deployed pathway collects, for whom, how long.

Read from the deployed BPMN (the latest version of each pathway): every form field (id, label,
type, sensitive or not, identifying or not), the task or start event and stage that collects it,
the agency kinds that see it (a sensitive field: the kinds of the collecting roles and of its
`visible_to` roles, `tasks/access.py`; any other field: every agency kind taking part in the
pathway's work), the statutory legal bases the admin keeps (and consent), and the retention
(`retention.py`). The annex a data protection officer keeps; the rest of the record (the
controller, the purposes, recipients outside the system, transfers, security measures) is the
controller's to write (docs/privacy.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from pathways.base import clock
from pathways.engine.cases import Engine
from pathways.privacy.fields import catalogue
from pathways.privacy.retention import version_retention
from pathways.store.db import Store
from pathways.store.models import LegalBasis, PathwayVersion

CONSENT = "zgoda osoby (art. 6 ust. 1 lit. a i art. 9 ust. 2 lit. a RODO), zapisywana dla agencji i sprawy"


def build_register(store: Store, engine: Engine) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        newest = (select(PathwayVersion.key, func.max(PathwayVersion.version).label("version"))
                  .group_by(PathwayVersion.key).subquery())
        versions = list(s.scalars(select(PathwayVersion).join(
            newest, (PathwayVersion.key == newest.c.key) & (PathwayVersion.version == newest.c.version))
            .order_by(PathwayVersion.key)))
        bases = [{"code": b.code, "title": b.title, "reference": b.reference, "gdpr": b.gdpr}
                 for b in s.scalars(select(LegalBasis).where(LegalBasis.active).order_by(LegalBasis.code))]
        pathways = [_pathway(engine, s, v, bases) for v in versions]
    return {"generated_at": clock.now(), "pathways": pathways}


def _pathway(engine: Engine, s: Any, version: PathwayVersion, bases: list[dict[str, str]]) -> dict[str, Any]:
    definition = engine.definition(s, version.id)
    roles = definition.roles
    fields = catalogue(definition)
    all_kinds = sorted({k for f in fields.values() for r in f.roles if (k := roles.agency_kind(r))})
    retention = version_retention(s, version)
    rows = []
    for f in fields.values():
        seeing = f.roles | f.visible_to if f.sensitive else None
        kinds = sorted({k for r in seeing if (k := roles.agency_kind(r))}) if seeing is not None else all_kinds
        rows.append({"id": f.id, "label": f.label, "type": f.type, "sensitive": f.sensitive,
                     "identifying": f.identifying, "wiped_on_anonymisation": f.wiped,
                     "collected_at": [{"element": c.element, "name": c.name, "stage": c.stage} for c in f.collected],
                     "roles": sorted(f.roles), "visible_to": sorted(f.visible_to), "agency_kinds": kinds})
    return {"key": version.key, "name": version.name, "version": version.version,
            "retention": retention.duration, "retention_declared": retention.declared,
            "retention_obligation": retention.obligation, "legal_bases": [*bases, {"code": "consent", "title": CONSENT,
                                                                                   "reference": "", "gdpr": ""}],
            "agency_kinds": all_kinds, "fields": rows}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def register_markdown(register: dict[str, Any]) -> str:
    """The register as Markdown (one section per pathway, one table row per field)."""
    lines = ["# Rejestr czynności przetwarzania — załącznik (art. 30 RODO)", "",
             f"Sporządzono z wdrożonych ścieżek: {register['generated_at']:%Y-%m-%d %H:%M} UTC.", ""]
    for p in register["pathways"]:
        lines += [f"## {_cell(p['name'])} (`{p['key']}`, wersja {p['version']})", "",
                  f"- Okres przechowywania: {p['retention']} od końca roku zakończenia sprawy"
                  f"{'' if p['retention_declared'] else ' (domyślny)'}; obowiązek: {_cell(p['retention_obligation'])}",
                  f"- Agencje biorące udział: {', '.join(p['agency_kinds']) or '—'}",
                  "- Podstawy prawne: " + "; ".join(_cell(f"{b['title']}" + (f" ({b['reference']})" if b['reference']
                                                                           else "")) for b in p["legal_bases"]),
                  "", "| Pole | Etykieta | Typ | Szczególne | Gdzie zbierane | Kto widzi |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for f in p["fields"]:
            where = ", ".join(f"{c['name']}" + (f" ({c['stage']})" if c["stage"] else "") for c in f["collected_at"])
            lines.append(f"| `{f['id']}` | {_cell(f['label'])} | {f['type']} | {'tak' if f['sensitive'] else 'nie'} | "
                         f"{_cell(where)} | {', '.join(f['agency_kinds']) or '—'} |")
        lines.append("")
    return "\n".join(lines)
