"""One worksheet part read in one pass, as openpyxl's read-only worksheet reads it.

The parser walks the rows down to the form's last row and no further, types
each cell's value with the package's strings and formats, gives formulas
their text (shared ones through :mod:`xlsxform.workbook.xmlformulas`), keeps
what a data-only read would give, and finds the merged ranges after the rows
without parsing the rest.  Markup a form never holds (drawings, alternate
content, extensions) is not read, so it cannot make a file unreadable.
"""

from __future__ import annotations

import datetime as dt
import pyexpat
import re
from typing import Any

from xlsxform.workbook.grid import range_box
from xlsxform.workbook.text import column_number
from xlsxform.workbook.xmlformulas import formula_text
from xlsxform.workbook.xmlpackage import Package
from xlsxform.workbook.xmlparse import MAIN, Damaged, local
from xlsxform.workbook.xmlstyles import from_excel, from_iso, text_collector


class _Enough(Exception):
    """The sheet's rows below the form: stop reading."""


class SheetRead:
    """One sheet's region: each kept cell as (value, number format, type, cached value)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[Any, str, str, Any]] = {}
        self.stored: list[tuple[int, tuple[int, int], Any]] = []
        """What a data-only read gives (a formula's cached value, else the value
        as stored), in order, with the number of the row it was found in."""
        self.first_broken = 1 << 62
        """The first row whose cached values a data-only read cannot type (it gives none)."""
        self.rows: list[tuple[Any, Any]] = []
        """Columns A and B of each row (for the identity sheet)."""
        self.merges: tuple[tuple[int, int, int, int], ...] = ()


_CELL_REF = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")
_MERGE_REF = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")


def read_sheet(package: Package, part: str, max_rows: int, max_cols: int, *, with_merges: bool) -> SheetRead:
    """One pass over a sheet's rows down to ``max_rows``, as openpyxl's
    read-only worksheet reads them (rows out of order or repeated skipped,
    a cell placed by its own reference, the last of two cells in one
    column kept), then its merged ranges."""
    out = SheetRead()
    formats = package.formats
    epoch = package.epoch
    shared: dict[str, tuple[str, int, int]] = {}
    row_tag, v_tag, f_tag, is_tag, merge_tag = f"{MAIN}row", f"{MAIN}v", f"{MAIN}f", f"{MAIN}is", f"{MAIN}mergeCell"
    inline_start, inline_end, inline_text, inline_result = text_collector()
    merges: list[str] = []

    depth = 0
    row_depth = 0
    row_number = 0
    last_kept = 0
    column = 0
    slots: dict[int, tuple[int, tuple[Any, str, str, Any]]] = {}
    cell: dict[str, Any] = {}
    capture: list[str] | None = None
    capture_depth = 0
    capture_child = False
    inline_depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, row_depth, row_number, column, capture, capture_depth, capture_child, inline_depth
        depth += 1
        if row_depth:
            if depth == row_depth + 1:
                # Every child of a row is a cell, whatever its name.
                cell.clear()
                cell.update(attrs=attrs, v=None, f=None, f_attrs=None, inline=None)
                return
            if depth == row_depth + 2:
                if name == v_tag and cell["v"] is None:
                    cell["v"] = capture = []
                    capture_depth, capture_child = depth, False
                elif name == f_tag and cell["f"] is None:
                    cell["f"] = capture = []
                    cell["f_attrs"] = attrs
                    capture_depth, capture_child = depth, False
                elif name == is_tag and cell["inline"] is None:
                    cell["inline"] = ""
                    inline_depth = depth
                return
            if capture is not None and depth > capture_depth:
                capture_child = True
            if inline_depth:
                inline_start(local(name), depth - inline_depth)
            return
        if name == row_tag:
            ref = attrs.get("r")
            row_number = row_number + 1 if ref is None else _row_number(ref)
            if row_number > max_rows:
                raise _Enough
            row_depth, column = depth, 0
            slots.clear()
        elif name == merge_tag and with_merges:
            merges.append(attrs.get("ref", ""))

    def end(name: str) -> None:
        nonlocal depth, row_depth, last_kept, capture, capture_child, inline_depth, column
        if row_depth:
            if depth == row_depth:
                row_depth = 0
                if row_number > last_kept:
                    last_kept = row_number
                    _keep_row(out, slots, row_number, max_rows)
            elif depth == row_depth + 1:
                column = _finish_cell(cell, slots, column, row_number, max_cols, formats, epoch, package, shared, out)
            elif depth == capture_depth and capture is not None:
                capture, capture_child = None, False
            elif inline_depth:
                if depth == inline_depth:
                    cell["inline"] = inline_result() or ""
                    inline_depth = 0
                else:
                    inline_end(depth - inline_depth)
        depth -= 1

    def text(data: str) -> None:
        if capture is not None and not capture_child:
            capture.append(data)
        elif inline_depth:
            inline_text(data)

    chunks = package.parts[part]
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    fed = 0
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            fed += len(chunk)
        parser.Parse(b"", True)
    except _Enough:
        if with_merges:
            # Merged ranges follow the rows: found in the rest of the part without parsing it.
            rest = b"".join(chunks)[parser.CurrentByteIndex :]
            merges += [ref.decode("utf-8", "replace") for ref in _MERGE_REF.findall(rest)]
    except pyexpat.ExpatError as exc:
        raise Damaged(f"XML: {exc}") from None
    out.merges = _merge_boxes(merges)
    return out


def _merge_boxes(refs: list[str]) -> tuple[tuple[int, int, int, int], ...]:
    """Merged ranges, each once, corners in order; a reference that is no block is left out."""
    boxes = set()
    for ref in refs:
        try:
            row1, col1, row2, col2 = range_box(ref)
        except ValueError:
            continue
        boxes.add((min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2)))
    return tuple(sorted(boxes))


def _row_number(ref: str) -> int:
    """A row's r as openpyxl reads it ('7', '7.0')."""
    try:
        return int(ref)
    except ValueError:
        value = float(ref)
        if not value.is_integer():
            raise ValueError(ref) from None
        return int(value)


