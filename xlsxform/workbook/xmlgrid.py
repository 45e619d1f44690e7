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
names and identity.  Parts are found as office suites find them: through the
package's relationships, whatever the case of their names or the slashes of
their zip entries; a package with its parts at the root reads too.  Markup a
form never holds (drawings, alternate content, extensions) is not read, so
it cannot make a file unreadable; rows below the form are not read at all.

Imports no spreadsheet library.
"""

from __future__ import annotations

import datetime as dt
import functools
import pyexpat
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from xlsxform.errors import UnreadableWorkbookError
from xlsxform.safety.gate import FileKind, part_key
from xlsxform.workbook.grid import AREA, Grid, Value, range_box
from xlsxform.workbook.text import column_number, plain_text
from xlsxform.workbook.xmlformulas import formula_text

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types}"
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedstrings+xml"
_WORKBOOK_TYPES = ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml", "macroenabled.main+xml")

Parts = Mapping[str, list[bytes]]
"""Inflated XML parts by :func:`~xlsxform.safety.gate.part_key`, as the gate keeps them."""


class _Damaged(Exception):
    """Something in a part the form needs that no reader can make sense of."""


class _Enough(Exception):
    """The sheet's rows below the form: stop reading."""


def grid_reader(kind: FileKind) -> Callable[..., Grid]:
    """A function with :func:`xlsxform.workbook.grid.read_grid`'s signature
    reading from the parts the gate kept for ``kind``."""
    return functools.partial(read_parts, kind.parts)


def sheet_names(kind: FileKind, path: str | Path = "") -> list[str]:
    """The visible worksheets of the workbook the gate kept, in order (a
    workbook may hold one form per sheet)."""
    try:
        package = _Package(kind.parts)
    except _Damaged as exc:
        raise UnreadableWorkbookError("文件已损坏或不完整，请重新保存后发送", f"the file is damaged or incomplete ({exc})", path=path) from None
    return [title for title, _, state, chart in package.sheets if not chart and state == "visible"]


def read_parts(
    parts: Parts,
    path: str | Path,
    *,
    preferred_sheet: str,
    max_rows: int,
    max_cols: int,
    name_prefix: str = "",
    identity_sheet: str = "",
    identity_prefix: str = "",
) -> Grid:
    """The grid of :func:`xlsxform.workbook.grid.read_grid`, from inflated parts."""
    try:
        package = _Package(parts)
        sheet = package.sheet(preferred_sheet)
        if sheet is None:
            raise UnreadableWorkbookError("文件中没有工作表", "the workbook has no worksheet", path=path)
        title, part = sheet
        read = _read_sheet(package, part, max_rows, max_cols, with_merges=True)
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
            package.names(title, name_prefix),
            package.identity(identity_sheet, identity_prefix),
            lambda: cached,
            merges=read.merges,
            sheets=[t for t, _, state, chart in package.sheets if not chart and state == "visible"],
        )
    except _Damaged as exc:
        raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({exc})", path=path) from None
    except (ValueError, IndexError, KeyError, OverflowError, TypeError, RecursionError) as exc:
        raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({type(exc).__name__})", path=path) from None


# -- the package ----------------------------------------------------------------


def _parse(chunks: Iterable[bytes], start: Callable[..., None], end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None) -> None:
    """One expat pass over a part, namespaces resolved ('namespace}local')."""
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        raise _Damaged(f"XML: {exc}") from None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _folder(part: str) -> str:
    return part.rsplit("/", 1)[0] + "/" if "/" in part else ""


def _resolve(source: str, target: str) -> str:
    """A relationship's target as a part key, relative to its source part."""
    target = target.replace("\\", "/").split("#", 1)[0]
    joined = target.lstrip("/") if target.startswith("/") else _folder(source) + target
    out: list[str] = []
    for piece in joined.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return part_key("/".join(out))


