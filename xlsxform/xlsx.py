"""The one module that talks to openpyxl.

Its quirks live here and nowhere else: strings beginning with '=' turning into
formulas, control characters that raise, merged cells that read as None,
read-only sheets that trust a lying <dimension>, formulas with no cached value.
The rest of xlsxform sees a writer with a few verbs and a grid of plain values.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.text import Text
from openpyxl.formatting.rule import FormulaRule
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import absolute_coordinate, get_column_letter
from openpyxl.workbook.properties import CalcProperties
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from . import amounts
from .errors import UnreadableWorkbookError

_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
"""Office suites read _xHHHH_ in a string as the character HHHH (Excel
writes a carriage return as _x000D_); openpyxl neither escapes nor unescapes."""

MAX_TEXT = 32767
"""Excel's hard limit on the characters of one cell."""

CM_PER_INCH = 2.54
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_ALERT = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
_ALERT_FONT = Font(color="9C0006", bold=True)


def text_fault(text: str) -> tuple[str, str] | None:
    """Why a string cannot be stored in a cell as it is (zh, en), or None."""
    if len(text) > MAX_TEXT:
        return (f"超过单元格上限 {MAX_TEXT} 个字符（{len(text)} 个）", f"longer than a cell's {MAX_TEXT} characters ({len(text)})")
    if ILLEGAL_CHARACTERS_RE.search(text):
        return ("含有不能写入表格的控制字符", "contains control characters a workbook cannot hold")
    return None


@dataclass(frozen=True)
class CellStyle:
    """How a cell looks, in terms independent of openpyxl."""

    font: str
    size: float
    align: str = "center"
    bold: bool = False
    border: bool = True
    number_format: str = "General"
    wrap: bool = True


@cache
def _font(name: str, size: float, bold: bool) -> Font:
    # charset 134 (GB2312) lets an office suite substitute a Chinese font
    # when the named one is missing.
    return Font(name=name, size=size, bold=bold, charset=134)


@cache
def _alignment(horizontal: str, wrap: bool) -> Alignment:
    return Alignment(horizontal=horizontal, vertical="center", wrap_text=wrap)


class SheetWriter:
    """A new single-sheet workbook, written cell by cell."""

    def __init__(self, sheet_title: str, document_title: str) -> None:
        self.workbook = openpyxl.Workbook()
        self.workbook.properties.creator = "xlsxform"
        self.workbook.properties.title = document_title
        self.sheet = self.workbook.active
        self.sheet.title = sheet_title
        # Formulas are written without cached values: ask every suite to
        # recalculate when the file is opened.
        self.workbook.calculation = CalcProperties(fullCalcOnLoad=True)

    def text(self, row: int, col: int, value: str, style: CellStyle) -> None:
        """Write a string that stays a string, even when it begins with '='."""
        cell = self.sheet.cell(row, col)
        cell.value = _ESCAPE.sub(r"_x005F\1", value) if "_x" in value else value
        cell.data_type = "s"
        self._style(cell, style)

    def number(self, row: int, col: int, value: Decimal | int | None, style: CellStyle) -> None:
        cell = self.sheet.cell(row, col)
        # Cells hold IEEE doubles; Decimal goes in as its nearest float.
        cell.value = None if value is None else (value if isinstance(value, int) else float(value))
        self._style(cell, style)

    def formula(self, row: int, col: int, formula: str, style: CellStyle) -> None:
        cell = self.sheet.cell(row, col)
        cell.value = formula if formula.startswith("=") else f"={formula}"
        self._style(cell, style)

    def blank(self, row: int, col: int, style: CellStyle) -> None:
        self._style(self.sheet.cell(row, col), style)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if (first_row, first_col) != (last_row, last_col):
            self.sheet.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col)

    def row_height(self, row: int, points: float) -> None:
        self.sheet.row_dimensions[row].height = round(points, 1)

    def column_width(self, col: int, width: float) -> None:
        self.sheet.column_dimensions[get_column_letter(col)].width = width

    def mark_unequal(self, first: str, second: str) -> None:
        """Fill both cells red whenever their values differ (beyond rounding)."""
        a, b = (absolute_coordinate(ref) for ref in (first, second))
        rule = FormulaRule(formula=[f"ROUND({a}-{b},6)<>0"], fill=_ALERT, font=_ALERT_FONT)
        self.sheet.conditional_formatting.add(f"{first} {second}", rule)

    def page(self, *, paper: str, orientation: str, fit_to_width: bool, margins_cm: dict[str, float], last_row: int, last_col: int) -> None:
        ws = self.sheet
        ws.page_setup.paperSize = ws.PAPERSIZE_A4 if paper == "A4" else ws.PAPERSIZE_A3
        ws.page_setup.orientation = orientation
        if fit_to_width:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
        for side, cm in margins_cm.items():
            setattr(ws.page_margins, side, round(cm / CM_PER_INCH, 3))
        ws.print_options.horizontalCentered = True
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"

    def save(self, target: str | Path | BinaryIO) -> None:
        self.workbook.save(target)

    def _style(self, cell: Any, style: CellStyle) -> None:
        cell.font = _font(style.font, style.size, style.bold)
        cell.alignment = _alignment(style.align, style.wrap)
        if style.border:
            cell.border = _BOX
        if style.number_format != "General":
            cell.number_format = style.number_format


