"""Reading the old binary workbook format (.xls, BIFF) into the same grid as .xlsx.

Some departments still save as "Excel 97-2003".  xlrd reads those files;
this module turns one sheet of one into the :class:`~xlsxform.workbook.grid.Grid` that
:func:`xlsxform.workbook.grid.read_grid` gives for an .xlsx, so the reader cannot tell
them apart: text as text, numbers as floats with the number format they were
shown in (95% is 0.95 in a ``0%`` cell), dates as datetimes, error cells as
their ``#DIV/0!`` text, and formulas as their text (``=SUM(C5,C6)``).

xlrd has no API for "is this cell a formula": it gives a formula's cached
result.  The sheet's FORMULA records are therefore found by walking the
sheet's BIFF records (a record is a 2-byte type, a 2-byte length and the
data), and the formula's tokens decompiled with xlrd's own decompiler.

An .xls always stores its formulas' results; the grid gives them as
:meth:`~xlsxform.workbook.grid.Grid.cached`, as an .xlsx saved by an office suite does.

:mod:`xlsxform.safety.gate` decides that a file is an .xls (by its content) before
this module sees it.  Every failure of xlrd, whatever it raises, becomes one
:class:`~xlsxform.errors.UnreadableWorkbookError`.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path
from typing import Any

from xlsxform.errors import RefusedFileError, UnreadableWorkbookError
from xlsxform.safety.gate import REASONS
from xlsxform.workbook.grid import Grid, ReadOptions, Value

_BOF, _EOF, _FORMULA, _SHRFMLA, _ARRAY = 0x0809, 0x000A, 0x0006, 0x04BC, 0x0221
"""BIFF8 record types: a substream's start and end, a formula cell, and the
shared tokens of a shared or array formula."""
_TEXP = 0x01
"""The token of a cell that is part of a shared or array formula."""
_QUOTED = re.compile(r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*')")
"""Text and sheet names in a formula, left as they are."""
_WHOLE = re.compile(r"(?<![\w.])(\d+)\.0(?![\d.])")
"""A whole number as xlrd writes it, 2.0."""


def read_grid(path: str | Path, options: ReadOptions) -> Grid:
    """Read the top-left region of the form's sheet of an .xls, like :func:`xlsxform.workbook.grid.read_grid`.

    The sheet is the one named ``options.preferred_sheet``, else the first
    visible one.  Defined names and identity keys come as from an .xlsx; an
    .xls has no custom document properties, so identity comes from
    ``options.identity_sheet``.
    """
    try:
        import xlrd
    except ImportError:
        raise UnreadableWorkbookError(
            "无法读取 .xls 文件：未安装 xlrd，请另存为 .xlsx 后再提交",
            "cannot read an .xls file: xlrd is not installed; save it as .xlsx",
            path=path,
        ) from None
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableWorkbookError("无法打开文件", f"cannot open the file ({exc.strerror or exc})", path=path) from None
    log = io.StringIO()  # xlrd writes its warnings to stdout unless told otherwise
    try:
        # ignore_workbook_corruption: some programs write sectors xlrd calls
        # corrupt ("seen[2] == 4") that Excel opens without complaint.
        book = xlrd.open_workbook(file_contents=content, formatting_info=True, on_demand=True, logfile=log, ignore_workbook_corruption=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error, IndexError...
        refusal = _damaged(exc, path)
        if type(refusal) is UnreadableWorkbookError and (grid := _read_with_calamine(content, options)):
            return grid
        raise refusal from None
    try:
        sheet = form_sheet(book, options.preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        formulas = _formulas(book, sheet.number)
        cells: dict[tuple[int, int], Value] = {}
        cached: dict[tuple[int, int], Any] = {}  # formulas' results: an .xls always stores them
        last = 0
        for r in range(min(sheet.nrows, options.max_rows)):
            for c in range(min(sheet.row_len(r), options.max_cols)):
                value = _value(book, sheet.cell(r, c), xlrd)
                formula = formulas.get((r, c))
                if formula is not None:
                    if value is not None:
                        cached[(r + 1, c + 1)] = value
                    value = formula
                if value is None:
                    continue
                error = formula is None and sheet.cell(r, c).ctype == xlrd.XL_CELL_ERROR
                cells[(r + 1, c + 1)] = Value(value, _number_format(book, sheet.cell_xf_index(r, c)), formula is not None, error)
                last = r + 1
        return Grid(
            sheet.name,
            cells,
            last,
            _names(book, sheet.name, options.name_prefix),
            _identity(book, options.identity_sheet, options.identity_prefix),
            cached_loader=lambda: cached,
            sheets=[book.sheet_by_index(i).name for i in range(book.nsheets) if book.sheet_by_index(i).visibility == 0],
        )
    except UnreadableWorkbookError:
        raise
    except Exception as exc:
        raise _damaged(exc, path) from None
    finally:
        book.release_resources()


def _damaged(exc: Exception, path: str | Path) -> UnreadableWorkbookError:
    reason = str(exc).lower()
    if "encrypted" in reason:
        # The same refusal as a password-protected .xlsx gets from the gate.
        zh, en = REASONS["encrypted"]
        return RefusedFileError("encrypted", zh, en, path=path)
    if "can't find workbook" in reason:
        return UnreadableWorkbookError(
            "无法打开：这不是 Excel 表格（可能是 Word 文档，或设有密码的 .xlsx）",
            "cannot open: not an Excel workbook (perhaps a Word document, or a password-protected .xlsx)",
            path=path,
        )
    return UnreadableWorkbookError(
        "无法打开：不是有效的 .xls 文件或文件已损坏",
        f"cannot open: not a valid .xls file, or the file is damaged ({type(exc).__name__}: {' '.join(str(exc).split())[:80]})",
        path=path,
    )


def form_sheet(book: Any, preferred: str) -> Any:
    names = book.sheet_names()
    if preferred in names:
        return book.sheet_by_name(preferred)
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if sheet.visibility == 0:
            return sheet
    return None


def _names(book: Any, sheet: str, prefix: str) -> dict[str, tuple[int, int, int, int]]:
    """Workbook names starting with ``prefix`` that point at one block of
    ``sheet``: name to (first row, first col, last row, last col), from 1."""
    found: dict[str, tuple[int, int, int, int]] = {}
    if not prefix:
        return found
    for name in book.name_obj_list:
        if name.scope != -1 or not name.name.startswith(prefix):
            continue
        try:
            target, first_row, end_row, first_col, end_col = name.area2d(clipped=True)
        except Exception:  # xlrd raises on a name broken by a deleted row (#REF!) or not a plain range
            continue
        if target.name == sheet and end_row > first_row and end_col > first_col:
            found[name.name] = (first_row + 1, first_col + 1, end_row, end_col)
    return found


def _identity(book: Any, sheet_title: str, prefix: str) -> dict[str, str]:
    """Keys starting with ``prefix`` and their values from the identity sheet."""
    if not prefix or sheet_title not in book.sheet_names():
        return {}
    sheet = book.sheet_by_name(sheet_title)
    found = {}
    for r in range(min(sheet.nrows, 50)):
        if sheet.row_len(r) < 2:
            continue
        key, value = sheet.cell_value(r, 0), sheet.cell_value(r, 1)
        if isinstance(key, str) and key.startswith(prefix) and value != "":
            found[key] = value if isinstance(value, str) else _number_text(value)
    return found


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _value(book: Any, cell: Any, xlrd: Any) -> Any:
    """A cell's value as openpyxl would give it, or None for an empty cell."""
    kind, value = cell.ctype, cell.value
    if kind == xlrd.XL_CELL_TEXT:
        if not value.strip():
            return None
        return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
    if kind == xlrd.XL_CELL_NUMBER:
        return float(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, book.datemode)
        except (ValueError, OverflowError):
            return float(value)  # not a date Excel can show either: the number
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR!")
    return None  # XL_CELL_EMPTY, XL_CELL_BLANK


