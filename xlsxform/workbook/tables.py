"""Plain tables in and out: rosters read, reports and roll-ups written."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
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
from xlsxform.workbook.cells import BOX, form_sheet, one_page_wide, opened, store_text
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


KINDS = ("text", "count", "amount", "time", "link")
"""What a column holds, which decides its number format and alignment."""


@dataclass(frozen=True)
class Column:
    """A column of a report: its header and what it holds.

    ``kind`` is 'text', 'count' (whole numbers, shown 225), 'amount'
    (money, two decimals: 1,133.49), 'time' (a date-time cell) or 'link';
    ``total`` puts a SUM formula under it in the 合计 row; ``width`` (in
    characters) fixes its width instead of fitting the content."""

    title: str
    kind: str = "text"
    total: bool = False
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """One sheet of a report, print-ready: a title row (``heading``) and lines
    under it (``notes``), a header row repeated on every printed page, the
    rows, and a 合计 row of SUM formulas under the columns marked ``total``
    (or named in ``totals``, 0-based).

    A header given as plain text takes its kind from the values below it
    (Decimal: amount, int: count, datetime: time, :class:`Link`: link)."""

    title: str
    header: _Sequence[str | Column]
    rows: _Sequence[_Sequence[Any]]
    totals: _Sequence[int] = ()
    total_label: str = "合计"
    heading: str = ""
    notes: _Sequence[str] = ()
    empty: str = "（无）"
    """What the sheet says under the header when there are no rows."""

    def columns(self) -> list[Column]:
        """The header as columns, each with its kind and whether it is totalled."""
        columns = []
        for index, item in enumerate(self.header):
            column = item if isinstance(item, Column) else Column(str(item), _kind([row[index] for row in self.rows if index < len(row)]))
            if index in self.totals and not column.total:
                column = Column(column.title, column.kind, True, column.width)
            columns.append(column)
        return columns


FONT_NAME = "宋体"
FORMATS = {"text": "@", "count": "#,##0", "amount": "#,##0.00", "time": "yyyy-mm-dd hh:mm", "link": "@"}
"""Number formats by column kind."""
_FONT = Font(name=FONT_NAME, size=11, charset=134)
_BOLD = Font(name=FONT_NAME, size=11, bold=True, charset=134)
_HEADING_FONT = Font(name=FONT_NAME, size=16, bold=True, charset=134)
_LINK_FONT = Font(name=FONT_NAME, size=11, charset=134, color="0563C1", underline="single")
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
WRAP = Alignment(vertical="center", wrap_text=True)
"""Text centred vertically, wrapping."""
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
"""Text centred both ways, wrapping."""
_RIGHT = Alignment(horizontal="right", vertical="center")
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_FOOTER = "第 &P 页，共 &N 页"
LINE_POINTS = 15.0
"""Height of one line of 11-point text, in points."""
MAX_WIDTH = 40.0
"""Widest a column grows to fit its content, in characters; longer text wraps."""


def write_tables(target: str | Path | BinaryIO, tables: _Sequence[Table]) -> None:
    """A workbook of reports, one sheet each, ready to print: A4 landscape,
    one page wide, borders, the header row on every page, page numbers in
    the footer, one font throughout.

    Text is always stored as text (a department name beginning with '=' stays
    a name), counts and amounts as numbers with their formats, times as
    date-time cells; each 合计 cell is a formula ``=SUM(C4:C9)``, which
    Excel and LibreOffice calculate when the file is opened.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.calculation = CalcProperties(fullCalcOnLoad=True)
    workbook.properties.creator = "xlsxform"
    for table in tables:
        _write_table(workbook.create_sheet(_sheet_title(table.title)), table)
    if not tables:
        workbook.create_sheet("Sheet1")
    workbook.save(target)