@dataclass(frozen=True)
class Value:
    """One non-empty cell as read: its value and how it was displayed."""

    value: Any
    number_format: str = "General"
    is_formula: bool = False
    """True for a formula (value is its text, '=SUM(C5,C6)'); text that
    merely begins with '=' is not one."""


class Grid:
    """The values of one sheet's form region: rows and columns from 1."""

    def __init__(self, name: str, cells: dict[tuple[int, int], Value], last_row: int) -> None:
        self.name = name
        self.cells = cells
        self.last_row = last_row

    def get(self, row: int, col: int) -> Value | None:
        return self.cells.get((row, col))

    def ref(self, row: int, col: int) -> str:
        """The cell's address as a person reads it: 绩效目标表!C5."""
        return f"{self.name}!{get_column_letter(col)}{row}"


class _Reader(ExcelReader):
    """openpyxl's reader, with shared strings kept as stored.

    openpyxl deletes every 'x005F_' from shared strings, which decodes one
    escape and mangles the rest; :func:`_plain_text` decodes them all alike,
    in shared and inline strings.
    """

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        strings = []
        with self.archive.open(part.PartName[1:]) as source:
            for _, node in iterparse(source):
                if node.tag == _SHARED_STRING:
                    strings.append(Text.from_tree(node).content)
                    node.clear()
        self.shared_strings = strings


_SHARED_STRING = f"{{{SHEET_MAIN_NS}}}si"


def read_grid(path: str | Path, *, preferred_sheet: str, max_rows: int, max_cols: int) -> Grid:
    """Read the top-left region of the form's sheet, bounded whatever the file declares."""
    try:
        reader = _Reader(path, read_only=True, keep_vba=False, data_only=False, keep_links=False)
        reader.read()
        workbook = reader.wb
    except (OSError, zipfile.BadZipFile) as exc:
        raise UnreadableWorkbookError("无法打开：不是有效的 .xlsx 文件", f"cannot open: not a valid .xlsx file ({exc})", path=path) from None
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        raise UnreadableWorkbookError("无法打开：文件已损坏", f"cannot open: the file is damaged ({type(exc).__name__})", path=path) from None
    try:
        sheet = _form_sheet(workbook, preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        # The declared <dimension> may lie either way; read what is there.
        sheet.reset_dimensions()
        cells: dict[tuple[int, int], Value] = {}
        last = 0
        for row in sheet.iter_rows(min_row=1, max_row=max_rows, max_col=max_cols):
            for cell in row:
                value = cell.value
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if isinstance(value, str) and cell.data_type != "f":
                    value = _plain_text(value)
                cells[(cell.row, cell.column)] = Value(value, cell.number_format or "General", cell.data_type == "f")
                last = max(last, cell.row)
        return Grid(sheet.title, cells, last)
    except UnreadableWorkbookError:
        raise
    except Exception as exc:
        raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({type(exc).__name__})", path=path) from None
    finally:
        workbook.close()


def _plain_text(text: str) -> str:
    """A stored string as shown: _xHHHH_ escapes decoded, line breaks as \\n."""
    if "_x" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m[1][2:6], 16)), text)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _form_sheet(workbook: Any, preferred: str) -> Any:
    if preferred in workbook.sheetnames:
        return workbook[preferred]
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    return visible[0] if visible else None


def display_text(value: Any, number_format: str = "General") -> str:
    """A cell's value as the person filling it saw it (1 in a 0% cell is 100%)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if "%" in number_format:
            decimals = _decimals(number_format)
            return f"{value * 100:.{decimals}f}%"
        return amounts.text(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y.%m.%d") if "." in number_format else value.strftime("%Y-%m-%d")
    return str(value)


def _decimals(number_format: str) -> int:
    head = number_format.split("%", 1)[0]
    return len(head.split(".", 1)[1]) if "." in head else 0
