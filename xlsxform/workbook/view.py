"""A sheet as a person sees it, for drawing it as a table: each cell's shown
text and the merged ranges, bounded like the reader's grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import range_boundaries

from xlsxform.workbook.cells import form_sheet, load, opening, quiet
from xlsxform.workbook.text import display_text, plain_text


@dataclass(frozen=True)
class SheetView:
    """The form region of one sheet: shown text by (row, col) from 1, merges
    as (first row, first col, last row, last col), and which cells hold formulas."""

    name: str
    rows: int
    cols: int
    text: dict[tuple[int, int], str]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    formulas: frozenset[tuple[int, int]] = frozenset()
    """Cells holding a formula: their text is the value an office suite last
    calculated, or the formula itself when none was (a file written by a program)."""


def sheet_view(path: str | Path, *, preferred_sheet: str, max_rows: int, max_cols: int, worked: Mapping[tuple[int, int], str] | None = None) -> SheetView:
    """The form's sheet of an .xlsx (already through the gate) as shown text
    and merges; an .xls has no merges here (its grid is read by ``xls``).

    ``worked`` is what the reader worked out for formula cells, shown where
    no office suite stored a result (a file written by a program)."""
    with quiet(), opening(path):
        workbook = load(path, data_only=False, read_only=False)
    try:
        sheet = form_sheet(workbook, preferred_sheet)
        if sheet is None:
            return SheetView("", 0, 0, {})
        text: dict[tuple[int, int], str] = {}
        formulas: set[tuple[int, int]] = set()
        for row in sheet.iter_rows(min_row=1, max_row=min(max_rows, sheet.max_row), max_col=min(max_cols, sheet.max_column)):
            for cell in row:
                value = cell.value
                if value is None or not hasattr(cell, "column"):
                    continue
                if cell.data_type == "f":
                    formulas.add((cell.row, cell.column))
                    shown = str(value)
                elif isinstance(value, str):
                    shown = plain_text(value).strip()
                else:
                    shown = display_text(value, cell.number_format or "General")
                if shown:
                    text[(cell.row, cell.column)] = shown
        merges = []
        for merged in sheet.merged_cells.ranges:
            first_col, first_row, last_col, last_row = range_boundaries(str(merged))
            if first_row <= max_rows and first_col <= max_cols:
                merges.append((first_row, first_col, min(last_row, max_rows), min(last_col, max_cols)))
        calculated: set[tuple[int, int]] = set()
        if formulas:
            for place, value in _calculated(path, sheet.title, max_rows, max_cols).items():
                if place in formulas and value is not None:
                    text[place] = display_text(value, sheet.cell(*place).number_format or "General")
                    calculated.add(place)
        for place, shown in (worked or {}).items():
            if place in formulas and place not in calculated:
                text[place] = shown
        rows = max([r for r, _ in text] + [m[2] for m in merges] + [0])
        cols = max([c for _, c in text] + [m[3] for m in merges] + [0])
        return SheetView(sheet.title, rows, cols, text, merges, frozenset(formulas))
    finally:
        workbook.close()


def _calculated(path: str | Path, title: str, max_rows: int, max_cols: int) -> dict[tuple[int, int], object]:
    """The values office suites stored for the sheet's cells (formulas' last results)."""
    with quiet(), opening(path):
        workbook = load(path, data_only=True)
    try:
        sheet = workbook[title]
        return {
            (cell.row, cell.column): cell.value
            for row in sheet.iter_rows(min_row=1, max_row=max_rows, max_col=max_cols)
            for cell in row
            if getattr(cell, "value", None) is not None
        }
    finally:
        workbook.close()