class _Package:
    """The parts of one workbook, found through their relationships."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        root = self.relationships("")
        workbook = next((target for kind, target, _ in root if kind.endswith("/officedocument")), None)
        if workbook is None or workbook not in parts:
            workbook = self._by_content_type(_WORKBOOK_TYPES) or "xl/workbook.xml"
        if workbook not in parts:
            raise _Damaged("no workbook part")
        self.workbook = workbook
        self.custom = next((target for kind, target, _ in root if kind.endswith("/custom-properties")), "docprops/custom.xml")
        self.epoch = _WINDOWS_EPOCH
        self.defined: dict[str, str] = {}
        rels = self.relationships(workbook)
        self.sheets = self._read_workbook(rels)
        """Each sheet in order: name, part, state, whether it is a chart sheet."""
        self.strings_part = next((t for kind, t, _ in rels if kind.endswith("/sharedstrings")), None) or self._by_content_type((_SST_TYPE,))
        self.styles_part = next((t for kind, t, _ in rels if kind.endswith("/styles")), "xl/styles.xml")
        self._strings: list[str] | None = None
        self._formats: list[tuple[str, bool, bool]] | None = None

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(type casefolded, target part key, id) of a part's internal relationships ('' is the package)."""
        rels_part = part_key(f"{_folder(part)}_rels/{part.rsplit('/', 1)[-1]}.rels") if part else "_rels/.rels"
        chunks = self.parts.get(rels_part)
        if chunks is None:
            return []
        found: list[tuple[str, str, str]] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == f"{_PKG_REL}Relationship" and attrs.get("TargetMode", "Internal") != "External":
                found.append((attrs.get("Type", "").casefold(), _resolve(part, attrs.get("Target", "")), attrs.get("Id", "")))

        _parse(chunks, start)
        return found

    def _by_content_type(self, wanted: tuple[str, ...]) -> str | None:
        chunks = self.parts.get("[content_types].xml")
        if chunks is None:
            return None
        found: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == f"{_CT}Override" and attrs.get("ContentType", "").casefold().endswith(wanted):
                found.append(part_key(attrs.get("PartName", "")))

        _parse(chunks, start)
        return next((part for part in found if part in self.parts), None)

    def _read_workbook(self, rels: list[tuple[str, str, str]]) -> list[tuple[str, str, str, bool]]:
        entries: list[tuple[str, str, str]] = []
        names: list[tuple[str, list[str]]] = []
        rid = f"{_REL}}}id"
        depth = 0
        name_depth = 0

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, name_depth
            depth += 1
            if name_depth:
                name_depth = -abs(name_depth)  # text after a child element is not the name's
            elif name == f"{_MAIN}sheet":
                entries.append((attrs.get("name", ""), attrs.get(rid, ""), attrs.get("state", "visible")))
            elif name == f"{_MAIN}workbookPr":
                if _true(attrs.get("date1904")):
                    self.epoch = _MAC_EPOCH
            elif name == f"{_MAIN}definedName" and attrs.get("localSheetId") is None:
                # Global names only, as openpyxl binds them to the workbook.
                names.append((attrs.get("name", ""), []))
                name_depth = depth

        def end(name: str) -> None:
            nonlocal depth, name_depth
            if abs(name_depth) == depth:
                name_depth = 0
            depth -= 1

        def text(data: str) -> None:
            if name_depth > 0 and depth == name_depth:
                names[-1][1].append(data)

        _parse(self.parts[self.workbook], start, end, text)
        for name, pieces in names:
            self.defined[name] = "".join(pieces)
        by_id = {rel_id: (kind, target) for kind, target, rel_id in rels}
        sheets = []
        for title, rel_id, state in entries:
            kind, part = by_id.get(rel_id, ("", ""))
            if rel_id and part in self.parts:
                sheets.append((title, part, state, "chartsheet" in kind))
        return sheets

    def sheet(self, preferred: str) -> tuple[str, str] | None:
        """The form's sheet: the one named so, else the first visible worksheet."""
        worksheets = [(title, part, state) for title, part, state, chart in self.sheets if not chart]
        for title, part, _ in worksheets:
            if title == preferred:
                return title, part
        return next(((title, part) for title, part, state in worksheets if state == "visible"), None)

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = _shared_strings(self.parts.get(self.strings_part or "", []))
        return self._strings

    @property
    def formats(self) -> list[tuple[str, bool, bool]]:
        """Each cell format (xf) as (number format, is a date, is a duration)."""
        if self._formats is None:
            self._formats = _cell_formats(self.parts.get(self.styles_part))
        return self._formats

    def names(self, sheet: str, prefix: str) -> dict[str, tuple[int, int, int, int]]:
        """Defined names starting with ``prefix`` that point at one block of ``sheet``."""
        found = {}
        for name, text in self.defined.items():
            if not prefix or not name.startswith(prefix):
                continue
            match = AREA.match(text.strip())
            if not match or (match[1].replace("''", "'") if match[1] else match[2]) != sheet:
                continue
            found[name] = range_box(match[3].replace("$", ""))
        return found

    def identity(self, sheet_title: str, prefix: str) -> dict[str, str]:
        """Keys starting with ``prefix`` from custom properties, else from the identity sheet."""
        if not prefix:
            return {}
        found = {name: str(value) for name, value in _custom_properties(self.parts.get(self.custom)) if name.startswith(prefix) and value is not None}
        if not found:
            sheet = next((part for title, part, _, chart in self.sheets if title == sheet_title and not chart), None)
            if sheet is not None:
                rows = _read_sheet(self, sheet, 50, 2, with_merges=False).rows
                found = {str(key): str(value) for key, value in rows if isinstance(key, str) and key.startswith(prefix) and value is not None}
        return {key: plain_text(value) for key, value in found.items()}