def _number_format(book: Any, xf_index: int) -> str:
    try:
        found = book.format_map.get(book.xf_list[xf_index].format_key)
    except (IndexError, AttributeError):
        return "General"
    return (found.format_str if found else "") or "General"


def _formulas(book: Any, sheet_index: int) -> dict[tuple[int, int], str]:
    """The formula cells of a sheet, (row, col) from 0 to the formula's text.

    Walks the sheet's substream from its BOF to its EOF, skipping nested
    substreams (embedded charts).  A cell of a shared or array formula holds
    only a pointer (tExp) to the range's first cell; its tokens are in the
    SHRFMLA or ARRAY record that follows that cell, decompiled for each cell.
    Relies on the workbook stream xlrd keeps in on-demand mode; should that
    ever be missing, formulas read as values.
    """
    from xlrd.formula import (
        FMLA_TYPE_ARRAY,
        FMLA_TYPE_CELL,
        FMLA_TYPE_SHARED,
        decompile_formula,
    )

    mem = getattr(book, "mem", None)
    positions = getattr(book, "_sh_abs_posn", None)
    if mem is None or not positions or book.biff_version < 80:
        return {}
    cells: dict[tuple[int, int], bytes] = {}
    ranges: dict[tuple[int, int], tuple[int, int, bytes, int]] = {}
    """Shared and array formulas by their first cell: last row, last col, tokens, kind."""
    pos, depth, end = positions[sheet_index], 0, len(mem)
    while pos + 4 <= end:
        code, length = struct.unpack("<HH", mem[pos : pos + 4])
        data = bytes(mem[pos + 4 : pos + 4 + length])
        pos += 4 + length
        if code == _BOF:
            depth += 1
        elif code == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth != 1:
            continue
        elif code == _FORMULA and len(data) >= 22:
            row, col, size = *struct.unpack("<HH", data[:4]), struct.unpack("<H", data[20:22])[0]
            cells[(row, col)] = data[22 : 22 + size]
        elif code == _SHRFMLA and len(data) >= 10:
            first, last, left, right, size = struct.unpack("<HHBBxxH", data[:10])
            ranges[(first, left)] = (last, right, data[10 : 10 + size], FMLA_TYPE_SHARED)
        elif code == _ARRAY and len(data) >= 14:
            first, last, left, right, size = struct.unpack("<HHBBxxxxxxH", data[:14])
            ranges[(first, left)] = (last, right, data[14 : 14 + size], FMLA_TYPE_ARRAY)
    found: dict[tuple[int, int], str] = {}
    for (row, col), tokens in cells.items():
        kind = FMLA_TYPE_CELL
        if len(tokens) == 5 and tokens[0] == _TEXP:
            anchor = struct.unpack("<HH", tokens[1:5])
            if anchor in ranges:
                _, _, tokens, kind = ranges[anchor]
        found[(row, col)] = _formula_text(book, tokens, row, col, kind, decompile_formula)
    return found