def _finish_cell(
    cell: dict[str, Any],
    slots: dict[int, tuple[int, tuple[Any, str, str, Any]]],
    column: int,
    row_number: int,
    max_cols: int,
    formats: list[tuple[str, bool, bool]],
    epoch: dt.datetime,
    package: Package,
    shared: dict[str, tuple[str, int, int]],
    out: SheetRead,
) -> int:
    """Type one cell's value as openpyxl does, twice: as read with formulas
    (the grid) and as read with their cached values (data only)."""
    attrs = cell["attrs"]
    ref = attrs.get("r")
    if ref:
        found = _CELL_REF.match(ref)
        if found is None or not int(found[2]):
            raise Damaged(f"cell reference {ref[:20]!r}")
        column = column_number(found[1])
        row = int(found[2])
    else:
        column += 1
        row = row_number
    kind = attrs.get("t", "n")
    style = attrs.get("s") or 0
    number_format, is_date, is_duration = "General", False, False
    if style:
        style = int(style)
        if 0 <= style < len(formats):
            number_format, is_date, is_duration = formats[style]
    text = "".join(cell["v"]) if cell["v"] is not None else None
    raw = None if kind == "inlineStr" else (text or None)
    formula = cell["f"]
    try:
        stored, stored_kind = _typed(raw, kind, is_date, is_duration, epoch, package, cell["inline"])
    except (ValueError, IndexError, OverflowError):
        if formula is None:
            raise
        # A formula's cached value no reader can type: the formula still reads.
        stored, stored_kind = None, "e"
        out.first_broken = min(out.first_broken, row_number)
    if formula is not None:
        value: Any = formula_text(cell["f_attrs"], "=" + "".join(formula), row, column, shared)
        value_kind = "f"
    else:
        value, value_kind = stored, stored_kind
    if 1 <= column <= max_cols:
        slots[column] = (row, (value, number_format, value_kind, stored))
    return column


def _typed(raw: str | None, kind: str, is_date: bool, is_duration: bool, epoch: dt.datetime, package: Package, inline: str | None) -> tuple[Any, str]:
    """A stored value and its type ('n', 's', 'b', 'd', 'e'...) as openpyxl gives them."""
    if raw is not None:
        if kind == "n":
            number: Any = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if is_date:
                try:
                    return from_excel(number, epoch, is_duration), "d"
                except (OverflowError, ValueError):
                    return "#VALUE!", "e"
            return number, "n"
        if kind == "s":
            index = int(raw)
            if index < 0:
                raise IndexError(index)
            return package.strings[index], "s"
        if kind == "b":
            return bool(int(raw)), "b"
        if kind == "str":
            return raw, "s"
        if kind == "d":
            return from_iso(raw), "d"
        return raw, kind
    if kind == "inlineStr" and inline is not None:
        return inline, "s"
    return None, kind


def _keep_row(out: SheetRead, slots: dict[int, tuple[int, tuple[Any, str, str, Any]]], number: int, max_rows: int) -> None:
    out.rows.append((slots[1][1][0] if 1 in slots else None, slots[2][1][0] if 2 in slots else None))
    for col in sorted(slots):
        row, entry = slots[col]
        if not 1 <= row <= max_rows:
            continue
        value, stored = entry[0], entry[3]
        if not (value is None or (isinstance(value, str) and not value.strip())):
            out.cells[(row, col)] = entry
        if not (stored is None or (isinstance(stored, str) and not stored.strip())):
            out.stored.append((number, (row, col), stored))
