"""The one module that talks to openpyxl.

Its quirks live here and nowhere else: strings beginning with '=' turning into
formulas, control characters that raise, merged cells that read as None,
read-only sheets that trust a lying <dimension>, formulas with no cached value.
The rest of xlsxform sees a writer with a few verbs and a grid of plain values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.text import Text
from openpyxl.comments import Comment as _Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.colors import Color as _Color
from openpyxl.styles.fills import Fill as _Fill
from openpyxl.utils import (
    absolute_coordinate,
    get_column_letter,
    quote_sheetname,
    range_boundaries,
)
from openpyxl.utils import coordinate_to_tuple as _coordinate_to_tuple
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink as _Hyperlink
from openpyxl.worksheet.worksheet import Worksheet as _Worksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring as _fromstring
from openpyxl.xml.functions import iterparse
from openpyxl.xml.functions import tostring as _tostring

from . import amounts
from .errors import UnreadableWorkbookError

_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
"""Office suites read _xHHHH_ in a string as the character HHHH (Excel
writes a carriage return as _x000D_); openpyxl neither escapes nor unescapes."""

MAX_TEXT = 32767
"""Excel's hard limit on the characters of one cell."""

CM_PER_INCH = 2.54
_UNLOCKED = Protection(locked=False)
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_ALERT = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
_ALERT_FONT = Font(color="9C0006", bold=True)


CONTROL = ILLEGAL_CHARACTERS_RE
"""Control characters a workbook cannot hold."""


def text_fault(text: str) -> tuple[str, str] | None:
    """Why a string cannot be stored in a cell as it is (zh, en), or None."""
    if len(text) > MAX_TEXT:
        return (f"超过单元格上限 {MAX_TEXT} 个字符（{len(text)} 个）", f"longer than a cell's {MAX_TEXT} characters ({len(text)})")
    if CONTROL.search(text):
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
    locked: bool = True
    """Unlocked cells are the ones a department fills in a protected sheet."""


@dataclass(frozen=True)
class Check:
    """A data-validation rule on input cells, with its Chinese prompt and error."""

    kind: str
    """'decimal', 'whole', 'list', 'textLength' or 'custom' (formula1 decides)."""
    formula1: str
    title: str
    prompt: str
    error: str
    operator: str | None = None


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
        _store_text(cell, value)
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
            _fit_to_width(ws)
        for side, cm in margins_cm.items():
            setattr(ws.page_margins, side, round(cm / CM_PER_INCH, 3))
        ws.print_options.horizontalCentered = True
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"

    def save(self, target: str | Path | BinaryIO) -> None:
        self.workbook.save(target)

    def define_name(self, name: str, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """A workbook-wide name for a cell or block of the form's sheet."""
        self._name(self.sheet, name, first_row, first_col, last_row, last_col)

    def validate(self, ranges: list[str], check: Check) -> None:
        """Attach a validation rule with its prompt and error to cell ranges ('C5', 'D14:D18')."""
        rule = DataValidation(
            type=check.kind,
            operator=check.operator,
            formula1=check.formula1,
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=True,
            errorStyle="stop",
            promptTitle=check.title,
            prompt=check.prompt,
            errorTitle=check.title,
            error=check.error,
        )
        rule.sqref = MultiCellRange(" ".join(ranges))
        self.sheet.add_data_validation(rule)

    def lists(self, title: str, columns: dict[str, list[str]]) -> dict[str, str]:
        """Lists for drop-downs on a hidden sheet (inline lists over 255
        characters corrupt a file); returns a defined name per list."""
        sheet = self.workbook.create_sheet(title)
        sheet.sheet_state = "veryHidden"
        names = {}
        for col, (name, values) in enumerate(columns.items(), 1):
            for row, value in enumerate(values, 1):
                cell = sheet.cell(row, col)
                _store_text(cell, value)
            self._name(sheet, name, 1, col, len(values), col)
            names[name] = name
        sheet.protection.sheet = True
        return names

    def identity(self, title: str, values: dict[str, str]) -> None:
        """Who and what this workbook is, twice: custom document properties and
        a very hidden sheet, so that either survives what a suite keeps."""
        for key, value in values.items():
            self.workbook.custom_doc_props.append(StringProperty(name=key, value=_escape(value)))
        sheet = self.workbook.create_sheet(title)
        sheet.sheet_state = "veryHidden"
        for row, (key, value) in enumerate(values.items(), 1):
            for col, text in enumerate((key, value), 1):
                cell = sheet.cell(row, col)
                _store_text(cell, text)
        sheet.protection.sheet = True

    def text_sheet(self, title: str, lines: list[str], styles: list[CellStyle], heights: list[float], width: float) -> None:
        """A printable sheet of wrapped paragraphs (instructions), one per row."""
        sheet = self.workbook.create_sheet(title, index=1)
        sheet.column_dimensions["A"].width = width
        for row, (line, style, height) in enumerate(zip(lines, styles, heights), 1):
            cell = sheet.cell(row, 1)
            _store_text(cell, line)
            cell.font = _font(style.font, style.size, style.bold)
            cell.alignment = _alignment(style.align, True)
            sheet.row_dimensions[row].height = round(height, 1)
        _fit_to_width(sheet)
        sheet.protection.sheet = True

    def protect(self, allow: list[str], password: str | None) -> None:
        """Protect the form's sheet: locked cells cannot change, unlocked ones can."""
        protection = self.sheet.protection
        protection.sheet = True
        for permission in allow:
            # In OOXML a true flag forbids; false allows.
            setattr(protection, permission, False)
        if password:
            protection.password = password

    def _name(self, sheet: Any, name: str, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        area = f"{absolute_coordinate(get_column_letter(first_col) + str(first_row))}"
        if (first_row, first_col) != (last_row, last_col):
            area += f":{absolute_coordinate(get_column_letter(last_col) + str(last_row))}"
        self.workbook.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet.title)}!{area}")

    def _style(self, cell: Any, style: CellStyle) -> None:
        cell.font = _font(style.font, style.size, style.bold)
        cell.alignment = _alignment(style.align, style.wrap)
        if style.border:
            cell.border = _BOX
        if style.number_format != "General":
            cell.number_format = style.number_format
        if not style.locked:
            cell.protection = _UNLOCKED


