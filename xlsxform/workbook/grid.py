"""A workbook as a grid of plain values: what the reader sees of a sheet, its
names and its identity, bounded whatever the file declares.

:class:`Grid` and :class:`Value` load no spreadsheet library; :func:`read_grid`
reads through openpyxl (imported on its first call).  The reader takes its
grid from :mod:`xlsxform.workbook.xmlgrid`; this one is its oracle in the
tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxform.errors import UnreadableWorkbookError
from xlsxform.workbook.text import (
    column_letter,
    plain_text,
)


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
        *,
        merges: tuple[tuple[int, int, int, int], ...] = (),
        sheets: list[str] | None = None,
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
        self.merges = merges
        """Merged ranges of the sheet as (first row, first col, last row, last col)
        (read by xmlgrid; openpyxl's read-only mode does not read them)."""
        self.sheets = sheets
        """The workbook's visible worksheets, in order, when the reader knows them
        (a workbook may hold one form per sheet)."""

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
        return f"{self.name}!{column_letter(col)}{row}"


@dataclass(frozen=True)
class ReadOptions:
    """What a grid reader reads of a workbook: which sheet, how much of it,
    and which names and identity keys.  Every reader takes these: the one
    here, :mod:`xlsxform.workbook.xmlgrid`'s and :mod:`xlsxform.workbook.xls`'s."""

    preferred_sheet: str
    """The form's sheet; when no sheet is named so, the first visible worksheet."""
    max_rows: int
    max_cols: int
    """The region read from A1, whatever the file declares."""
    name_prefix: str = ""
    """Defined names starting with it are read (none when empty)."""
    identity_sheet: str = ""
    """The sheet identity keys are read from when no custom property holds them."""
    identity_prefix: str = ""
    """Identity keys starting with it are read (none when empty)."""


GridReader = Callable[[str | Path, ReadOptions], Grid]
"""A function reading a workbook's grid as :class:`ReadOptions` say: :func:`read_grid`,
:func:`xlsxform.workbook.xls.read_grid`, and what :func:`xlsxform.workbook.xmlgrid.grid_reader` gives."""


def read_grid(path: str | Path, options: ReadOptions) -> Grid:
    """Read the top-left region of the form's sheet, bounded whatever the file
    declares, with the defined names and identity the file carries."""
    from xlsxform.workbook.cells import form_sheet, opened

    with opened(path, data_only=False) as workbook:
        sheet = form_sheet(workbook, options.preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        cells: dict[tuple[int, int], Value] = {}
        for cell in _region(sheet, options.max_rows, options.max_cols):
            value = cell.value
            if isinstance(value, str) and cell.data_type != "f":
                value = plain_text(value)
            cells[(cell.row, cell.column)] = Value(value, cell.number_format or "General", cell.data_type == "f", cell.data_type == "e")
        last = max((row for row, _ in cells), default=0)
        return Grid(
            sheet.title,
            cells,
            last,
            _names(workbook, sheet.title, options.name_prefix),
            _identity(workbook, options.identity_sheet, options.identity_prefix),
            lambda: _cached_values(path, sheet.title, last, options.max_cols),
            sheets=[ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"],
        )


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
    from xlsxform.workbook.cells import opened

    try:
        with opened(path, data_only=True) as workbook:
            return {(cell.row, cell.column): cell.value for cell in _region(workbook[sheet_title], max_rows, max_cols)}
    except UnreadableWorkbookError:
        return {}


AREA = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")
"""A defined name's one block on one sheet: 'Sheet'!$B$14:$E$18."""


def _names(workbook: Any, sheet: str, prefix: str) -> dict[str, tuple[int, int, int, int]]:
    """Defined names starting with ``prefix`` that point at one block of ``sheet``
    (parsed here: openpyxl's formula tokenizer costs more than the whole read)."""
    found = {}
    for name, defined in workbook.defined_names.items():
        if not prefix or not name.startswith(prefix):
            continue
        match = AREA.match((defined.attr_text or "").strip())
        # Anything else (#REF! after a deleted row, whole columns, several
        # blocks) locates nothing on the form.
        if not match or (match[1].replace("''", "'") if match[1] else match[2]) != sheet:
            continue
        found[name] = range_box(match[3].replace("$", ""))
    return found


def _identity(workbook: Any, sheet_title: str, prefix: str) -> dict[str, str]:
    """Keys starting with ``prefix`` from custom properties, else from the identity sheet."""
    if not prefix:
        return {}
    found = {p.name: str(p.value) for p in workbook.custom_doc_props if p.name.startswith(prefix) and p.value is not None}
    if not found and sheet_title in workbook.sheetnames:
        rows = workbook[sheet_title].iter_rows(max_row=50, max_col=2, values_only=True)
        found = {str(key): str(value) for key, value in rows if isinstance(key, str) and key.startswith(prefix) and value is not None}
    return {key: plain_text(value) for key, value in found.items()}


_REF = re.compile(r"^([A-Za-z]{1,3})([0-9]+)$")


def range_box(ref: str) -> tuple[int, int, int, int]:
    """A block 'B14:E18' (or one cell 'B14') as (first row, first col, last row,
    last col), corners as written (as openpyxl's range_boundaries gives them);
    ValueError when it is not one."""
    first, _, last = ref.partition(":")
    corners = []
    for corner in (first, last or first):
        found = _REF.match(corner.replace("$", ""))
        if found is None:
            raise ValueError(ref)
        col = 0
        for letter in found[1].upper():
            col = col * 26 + ord(letter) - 64
        corners.append((int(found[2]), col))
    (row1, col1), (row2, col2) = corners
    return row1, col1, row2, col2
