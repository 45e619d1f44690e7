"""The form writer: spec-driven cells, styles, merges, validation, protection
and identity, written through openpyxl."""

from __future__ import annotations

import datetime
import io
import zipfile
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import (
    absolute_coordinate,
    get_column_letter,
    quote_sheetname,
)
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from xlsxform.workbook.cells import (
    ALERT,
    ALERT_FONT,
    BOX,
    CM_PER_INCH,
    UNLOCKED,
    one_page_wide,
    store_text,
)
from xlsxform.workbook.text import (
    escape,
)


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


class _InMemoryWriter(ExcelWriter):  # type: ignore[misc]
    """openpyxl's workbook writer, its worksheets written to memory."""

    def write_worksheet(self, ws: Any) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        out = io.BytesIO()
        writer = WorksheetWriter(ws, out)
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], out.getvalue())
        self.manifest.append(ws)


class _Merged(MergedCellRange):  # type: ignore[misc]
    """openpyxl's merged range, its border formatting (the cost of a merge:
    each ``border +=`` builds and hashes Border objects) with every sum of a
    border and a side worked out once per workbook.  The sums are added to
    the workbook's borders in the same order, so the file is the same."""

    def __init__(self, worksheet: Any, coord: str, sums: dict[tuple[int, int, str], int]) -> None:
        self.sums = sums
        super().__init__(worksheet, coord)

    def _get_borders(self) -> None:
        self.start_cell = self.ws._cells.get((self.min_row, self.min_col))
        if self.start_cell is None:
            self.start_cell = self.ws.cell(row=self.min_row, column=self.min_col)
        end = self.ws._cells.get((self.max_row, self.max_col))
        if end is not None:
            self._add(self.start_cell, end, ("right", "bottom"))

    def format(self) -> None:
        start = self.start_cell
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue
            for coord in getattr(self, name):
                cell = self.ws._cells.get(coord)
                if cell is None:
                    cell = self.ws._cells[coord] = MergedCell(self.ws, row=coord[0], column=coord[1])
                self._add(cell, start, (name,))
        protection = start._style.protectionId if start._style else None
        for coord in self.cells:
            cell = self.ws._cells.get(coord)
            if cell is None:
                cell = self.ws._cells[coord] = MergedCell(self.ws, row=coord[0], column=coord[1])
            if protection is None:
                cell.protection = copy(start.protection)
            else:
                if not cell._style:
                    cell._style = StyleArray()
                cell._style.protectionId = protection  # a copy of the start's protection is the start's entry

    def _add(self, cell: Any, source: Any, names: tuple[str, ...]) -> None:
        """``cell.border += Border(<names> of source's border)``, remembered by border indexes."""
        for holder in (cell, source):
            if not holder._style:
                holder._style = StyleArray()
        key = (cell._style.borderId, source._style.borderId, ",".join(names))
        found = self.sums.get(key)
        if found is None:
            cell.border += Border(**{name: getattr(source.border, name) for name in names})
            self.sums[key] = cell._style.borderId
        else:
            cell._style.borderId = found


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
        self._styled: dict[tuple[CellStyle, tuple[int, ...]], Any] = {}
        """A cell's style indexes after a CellStyle is applied to a cell that had the given ones."""
        self._border_sums: dict[tuple[int, int, str], int] = {}
        """Border index of a cell, plus one side of another border: the sum's index."""

    def text(self, row: int, col: int, value: str, style: CellStyle) -> None:
        """Write a string that stays a string, even when it begins with '='."""
        cell = self.sheet.cell(row, col)
        store_text(cell, value)
        self._style(cell, style)

    def number(self, row: int, col: int, value: Decimal | int | datetime.date | None, style: CellStyle) -> None:
        cell = self.sheet.cell(row, col)
        # Cells hold IEEE doubles; Decimal goes in as its nearest float.
        cell.value = None if value is None else (value if isinstance(value, int | datetime.date) else float(value))
        self._style(cell, style)

    def formula(self, row: int, col: int, formula: str, style: CellStyle) -> None:
        cell = self.sheet.cell(row, col)
        cell.value = formula if formula.startswith("=") else f"={formula}"
        self._style(cell, style)

    def blank(self, row: int, col: int, style: CellStyle) -> None:
        self._style(self.sheet.cell(row, col), style)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge a range, its edge cells bordered like its first cell, exactly
        as openpyxl's merge_cells does, each border sum worked out once."""
        if (first_row, first_col) == (last_row, last_col):
            return
        ws = self.sheet
        merged = _Merged(ws, f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}", self._border_sums)
        ws.merged_cells.add(merged)
        cells = merged.cells
        next(cells)
        for row, col in cells:
            ws._cells[row, col] = MergedCell(ws, row, col)
        merged.format()

    def row_height(self, row: int, points: float) -> None:
        self.sheet.row_dimensions[row].height = round(points, 1)

    def column_width(self, col: int, width: float) -> None:
        self.sheet.column_dimensions[get_column_letter(col)].width = width

    def mark_unequal(self, first: str, second: str) -> None:
        """Fill both cells red whenever their values differ (beyond rounding)."""
        a, b = (absolute_coordinate(ref) for ref in (first, second))
        rule = FormulaRule(formula=[f"ROUND({a}-{b},6)<>0"], fill=ALERT, font=ALERT_FONT)
        self.sheet.conditional_formatting.add(f"{first} {second}", rule)

    def page(self, *, paper: str, orientation: str, fit_to_width: bool, margins_cm: dict[str, float], last_row: int, last_col: int) -> None:
        ws = self.sheet
        ws.page_setup.paperSize = ws.PAPERSIZE_A4 if paper == "A4" else ws.PAPERSIZE_A3
        ws.page_setup.orientation = orientation
        if fit_to_width:
            one_page_wide(ws)
        for side, cm in margins_cm.items():
            setattr(ws.page_margins, side, round(cm / CM_PER_INCH, 3))
        ws.print_options.horizontalCentered = True
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"

    def row_heights(self) -> list[float]:
        """The height of each row of the sheet, from row 1, in points (15 where none was set)."""
        dimensions = self.sheet.row_dimensions
        return [float(dimensions[row].height or 15.0) for row in range(1, self.sheet.max_row + 1)]

    def merged_rows(self) -> list[tuple[int, int]]:
        """The rows each merged range spans, for ranges over more than one row."""
        return [(r.min_row, r.max_row) for r in self.sheet.merged_cells.ranges if r.max_row > r.min_row]

    def break_pages(self, rows: list[int]) -> None:
        """Make each printed page end after one of ``rows``."""
        for row in rows:
            self.sheet.row_breaks.append(Break(id=row))

    def save(self, target: str | Path | BinaryIO) -> None:
        """Save as openpyxl's save_workbook does, each sheet's XML kept in
        memory instead of a temporary file (whose creation and removal cost
        more than writing a form's sheet)."""
        archive = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.workbook.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
        _InMemoryWriter(self.workbook, archive).save()

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
                store_text(cell, value)
            self._name(sheet, name, 1, col, len(values), col)
            names[name] = name
        sheet.protection.sheet = True
        return names

    def identity(self, title: str, values: dict[str, str]) -> None:
        """Who and what this workbook is, twice: custom document properties and
        a very hidden sheet, so that either survives what a suite keeps."""
        for key, value in values.items():
            self.workbook.custom_doc_props.append(StringProperty(name=key, value=escape(value)))
        sheet = self.workbook.create_sheet(title)
        sheet.sheet_state = "veryHidden"
        for row, (key, value) in enumerate(values.items(), 1):
            for col, text in enumerate((key, value), 1):
                cell = sheet.cell(row, col)
                store_text(cell, text)
        sheet.protection.sheet = True

    def text_sheet(self, title: str, lines: list[str], styles: list[CellStyle], heights: list[float], width: float) -> None:
        """A printable sheet of wrapped paragraphs (instructions), one per row."""
        sheet = self.workbook.create_sheet(title, index=1)
        sheet.column_dimensions["A"].width = width
        for row, (line, style, height) in enumerate(zip(lines, styles, heights, strict=False), 1):
            cell = sheet.cell(row, 1)
            store_text(cell, line)
            cell.font = _font(style.font, style.size, style.bold)
            cell.alignment = _alignment(style.align, True)
            sheet.row_dimensions[row].height = round(height, 1)
        one_page_wide(sheet)
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
        """Apply a style; worked out once per style and previous style of a cell
        (openpyxl hashes every style object on each assignment)."""
        key = (style, tuple(cell._style or ()))
        done = self._styled.get(key)
        if done is not None:
            cell._style = copy(done)
            return
        cell.font = _font(style.font, style.size, style.bold)
        cell.alignment = _alignment(style.align, style.wrap)
        if style.border:
            cell.border = BOX
        if style.number_format != "General":
            cell.number_format = style.number_format
        if not style.locked:
            cell.protection = UNLOCKED
        self._styled[key] = copy(cell._style)
