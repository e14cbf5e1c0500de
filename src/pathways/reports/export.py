"""Figures as files people open in Polish Excel or LibreOffice: CSV and XLSX.

CSV: UTF-8 with a byte-order mark (so Excel reads Polish letters), `;` between fields and a
decimal comma (Polish Excel's defaults), CRLF line ends. XLSX (openpyxl): numbers stay numbers
(`#,##0.00` for amounts and hours, `#,##0` for counts), dates are dates, the header row is bold
and frozen, and a second sheet records the filter.

No cell ever runs as a formula or DDE command, whatever a case holds or a filter says: every
text cell (headers and the filter sheet included) that starts with `=`, `+`, `-`, `@`, tab or CR
(`FORMULA_START`) is neutralised here, the one writer of CSV and XLSX (the API, the
supervisor's downloads and `pathways report` all call `render`). CSV has no types, so the text
gets a leading `'` (`neutral`). An XLSX cell has one: it is written as a string cell with Excel's
quote-prefix flag (what typing a leading `'` sets), so it shows as typed, stays text when edited,
and is never read as a formula; control characters XML cannot hold become U+FFFD.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from pathways.reports.figure import Column, Figure
from pathways.reports.labels import NO, YES, _l, translate

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AMOUNT_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
#: what a spreadsheet reads as the start of a formula (tab and CR: LibreOffice and Excel strip them first)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SCOPE_LABELS = {"pathway": _l("Pathway"), "agency": _l("Agency"), "from": _l("From"), "to": _l("To")}


def filename(figure: Figure, fmt: str) -> str:
    return f"{figure.name}.{fmt}"


def render(figure: Figure, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(figure)
    if fmt == "xlsx":
        return to_xlsx(figure)
    raise ValueError(f"no export format {fmt!r}")


def neutral(text: str) -> str:
    """`text` as a spreadsheet shows it and never runs: a formula-leading character gets a `'` first."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _put_text(cell: Any, text: str) -> None:
    """`text` in an XLSX cell as text: a string cell, quote-prefixed if a formula could start it.

    Control characters XML forbids become U+FFFD (openpyxl raises on them, which would make a
    case holding one unexportable).
    """
    cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    cell.data_type = "s"  # never a formula
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


def _text(column: Column, value: Any, lang: str) -> str:
    """A non-numeric value as people read it (names translated, lists joined, yes/no)."""
    if value is None:
        return ""
    if column.kind == "bool":
        return translate(YES if value else NO, lang)
    if isinstance(value, date):
        return value.isoformat()
    shown = column.show(value, lang)
    return ", ".join(str(v) for v in shown) if isinstance(shown, list | tuple) else str(shown)


def _csv_value(column: Column, value: Any, lang: str) -> str:
    if value is None:
        return ""
    if column.kind == "decimal":
        return f"{Decimal(value):.2f}".replace(".", ",")
    if column.kind == "int":
        return str(int(value))
    return neutral(_text(column, value, lang))


def to_csv(figure: Figure) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutral(translate(c.label, figure.lang)) for c in figure.columns])
    for row in figure.rows:
        writer.writerow([_csv_value(c, row.values.get(c.key), figure.lang) for c in figure.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Report"


def to_xlsx(figure: Figure) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(translate(figure.title, figure.lang))
    bold = Font(bold=True)
    for index, column in enumerate(figure.columns):
        header = sheet.cell(row=1, column=index + 1)
        _put_text(header, translate(column.label, figure.lang))
        header.font = bold
    widths = [len(translate(c.label, figure.lang)) for c in figure.columns]
    for row_number, row in enumerate(figure.rows, start=2):
        for index, column in enumerate(figure.columns):
            cell = sheet.cell(row=row_number, column=index + 1)
            _fill(cell, column, row.values.get(column.key), figure.lang)
            widths[index] = max(widths[index], len(str(cell.value or "")) + (3 if column.kind == "decimal" else 0))
    for index, width in enumerate(widths):
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    scope = book.create_sheet(_sheet_title(translate(_l("Filter"), figure.lang)))
    for line, (key, value) in enumerate(figure.scope.as_dict().items(), start=1):
        _put_text(scope.cell(row=line, column=1), translate(SCOPE_LABELS[key], figure.lang))
        _put_text(scope.cell(row=line, column=2), str(value) if value else translate(_l("all"), figure.lang))
        scope.cell(row=line, column=1).font = bold
    scope.column_dimensions["A"].width = 16
    scope.column_dimensions["B"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(cell: Any, column: Column, value: Any, lang: str) -> None:
    if value is None:
        return
    if column.kind == "decimal":
        cell.value, cell.number_format = float(value), AMOUNT_FORMAT
    elif column.kind == "int":
        cell.value, cell.number_format = int(value), COUNT_FORMAT
    elif column.kind == "date" and isinstance(value, date):
        cell.value, cell.number_format = value, DATE_FORMAT
    else:
        _put_text(cell, _text(column, value, lang))
