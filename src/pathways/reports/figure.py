"""A figure: titled columns and rows, each number with the filter of the cases behind it.

Every report is one `Figure`, so JSON, CSV, XLSX, the CLI and the pages share one shape:
`columns` say each value's type (text, int, decimal, date, bool, list) and `rows` hold plain
values by column key plus `links`: column key -> `CaseFilter` of the cases that number counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pathways.base.values import jsonable
from pathways.reports.filters import CaseFilter
from pathways.reports.labels import name_of, translate

KINDS = ("text", "int", "decimal", "date", "bool", "list")


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # an English message id (labels._l), translated when shown
    kind: str = "text"
    #: the number counts cases, and its link selects exactly those cases
    counts_cases: bool = False
    #: names of the values (keys -> English message ids), shown translated in exports and pages
    names: Mapping[str, str] | None = None

    def show(self, value: Any, lang: str) -> Any:
        """A value as people read it: known keys by their translated names."""
        if self.names is None or value is None:
            return value
        if isinstance(value, list | tuple):
            return [name_of(self.names, v, lang) for v in value]
        return name_of(self.names, str(value), lang)


@dataclass(frozen=True)
class Scope:
    """What a supervisor chose: a pathway (or all), an agency taking part (or all), a period of Warsaw days."""

    pathway: str | None = None
    agency: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def cases(self) -> CaseFilter:
        """The cases of the pathway and agency, whenever they started."""
        return CaseFilter(pathway=self.pathway, agency=self.agency)

    def cohort(self) -> CaseFilter:
        """The cases of the pathway and agency started within the period."""
        return self.cases().narrow(started_from=self.date_from, started_to=self.date_to)

    def as_dict(self) -> dict[str, str | None]:
        return {"pathway": self.pathway, "agency": self.agency,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None}


@dataclass
class Row:
    values: dict[str, Any]
    links: dict[str, CaseFilter] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass
class Figure:
    name: str
    title: str  # an English message id
    columns: tuple[Column, ...]
    rows: list[Row]
    scope: Scope
    lang: str = "en"
    totals: dict[str, Any] = field(default_factory=dict)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON: decimals as numbers, dates as YYYY-MM-DD, links as query parameters."""
        return {
            "figure": self.name,
            "title": translate(self.title, self.lang),
            "scope": self.scope.as_dict(),
            "columns": [{"key": c.key, "label": translate(c.label, self.lang), "type": c.kind,
                         "counts_cases": c.counts_cases} for c in self.columns],
            "rows": [{**{k: jsonable(v, exact=False) for k, v in row.values.items()},
                      "links": {k: f.params() for k, f in row.links.items()}} for row in self.rows],
            "totals": {k: jsonable(v, exact=False) for k, v in self.totals.items()},
        }