def _formula_text(book: Any, tokens: bytes, row: int, col: int, kind: int, decompile: Any) -> str:
    """'=SUM(C5,C6)'; a formula xlrd cannot decompile is still a formula, shown as '=…'."""
    try:
        text = decompile(book, tokens, len(tokens), kind, browx=row, bcolx=col)
    except Exception:  # the decompiler asserts and raises on tokens it does not know
        text = None
    if not text or text.startswith("SHARED FMLA"):
        return "=…"
    # xlrd writes every number as a float (C6*2.0); Excel shows C6*2.  Quoted
    # text and sheet names are left alone.
    return "=" + "".join(part if part[:1] in "\"'" else _WHOLE.sub(r"\1", part) for part in _QUOTED.split(text))


def sheet_names(path: str | Path) -> list[str]:
    """The visible worksheets of an .xls, in order."""
    import xlrd

    log = io.StringIO()
    try:
        book = xlrd.open_workbook(file_contents=Path(path).read_bytes(), on_demand=True, logfile=log, ignore_workbook_corruption=True)
    except Exception as exc:
        raise _damaged(exc, path) from None
    return [book.sheet_by_index(i).name for i in range(book.nsheets) if book.sheet_by_index(i).visibility == 0]


def _read_with_calamine(content: bytes, options: ReadOptions) -> Grid | None:
    """An .xls that xlrd cannot open (a BIFF version or record it does not
    know) read by python-calamine, when it is installed; None when it is not
    or cannot read the file either.

    calamine gives values only: no number formats (a 0.95 typed in a 0% cell
    reads as 0.95, not 95%), no formula text (a formula reads as its cached
    result) and no defined names (the reader finds the parts by their labels).
    """
    try:
        import python_calamine
    except ImportError:
        return None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [m for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        chosen = next((m for m in sheets if m.name == options.preferred_sheet), None) or next((m for m in sheets if str(m.visible).endswith(".Visible")), None)
        if chosen is None:
            return None
        rows = book.get_sheet_by_name(chosen.name).to_python(skip_empty_area=False, nrows=options.max_rows)
        cells: dict[tuple[int, int], Value] = {}
        for r, row in enumerate(rows[: options.max_rows], 1):
            for c, value in enumerate(row[: options.max_cols], 1):
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                cells[(r, c)] = Value(value, "General")
        identity: dict[str, str] = {}
        if options.identity_prefix and options.identity_sheet in [m.name for m in sheets]:
            for row in book.get_sheet_by_name(options.identity_sheet).to_python(skip_empty_area=False, nrows=50)[:50]:
                if len(row) >= 2 and isinstance(row[0], str) and row[0].startswith(options.identity_prefix) and row[1] not in (None, ""):
                    identity[row[0]] = str(row[1])
        return Grid(chosen.name, cells, max((r for r, _ in cells), default=0), {}, identity)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # CalamineError, ValueError..., and a Rust panic (PanicException is no Exception)
        return None
