"""Read a filled workbook back into a :class:`Form`, with every problem found.

Sections are found by their labels in column A, not by fixed row numbers, so
a form with more or fewer rows than the template still reads.  Inside a
section, rows are found by their first label.  Every cell read is remembered
by field path, so that each problem, even one found later by the rules, is
placed on the cell the department has to fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, overload

from xlsxform.checking.rules import check, level1_field, values
from xlsxform.errors import NotThisFormError, UnreadableWorkbookError, XlsxformError
from xlsxform.form import amounts
from xlsxform.form.problems import Problem
from xlsxform.reading import crosscheck
from xlsxform.reading.recognise import recognise
from xlsxform.reading.result import ReadResult
from xlsxform.reading.scalar import ScalarReader
from xlsxform.reading.values import split_numbered, title_year
from xlsxform.safety import gate
from xlsxform.safety.gate import FileKind
from xlsxform.spec import expr
from xlsxform.spec.data import complete
from xlsxform.spec.layout import (
    IDENTITY_PREFIX,
    IDENTITY_SHEET,
    NAME_PREFIX,
    Column,
    ExprCell,
    FieldCell,
    FixedSection,
    IndicatorSection,
    LabelCell,
    NoteSection,
    Spec,
    TableSection,
    TitleSection,
    field_name,
    group_name,
    normalise_label,
    section_name,
    total_name,
)
from xlsxform.spec.loading import load_spec
from xlsxform.workbook import xmlgrid
from xlsxform.workbook.grid import Grid, GridReader, ReadOptions
from xlsxform.workbook.text import display_text

__all__ = ["MARGIN_COLUMNS", "MAX_ROWS", "ReadResult", "known_specs", "read", "read_workbook"]
"""The public names, ReadResult among them though it lives in reading.result."""

MAX_ROWS = 2000
"""No real form is longer; the reader never looks further down."""
MARGIN_COLUMNS = 5
"""Columns right of the form read only to warn about what was typed there."""
MAX_OUTSIDE = 10
"""Warnings about content outside the form, at most."""


def known_specs(extra: Sequence[Spec] = ()) -> Sequence[Spec]:
    """The forms a workbook may hold: ``extra`` (a --spec variant) first, then the built-in ones."""
    return _Known(extra)


class _Known(Sequence[Spec]):
    """``extra`` and the built-in specs it does not replace, each built-in one
    loaded when first looked at: a workbook that names its form (the first
    one, usually) is recognised without loading the others."""

    def __init__(self, extra: Sequence[Spec]) -> None:
        from xlsxform.spec.generate import BUILT_IN

        ids = {spec.form.id for spec in extra}
        self._specs: list[Spec | str] = [*extra, *(form_id for form_id in BUILT_IN if form_id not in ids)]

    def __len__(self) -> int:
        return len(self._specs)

    @overload
    def __getitem__(self, index: int) -> Spec: ...
    @overload
    def __getitem__(self, index: slice) -> list[Spec]: ...
    def __getitem__(self, index: int | slice) -> Spec | list[Spec]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        found = self._specs[index]
        if isinstance(found, str):
            found = self._specs[index] = load_spec(found)
        return found


def read(path: str | Path, *, spec: Spec | None = None, specs: Sequence[Spec] = ()) -> ReadResult:
    """Read and check one filled workbook.

    With ``spec`` the workbook is read as that form.  Without it, the form is
    recognised among ``specs`` and the built-in forms, by the identity inside
    or else by the labels (ReadResult.form_id says which); a workbook that is
    none of them is read as the first form, which names what is missing.

    Raises :class:`~xlsxform.errors.UnreadableWorkbookError` when the file
    cannot be opened and :class:`~xlsxform.errors.NotThisFormError` when it
    is not this form; everything else is reported as a problem.
    """
    # Before any spreadsheet library sees a byte: refuses (RefusedFileError)
    # what is hostile, broken or not a workbook; an OLE2 file it lets
    # through is an .xls.
    kind = gate.inspect(path, keep=True)
    if spec is not None:
        return _read_grid(path, spec, _grid(path, kind, spec.form.sheet, spec.width))
    return _recognised(path, kind, known_specs(specs))


def _recognised(path: str | Path, kind: FileKind, candidates: Sequence[Spec], sheet: str | None = None) -> ReadResult:
    """Read the sheet as the form it is recognised as: one read when it is as
    wide as the first candidate (the usual case), a second for a wider form."""
    first = candidates[0]
    grid = _grid(path, kind, sheet or first.form.sheet, first.width)
    found = recognise(grid, candidates) or first
    if found.width > first.width:
        grid = _grid(path, kind, grid.name, found.width)
    return _read_grid(path, found, _narrowed(grid, found.width))


def read_workbook(path: str | Path, *, spec: Spec | None = None, specs: Sequence[Spec] = ()) -> list[ReadResult]:
    """Every form a workbook holds, one per sheet (a department's projects,
    one sheet each); sheets that hold no known form are left out.  A workbook
    with one sheet, or none recognised, reads as :func:`read` does."""
    kind = gate.inspect(path, keep=True)
    candidates = [spec] if spec is not None else known_specs(specs)
    first = _recognised(path, kind, candidates) if spec is None else _read_grid(path, spec, _grid(path, kind, spec.form.sheet, spec.width))
    names = first.sheets if first.sheets is not None else _sheet_names(path, kind)
    if len(names) <= 1:
        return [first]
    widest = max(s.width for s in candidates)
    results = []
    for name in names:
        if name == first.sheet:
            results.append(first)
            continue
        grid = _grid(path, kind, name, widest)
        found = recognise(grid, candidates)
        if found is not None:
            results.append(_read_grid(path, found, _narrowed(grid, found.width)))
    return results


def _sheet_names(path: str | Path, kind: FileKind) -> list[str]:
    if kind.format == "xls":
        from xlsxform.workbook import xls  # imported for an .xls only

        return xls.sheet_names(path)
    return xmlgrid.sheet_names(kind, path)


def _grid(path: str | Path, kind: FileKind, sheet: str, width: int) -> Grid:
    # .xls (Excel 97-2003), or .xlsx from the bytes the gate inflated
    grid_of: GridReader
    if kind.format == "xls":
        from xlsxform.workbook import xls  # imported for an .xls only

        grid_of = xls.read_grid
    else:
        grid_of = xmlgrid.grid_reader(kind)
    return grid_of(
        path,
        ReadOptions(
            preferred_sheet=sheet,
            max_rows=MAX_ROWS,
            max_cols=width + 1 + MARGIN_COLUMNS,
            name_prefix=NAME_PREFIX,
            identity_sheet=IDENTITY_SHEET,
            identity_prefix=IDENTITY_PREFIX,
        ),
    )


def _narrowed(grid: Grid, width: int) -> Grid:
    """The grid cut to a narrower form's columns (and its margin)."""
    limit = width + 1 + MARGIN_COLUMNS
    if all(col <= limit for _, col in grid.cells):
        return grid
    cells = {key: value for key, value in grid.cells.items() if key[1] <= limit}
    narrowed = Grid(grid.name, cells, max((r for r, _ in cells), default=0), grid.names, grid.identity, sheets=grid.sheets)
    narrowed.cached = grid.cached  # type: ignore[method-assign]
    return narrowed


