"""The audit log as a file: the entries `tasks.audit.export_log` returns, through the reports' CSV
writer, so a spreadsheet opens it in Polish Excel and never runs a value as a formula."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pathways.reports.export import to_csv
from pathways.reports.figure import Column, Figure, Row, Scope
from pathways.reports.labels import _l

COLUMNS = (
    Column("id", _l("Entry"), "int"),
    Column("at", _l("Time (UTC)")),
    Column("username", _l("User")),
    Column("action", _l("Action")),
    Column("case_id", _l("Case"), "int"),
    Column("task_id", _l("Task")),
    Column("detail", _l("Detail")),
)


def audit_figure(entries: Iterable[dict[str, Any]], lang: str = "en") -> Figure:
    rows = [Row({"id": e["id"], "at": e["at"].isoformat(timespec="seconds") if e["at"] else "",
                 "username": e["username"], "action": e["action"], "case_id": e["case_id"],
                 "task_id": e["task_id"],
                 "detail": json.dumps(e["detail"], ensure_ascii=False, sort_keys=True) if e["detail"] else ""})
            for e in entries]
    return Figure("audit", _l("Audit log"), COLUMNS, rows, Scope(), lang)


def audit_csv(entries: Iterable[dict[str, Any]], lang: str = "en") -> bytes:
    """The entries as CSV (UTF-8 with BOM, `;`, CRLF; formula-like texts kept as text)."""
    return to_csv(audit_figure(entries, lang))