def _true(value: str | None) -> bool:
    """An XML boolean as openpyxl reads it."""
    return bool(value) and value not in ("false", "f", "0")


# -- shared strings, styles, properties ------------------------------------------


def _text_collector() -> tuple[Callable[[str, int], None], Callable[[int], None], Callable[[str], None], Callable[[], str | None]]:
    """Handlers building one string item (<si> or <is>) as openpyxl's Text:
    its own <t>, then each run's <t>, phonetic runs left out."""
    plain: list[str | None] = [None]
    runs: list[str | None] = []
    state = {"target": 0, "depth": 0, "child": False}
    # target 1: the item's <t>; 2: a run's <t>; 3: inside a run.

    def start(local: str, depth: int) -> None:
        target = state["target"]
        if target in (1, 2):
            state["child"] = True
            return
        if target == 0 and depth == 1:
            if local == "t":
                plain[0] = None
                state.update(target=1, depth=depth, child=False)
            elif local == "r":
                runs.append(None)
                state.update(target=3, depth=depth)
        elif target == 3 and depth == state["depth"] + 1 and local == "t":
            state.update(target=2, depth=depth, child=False)
            runs[-1] = None

    def end(depth: int) -> None:
        target = state["target"]
        if target in (1, 2) and depth == state["depth"]:
            state["child"] = False
            state["target"] = 0 if target == 1 else 3
            if target == 2:
                state["depth"] = depth - 1
        elif target == 3 and depth == state["depth"]:
            state["target"] = 0

    def text(data: str) -> None:
        target = state["target"]
        if target in (1, 2) and not state["child"]:
            if target == 1:
                plain[0] = (plain[0] or "") + data
            else:
                runs[-1] = (runs[-1] or "") + data

    def result() -> str | None:
        value = "".join([*(p for p in plain if p is not None), *(r for r in runs if r is not None)])
        plain[0] = None
        runs.clear()
        state.update(target=0, depth=0, child=False)
        return value

    return start, end, text, result


def _shared_strings(chunks: Iterable[bytes]) -> list[str]:
    strings: list[str] = []
    item_start, item_end, item_text, item_result = _text_collector()
    si = f"{_MAIN}si"
    depth = 0
    inside = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, inside
        depth += 1
        if inside:
            item_start(_local(name), depth - inside)
        elif name == si:
            inside = depth

    def end(name: str) -> None:
        nonlocal depth, inside
        if inside:
            if depth == inside:
                strings.append(item_result() or "")
                inside = 0
            else:
                item_end(depth - inside)
        depth -= 1

    def text(data: str) -> None:
        if inside:
            item_text(data)

    _parse(chunks, start, end, text)
    return strings


BUILTIN_FORMATS = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}
"""Excel's built-in number formats, as openpyxl names them."""

_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def _is_date(fmt: str | None) -> bool:
    return fmt is not None and _DATE_CODE.search(_STRIP.sub("", fmt.split(";")[0])) is not None


def _is_duration(fmt: str | None) -> bool:
    return fmt is not None and _DURATION.search(fmt.split(";")[0]) is not None


def _cell_formats(chunks: list[bytes] | None) -> list[tuple[str, bool, bool]]:
    if chunks is None:
        return []
    custom: dict[int, str] = {}
    ids: list[int] = []
    in_xfs = 0
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_xfs, depth
        depth += 1
        if name == f"{_MAIN}numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == f"{_MAIN}cellXfs":
            in_xfs = depth
        elif in_xfs and depth == in_xfs + 1 and _local(name) == "xf":
            ids.append(int(attrs.get("numFmtId") or 0))

    def end(name: str) -> None:
        nonlocal in_xfs, depth
        if depth == in_xfs:
            in_xfs = 0
        depth -= 1

    _parse(chunks, start, end)
    formats = []
    for number in ids:
        fmt = custom[number] if number in custom else BUILTIN_FORMATS.get(number)
        formats.append((fmt or "General", _is_date(fmt), _is_duration(fmt)))
    return formats


def _custom_properties(chunks: list[bytes] | None) -> list[tuple[str, Any]]:
    """Custom document properties with the types openpyxl knows: text,
    whole and real numbers, booleans and times."""
    if chunks is None:
        return []
    found: list[tuple[str, Any]] = []
    depth = 0
    current: dict[str, Any] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2 and name == f"{_CUSTOM}property":
            current.clear()
            current.update(name=attrs.get("name"), kind=None, text=None, link=attrs.get("linkTarget"))
        elif depth == 3 and current:
            current.update(kind=_local(name), text=None, child=False)
        elif depth > 3 and current:
            current["child"] = True

    def end(name: str) -> None:
        nonlocal depth
        if depth == 2 and current:
            kind, text, link = current.get("kind"), current.get("text"), current.get("link")
            if current.get("name") is not None and kind in _PROPERTY_TYPES:
                found.append((current["name"], link if link is not None else _PROPERTY_TYPES[kind](text)))
            current.clear()
        depth -= 1

    def text(data: str) -> None:
        if depth == 3 and current and not current.get("child"):
            current["text"] = (current["text"] or "") + data

    _parse(chunks, start, end, text)
    return found