def _escape(text: str) -> str:
    """Text as an office suite must store it so it reads back as written."""
    return _ESCAPE.sub(r"_x005F\1", text) if "_x" in text else text


def _store_text(cell: Any, text: str) -> None:
    """Put text in a cell as text: never a formula, escapes preserved."""
    cell.value = _escape(text)
    cell.data_type = "s"


def _fit_to_width(sheet: Any) -> None:
    """Print one page wide, as many pages down as needed."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


@dataclass(frozen=True)
class Value:
    """One non-empty cell as read: its value and how it was displayed."""

    value: Any
    number_format: str = "General"
    is_formula: bool = False
    """True for a formula (value is its text, '=SUM(C5,C6)'); text that
    merely begins with '=' is not one."""
    is_error: bool = False
    """True for an error value (#DIV/0!); text that merely reads so is not one."""


class Grid:
    """The values of one sheet's form region: rows and columns from 1."""

    def __init__(
        self,
        name: str,
        cells: dict[tuple[int, int], Value],
        last_row: int,
        names: dict[str, tuple[int, int, int, int]] | None = None,
        identity: dict[str, str] | None = None,
        cached_loader: Callable[[], dict[tuple[int, int], Any]] | None = None,
    ) -> None:
        self.name = name
        self.cells = cells
        self.last_row = last_row
        self._cached_loader = cached_loader
        self._cached: dict[tuple[int, int], Any] | None = None
        self.names = names or {}
        """Defined names on this sheet: name to (first row, first col, last row, last col)."""
        self.identity = identity or {}
        """What the file says it is: custom document properties, or the identity sheet."""

    def get(self, row: int, col: int) -> Value | None:
        return self.cells.get((row, col))

    def cached(self, row: int, col: int) -> Any:
        """The value a suite last calculated for a formula cell, or None
        (files written by programs have none). Read on first use only."""
        if self._cached is None:
            self._cached = self._cached_loader() if self._cached_loader else {}
        return self._cached.get((row, col))

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


def read_grid(
    path: str | Path,
    *,
    preferred_sheet: str,
    max_rows: int,
    max_cols: int,
    name_prefix: str = "",
    identity_sheet: str = "",
    identity_prefix: str = "",
) -> Grid:
    """Read the top-left region of the form's sheet, bounded whatever the file
    declares, with the defined names and identity the file carries."""
    with _opened(path, data_only=False) as workbook:
        sheet = _form_sheet(workbook, preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        cells: dict[tuple[int, int], Value] = {}
        for cell in _region(sheet, max_rows, max_cols):
            value = cell.value
            if isinstance(value, str) and cell.data_type != "f":
                value = _plain_text(value)
            cells[(cell.row, cell.column)] = Value(value, cell.number_format or "General", cell.data_type == "f", cell.data_type == "e")
        last = max((row for row, _ in cells), default=0)
        return Grid(
            sheet.title,
            cells,
            last,
            _names(workbook, sheet.title, name_prefix),
            _identity(workbook, identity_sheet, identity_prefix),
            lambda: _cached_values(path, sheet.title, last, max_cols),
        )


@contextlib.contextmanager
def _opened(path: str | Path, *, data_only: bool) -> Iterator[Any]:
    """A read-only workbook, quiet, closed afterwards; whatever goes wrong
    inside openpyxl becomes one UnreadableWorkbookError naming the file."""
    with _quiet():
        with _opening(path):
            workbook = _load(path, data_only=data_only)
        try:
            yield workbook
        except UnreadableWorkbookError:
            raise
        except Exception as exc:
            raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({type(exc).__name__})", path=path) from None
        finally:
            workbook.close()


@contextlib.contextmanager
def _opening(path: str | Path) -> Iterator[None]:
    """openpyxl's many ways of failing to open a file, as one UnreadableWorkbookError."""
    try:
        yield
    except (OSError, zipfile.BadZipFile) as exc:
        raise UnreadableWorkbookError("无法打开：不是有效的 .xlsx 文件", f"cannot open: not a valid .xlsx file ({exc})", path=path) from None
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        raise UnreadableWorkbookError("无法打开：文件已损坏", f"cannot open: the file is damaged ({type(exc).__name__})", path=path) from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """openpyxl warns on stderr and prints some faults to stdout (which would
    corrupt the JSON that ``xlsxform read`` prints): keep it silent."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _load(path: str | Path, *, data_only: bool, read_only: bool = True, keep_links: bool = False) -> Any:
    """A workbook opened by content, not by name: openpyxl refuses a name not
    ending in .xlsx, and departments rename (form.xls, form.XLSX.bak)."""
    reader = _Reader(io.BytesIO(Path(path).read_bytes()), read_only=read_only, keep_vba=False, data_only=data_only, keep_links=keep_links)
    reader.read()
    return reader.wb


def _region(sheet: Any, max_rows: int, max_cols: int) -> Iterator[Any]:
    """The non-empty cells of the form's region, whatever <dimension> claims."""
    sheet.reset_dimensions()
    for row in sheet.iter_rows(min_row=1, max_row=max_rows, max_col=max_cols):
        for cell in row:
            value = cell.value
            # A cell whose reference names a row outside the region (B999999 in row 3) is not in it.
            if value is None or (isinstance(value, str) and not value.strip()) or not 1 <= cell.row <= max_rows:
                continue
            yield cell


def _cached_values(path: str | Path, sheet_title: str, max_rows: int, max_cols: int) -> dict[tuple[int, int], Any]:
    """The cached results of a sheet's formulas: a second, rarely needed read."""
    try:
        with _opened(path, data_only=True) as workbook:
            return {(cell.row, cell.column): cell.value for cell in _region(workbook[sheet_title], max_rows, max_cols)}
    except UnreadableWorkbookError:
        return {}


_AREA = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")
"""A defined name's one block on one sheet: 'Sheet'!$B$14:$E$18."""


def _names(workbook: Any, sheet: str, prefix: str) -> dict[str, tuple[int, int, int, int]]:
    """Defined names starting with ``prefix`` that point at one block of ``sheet``
    (parsed here: openpyxl's formula tokenizer costs more than the whole read)."""
    found = {}
    for name, defined in workbook.defined_names.items():
        if not prefix or not name.startswith(prefix):
            continue
        match = _AREA.match((defined.attr_text or "").strip())
        # Anything else (#REF! after a deleted row, whole columns, several
        # blocks) locates nothing on the form.
        if not match or (match[1].replace("''", "'") if match[1] else match[2]) != sheet:
            continue
        first_col, first_row, last_col, last_row = range_boundaries(match[3].replace("$", ""))
        found[name] = (first_row, first_col, last_row, last_col)
    return found


def _identity(workbook: Any, sheet_title: str, prefix: str) -> dict[str, str]:
    """Keys starting with ``prefix`` from custom properties, else from the identity sheet."""
    if not prefix:
        return {}
    found = {p.name: str(p.value) for p in workbook.custom_doc_props if p.name.startswith(prefix) and p.value is not None}
    if not found and sheet_title in workbook.sheetnames:
        rows = workbook[sheet_title].iter_rows(max_row=50, max_col=2, values_only=True)
        found = {str(key): str(value) for key, value in rows if isinstance(key, str) and key.startswith(prefix) and value is not None}
    return {key: _plain_text(value) for key, value in found.items()}


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
        return _date_text(value, number_format)
    return str(value)


_DATE_TOKEN = re.compile(r'yyyy|yy|mm|m|dd|d|"[^"]*"|\\.|\[[^\]]*\]|.', re.I)


def _date_text(value: dt.date, number_format: str) -> str:
    """A date as its number format shows it (yyyy/m/d, yyyy.mm.dd, yyyy"年"m"月"d"日")."""
    pattern = number_format.split(";", 1)[0]
    if not re.search(r"[yd]", pattern, re.I):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    parts = []
    for token in _DATE_TOKEN.findall(pattern):
        lower = token.lower()
        parts.append(
            {"yyyy": f"{value.year:04d}", "yy": f"{value.year % 100:02d}", "mm": f"{value.month:02d}", "m": str(value.month), "dd": f"{value.day:02d}", "d": str(value.day)}.get(lower)
            or (token[1:-1] if token.startswith('"') else token[1:] if token.startswith("\\") else "" if token.startswith("[") or lower in "hs:" or lower in {"am/pm"} else token)
        )
    return "".join(parts).strip()


def _decimals(number_format: str) -> int:
    head = number_format.split("%", 1)[0]
    return len(head.split(".", 1)[1]) if "." in head else 0


# -- collection: rosters and summary tables -----------------------------------



def read_table(path: str | Path, *, max_rows: int, max_cols: int) -> list[list[Any]]:
    """The values of the first visible sheet of an .xlsx, row by row, bounded
    whatever the file declares; trailing empty rows dropped."""
    with _opened(path, data_only=True) as workbook:
        sheet = _form_sheet(workbook, "")
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        sheet.reset_dimensions()
        rows = [list(row) for row in sheet.iter_rows(min_row=1, max_row=max_rows, max_col=max_cols, values_only=True)]
    rows = [[_plain_text(v) if isinstance(v, str) else v for v in row] for row in rows]
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
            _store_text(cell, _clean(str(label)))
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP
        for r, row in enumerate(table.rows, 2):
            for col, value in enumerate(row, 1):
                cell = sheet.cell(r, col)
                shown = _put(cell, value, table.amount_format)
                if col <= len(widths):
                    widths[col - 1] = max(widths[col - 1], _width(shown))
        if table.totals:
            last = len(table.rows) + 1
            row = last + 1
            label = sheet.cell(row, 1)
            _store_text(label, _clean(table.total_label))
            label.font = _HEADER_FONT
            for index in table.totals:
                letter = get_column_letter(index + 1)
                cell = sheet.cell(row, index + 1)
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
        _store_text(cell, _clean(value.text))
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
    _store_text(cell, _clean(text))
    cell.alignment = _TOP
    return text


def _width(text: str) -> float:
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in line[:80])


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub("_", title).strip("'")[:31] or "Sheet"


# -- annotation: problems marked on a department's own workbook --------------
# (appended for `xlsxform check --annotate`: xlsxform.annotate)


MARKS_SHEET = "_xlsxform_marks"
"""The very hidden sheet recording what :class:`Annotator` changed, so that
marking the marked copy again can first put everything back.  Its rows:
类型 ('cell' or 'sheet'), 位置 (a formula referring to the marked cell, or to
A1 of the added sheet, which Excel and LibreOffice keep pointing at the same
cell when rows are inserted or sheets renamed), 原填充 (the cell's fill before
marking, as openpyxl's XML), 标记填充 (the colour put on it), 批注 (the note
written), 原批注 / 原批注作者 / 有原批注 (the comment that was there before)."""
_MARKS_HEADER = ["类型", "位置", "原填充", "标记填充", "批注", "原批注", "原批注作者", "有原批注"]
_NOTE_SEPARATOR = "\n\n——\n"
"""Between our note and a comment the department had written on the cell."""
_REFERENCE = re.compile(r"=\s*(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\s*")
"""A formula of the record: ='绩效目标表'!C28 (as written) or 绩效目标表!$C$28."""
_MAX_RECORDS = 10_000
"""Rows of a record read at most (one is written per marked cell)."""
_MAX_COPIES = 100
"""Rows inserted next to a marked cell whose copied mark is taken away, at most."""

_MARK_FILL = {
    "error": PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE"),
    "warning": PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C"),
}
"""Excel's own 'bad' red and 'neutral' yellow."""
_PASSED_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
"""Excel's own 'good' green."""
_RESULT_FONT = Font(name="宋体", size=11, charset=134)
_RESULT_HEADER_FONT = Font(name="宋体", size=11, bold=True, charset=134)
_RESULT_LINK_FONT = Font(name="宋体", size=11, charset=134, color="FF0563C1", underline="single")
_RESULT_HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
_RESULT_ALIGN = Alignment(vertical="center", wrap_text=True)
_RESULT_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_COMMENT_WIDTH = 300
"""Comment box width in pixels; its height follows the text."""


@dataclass(frozen=True)
class CellLink:
    """Text in a cell that jumps to a cell of the same workbook."""

    text: str
    sheet: str
    coordinate: str


@dataclass(frozen=True)
class Flagged:
    """Text in a cell filled in the colour of a severity ('error', 'warning')."""

    text: str
    severity: str


class Annotator:
    """A department's own workbook, opened to mark problems on its cells.

    Only comments, fills, one new sheet and the very hidden record
    :data:`MARKS_SHEET` are added; :meth:`unmark` first takes away what an
    earlier annotation added.  No value, formula or string of the
    department's sheets is touched: strings are kept exactly as stored
    (``_x005F_`` escapes included, see :class:`_Reader`), and the copy asks
    to be recalculated on opening because openpyxl does not keep formulas'
    cached values.
    """

    def __init__(self, path: str | Path) -> None:
        with _quiet(), _opening(path):
            self.workbook = _load(path, data_only=False, read_only=False, keep_links=True)
        if self.workbook.calculation is None:
            self.workbook.calculation = CalcProperties()
        self.workbook.calculation.fullCalcOnLoad = True
        self._marked: dict[tuple[str, str], list[Any]] = {}
        """(sheet, cell) to its row of the record, for the cells marked now."""
        self._added: list[str] = []
        """Titles of the sheets added now."""

    def unmark(self, *, titles: _Sequence[str], headers: _Sequence[_Sequence[str]], note: re.Pattern[str]) -> None:
        """Take away the marks of an earlier annotation, as the record says.

        Each marked cell gets back the fill it had, unless the department
        changed the mark's colour since (rows inserted next to it, which took
        its colour, get that fill too); our comment is replaced by the
        comment that was there before (none, or the department's), unless
        the department rewrote it; the results sheet we added goes (when its
        first row is still one of ``headers``).

        Marks the record does not know (a copy marked before the record
        existed, a damaged record, a marked cell copied elsewhere) are
        found by their look: a comment whose author is xlsxform (or none, as
        LibreOffice saves it) and whose text starts like ``note`` is ours
        (the department's comment after it is kept), the mark's colour on
        such a cell becomes no fill (the template's input cells have none),
        and a sheet named one of ``titles`` (or ``title(2)``...) whose first
        row is one of ``headers`` is ours.
        """
        record = self.workbook[MARKS_SHEET] if MARKS_SHEET in self.workbook.sheetnames else None
        if isinstance(record, _Worksheet):
            self._unmark_recorded(record, headers)
        self._unmark_unrecorded(titles, headers, note)

    def _unmark_recorded(self, record: Any, headers: _Sequence[_Sequence[str]]) -> None:
        added, marked = [], {}
        for row in record.iter_rows(min_row=2, max_row=min(record.max_row, _MAX_RECORDS + 1), max_col=len(_MARKS_HEADER), values_only=True):
            where = _referenced(row[1])
            if where is None or where[0] not in self.workbook.sheetnames or not isinstance(self.workbook[where[0]], _Worksheet):
                continue  # the cell or sheet was deleted (#REF!), or the row is not ours
            if row[0] == "sheet":
                added.append(where[0])
            elif row[0] == "cell":
                marked[where] = [_record_text(v) for v in row[2:8]]
        for (title, coordinate), values in marked.items():
            self._restore(self.workbook[title], coordinate, values, marked)
        for title in dict.fromkeys(added):
            if title != MARKS_SHEET and _headed(self.workbook[title], headers):
                self.workbook.remove(self.workbook[title])
        self.workbook.remove(record)

    def _restore(self, sheet: Any, coordinate: str, row: list[str], marked: _Mapping[tuple[str, str], Any]) -> None:
        fill, colour, note, original, author, had = row
        if _coordinate_to_tuple(coordinate) not in sheet._cells:
            return  # a marked cell exists: it has a fill and a comment
        cell = sheet[coordinate]
        if _is_mark_fill(cell.fill, [colour]):
            restored = _fill_from_xml(fill)
            for each in [cell, *_format_copies(sheet, cell, marked)]:
                each.fill = restored
        if cell.comment is None:
            return  # the department deleted the comment: theirs too, if it held theirs
        text, had_comment = _normal(cell.comment.text or ""), had == "1"
        if text == _normal(_written(note, original if had_comment else None)):
            cell.comment = _Comment(original, author) if had_comment else None
        elif note and text.startswith(_normal(note)):  # the department added to our note
            rest = text[len(_normal(note)):]
            rest = rest[len(_NOTE_SEPARATOR):] if rest.startswith(_NOTE_SEPARATOR) else rest.lstrip("\n")
            cell.comment = _Comment(rest, author if had_comment else (cell.comment.author or "")) if rest.strip() else None
        # else: a comment the department wrote in place of ours stays

    def _unmark_unrecorded(self, titles: _Sequence[str], headers: _Sequence[_Sequence[str]], note: re.Pattern[str]) -> None:
        named = re.compile("|".join(f"{re.escape(t)}(?:\\([0-9]+\\))?" for t in titles)) if titles else None
        for sheet in list(self.workbook.worksheets):
            if named is not None and named.fullmatch(sheet.title) and _headed(sheet, headers):
                self.workbook.remove(sheet)
        for sheet in self.workbook.worksheets:
            for cell in list(sheet._cells.values()):
                comment = cell.comment
                if comment is None or (comment.author or "") not in ("xlsxform", "") or not note.match(_normal(comment.text or "")):
                    continue
                text = _normal(comment.text or "")
                while note.match(text):  # copies marked twice hold two notes
                    text = text.partition(_NOTE_SEPARATOR)[2]
                cell.comment = _Comment(text, "") if text.strip() else None
                if _is_mark_fill(cell.fill, [f.fgColor.rgb for f in _MARK_FILL.values()]):
                    for each in [cell, *_format_copies(sheet, cell, {})]:
                        each.fill = PatternFill()

    def locate(self, ref: str) -> CellLink | None:
        """Where to mark ``绩效目标表!C5``: that cell, or the top-left cell of the
        merged range holding it; None when the workbook has no such cell."""
        name, _, coordinate = ref.rpartition("!")
        if len(name) > 1 and name[0] == name[-1] == "'":
            name = name[1:-1].replace("''", "'")
        if name not in self.workbook.sheetnames or not isinstance(self.workbook[name], _Worksheet):
            return None
        try:
            row, col = _coordinate_to_tuple(coordinate.replace("$", "").upper())
        except (ValueError, TypeError):
            return None
        if not (1 <= row <= 1048576 and 1 <= col <= 16384):  # Excel's last cell is XFD1048576
            return None
        for merged in self.workbook[name].merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
                row, col = merged.min_row, merged.min_col
                break
        return CellLink(ref, name, f"{get_column_letter(col)}{row}")

    def mark(self, place: CellLink, note: str, severity: str) -> None:
        """Fill the cell by severity and put ``note`` in its comment, above any
        comment the department wrote there; record what the cell had."""
        cell = self.workbook[place.sheet][place.coordinate]
        note = _clean(note)
        record = self._marked.get((place.sheet, place.coordinate))
        if record is None:
            before = cell.comment
            record = [
                "cell",
                f"={quote_sheetname(place.sheet)}!{place.coordinate}",
                _fill_xml(cell.fill),
                "",
                note,
                "" if before is None else (before.text or ""),
                "" if before is None else (before.author or ""),
                "0" if before is None else "1",
            ]
            self._marked[(place.sheet, place.coordinate)] = record
        fill = _MARK_FILL[severity]
        record[3], record[4] = fill.fgColor.rgb, note
        text = _written(note, record[5] if record[7] == "1" else None)
        comment = _Comment(text, "xlsxform")
        comment.width = _COMMENT_WIDTH
        comment.height = round(16 * sum(max(1, math.ceil(_display_width(line) * 6 / _COMMENT_WIDTH)) for line in text.split("\n")) + 12)
        cell.comment = comment
        cell.fill = fill

    def results(self, title: str, header: list[str], rows: list[list[Any]], *, widths: list[float], empty: str) -> str:
        """A new sheet listing the problems, shown first when the file opens.

        ``rows`` hold text, numbers, :class:`CellLink` and :class:`Flagged`
        values; with no rows, the sheet says ``empty``.  Returns the sheet's
        title: ``title``, or ``title(2)``, ``title(3)``... when that is taken.
        """
        taken = {name.casefold() for name in self.workbook.sheetnames}
        name, n = title, 1
        while name.casefold() in taken:
            n += 1
            name = f"{title}({n})"
        sheet = self.workbook.create_sheet(name)
        self._added.append(name)
        for col, label in enumerate(header, 1):
            cell = sheet.cell(1, col)
            _store_text(cell, _clean(label))
            cell.font, cell.fill, cell.alignment, cell.border = _RESULT_HEADER_FONT, _RESULT_HEADER_FILL, _RESULT_CENTER, _BOX
        for r, row in enumerate(rows, 2):
            lines = 1
            for col, value in enumerate(row, 1):
                cell = sheet.cell(r, col)
                cell.font, cell.alignment, cell.border = _RESULT_FONT, _RESULT_ALIGN, _BOX
                if isinstance(value, CellLink):
                    _store_text(cell, _clean(value.text))
                    location = f"{quote_sheetname(value.sheet)}!{value.coordinate}"
                    cell.hyperlink = _Hyperlink(ref=cell.coordinate, location=location, display=value.text)
                    cell.font = _RESULT_LINK_FONT
                elif isinstance(value, Flagged):
                    _store_text(cell, _clean(value.text))
                    cell.fill, cell.alignment = _MARK_FILL[value.severity], _RESULT_CENTER
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cell.value, cell.alignment = value, _RESULT_CENTER
                else:
                    _store_text(cell, _clean("" if value is None else str(value)))
                lines = max(lines, _lines(str(cell.value or ""), widths[col - 1]))
            sheet.row_dimensions[r].height = min(409, round(14.5 * lines + 4, 1))
        if not rows:
            cell = sheet.cell(2, 1)
            _store_text(cell, _clean(empty))
            cell.font, cell.alignment, cell.fill = _RESULT_FONT, _RESULT_ALIGN, _PASSED_FILL
            sheet.row_dimensions[2].height = 20
            sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
        for col, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
        sheet.page_setup.orientation = "landscape"
        _fit_to_width(sheet)
        sheet.print_title_rows = "1:1"
        for other in self.workbook.worksheets:
            other.sheet_view.tabSelected = False
        sheet.sheet_view.tabSelected = True
        self.workbook.active = self.workbook.worksheets.index(sheet)
        return name

    def save(self, target: str | Path) -> None:
        """Write the copy, with the record of this annotation's marks."""
        if MARKS_SHEET in self.workbook.sheetnames:  # not unmarked: a record of these marks only
            self.workbook.remove(self.workbook[MARKS_SHEET])
        record = self.workbook.create_sheet(MARKS_SHEET)
        rows = [["sheet", f"={quote_sheetname(title)}!A1", "", "", "", "", "", ""] for title in self._added]
        for r, row in enumerate([_MARKS_HEADER, *rows, *self._marked.values()], 1):
            for col, value in enumerate(row, 1):
                cell = record.cell(r, col)
                if col == 2 and r > 1:
                    cell.value = value  # the formula that follows the cell
                elif value != "":
                    _store_text(cell, _clean(value))
        record.sheet_state = "veryHidden"
        record.protection.sheet = True
        self.workbook.save(target)


def _written(note: str, original: str | None) -> str:
    """The comment :meth:`Annotator.mark` writes: the note, then the department's comment."""
    return _clean(f"{note}{_NOTE_SEPARATOR}{original}") if original else note


def _normal(text: str) -> str:
    """Comment text with line breaks as \\n, as every suite's copy compares."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fill_xml(fill: Any) -> str:
    return _tostring(fill.to_tree()).decode("utf-8")


def _fill_from_xml(text: str) -> Any:
    """The fill recorded; no fill when the record cannot be read."""
    try:
        fill = _Fill.from_tree(_fromstring(text))
    except Exception:  # a record damaged or written by someone else
        fill = None
    return fill if fill is not None else PatternFill()


def _format_copies(sheet: Any, cell: Any, marked: _Mapping[tuple[str, str], Any]) -> list[Any]:
    """Cells of rows inserted next to a marked cell, which Excel and
    LibreOffice fill like it: the cells right above and below it in its column
    with exactly its fill and no comment, up to the first other cell."""
    top, bottom = cell.row, cell.row
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= cell.row <= merged.max_row and merged.min_col <= cell.column <= merged.max_col:
            top, bottom = merged.min_row, merged.max_row
            break
    fill, copies = _fill_xml(cell.fill), []
    for rows in (range(bottom + 1, min(bottom + 1 + _MAX_COPIES, 1048577)), range(top - 1, max(top - 1 - _MAX_COPIES, 0), -1)):
        for row in rows:
            if (row, cell.column) not in sheet._cells:
                break
            other = sheet.cell(row, cell.column)
            if (sheet.title, other.coordinate) in marked or other.comment is not None:
                break
            if other._style.fillId != cell._style.fillId and _fill_xml(other.fill) != fill:
                break
            copies.append(other)
    return copies


def _headed(sheet: Any, headers: _Sequence[_Sequence[str]]) -> bool:
    """Whether the first row of ``sheet`` is one of ``headers``: a results sheet of ours."""
    first = next(sheet.iter_rows(min_row=1, max_row=1, max_col=max(map(len, headers), default=1), values_only=True), ())
    return any(list(first[: len(header)]) == list(header) for header in headers)


def _is_mark_fill(fill: Any, colours: _Sequence[str]) -> bool:
    """A solid fill of one of ``colours`` (a gradient has no fgColor)."""
    if getattr(fill, "fill_type", None) != "solid" or not isinstance(getattr(fill, "fgColor", None), _Color):
        return False
    return fill.fgColor.type == "rgb" and str(fill.fgColor.rgb).upper() in {c.upper() for c in colours if c}


def _referenced(value: Any) -> tuple[str, str] | None:
    """(sheet, cell) a formula of the record refers to, or None."""
    found = _REFERENCE.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return None
    sheet = found[1].replace("''", "'") if found[1] is not None else found[2].strip()
    row, col = int(found[4]), found[3].upper()
    if not 1 <= row <= 1048576 or len(col) == 3 and col > "XFD":
        return None
    return sheet, f"{col}{row}"


def _record_text(value: Any) -> str:
    """A value of the record as text, escapes decoded as written."""
    if value is None:
        return ""
    return _plain_text(value) if isinstance(value, str) else str(value)


def _clean(text: str) -> str:
    """Report text a cell or comment can hold: control characters dropped, cut to the cell limit."""
    return CONTROL.sub("", text)[:MAX_TEXT]


def _display_width(text: str) -> float:
    """Width in column units: a CJK character is two, anything else one."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` units wide."""
    return sum(max(1, math.ceil(_display_width(line) / max(width - 1, 1))) for line in text.split("\n"))
