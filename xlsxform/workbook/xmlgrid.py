"""The form's grid read straight from the bytes the gate already inflated.

:func:`xlsxform.safety.gate.inspect` inflates every part of an .xlsx to check
it; with ``keep=True`` it keeps the XML parts.  This module reads the grid of
:func:`xlsxform.workbook.grid.read_grid` from them with one expat pass over
each part it needs (package relationships, workbook, styles, shared strings,
the form's sheet, custom properties, and the identity sheet when the
properties say nothing), and never inflates anything again.

It reads only what a form needs, exactly as openpyxl gives it (the
differential test, tests/test_xmlgrid.py, holds the two to the same grid cell
by cell): values, shared and inline strings (rich text as its plain text),
number formats, dates (1900 and 1904 epochs), formulas (shared ones
translated to their cell) with their cached values, merged ranges, defined
names and identity; rows below the form are not read at all.

This is the public entry; the reading is split by what it reads, each module
using only those above it:

- :mod:`~xlsxform.workbook.xmlparse`: the one expat pass, and the error of a damaged part;
- :mod:`~xlsxform.workbook.xmlstyles`: shared strings, number formats and the dates they make;
- :mod:`~xlsxform.workbook.xmlpackage`: which part is which (relationships,
  content types, names in any case), the workbook part and custom properties;
- :mod:`~xlsxform.workbook.xmlformulas`: shared formulas translated to their cell;
- :mod:`~xlsxform.workbook.xmlsheet`: one worksheet's cells in one pass.

The identity is read here: it needs both the package's properties and the sheet reader.

Imports no spreadsheet library.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from xlsxform.errors import UnreadableWorkbookError
from xlsxform.safety.gate import FileKind
from xlsxform.workbook.grid import Grid, GridReader, ReadOptions, Value
from xlsxform.workbook.text import plain_text
from xlsxform.workbook.xmlpackage import Package, Parts, custom_properties
from xlsxform.workbook.xmlparse import Damaged
from xlsxform.workbook.xmlsheet import read_sheet

__all__ = ["Parts", "grid_reader", "read_parts", "sheet_names"]


def grid_reader(kind: FileKind) -> GridReader:
    """A grid reader like :func:`xlsxform.workbook.grid.read_grid`, reading
    from the parts the gate kept for ``kind``."""
    return functools.partial(read_parts, kind.parts)


def sheet_names(kind: FileKind, path: str | Path = "") -> list[str]:
    """The visible worksheets of the workbook the gate kept, in order (a
    workbook may hold one form per sheet)."""
    try:
        package = Package(kind.parts)
    except Damaged as exc:
        raise UnreadableWorkbookError("文件已损坏或不完整，请重新保存后发送", f"the file is damaged or incomplete ({exc})", path=path) from None
    return [title for title, _, state, chart in package.sheets if not chart and state == "visible"]


def read_parts(parts: Parts, path: str | Path, options: ReadOptions) -> Grid:
    """The grid of :func:`xlsxform.workbook.grid.read_grid`, from inflated parts."""
    try:
        package = Package(parts)
        sheet = package.sheet(options.preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        title, part = sheet
        read = read_sheet(package, part, options.max_rows, options.max_cols, with_merges=True)
        cells: dict[tuple[int, int], Value] = {}
        cached: dict[tuple[int, int], Any] = {}
        for (row, col), (value, number_format, kind, _stored) in read.cells.items():
            if isinstance(value, str) and kind != "f":
                value = plain_text(value)
            cells[(row, col)] = Value(value, number_format, kind == "f", kind == "e")
        last = max((row for row, _ in cells), default=0)
        if read.first_broken > last:
            for number, (row, col), stored in read.stored:
                if number <= last and row <= last:
                    cached[(row, col)] = stored
        return Grid(
            title,
            cells,
            last,
            package.names(title, options.name_prefix),
            _identity(package, options.identity_sheet, options.identity_prefix),
            lambda: cached,
            merges=read.merges,
            sheets=[t for t, _, state, chart in package.sheets if not chart and state == "visible"],
        )
    except Damaged as exc:
        raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({exc})", path=path) from None
    except (ValueError, IndexError, KeyError, OverflowError, TypeError, RecursionError) as exc:
        raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({type(exc).__name__})", path=path) from None


def _identity(package: Package, sheet_title: str, prefix: str) -> dict[str, str]:
    """Keys starting with ``prefix`` from custom properties, else from the identity sheet."""
    if not prefix:
        return {}
    found = {name: str(value) for name, value in custom_properties(package.parts.get(package.custom)) if name.startswith(prefix) and value is not None}
    if not found:
        sheet = next((part for title, part, _, chart in package.sheets if title == sheet_title and not chart), None)
        if sheet is not None:
            rows = read_sheet(package, sheet, 50, 2, with_merges=False).rows
            found = {str(key): str(value) for key, value in rows if isinstance(key, str) and key.startswith(prefix) and value is not None}
    return {key: plain_text(value) for key, value in found.items()}
