"""Tables out as CSV and XLSX, with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from engine.outputs.flagfile import safe_cell


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Thai text correctly."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([safe_cell(str(c)) for c in columns])
    for row in rows:
        w.writerow([_cell(v) if not isinstance(v, (dt.date, int, float)) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """One sheet per table; text that starts like a formula is stored as text, never evaluated."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (columns, rows) in sheets.items():
        sheet = book.create_sheet(safe_sheet_name(name))
        sheet.append([_cell(str(c)) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, even if it begins with '='
        for i, column in enumerate(columns, 1):
            width = max([len(str(column))] + [len(str(r[i - 1])) for r in rows[:200] if i - 1 < len(r)])
            sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = min(60, max(10, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def safe_sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31] or "sheet"
