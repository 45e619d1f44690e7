"""Plain tables in and out: rosters read, reports and roll-ups written."""

from __future__ import annotations

import re
from collections.abc import Sequence as _Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import (
    get_column_letter,
)
from openpyxl.workbook.properties import CalcProperties

from xlsxform.errors import UnreadableWorkbookError
from xlsxform.workbook.cells import form_sheet, opened, store_text
from xlsxform.workbook.text import (
    clean_text,
    plain_text,
)

# -- collection: rosters and summary tables -----------------------------------


def read_table(path: str | Path, *, max_rows: int, max_cols: int) -> list[list[Any]]:
    """The values of the first visible sheet of an .xlsx, row by row, bounded
    whatever the file declares; trailing empty rows dropped."""
    with opened(path, data_only=True) as workbook:
        sheet = form_sheet(workbook, "")
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        sheet.reset_dimensions()
        rows = [list(row) for row in sheet.iter_rows(min_row=1, max_row=max_rows, max_col=max_cols, values_only=True)]
    rows = [[plain_text(v) if isinstance(v, str) else v for v in row] for row in rows]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    return rows


@dataclass(frozen=True)
class Link:
    """A cell showing ``text`` that opens ``target`` (a path relative to the workbook)."""

    text: str
    target: str


@dataclass(frozen=True)
class Table:
    """One sheet of a plain report: a header row, rows, and optionally a 合计
    row with a SUM formula under each column named in ``totals``."""

    title: str
    header: _Sequence[str]
    rows: _Sequence[_Sequence[Any]]
    totals: _Sequence[int] = ()
    """0-based columns summed in the totals row."""
    total_label: str = "合计"
    amount_format: str = "#,##0.00####"


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
_LINK_FONT = Font(color="0563C1", underline="single")
_TOP = Alignment(vertical="top", wrap_text=True)


def write_tables(target: str | Path | BinaryIO, tables: _Sequence[Table]) -> None:
    """A workbook of plain tables, one sheet each.

    Text is always stored as text (a department name beginning with '=' stays
    a name), numbers as numbers, Decimals as their nearest double, and each
    totals cell is a formula ``=SUM(C2:C9)`` recalculated when opened.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.calculation = CalcProperties(fullCalcOnLoad=True)
    workbook.properties.creator = "xlsxform"
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title))
        widths = [_width(str(h)) for h in table.header]
        for col, label in enumerate(table.header, 1):
            cell = sheet.cell(1, col)
            store_text(cell, clean_text(str(label)))
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP
        for r, row in enumerate(table.rows, 2):
            for col, value in enumerate(row, 1):
                cell = sheet.cell(r, col)
                shown = _put(cell, value, table.amount_format)
                if col <= len(widths):
                    widths[col - 1] = max(widths[col - 1], _width(shown))
        if table.totals:
            last = len(table.rows) + 1
            total_row = last + 1
            label = sheet.cell(total_row, 1)
            store_text(label, clean_text(table.total_label))
            label.font = _HEADER_FONT
            for index in table.totals:
                letter = get_column_letter(index + 1)
                cell = sheet.cell(total_row, index + 1)
                cell.value = f"=SUM({letter}2:{letter}{last})" if last >= 2 else 0
                cell.number_format = table.amount_format
                cell.font = _HEADER_FONT
        for col, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(table.header), 1))}{len(table.rows) + 1}"
    if not tables:
        workbook.create_sheet("Sheet1")
    workbook.save(target)


def _put(cell: Any, value: Any, amount_format: str) -> str:
    """Write one value; return the text it shows, for the column width."""
    if isinstance(value, Link):
        store_text(cell, clean_text(value.text))
        cell.hyperlink = value.target
        cell.font = _LINK_FONT
        return value.text
    if value is None:
        return ""
    if isinstance(value, bool):
        cell.value = value
        return str(value)
    if isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = amount_format
        return format(value, "f")
    if isinstance(value, int | float):
        cell.value = value
        return str(value)
    text = str(value)
    store_text(cell, clean_text(text))
    cell.alignment = _TOP
    return text


def _width(text: str) -> float:
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in line[:80])


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub("_", title).strip("'")[:31] or "Sheet"