def _read_grid(path: str | Path, spec: Spec, grid: Grid) -> ReadResult:
    try:
        return _Reader(spec, grid, str(path)).read()
    except XlsxformError:
        raise
    except Exception as exc:  # a last guard: one bad file must never crash a batch
        raise UnreadableWorkbookError(
            f"读取时出现意外错误（{type(exc).__name__}），请把此文件发给技术人员",
            f"unexpected error while reading ({type(exc).__name__}); please pass the file on to support",
            path=path,
        ) from exc


class _Reader:
    def __init__(self, spec: Spec, grid: Grid, path: str) -> None:
        self.spec, self.grid, self.path = spec, grid, path
        self.problems: list[Problem] = []
        self.scalars = ScalarReader(grid, self.problems)
        self.cells: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.written_totals: list[crosscheck.WrittenTotal] = []
        """Totals the file states as plain numbers: name, expression, value, cell."""
        self.pending: list[ExprCell] = []
        """Computed fields whose formula has no cached value: worked out from the data."""
        self.formula_totals = False
        """Whether the sheet totals with formulas, which skip numbers typed as text."""
        self.identity = {k.removeprefix(IDENTITY_PREFIX): v for k, v in grid.identity.items()}
        # Defined names locate parts exactly, but only in this spec's own template.
        same_template = self.identity.get("template_id") == spec.form.id
        self.names = {k.removeprefix(NAME_PREFIX): v for k, v in grid.names.items()} if same_template else {}

    def read(self) -> ReadResult:
        self.cells["year"] = self.grid.ref(1, 1)
        spans = self._find_sections()
        self._check_outside(spans[-1][2] if spans else 0)
        for section, first, last in spans:
            match section:
                case TitleSection():
                    self._title(section, first)
                case FixedSection():
                    self._fixed(section, first, last)
                case TableSection():
                    self._table(section, first, last)
                case IndicatorSection():
                    self._indicators(section, first, last)
        for cell in self.pending:
            found = expr.evaluate(expr.parse(cell.expr), values(self.data))
            self._set(cell.field, amounts.canonical(found) if isinstance(found, Decimal) else None)
        data = complete(self.spec, self.data)
        self.problems += crosscheck.written_totals(self.written_totals, data)
        self.problems += crosscheck.identity(self.identity, self.spec, data, self.cells)
        if self.formula_totals:
            self.problems += self.scalars.text_numbers
        unreadable = frozenset(p.field for p in self.problems if p.field)
        self.problems += [crosscheck.placed(p, self.cells, self.spec) for p in check(data, self.spec, unreadable)]
        self.problems = crosscheck.once(self.problems)
        return ReadResult(self.path, self.spec, data, self.problems, self.cells, self.identity, self.grid.name, self.grid.sheets)

    def _check_outside(self, last_row: int) -> None:
        """What was typed right of the form or below it is not read: say where."""
        outside = [(r, c) for (r, c) in self.grid.cells if c > self.spec.width + 1 or r > last_row]
        for row, col in sorted(outside)[:MAX_OUTSIDE]:
            self.problems.append(Problem("outside-form", cell=self.grid.ref(row, col), value=self.grid.cells[(row, col)].value))

    # -- finding sections -----------------------------------------------

    def _find_sections(self) -> list[tuple[Any, int, int]]:
        """Each section found, in spec order, with its first and last row."""
        column_a = [(r, normalise_label(v.value)) for (r, c), v in sorted(self.grid.cells.items()) if c == 1]
        # The title is the cell naming the form, the year written anywhere in it.
        title = re.compile("|".join(re.escape(normalise_label(n)) for n in [self.spec.form.name, *self.spec.form.aliases]))
        starts: list[tuple[Any, int]] = []
        after = 0
        missing: list[str] = []
        found = [self.names.get(section_name(i)) for i in range(len(self.spec.sections))]
        named = [box for box in found if box is not None]
        if len(named) == len(found):
            # A section runs to the next one's start: rows inserted at a
            # boundary belong to the part above, as they look to a person.
            firsts = [box[0] for box in named]
            return [(s, first, end) for s, first, end in zip(self.spec.sections, firsts, [f - 1 for f in firsts[1:]] + [named[-1][2]], strict=False)]
        for section in self.spec.sections:
            if isinstance(section, TitleSection):
                pattern = title
            else:
                names = section.labels()
                prefix = isinstance(section, NoteSection)
                pattern = None
            row = next(
                (
                    r
                    for r, text in column_a
                    if r > after and (pattern.search(text) if pattern else any(text.startswith(n) if prefix else text == n for n in names))
                ),
                None,
            )
            if row is None:
                if not isinstance(section, TitleSection | NoteSection):
                    missing.append(section.label)
                continue
            starts.append((section, row))
            after = row
        labelled = [s for s in self.spec.sections if not isinstance(s, TitleSection | NoteSection)]
        if len(missing) * 2 > len(labelled):
            raise NotThisFormError(
                f"这不是“{self.spec.form.name}”：找不到{'、'.join(missing)}等栏目",
                f"this is not the form '{self.spec.form.name}': no {', '.join(missing)}",
                path=self.path,
            )
        for label in missing:
            self.problems.append(Problem("section-missing", params={"label": label}))
        last = starts[-1][1] if starts and isinstance(starts[-1][0], NoteSection) else self.grid.last_row
        ends = [row - 1 for _, row in starts[1:]] + [last]
        return [(section, row, end) for (section, row), end in zip(starts, ends, strict=False)]

    # -- sections ---------------------------------------------------------

    def _title(self, section: TitleSection, row: int) -> None:
        self.cells["year"] = self.grid.ref(row, 1)
        found = self.grid.get(row, 1)
        self.data["year"] = title_year(str(found.value)) if found else None

    def _fixed(self, section: FixedSection, first: int, last: int) -> None:
        used: set[int] = set()
        for index, cells in enumerate(section.rows):
            row = self._row_of(cells, first + index, first, last, used)
            if row is None:
                if any(isinstance(c, FieldCell) for c in cells):
                    label = cells[0].label if isinstance(cells[0], LabelCell) else section.label
                    self.problems.append(Problem("row-missing", cell=self.grid.ref(first, 2), params={"label": label}))
                continue
            used.add(row)
            col = 2
            for cell in cells:
                found = self.grid.get(row, col)
                ref = self.grid.ref(row, col)
                match cell:
                    case LabelCell() if col > 2 and found and normalise_label(found.value) != normalise_label(cell.label):
                        self.problems.append(Problem("label-changed", cell=ref, value=found.value, params={"expected": cell.label}))
                    case FieldCell():
                        self._field(cell.field, row, col)
                    case ExprCell() if cell.field:
                        if found and found.is_formula and self.grid.cached(row, col) is None:
                            self.cells[cell.field] = ref
                            self.pending.append(cell)
                        else:
                            self._field(cell.field, row, col)
                    case ExprCell():
                        self.cells[cell.name] = ref
                        self.formula_totals |= bool(found and found.is_formula)
                        if found and not found.is_formula:
                            self.written_totals.append((cell.name, cell.expr, found, ref))
                col += cell.span

    def _row_of(self, cells: list[Any], expected: int, first: int, last: int, used: set[int]) -> int | None:
        """The row holding a spec row: by the name of a field in it, else by its
        first label, else by position."""
        for cell in cells:
            name = (
                field_name(cell.field)
                if isinstance(cell, FieldCell) or (isinstance(cell, ExprCell) and cell.field)
                else total_name(cell.name)
                if isinstance(cell, ExprCell)
                else None
            )
            if name in self.names:
                return self.names[name][0]
        head = cells[0]
        if not isinstance(head, LabelCell):
            return expected if expected <= last else None
        want = normalise_label(head.label)
        return next((r for r in range(first, last + 1) if r not in used and self._label(r, 2) == want), None)

    def _field(self, path: str, row: int, col: int) -> None:
        self.cells[path] = self.grid.ref(row, col)
        field = self.spec.fields[path]
        value = self.scalars.read(row, col, field.type, path, field.label, field.choices)
        if field.type == "lines":
            self._set(path, split_numbered(value or "", field.numbered or ""))
        else:
            self._set(path, "" if value is None and field.type in {"text", "choice"} else value)

    def _columns(self, columns: list[Column], row: int, first_col: int, path: str) -> dict[str, Any]:
        """One row of typed columns, read from ``first_col``."""
        item: dict[str, Any] = {}
        col = first_col
        for column in columns:
            self.cells[f"{path}.{column.field}"] = self.grid.ref(row, col)
            value = self.scalars.read(row, col, column.type, f"{path}.{column.field}", column.label, column.choices)
            item[column.field] = "" if value is None and column.type in {"text", "choice"} else value
            col += column.span
        return item

    def _table(self, section: TableSection, first: int, last: int) -> None:
        items: list[dict[str, Any]] = []
        header = normalise_label(section.columns[0].label) if section.header else None
        total_label = normalise_label(section.total.label) if section.total else None
        self.cells[section.field] = self.grid.ref(first, 2)
        for row in range(first, last + 1):
            head = self._label(row, 2)
            if header is not None and row == first and head == header:
                self.cells[section.field] = self.grid.ref(row + 1, 2)
                continue
            if section.total and head == total_label:
                names = [c.field for c in section.columns]
                col = 2 + sum(c.span for c in section.columns[: names.index(section.total.column)])
                self.cells[section.total.name] = self.grid.ref(row, col)
                found = self.grid.get(row, col)
                self.formula_totals |= bool(found and found.is_formula)
                if found and not found.is_formula:
                    self.written_totals.append((section.total.name, f"sum({section.field}[*].{section.total.column})", found, self.grid.ref(row, col)))
                continue
            if all(self.grid.get(row, c) is None for c in range(2, self.spec.width + 2)):
                continue
            items.append(self._columns(section.columns, row, 2, f"{section.field}[{len(items)}]"))
        self.data[section.field] = items

    def _indicators(self, section: IndicatorSection, first: int, last: int) -> None:
        depth = len(section.levels)
        known = [{normalise_label(n): n for n in section.names_at(d)} | {normalise_label(a): t for a, t in section.group_aliases.items()} for d in range(depth)]
        if section.framework is None:
            known = [{normalise_label(a): t for a, t in section.group_aliases.items()} for _ in range(depth)]
        header = normalise_label(section.levels[0].label)
        items: list[dict[str, Any]] = []
        levels = [""] * depth
        level_refs = [""] * depth
        groups = self._named_groups(section, known)
        content = range(2 + depth, self.spec.width + 2)
        for row in range(first, last + 1):
            if row == first and self._label(row, 2) == header:
                continue
            if row in groups:
                names, tops = groups[row]
                levels = list(names)
                level_refs = [self.grid.ref(top, 2 + d) for d, top in enumerate(tops)]
                self.cells.setdefault(level1_field(section.field, levels[0]), level_refs[0])
            else:
                labelled = False
                for d in range(depth):
                    if found := self._level(row, 2 + d, known[d]):
                        levels[d], labelled = found, True
                        level_refs[d] = self.grid.ref(row, 2 + d)
                        if d == 0:
                            self.cells.setdefault(level1_field(section.field, found), level_refs[0])
                if groups and not labelled and levels[-1] and any(self.grid.get(row, c) for c in content):
                    # A row inserted just above a group's first row: it belongs
                    # to no group's merged label, so say which one it was read as.
                    params = {"level1": levels[0], "level2": levels[-1]}
                    self.problems.append(Problem("indicator-group-unclear", cell=self.grid.ref(row, 2 + depth), value=levels[-1], params=params))
            if all(self.grid.get(row, c) is None for c in content):
                continue
            path = f"{section.field}[{len(items)}]"
            item: dict[str, Any] = {}
            for d, level in enumerate(section.levels):
                last_level = d == depth - 1
                self.cells[f"{path}.{level.field}"] = level_refs[d] if last_level and levels[d] else self.grid.ref(row, 2 + d)
                item[level.field] = levels[d]
            items.append(item | self._columns(section.columns, row, 2 + depth, path))
        for group in section.top_groups():
            self.cells.setdefault(level1_field(section.field, group), self.grid.ref(first, 1))
        self.data[section.field] = items

    def _named_groups(self, section: IndicatorSection, known: list[dict[str, str]]) -> dict[int, tuple[tuple[str, ...], tuple[int, ...]]]:
        """Rows of each last-level group by its defined name: row to (the
        groups' names, the first row of each level's group).  The names are
        what the group's label cells say (a department may pick another from
        the list), or the framework's when the cell is empty."""
        leaves = section.leaves()
        boxes = [self.names.get(group_name(section.field, *place)) for place, _ in leaves]
        if not leaves or not all(boxes):
            return {}
        tops: dict[tuple[int, ...], int] = {}
        for (place, _), box in zip(leaves, boxes, strict=True):
            assert box is not None
            for d in range(1, len(place) + 1):
                tops[place[:d]] = min(tops.get(place[:d], box[0]), box[0])
        rows: dict[int, tuple[tuple[str, ...], tuple[int, ...]]] = {}
        for (place, names), box in zip(leaves, boxes, strict=True):
            assert box is not None
            firsts = tuple(tops[place[: d + 1]] for d in range(len(place)))
            read = tuple(self._level(top, 2 + d, known[d]) or names[d] for d, top in enumerate(firsts))
            rows |= dict.fromkeys(range(box[0], box[2] + 1), (read, firsts))
        return rows

    def _level(self, row: int, col: int, known: dict[str, str]) -> str:
        found = self.grid.get(row, col)
        return known.get(normalise_label(found.value), display_text(found.value)) if found else ""

    def _label(self, row: int, col: int) -> str:
        found = self.grid.get(row, col)
        return normalise_label(found.value) if found else ""

    def _set(self, path: str, value: Any) -> None:
        target = self.data
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