def _filetime(text: str | None) -> Any:
    return None if text is None else dt.datetime.fromisoformat(text.rstrip("Z")) if text else None


_PROPERTY_TYPES: dict[str, Callable[[str | None], Any]] = {
    "lpwstr": lambda text: text,
    "i4": lambda text: None if text is None else int(text),
    "r8": lambda text: None if text is None else float(text),
    "bool": lambda text: None if text is None else _true(text),
    "filetime": _filetime,
}


# -- the sheet ------------------------------------------------------------------


class _SheetRead:
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


def _read_sheet(package: _Package, part: str, max_rows: int, max_cols: int, *, with_merges: bool) -> _SheetRead:
    """One pass over a sheet's rows down to ``max_rows``, as openpyxl's
    read-only worksheet reads them (rows out of order or repeated skipped,
    a cell placed by its own reference, the last of two cells in one
    column kept), then its merged ranges."""
    out = _SheetRead()
    formats = package.formats
    epoch = package.epoch
    shared: dict[str, tuple[str, int, int]] = {}
    row_tag, v_tag, f_tag, is_tag, merge_tag = f"{_MAIN}row", f"{_MAIN}v", f"{_MAIN}f", f"{_MAIN}is", f"{_MAIN}mergeCell"
    inline_start, inline_end, inline_text, inline_result = _text_collector()
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
                inline_start(_local(name), depth - inline_depth)
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
        raise _Damaged(f"XML: {exc}") from None
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
    package: _Package,
    shared: dict[str, tuple[str, int, int]],
    out: _SheetRead,
) -> int:
    """Type one cell's value as openpyxl does, twice: as read with formulas
    (the grid) and as read with their cached values (data only)."""
    attrs = cell["attrs"]
    ref = attrs.get("r")
    if ref:
        found = _CELL_REF.match(ref)
        if found is None or not int(found[2]):
            raise _Damaged(f"cell reference {ref[:20]!r}")
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


def _typed(raw: str | None, kind: str, is_date: bool, is_duration: bool, epoch: dt.datetime, package: _Package, inline: str | None) -> tuple[Any, str]:
    """A stored value and its type ('n', 's', 'b', 'd', 'e'...) as openpyxl gives them."""
    if raw is not None:
        if kind == "n":
            number: Any = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if is_date:
                try:
                    return _from_excel(number, epoch, is_duration), "d"
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
            return _from_iso(raw), "d"
        return raw, kind
    if kind == "inlineStr" and inline is not None:
        return inline, "s"
    return None, kind


def _keep_row(out: _SheetRead, slots: dict[int, tuple[int, tuple[Any, str, str, Any]]], number: int, max_rows: int) -> None:
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


# -- dates ------------------------------------------------------------------------

_WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
_MAC_EPOCH = dt.datetime(1904, 1, 1)


def _from_excel(value: float, epoch: dt.datetime, duration: bool) -> Any:
    """An Excel serial number as openpyxl's from_excel gives it."""
    if duration:
        delta = dt.timedelta(days=value)
        if delta.microseconds:
            delta = dt.timedelta(seconds=delta.total_seconds() // 1, microseconds=round(delta.microseconds, -3))
        return delta
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == _WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def _from_iso(text: str) -> Any:
    """An ISO 8601 cell value (t="d") as openpyxl's from_ISO8601 gives it."""
    match = _ISO.match(text)
    if match and any(match.groups()):
        parts: dict[str, Any] = match.groupdict(0)
        for key in ("year", "month", "day", "hour", "minute", "second"):
            if parts[key]:
                parts[key] = int(parts[key])
        if parts["microsecond"]:
            parts["microsecond"] = int(float(parts["microsecond"]) * 1_000_000)
        if not parts["date"]:
            return dt.time(parts["hour"], parts["minute"], parts["second"], parts["microsecond"])
        if not parts["time"]:
            return dt.date(parts["year"], parts["month"], parts["day"])
        del parts["time"], parts["date"]
        return dt.datetime(**parts)
    match = _ISO_DURATION.match(text)
    if match and any(match.groups()):
        return dt.timedelta(**{key: float(value) for key, value in match.groupdict(0).items()})
    raise ValueError(text)
