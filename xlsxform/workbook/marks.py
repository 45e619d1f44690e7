"""Problems marked on a department's own workbook (comments, fills, a
校验结果 sheet), reversibly."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment as _Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.colors import Color as _Color
from openpyxl.styles.fills import Fill as _Fill
from openpyxl.utils import coordinate_to_tuple as _coordinate_to_tuple
from openpyxl.utils import (
    get_column_letter,
    quote_sheetname,
)
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.hyperlink import Hyperlink as _Hyperlink
from openpyxl.worksheet.worksheet import Worksheet as _Worksheet
from openpyxl.xml.functions import fromstring as _fromstring
from openpyxl.xml.functions import tostring as _tostring

from xlsxform.workbook.cells import load, opening, quiet, store_text
from xlsxform.workbook.reach import Safety, formula_text, safe_target, unsafe_formula
from xlsxform.workbook.tables import CENTER, PLAIN, WRAP, print_table, text_width
from xlsxform.workbook.text import (
    clean_text,
    plain_text,
)

# -- annotation: problems marked on a department's own workbook --------------
# (appended for `xlsxform check --annotate`: xlsxform.reading.annotate)


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
_RESULT_LINK_FONT = Font(name="宋体", size=11, charset=134, color="FF0563C1", underline="single")
_RESULT_SMALL_FONT = Font(name="宋体", size=8, charset=134, color="FF808080")
_RESULTS = replace(
    PLAIN,
    header_fill=PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2"),
    note=WRAP,
    line=14.5,
    margin=1,
    every_height=True,
    empty=WRAP,
    empty_fill=_PASSED_FILL,
    empty_height=20,
    empty_boxed=False,
    margins=None,
    footer_font=None,
)
"""The look of the results sheet."""
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
    (``_x005F_`` escapes included, see :class:`ContentReader`), and the copy asks
    to be recalculated on opening because openpyxl does not keep formulas'
    cached values.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path
        with quiet(), opening(path):
            # External links are not kept: a copy sent back under the bureau's
            # name must not point at other files (see :meth:`make_safe`).
            self.workbook = load(path, data_only=False, read_only=False, keep_links=False)
        if self.workbook.calculation is None:
            self.workbook.calculation = CalcProperties()
        # Not forced: Excel and LibreOffice calculate the formulas openpyxl
        # writes without a cached value anyway, and a forced recalculation
        # is what makes a hostile formula run on opening.
        self.workbook.calculation.fullCalcOnLoad = False
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
            rest = text[len(_normal(note)) :]
            rest = rest[len(_NOTE_SEPARATOR) :] if rest.startswith(_NOTE_SEPARATOR) else rest.lstrip("\n")
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

    def make_safe(self) -> Safety:
        """Take out of the department's workbook what could reach beyond it
        when the copy is opened: hyperlinks other than http(s) and mailto
        (javascript:, file:, UNC paths, relative paths) are removed; formulas
        that refer to other workbooks, call DDE or the network, or link with
        HYPERLINK() to anything but http(s) and mailto are replaced by the
        values they showed; names referring to other workbooks are removed."""
        cached: dict[tuple[str, str], Any] | None = None
        safety = Safety()
        for sheet in self.workbook.worksheets:
            for cell in list(sheet._cells.values()):
                link = cell.hyperlink
                if link is not None and link.target and not safe_target(link.target):
                    cell.hyperlink = None
                    safety.links.append(f"{sheet.title}!{cell.coordinate}")
                formula = formula_text(cell.value) if cell.data_type == "f" else None
                if formula is not None and unsafe_formula(formula):
                    if cached is None:
                        cached = self._cached_values()
                    cell.value = cached.get((sheet.title, cell.coordinate))
                    if isinstance(cell.value, str):
                        store_text(cell, clean_text(cell.value))
                    safety.formulas.append(f"{sheet.title}!{cell.coordinate}")
        for names in [self.workbook.defined_names, *(ws.defined_names for ws in self.workbook.worksheets)]:
            for key in [k for k, name in names.items() if unsafe_formula(str(name.attr_text or ""))]:
                del names[key]
                safety.names.append(key)
        return safety

    def _cached_values(self) -> dict[tuple[str, str], Any]:
        """The value each formula showed when the department saved the file."""
        values: dict[tuple[str, str], Any] = {}
        with quiet(), opening(self.path):
            book = load(self.path, data_only=True, read_only=True)
        try:
            for sheet in book.worksheets:
                if not hasattr(sheet, "iter_rows"):
                    continue
                sheet.reset_dimensions()
                for row in sheet.iter_rows():
                    for cell in row:
                        if getattr(cell, "value", None) is not None:
                            values[(sheet.title, cell.coordinate)] = cell.value
        finally:
            book.close()
        return values

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

    def position(self, place: CellLink | None) -> tuple[int, int, int]:
        """Where a cell is, as a person reads the workbook: sheet, row, column
        (no cell: after every cell), for listing problems in the form's order."""
        names = self.workbook.sheetnames
        if place is None or place.sheet not in names:
            return (len(names), 0, 0)
        row, col = _coordinate_to_tuple(place.coordinate)
        return (names.index(place.sheet), row, col)

    def mark(self, place: CellLink, note: str, severity: str) -> None:
        """Fill the cell by severity and put ``note`` in its comment, above any
        comment the department wrote there; record what the cell had."""
        cell = self.workbook[place.sheet][place.coordinate]
        note = clean_text(note)
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
        comment.height = round(16 * sum(max(1, math.ceil(text_width(line, cut=False) * 6 / _COMMENT_WIDTH)) for line in text.split("\n")) + 12)
        cell.comment = comment
        cell.fill = fill

    def results(
        self,
        title: str,
        header: list[str],
        rows: list[list[Any]],
        *,
        widths: list[float],
        empty: str,
        heading: str = "",
        notes: _Sequence[str] = (),
        small: _Sequence[int] = (),
    ) -> str:
        """A new sheet listing the problems, shown first when the file opens,
        ready to print on A4: ``heading`` and ``notes`` above the table, its
        header row repeated on every page, page numbers in the footer.

        ``rows`` hold text, numbers, :class:`CellLink` and :class:`Flagged`
        values; with no rows, the sheet says ``empty``; the columns numbered
        in ``small`` (from 1) are in small grey type.  Returns the sheet's
        title: ``title``, or ``title(2)``, ``title(3)``... when that is taken.
        """
        taken = {name.casefold() for name in self.workbook.sheetnames}
        name, n = title, 1
        while name.casefold() in taken:
            n += 1
            name = f"{title}({n})"
        sheet = self.workbook.create_sheet(name)
        self._added.append(name)

        def put(cell: Any, value: Any, col: int) -> str:
            cell.font, cell.alignment = (_RESULT_SMALL_FONT if col in small else PLAIN.font), WRAP
            if isinstance(value, CellLink):
                store_text(cell, clean_text(value.text))
                location = f"{quote_sheetname(value.sheet)}!{value.coordinate}"
                cell.hyperlink = _Hyperlink(ref=cell.coordinate, location=location, display=value.text)
                cell.font = _RESULT_LINK_FONT
            elif isinstance(value, Flagged):
                store_text(cell, clean_text(value.text))
                cell.fill, cell.alignment = _MARK_FILL[value.severity], CENTER
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.value, cell.alignment = value, CENTER
            else:
                store_text(cell, clean_text("" if value is None else str(value)))
            return str(cell.value or "")

        print_table(sheet, _RESULTS, heading=heading, notes=notes, titles=header, widths=widths, rows=rows, put=put, empty=empty)
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
                    store_text(cell, clean_text(value))
        record.sheet_state = "veryHidden"
        record.protection.sheet = True
        self.workbook.save(target)