@dataclass(frozen=True)
class Look:
    """How a printed table looks: its fonts, fills and alignments, the
    height of a line of its text, what its 'empty' line looks like, and its
    page margins and footer font (None: the spreadsheet's own)."""

    font: Font
    heading: Font
    header: Font
    header_fill: PatternFill
    note: Alignment
    line: float = LINE_POINTS
    margin: float = 1.5
    """Characters of a column's width that text does not use."""
    every_height: bool = False
    """Every row gets a height (not only the rows whose text wraps)."""
    tall_notes: bool = False
    """A note's row may be taller than Excel's tallest row (409 points)."""
    empty: Alignment = CENTER
    """The alignment, fill, height (None: the default) and borders of the line saying there are no rows."""
    empty_fill: PatternFill | None = None
    empty_height: float | None = None
    empty_boxed: bool = True
    margins: tuple[float, float, float, float, float, float] | None = (0.5, 0.5, 0.6, 0.7, 0.3, 0.3)
    footer_font: str | None = FONT_NAME

    def height(self, lines: int, *, note: bool = False) -> float:
        """Height of a row of ``lines`` lines, in points (Excel's tallest is 409)."""
        height = round(self.line * lines + 4, 1)
        return height if note and self.tall_notes else min(409.0, height)


PLAIN = Look(_FONT, _HEADING_FONT, _BOLD, _HEADER_FILL, _LEFT, tall_notes=True)
"""The look of the reports and roll-ups."""


def print_table(
    sheet: Any,
    look: Look,
    *,
    heading: str,
    notes: _Sequence[str],
    titles: _Sequence[str],
    widths: _Sequence[float],
    rows: _Sequence[_Sequence[Any]],
    put: Callable[[Any, Any, int], str],
    empty: str,
) -> int:
    """Write a table on ``sheet`` set up to print: ``heading`` and ``notes``
    merged above, the header row (repeated on every printed page), the rows
    (each value written by ``put(cell, value, column)``, column from 1, which
    returns the text it shows), or ``empty`` when there are none; A4
    landscape one page wide, page numbers in the footer.  Returns the header row."""
    last_col = max(len(titles), 1)
    row = 1
    for text, font in [(heading, look.heading)] * bool(heading) + [(n, look.font) for n in notes]:
        cell = sheet.cell(row, 1)
        store_text(cell, clean_text(text))
        cell.font, cell.alignment = font, CENTER if font is look.heading else look.note
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        sheet.row_dimensions[row].height = 28.0 if font is look.heading else look.height(line_count(text, sum(widths), look.margin), note=True)
        row += 1
    header_row = row
    for col, title in enumerate(titles, 1):
        cell = sheet.cell(header_row, col)
        store_text(cell, clean_text(title))
        cell.font, cell.fill, cell.alignment, cell.border = look.header, look.header_fill, CENTER, BOX
    first = header_row + 1
    for r, values in enumerate(rows, first):
        lines = 1
        for col, value in enumerate(values, 1):
            cell = sheet.cell(r, col)
            cell.border = BOX
            lines = max(lines, line_count(put(cell, value, col), widths[col - 1], look.margin))
        if lines > 1 or look.every_height:
            sheet.row_dimensions[r].height = look.height(lines)
    if not rows:
        cell = sheet.cell(first, 1)
        store_text(cell, clean_text(empty))
        cell.font, cell.alignment = look.font, look.empty
        if look.empty_fill is not None:
            cell.fill = look.empty_fill
        for col in range(1, last_col + 1) if look.empty_boxed else ():
            sheet.cell(first, col).border = BOX
        if look.empty_height is not None:
            sheet.row_dimensions[first].height = look.empty_height
        sheet.merge_cells(start_row=first, start_column=1, end_row=first, end_column=last_col)
    for col, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(first, 1).coordinate
    if rows:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{first + len(rows) - 1}"
    sheet.page_setup.orientation = "landscape"
    one_page_wide(sheet)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
    for side, inches in zip(("left", "right", "top", "bottom", "header", "footer"), look.margins or (), strict=False):
        setattr(sheet.page_margins, side, inches)
    sheet.oddFooter.center.text = _FOOTER
    if look.footer_font is not None:
        sheet.oddFooter.center.font = look.footer_font
    return header_row


