"""Supervisor figures, ESF indicators and their exports (no Flask: the API, pages and CLI call it).

    figures = reports.build(store, engine, user, ["stages", "hours"], Scope(pathway="..."), lang="pl")

Each figure is one or two aggregate queries over the rows the engine keeps beside each case
(stages, tasks, measures, events), restricted to the cases the user's agency takes part in.
docs/reports.md says what each figure means and how it is computed.
"""

from __future__ import annotations

from pathways.reports.figure import Column, Figure, Row, Scope
from pathways.reports.filters import CaseFilter
from pathways.reports.service import (
    FIGURES,
    REPORT_ROLES,
    build,
    filter_options,
    matching_cases,
    may_read_reports,
    titles,
    user_named,
)

__all__ = ["FIGURES", "REPORT_ROLES", "CaseFilter", "Column", "Figure", "Row", "Scope", "build", "filter_options",
           "matching_cases", "may_read_reports", "titles", "user_named"]