def _written(note: str, original: str | None) -> str:
    """The comment :meth:`Annotator.mark` writes: the note, then the department's comment."""
    return clean_text(f"{note}{_NOTE_SEPARATOR}{original}") if original else note


def _normal(text: str) -> str:
    """Comment text with line breaks as \\n, as every suite's copy compares."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fill_xml(fill: Any) -> str:
    return str(_tostring(fill.to_tree()).decode("utf-8"))


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


_HEADER_ROWS = 6
"""Rows of a results sheet searched for its header (a heading and notes come first)."""


def _headed(sheet: Any, headers: _Sequence[_Sequence[str]]) -> bool:
    """Whether one of the first rows of ``sheet`` is one of ``headers``: a results sheet of ours."""
    rows = sheet.iter_rows(min_row=1, max_row=_HEADER_ROWS, max_col=max(map(len, headers), default=1), values_only=True)
    return any(list(row[: len(header)]) == list(header) for row in rows for header in headers)


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
    if not 1 <= row <= 1048576 or (len(col) == 3 and col > "XFD"):
        return None
    return sheet, f"{col}{row}"


def _record_text(value: Any) -> str:
    """A value of the record as text, escapes decoded as written."""
    if value is None:
        return ""
    return plain_text(value) if isinstance(value, str) else str(value)