def _write_table(sheet: Any, table: Table) -> None:
    columns = table.columns()
    widths = [column.width or _fit_width(column, [row[i] for row in table.rows if i < len(row)]) for i, column in enumerate(columns)]
    rows = [[values[i] if i < len(values) else None for i in range(len(columns))] for values in table.rows]

    def put(cell: Any, value: Any, col: int) -> str:
        cell.font = _FONT
        return _put(cell, value, columns[col - 1].kind)

    titles = [column.title for column in columns]
    header_row = print_table(sheet, PLAIN, heading=table.heading, notes=table.notes, titles=titles, widths=widths, rows=rows, put=put, empty=table.empty)
    sheet.row_dimensions[header_row].height = LINE_POINTS * max([line_count(c.title, w) for c, w in zip(columns, widths, strict=False)] or [1]) + 4
    first, last = header_row + 1, header_row + len(table.rows)
    if table.rows and any(c.total for c in columns):
        total_row = last + 1
        label_span = next(i for i, c in enumerate(columns) if c.total) or 1
        for col, column in enumerate(columns, 1):
            cell = sheet.cell(total_row, col)
            cell.font, cell.border = _BOLD, BOX
            if column.total:
                letter = get_column_letter(col)
                cell.value = f"=SUM({letter}{first}:{letter}{last})"
                cell.number_format, cell.alignment = FORMATS[column.kind], _RIGHT
        label = sheet.cell(total_row, 1)
        store_text(label, clean_text(table.total_label))
        label.alignment = CENTER
        if label_span > 1:
            sheet.merge_cells(start_row=total_row, start_column=1, end_row=total_row, end_column=label_span)


def _kind(values: _Sequence[Any]) -> str:
    """A column's kind from its values: the kind of the first that has one."""
    for value in values:
        if isinstance(value, Link):
            return "link"
        if isinstance(value, Decimal | float):
            return "amount"
        if isinstance(value, int) and not isinstance(value, bool):
            return "count"
        if isinstance(value, dt.datetime):
            return "time"
    return "text"


def _put(cell: Any, value: Any, kind: str) -> str:
    """Write one value as its column's kind shows it; return the text it shows."""
    if isinstance(value, Link):
        store_text(cell, clean_text(value.text))
        cell.hyperlink = value.target
        cell.font, cell.alignment = _LINK_FONT, WRAP
        return value.text
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone().replace(tzinfo=None)
        cell.number_format, cell.alignment = FORMATS["time"], CENTER
        return "2024-01-01 00:00"
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.value = float(value) if isinstance(value, Decimal) else value
        cell.number_format = FORMATS[kind] if kind in ("count", "amount") else "General"
        cell.alignment = _RIGHT
        return f"{value:,.2f}" if kind == "amount" else str(value)
    text = str(value)
    store_text(cell, clean_text(text))
    cell.alignment = CENTER if kind != "text" or len(text) <= 4 else WRAP
    return text


def _fit_width(column: Column, values: _Sequence[Any]) -> float:
    """A column as wide as its content (bounded), its header wrapping to two lines at most."""
    content = max(
        (
            text_width(f"{v:,.2f}" if isinstance(v, Decimal | float) else "2024-01-01 00:00" if isinstance(v, dt.datetime) else str(getattr(v, "text", v)))
            for v in values
            if v is not None
        ),
        default=0,
    )
    header = text_width(column.title)
    least = {"amount": 12.0, "count": 8.0, "time": 17.0}.get(column.kind, 6.0)
    return min(max(content + 2, math.ceil(header / 2) + 3 if header > 10 else header + 2, least), MAX_WIDTH)


def line_count(text: str, width: float, margin: float = 1.5) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide, ``margin`` of them unused."""
    return sum(max(1, math.ceil(text_width(line, cut=False) / max(width - margin, 1))) for line in str(text).split("\n"))


def text_width(text: str, *, cut: bool = True) -> float:
    """Width of the longest line in characters: a CJK character is two."""
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in (line[:80] if cut else line))


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub("_", title).strip("'")[:31] or "Sheet"
