"""The audit log page, for auditors (data protection officers) and administrators.

The same service as `GET /api/v1/audit` (`pathways.tasks.audit`): everyone else gets 403 (and an
`access.denied` entry), and every page shown or file exported is one `audit.read` entry with its
filters. The CSV is the API's (`pathways.reports.audit_log`). Times are shown in Europe/Warsaw.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, g, render_template, request, url_for

from pathways.core import services
from pathways.engine.errors import InvalidData
from pathways.reports.audit_log import audit_csv
from pathways.reports.export import CONTENT_TYPES
from pathways.tasks import audit
from pathways.web.cases import iso, when
from pathways.web.i18n import current_locale
from pathways.web.session import bp, login_required

PER_PAGE = 50
FILTERS = ("user", "case", "action", "from", "to")


def _require_reader() -> None:
    if not audit.may_read(g.user):
        audit.require_role(services(current_app).store, g.user, audit.READERS, request.endpoint or "web",
                           "the audit log is for auditors and administrators")


def _args() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip()[:64] for name in FILTERS}


def _query(args: dict[str, str], page: int = 1) -> audit.AuditQuery:
    case = args["case"]
    if case and not (case.isdigit() and len(case) < 11):
        raise InvalidData("case: not a case id", fields={"case": "a case number"})
    return audit.AuditQuery(user=args["user"] or None, case=int(case) if case else None,
                            action=args["action"] or None,
                            since=audit.parse_time(args["from"], field="from"),
                            until=audit.parse_time(args["to"], field="to", end=True),
                            page=page, per_page=PER_PAGE)


def _page_number() -> int:
    text = request.args.get("page", "")
    return int(text) if text.isdigit() and 0 < len(text) < 10 and int(text) > 0 else 1


def detail_text(detail: dict[str, Any]) -> str:
    """An entry's detail as one line: `key: value` pairs, nested values as compact JSON."""
    return "; ".join(f"{k}: {v if isinstance(v, str | int | float | bool) else json.dumps(v, ensure_ascii=False)}"
                     for k, v in sorted(detail.items()))


@bp.get("/audit", endpoint="audit")
@login_required
def audit_page() -> tuple[str, int]:
    _require_reader()
    args = _args()
    errors: dict[str, str] = {}
    page: dict[str, Any] = {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
    try:
        page = audit.read_log(services(current_app).store, g.user, _query(args, _page_number()))
    except InvalidData as invalid:
        fields = invalid.details.get("fields")
        errors = {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {"": invalid.message}
    pages = max(1, -(-page["total"] // PER_PAGE))
    chosen = {k: v for k, v in args.items() if v}

    def link(**change: Any) -> str:
        return url_for("web.audit") + "?" + urlencode({**chosen, **change})

    html = render_template("audit.html", page=page, args=args, errors=errors, pages=pages, link=link,
                           export=url_for("web.audit_export") + ("?" + urlencode(chosen) if chosen else ""),
                           when=when, iso=iso, detail_text=detail_text)
    return html, 400 if errors else 200


@bp.get("/audit/export.csv", endpoint="audit_export")
@login_required
def audit_export() -> Response:
    _require_reader()
    entries = audit.export_log(services(current_app).store, g.user, _query(_args()), fmt="csv")
    return Response(audit_csv(entries, "pl" if current_locale() == "pl" else "en"),
                    content_type=CONTENT_TYPES["csv"],
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
