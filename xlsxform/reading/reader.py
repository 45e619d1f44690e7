"""Read a filled workbook back into a :class:`Form`, with every problem found.

Sections are found by their labels in column A, not by fixed row numbers, so
a form with more or fewer rows than the template still reads.  Inside a
section, rows are found by their first label.  Every cell read is remembered
by field path, so that each problem, even one found later by the rules, is
placed on the cell the department has to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxform.checking.rules import check, level1_field, total
from xlsxform.errors import NotThisFormError, UnreadableWorkbookError, XlsxformError
from xlsxform.form import amounts
from xlsxform.form.model import COUNT_MAXIMUM, Form, Indicator, Task, field_at
from xlsxform.form.problems import Problem, has_errors
from xlsxform.reading import formula
from xlsxform.safety import gate
from xlsxform.spec.layout import (
    IDENTITY_PREFIX,
    IDENTITY_SHEET,
    NAME_PREFIX,
    WIDTH,
    FieldCell,
    FixedSection,
    IndicatorSection,
    LabelCell,
    NoteSection,
    Spec,
    SumCell,
    TableSection,
    TitleSection,
    field_name,
    group_name,
    load_spec,
    normalise_label,
    section_name,
    total_name,
)
from xlsxform.workbook import xls, xmlgrid
from xlsxform.workbook.grid import Grid, Value
from xlsxform.workbook.text import CONTROL, display_text

ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "Err:502", "Err:504", "Err:508", "Err:522"})
"""What a cell shows when its formula failed (LibreOffice's Err:NNN included)."""

MAX_ROWS = 2000
MARGIN_COLUMNS = 5
"""Columns right of the form read only to warn about what was typed there."""
MAX_OUTSIDE = 10
"""Warnings about content outside the form, at most."""
"""No real form is longer; the reader never looks further down."""


@dataclass
class ReadResult:
    """What a workbook said, and what is wrong with it."""

    path: str
    form: Form
    problems: list[Problem]
    cells: dict[str, str] = field(repr=False)
    """Where each field was read: field path to cell (绩效目标表!C5)."""
    identity: dict[str, str] = field(default_factory=dict)
    """What the file says it is (template_id, template_version, year,
    department, form_id), when xlsxform rendered it."""

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return not has_errors(self.problems)


def read(path: str | Path, *, spec: Spec | None = None) -> ReadResult:
    """Read and check one filled workbook.

    Raises :class:`~xlsxform.errors.UnreadableWorkbookError` when the file
    cannot be opened and :class:`~xlsxform.errors.NotThisFormError` when it
    is not this form; everything else is reported as a problem.
    """
    spec = spec or load_spec()
    # Before any spreadsheet library sees a byte: refuses (RefusedFileError)
    # what is hostile, broken or not a workbook; an OLE2 file it lets
    # through is an .xls.
    kind = gate.inspect(path, keep=True)
    grid_of = xls.read_grid if kind.format == "xls" else xmlgrid.grid_reader(kind)  # .xls (Excel 97-2003), or .xlsx from the gate's bytes
    grid = grid_of(
        path,
        preferred_sheet=spec.form.sheet,
        max_rows=MAX_ROWS,
        max_cols=WIDTH + 1 + MARGIN_COLUMNS,
        name_prefix=NAME_PREFIX,
        identity_sheet=IDENTITY_SHEET,
        identity_prefix=IDENTITY_PREFIX,
    )
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
        self.cells: dict[str, str] = {}
        self.data: dict[str, Any] = {"budget": {}}
        self.written_totals: list[tuple[str, list[str], Value, str]] = []
        """Totals the file states as plain numbers: name, parts, value, cell."""
        self.formula_totals = False
        """Whether the sheet totals with formulas, which skip numbers typed as text."""
        self.text_numbers: list[Problem] = []
        """Numbers typed as text: a warning only where formulas total them."""
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
        form = Form.model_validate(self.data)
        self._check_written_totals(form)
        self._check_identity(form)
        if self.formula_totals:
            self.problems += self.text_numbers
        unreadable = frozenset(p.field for p in self.problems if p.field)
        self.problems += [self._place(p) for p in check(form, self.spec, unreadable)]
        self.problems = _once(self.problems)
        return ReadResult(self.path, form, self.problems, self.cells, self.identity)

    def _check_outside(self, last_row: int) -> None:
        """What was typed right of the form or below it is not read: say where."""
        outside = [(r, c) for (r, c) in self.grid.cells if c > WIDTH + 1 or r > last_row]
        for row, col in sorted(outside)[:MAX_OUTSIDE]:
            self.problems.append(Problem("outside-form", cell=self.grid.ref(row, col), value=self.grid.get(row, col).value))

    def _check_identity(self, form: Form) -> None:
        """A file made for one department (or year, or template) that says another."""
        claims = [
            ("template_id", self.spec.form.id, "template-mismatch", None),
            ("department", form.department, "department-mismatch", "department"),
            ("year", str(form.year), "year-mismatch", "year"),
        ]
        for key, found, code, path in claims:
            stated = self.identity.get(key)
            if stated and found and normalise_label(stated) != normalise_label(found):
                self.problems.append(Problem(code, cell=self.cells.get(path or ""), field=path, value=found, params={"expected": stated}))

    # -- finding sections -----------------------------------------------

    def _find_sections(self) -> list[tuple[Any, int, int]]:
        """Each section found, in spec order, with its first and last row."""
        column_a = [(r, normalise_label(v.value)) for (r, c), v in sorted(self.grid.cells.items()) if c == 1]
        # The title is the cell naming the form, the year written anywhere in it.
        title = re.compile(re.escape(normalise_label(self.spec.form.name)))
        starts: list[tuple[Any, int]] = []
        after = 0
        missing: list[str] = []
        named = [self.names.get(section_name(i)) for i in range(len(self.spec.sections))]
        if all(named):
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
                        self._field(cell, row, col)
                    case SumCell():
                        self.cells[cell.name] = ref
                        self.formula_totals |= bool(found and found.is_formula)
                        if found and not found.is_formula:
                            self.written_totals.append((cell.name, cell.sum, found, ref))
                col += cell.span

    def _row_of(self, cells: list[Any], expected: int, first: int, last: int, used: set[int]) -> int | None:
        """The row holding a spec row: by the name of a field in it, else by its
        first label, else by position."""
        for cell in cells:
            name = field_name(cell.field) if isinstance(cell, FieldCell) else total_name(cell.name) if isinstance(cell, SumCell) else None
            if name in self.names:
                return self.names[name][0]
        head = cells[0]
        if not isinstance(head, LabelCell):
            return expected if expected <= last else None
        want = normalise_label(head.label)
        return next((r for r in range(first, last + 1) if r not in used and self._label(r, 2) == want), None)

    def _field(self, cell: FieldCell, row: int, col: int) -> None:
        self.cells[cell.field] = self.grid.ref(row, col)
        title, kind = field_at(cell.field)
        value = self._scalar(row, col, kind, cell.field, title)
        if cell.numbered is not None:
            self._set(cell.field, split_numbered(value or "", cell.numbered))
        else:
            self._set(cell.field, "" if value is None and kind == "text" else value)

    def _table(self, section: TableSection, first: int, last: int) -> None:
        items: list[dict[str, Any]] = []
        header = normalise_label(section.header[0]) if section.header else None
        total_label = normalise_label(section.total.label) if section.total else None
        self.cells[section.field] = self.grid.ref(first, 2)
        for row in range(first, last + 1):
            head = self._label(row, 2)
            if header is not None and row == first and head == header:
                self.cells[section.field] = self.grid.ref(row + 1, 2)
                continue
            if section.total and head == total_label:
                col = section.columns.index(section.total.column) + 2
                self.cells[section.total.name] = self.grid.ref(row, col)
                found = self.grid.get(row, col)
                self.formula_totals |= bool(found and found.is_formula)
                if found and not found.is_formula:
                    parts = [f"{section.field}[*].{section.total.column}"]
                    self.written_totals.append((section.total.name, parts, found, self.grid.ref(row, col)))
                continue
            if all(self.grid.get(row, c) is None for c in range(2, WIDTH + 2)):
                continue
            path = f"{section.field}[{len(items)}]"
            item: dict[str, Any] = {}
            for col, name in enumerate(section.columns, 2):
                self.cells[f"{path}.{name}"] = self.grid.ref(row, col)
                title, kind = field_at(name, Task)
                value = self._scalar(row, col, kind, f"{path}.{name}", title)
                item[name] = "" if value is None and kind == "text" else value
            items.append(item)
        self.data[section.field] = items

    def _indicators(self, section: IndicatorSection, first: int, last: int) -> None:
        level1s = {normalise_label(g.level1): g.level1 for g in section.framework}
        level2s = {normalise_label(l2): l2 for g in section.framework for l2 in g.level2}
        level2s |= {normalise_label(alias): name for alias, name in section.level2_aliases.items()}
        header = normalise_label(section.header[0])
        items: list[Indicator] = []
        level1 = level2 = ""
        groups = self._named_groups(section, level1s, level2s)
        for row in range(first, last + 1):
            if row == first and self._label(row, 2) == header:
                continue
            if row in groups:
                level1, level2, level1_row, level2_row = groups[row]
                self.cells.setdefault(level1_field(section.field, level1), self.grid.ref(level1_row, 2))
                level2_ref = self.grid.ref(level2_row, 3)
            else:
                labelled = False
                if found := self._level(row, 2, level1s):
                    level1, labelled = found, True
                    self.cells.setdefault(level1_field(section.field, level1), self.grid.ref(row, 2))
                if found := self._level(row, 3, level2s):
                    level2, labelled = found, True
                    level2_ref = self.grid.ref(row, 3)
                if groups and not labelled and level2 and (self.grid.get(row, 4) or self.grid.get(row, 5)):
                    # A row inserted just above a group's first row: it belongs
                    # to no group's merged label, so say which one it was read as.
                    params = {"level1": level1, "level2": level2}
                    self.problems.append(Problem("indicator-group-unclear", cell=self.grid.ref(row, 4), value=level2, params=params))
            if self.grid.get(row, 4) is None and self.grid.get(row, 5) is None:
                continue
            path = f"{section.field}[{len(items)}]"
            self.cells[f"{path}.level1"] = self.grid.ref(row, 2)
            self.cells[f"{path}.level2"] = level2_ref if level2 else self.grid.ref(row, 3)
            title = field_at("name", Indicator)[0], field_at("value", Indicator)[0]
            texts = [self._scalar(row, col, "text", f"{path}.{part}", label) or "" for col, part, label in ((4, "name", title[0]), (5, "value", title[1]))]
            self.cells[f"{path}.name"] = self.grid.ref(row, 4)
            self.cells[f"{path}.value"] = self.grid.ref(row, 5)
            items.append(Indicator(level1=level1, level2=level2, name=texts[0], value=texts[1]))
        for group in section.framework:
            self.cells.setdefault(level1_field(section.field, group.level1), self.grid.ref(first, 1))
        self.data[section.field] = items

    def _named_groups(self, section: IndicatorSection, level1s: dict[str, str], level2s: dict[str, str]) -> dict[int, tuple[str, str, int, int]]:
        """Rows of each 二级 group by its defined name: row to (一级, 二级, first
        row of the 一级 group, first row of the 二级 group).  The levels are
        what the group's label cells say (a department may pick another from
        the list), or the framework's when the cell is empty."""
        rows: dict[int, tuple[str, str, int, int]] = {}
        for i, group in enumerate(section.framework, 1):
            boxes = [self.names.get(group_name(section.field, i, j)) for j in range(1, len(group.level2) + 1)]
            if not all(boxes):
                return {}
            top = min(box[0] for box in boxes)
            level1 = self._level(top, 2, level1s) or group.level1
            for level2, box in zip(group.level2, boxes, strict=False):
                level2 = self._level(box[0], 3, level2s) or level2
                rows |= {row: (level1, level2, top, box[0]) for row in range(box[0], box[2] + 1)}
        return rows

    def _level(self, row: int, col: int, known: dict[str, str]) -> str:
        found = self.grid.get(row, col)
        return known.get(normalise_label(found.value), display_text(found.value)) if found else ""

    # -- values -----------------------------------------------------------

    def _scalar(self, row: int, col: int, kind: str, path: str, title: str) -> Any:
        """A cell's value as the field's kind, or None with a problem recorded."""
        found = self.grid.get(row, col)
        if found is None:
            return None
        ref = self.grid.ref(row, col)
        value = found.value
        if found.is_formula:
            value = self._formula_value(row, col, kind)
            if value is None:
                self.problems.append(Problem("formula-unresolved", cell=ref, field=path, value=found.value, params={"label": title}))
                return None
        if found.is_error:
            self.problems.append(Problem("cell-error", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if kind == "text":
            text = display_text(value, found.number_format)
            if CONTROL.search(text):
                # Not writable back into a workbook: drop them, and say so.
                self.problems.append(Problem("control-characters", cell=ref, field=path, value=repr(text[:50]), params={"label": title}))
                text = CONTROL.sub("", text)
            return text
        number = _number(value)
        if number is None:
            self.problems.append(Problem("not-a-number", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if kind == "count" and (number < 0 or number != number.to_integral_value()):
            self.problems.append(Problem("not-whole-number", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if number < 0:
            self.problems.append(Problem("negative", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if number > (COUNT_MAXIMUM if kind == "count" else amounts.MAXIMUM):
            self.problems.append(Problem("too-large", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if isinstance(value, str) and not found.is_formula:
            self.text_numbers.append(Problem("number-as-text", cell=ref, field=path, value=value, params={"label": title}))
        return int(number) if kind == "count" else number

    def _formula_value(self, row: int, col: int, kind: str) -> Any:
        """A formula typed over an input: its cached value, else simple
        arithmetic worked out over the sheet, else None."""
        cached = self.grid.cached(row, col)
        if cached is not None:
            return None if isinstance(cached, str) and cached.strip() in ERROR_VALUES else cached
        if kind == "text":
            return None
        try:
            return formula.evaluate(self.grid.get(row, col).value, self._lookup(set()))
        except formula.Unresolved:
            return None

    def _lookup(self, visiting: set[tuple[int, int]]) -> formula.Lookup:
        """Numbers of the sheet's cells for formula.evaluate, formulas followed (no cycles)."""

        def lookup(row: int, col: int) -> Decimal | None:
            found = self.grid.get(row, col)
            if found is None:
                return None
            if not found.is_formula:
                number = _number(found.value)
                if number is None:
                    raise ValueError(found.value)
                return number
            if (row, col) in visiting or len(visiting) > 50:
                raise formula.Unresolved("circular or too deep")
            cached = self.grid.cached(row, col)
            if cached is not None:
                number = _number(cached)
                if number is None:
                    raise ValueError(cached)
                return number
            return formula.evaluate(found.value, self._lookup(visiting | {(row, col)}))

        return lookup

    def _check_written_totals(self, form: Form) -> None:
        """A total typed as a number must match its recomputed parts."""
        for _name, parts, found, ref in self.written_totals:
            expected = total(form, parts)
            stated = _number(found.value)
            if stated is None or stated != expected:
                self.problems.append(Problem("total-mismatch", cell=ref, value=found.value, params={"expected": amounts.text(expected)}))

    def _place(self, problem: Problem) -> Problem:
        """Put a rule's problem on the cell its field was read from."""
        cell = self.cells.get(problem.field or "")
        if cell is None and problem.field:
            cell = self.cells.get(self._first_part(problem.field), None)
        return problem.at(cell)

    def _first_part(self, name: str) -> str:
        """Where a total stands when the file has no total row: its first part."""
        for section in self.spec.sections:
            if isinstance(section, FixedSection):
                for row in section.rows:
                    for cell in row:
                        if isinstance(cell, SumCell) and cell.name == name:
                            return cell.sum[0]
            if isinstance(section, TableSection) and section.total and section.total.name == name:
                return section.field
        return ""

    def _label(self, row: int, col: int) -> str:
        found = self.grid.get(row, col)
        return normalise_label(found.value) if found else ""

    def _set(self, path: str, value: Any) -> None:
        target = self.data
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value


def _once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: rows under one merged label share its cell."""
    seen: set[tuple[str, str | None, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.code, problem.cell, str(problem.value))
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return amounts.from_float(value)
        except ValueError:
            return None
    if isinstance(value, str):
        try:
            return amounts.parse(value)
        except ValueError:
            return None
    return None


_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def title_year(title: str) -> int | None:
    """The year a title names: 2023年…, …（2025年）, 二〇二五年…"""
    text = normalise_label(title).translate(_CHINESE_DIGITS)
    found = re.search(r"(\d{4})年", text) or re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    year = int(found[1]) if found else None
    return year if year and 1900 <= year <= 9999 else None


def split_numbered(text: str, numbered: str) -> list[str]:
    """Split '目标1：…⏎目标2：…' into its items; unnumbered text splits by line."""
    marker = re.escape(numbered).replace(re.escape("{n}"), r"\s*\d+\s*").replace("：", "[：:]")
    pattern = re.compile(rf"(?:^|\n)\s*{marker}")
    parts = pattern.split(text) if pattern.search(text) else text.split("\n")
    return [p.strip() for p in parts if p.strip()]
