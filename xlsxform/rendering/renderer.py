"""Render a form, blank or filled, into the official layout as a styled .xlsx.

The renderer walks the spec's sections top to bottom, one row counter for the
whole sheet.  Repeated parts get as many rows as their data needs, or the
spec's number of blank rows for a template to fill in, whichever is larger.
"""

from __future__ import annotations

import math
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from xlsxform.checking.rules import value_at
from xlsxform.errors import FormDataError
from xlsxform.form import amounts
from xlsxform.form.invalid import form_data_error
from xlsxform.form.types import FormData
from xlsxform.rendering.pages import page_breaks, page_height
from xlsxform.spec import expr
from xlsxform.spec.generate import model_of, spec_for
from xlsxform.spec.layout import (
    IDENTITY_PREFIX,
    IDENTITY_SHEET,
    LISTS_SHEET,
    NAME_PREFIX,
    STYLE_OF,
    Column,
    ExprCell,
    FieldCell,
    FixedSection,
    IndicatorSection,
    LabelCell,
    Node,
    NoteSection,
    Spec,
    TableSection,
    TitleSection,
    field_name,
    group_name,
    section_name,
    total_name,
)
from xlsxform.spec.loading import load_spec
from xlsxform.workbook.text import column_letter, text_fault
from xlsxform.workbook.writer import CellStyle, Check, SheetWriter

LINE_HEIGHT = 1.35
"""Row height per line of text, in multiples of the font size."""
PADDING = 6.0
"""Points added to each row's height so text does not touch the borders."""
CHAR_WIDTH = 0.16
"""Column-width units one point of font size takes for a full-width character."""
MAX_ROW_HEIGHT = 409.0
"""Excel's highest row, in points."""
MAX_BLANK_ROWS = 500
"""More blank rows than any form needs: a typing error, and a slow render."""
INSTRUCTIONS_WIDTH = 62.0
"""Column width of the instructions sheet: about a portrait page."""


def render(
    form: FormData,
    target: str | Path | BinaryIO,
    *,
    spec: Spec | None = None,
    blank_rows: Mapping[str, int] | None = None,
    fallback_fonts: bool = False,
    form_id: str | None = None,
    department_code: str = "",
    password: str | None = None,
) -> None:
    """Write ``form`` as a workbook, protected so that only inputs can change.

    ``blank_rows`` asks for at least that many rows per repeated part (keyed by
    the part's field, e.g. ``key_tasks``; ``indicators`` counts rows per 二级
    group); without it every part gets just the rows its data needs.
    ``form_id`` and ``department_code`` are stored inside the file to tell
    returns apart; ``password``
    protects the sheet with one (no password by default).
    """
    spec = spec or spec_for(form)
    if form.year is None:
        raise FormDataError("缺少年度，无法生成表格", "the form has no year; cannot render it")
    known = default_blank_rows(spec)
    for part, count in (blank_rows or {}).items():
        if part not in known or not isinstance(count, int) or not 1 <= count <= MAX_BLANK_ROWS:
            raise FormDataError(
                f"空行数设置无效：{part}={count}（可设置 {'、'.join(known)}，每项 1 到 {MAX_BLANK_ROWS} 行）",
                f"invalid blank rows {part}={count} (parts: {', '.join(known)}; 1 to {MAX_BLANK_ROWS} each)",
            )
    renderer = _Renderer(spec, form, dict(blank_rows or {}), fallback_fonts)
    renderer.write(identity(spec, form, form_id, department_code), password).save(target)


def identity(spec: Spec, form: FormData, form_id: str | None, department_code: str = "") -> dict[str, str]:
    """What a rendered workbook says about itself, for the reader to check."""
    values = {"template_id": spec.form.id, "template_version": spec.form.version, "year": str(form.year), "department": form.department}
    values |= {key: value for key, value in (("form_id", form_id), ("department_code", department_code)) if value}
    return {IDENTITY_PREFIX + key: value for key, value in values.items()}


def render_template(
    target: str | Path | BinaryIO,
    *,
    year: int,
    department: str = "",
    budget: Mapping[str, Decimal | str | float] | None = None,
    values: Mapping[str, Any] | None = None,
    blank_rows: Mapping[str, int] | None = None,
    spec: Spec | None = None,
    fallback_fonts: bool = False,
    form_id: str | None = None,
    department_code: str = "",
    password: str | None = None,
) -> str:
    """Write a template to fill in, optionally pre-filled with what the bureau
    knows (``budget``: the first form's amounts; ``values``: any fields by
    path); returns the form id stored inside (a new one unless given)."""
    spec = spec or load_spec()
    data: dict[str, Any] = {"year": year, "department": department}
    # A roster's budget amounts fill the forms that have them.
    known = {f"budget.{k}": v for k, v in (budget or {}).items() if f"budget.{k}" in spec.fields}
    for path, value in {**known, **(values or {})}.items():
        *parents, leaf = path.split(".")
        place = data
        for part in parents:
            place = place.setdefault(part, {})
        place[leaf] = value
    try:
        form = model_of(spec).model_validate(data)
    except ValidationError as exc:
        raise form_data_error(exc, "预填数据", "pre-filled data", None, model_of(spec)) from None
    rows = default_blank_rows(spec) | dict(blank_rows or {})
    form_id = form_id or uuid.uuid4().hex
    render(form, target, spec=spec, blank_rows=rows, fallback_fonts=fallback_fonts, form_id=form_id, department_code=department_code, password=password)
    return form_id


def default_blank_rows(spec: Spec) -> dict[str, int]:
    """The spec's blank rows per repeated part, keyed by field."""
    return {s.field: s.blank_rows for s in spec.sections if isinstance(s, TableSection | IndicatorSection)}


class _Renderer:
    def __init__(self, spec: Spec, form: FormData, blank_rows: dict[str, int], fallback_fonts: bool) -> None:
        self.spec, self.form, self.blank_rows = spec, form, blank_rows
        self.width = spec.width
        self.out = SheetWriter(spec.form.sheet, spec.form.title.format(year=form.year))
        self.row = 1
        self.cells: dict[str, str] = {}
        """Where each bound scalar field and each named total was written (C5)."""
        self.ranges: dict[str, str] = {}
        """Where each list's column was written (key_tasks[*].funds: D12:D17),
        from the section's first row so that rows inserted at the top count."""
        self.formulas: list[tuple[int, int, ExprCell]] = []
        """Expression cells, written once every cell they name has its place."""
        self.styles = {
            name: CellStyle(
                font=(spec.fonts[s.font].fallback if fallback_fonts else spec.fonts[s.font].name),
                size=spec.fonts[s.font].size,
                align=s.align,
                bold=s.bold,
                border=s.border,
                number_format=s.number_format,
            )
            for name, s in spec.styles.items()
        }
        self.inputs = {name: replace(style, locked=False) for name, style in self.styles.items()}
        self.widths = [spec.columns[column_letter(c)] for c in range(1, self.width + 2)]
        self.checks: dict[Check, list[str]] = {}
        """Validation rules and the ranges they guard, written at the end."""
        self.lists: dict[str, str] = {}
        """Drop-down lists by validation kind (level1, …, or a choice field's path)."""
        self.list_values: dict[str, list[str]] = {}
        for section in spec.indicator_sections()[:1]:
            if section.framework is not None:
                for depth in range(len(section.levels)):
                    name = f"{NAME_PREFIX}list_level{depth + 1}"
                    self.lists[f"level{depth + 1}"] = name
                    self.list_values[name] = section.names_at(depth)

    def write(self, identity: dict[str, str], password: str | None) -> SheetWriter:
        for col, width in enumerate(self.widths, 1):
            self.out.column_width(col, width)
        for index, section in enumerate(self.spec.sections):
            first = self.row
            match section:
                case TitleSection():
                    self._banner(section.text.format(year=self.form.year), "title", section.height)
                case FixedSection():
                    self._fixed(section)
                case TableSection():
                    self._table(section)
                case IndicatorSection():
                    self._indicators(section)
                case NoteSection():
                    self._banner(section.text, "note", None)
            self.out.define_name(NAME_PREFIX + section_name(index), first, 1, self.row - 1, self.width + 1)
        for row, col, cell in self.formulas:
            formula = expr.excel(expr.parse(cell.expr), self._refer)
            self.out.formula(row, col, formula, self.styles[cell.style or STYLE_OF[self.spec.type_of(cell.field) if cell.field else "amount"]])
        self._finish(identity, password)
        page = self.spec.page
        margins: dict[str, float] = {str(side): cm for side, cm in page.margins.items()}
        self.out.page(
            paper=page.paper, orientation=page.orientation, fit_to_width=page.fit_to_width, margins_cm=margins, last_row=self.row - 1, last_col=self.width + 1
        )
        length = page_height(page.paper, page.orientation, margins, self.widths, fit_to_width=page.fit_to_width)
        self.out.break_pages(page_breaks(self.out.row_heights(), self.out.merged_rows(), length))
        return self.out

    def _finish(self, identity: dict[str, str], password: str | None) -> None:
        """Guards and identity: validation, drop-down lists, instructions, protection."""
        if self.list_values:
            self.out.lists(LISTS_SHEET, self.list_values)
        for check, ranges in self.checks.items():
            self.out.validate(ranges, check)
        notes = self.spec.instructions
        lines = [line.format(year=self.form.year) for line in (notes.title, *notes.lines)]
        styles = [replace(self.styles["title"], size=self.styles["text"].size + 4), *[self.styles["text"]] * len(notes.lines)]
        heights = [_lines(line, INSTRUCTIONS_WIDTH, style.size) * style.size * LINE_HEIGHT + PADDING for line, style in zip(lines, styles, strict=False)]
        self.out.text_sheet(notes.sheet, lines, styles, heights, INSTRUCTIONS_WIDTH)
        self.out.identity(IDENTITY_SHEET, identity)
        self.out.protect(list(self.spec.protection.allow), password)

    def _guard(self, kind: str, ref: str, *, max_length: int | None = None, label: str = "", choices: tuple[str, ...] = ()) -> None:
        """Put the spec's validation rule for ``kind`` on ``ref`` (a cell or range)."""
        top_left = ref.split(":")[0]
        if kind == "choice":
            # A short list inline; the spec's choices are few.
            listed = '"' + ",".join(choices) + '"'
            title = label[:32]
            check = Check("list", listed, title, f"请从列表中选择：{'、'.join(choices)}"[:250], f"“{label}”须从列表中选择。"[:220])
            self.checks.setdefault(check, []).append(ref)
            return
        rule = self.spec.validation[kind]
        formula, operator, check_kind = {
            "amount": (f"AND(ISNUMBER({top_left}),{top_left}>=0,ROUND({top_left},{amounts.PLACES})={top_left})", None, "custom"),
            "number": (f"AND(ISNUMBER({top_left}),{top_left}>=0)", None, "custom"),
            "percent": (f"AND(ISNUMBER({top_left}),{top_left}>=0)", None, "custom"),
            "count": ("0", "greaterThanOrEqual", "whole"),
            "date": ("1", "greaterThanOrEqual", "date"),
            "text": (str(max_length), "lessThanOrEqual", "textLength"),
            "label": (f'{top_left}="{label}"', None, "custom"),
        }.get(kind) or (self.lists[kind], None, "list")
        limit = str(max_length or "")
        check = Check(check_kind, formula, rule.title, rule.prompt.format(max=limit), rule.error.format(max=limit), operator)
        self.checks.setdefault(check, []).append(ref)

    def _guard_input(self, kind: str, ref: str, max_length: int | None, label: str = "", choices: tuple[str, ...] = ()) -> None:
        if kind in {"text", "lines"}:
            if max_length:
                self._guard("text", ref, max_length=max_length)
        elif kind == "choice":
            self._guard("choice", ref, label=label, choices=choices)
        else:
            self._guard(kind, ref)

    # -- sections -------------------------------------------------------

    def _banner(self, text: str, style: str, height: float | None) -> None:
        self._text(self.row, 1, text, style, "")
        self.out.merge(self.row, 1, self.row, self.width + 1)
        self._fit_height(self.row, [(text, 1, self.width + 1, style)], height)
        self.row += 1

    def _fixed(self, section: FixedSection) -> None:
        first = self.row
        for cells in section.rows:
            col, texts = 2, []
            for cell in cells:
                match cell:
                    case LabelCell():
                        style = "total" if cell.total else "label"
                        self._text(self.row, col, cell.label, style, "")
                        texts.append((cell.label, col, cell.span, style))
                    case FieldCell():
                        texts.append(self._field(cell, col))
                    case ExprCell():
                        self._expression(cell, col)
                for extra in range(col + 1, col + cell.span):
                    self.out.blank(self.row, extra, self.styles["label"])
                self.out.merge(self.row, col, self.row, col + cell.span - 1)
                col += cell.span
            self._fit_height(self.row, texts, None)
            self.row += 1
        for first_name, second_name in section.must_equal:
            self.out.mark_unequal(self.cells[first_name], self.cells[second_name])
        self._section_label(section.label, first)

    def _expression(self, cell: ExprCell, col: int) -> None:
        """A formula cell: styled now, its formula written at the end (it may
        name cells further down)."""
        style = self.styles[cell.style or STYLE_OF[self.spec.type_of(cell.field) if cell.field else "amount"]]
        self.out.blank(self.row, col, style)
        self.formulas.append((self.row, col, cell))
        self.cells[cell.ref] = self._ref(self.row, col)
        name = field_name(cell.field) if cell.field else total_name(cell.name)
        self.out.define_name(NAME_PREFIX + name, self.row, col, self.row, col)

    def _refer(self, path: str) -> str:
        """The cell or range an expression's path names."""
        return self.ranges[path] if "[*]" in path else self.cells[path]

    def _field(self, cell: FieldCell, col: int) -> tuple[str, int, int, str]:
        value = value_at(self.form, cell.field)
        field = self.spec.fields[cell.field]
        if isinstance(value, list):
            value = "\n".join((field.numbered or "").format(n=n) + item for n, item in enumerate(value, 1))
        style = cell.style or STYLE_OF[field.type]
        self._value(self.row, col, value, style, field.label, editable=True)
        self.cells[cell.field] = self._ref(self.row, col)
        self._guard_input(field.type, self.cells[cell.field], field.max_length, field.label, tuple(field.choices))
        self.out.define_name(NAME_PREFIX + field_name(cell.field), self.row, col, self.row, col)
        return (value if isinstance(value, str) and value else "\n" * (cell.min_lines - 1), col, cell.span, style)

    def _row(self, columns: list[Column], first_col: int, item: Any, where: str, min_lines: int) -> None:
        """One row of typed columns from ``first_col``, each spanning its columns."""
        texts = []
        col = first_col
        for column in columns:
            value = value_at(item, column.field) if item is not None else None
            style = STYLE_OF[column.type]
            self._value(self.row, col, value, style, f"{where}{column.label}", editable=True)
            for extra in range(col + 1, col + column.span):
                self.out.blank(self.row, extra, self.inputs[style])
            self.out.merge(self.row, col, self.row, col + column.span - 1)
            texts.append((value if isinstance(value, str) and value else "\n" * (min_lines - 1), col, column.span, style))
            col += column.span
        self._fit_height(self.row, texts, None)
        self.row += 1

    def _guard_columns(self, field: str, columns: list[Column], first_col: int, first_row: int, header_row: int) -> None:
        col = first_col
        for column in columns:
            letter = column_letter(col)
            self._guard_input(column.type, f"{letter}{first_row}:{letter}{self.row - 1}", column.max_length, column.label, tuple(column.choices))
            self.ranges[f"{field}[*].{column.field}"] = f"{letter}{header_row}:{letter}{self.row - 1}"
            col += column.span

    def _table(self, section: TableSection) -> None:
        first = self.row
        if section.header:
            self._labels([c.label for c in section.columns], [c.span for c in section.columns])
        items: list[Any] = value_at(self.form, section.field) or []
        count = max(len(items), self.blank_rows.get(section.field, 1), 1)
        start = self.row
        for i in range(count):
            item = items[i] if i < len(items) else None
            self._row(section.columns, 2, item, f"{section.label}第{i + 1}行", section.min_lines)
        self._guard_columns(section.field, section.columns, 2, start, first)
        self.out.define_name(NAME_PREFIX + section.field, start, 2, self.row - 1, self.width + 1)
        if section.total:
            col = 2 + sum(c.span for c in section.columns[: [c.field for c in section.columns].index(section.total.column)])
            self._text(self.row, 2, section.total.label, "total", "")
            for c in range(3, self.width + 2):
                if c == col:
                    # From the header row (text, which SUM skips) so that a row
                    # inserted above the first item is still counted.
                    letter = column_letter(col)
                    self.out.formula(self.row, col, f"SUM({letter}{first}:{letter}{self.row - 1})", self.styles["amount"])
                    self.cells[section.total.name] = self._ref(self.row, col)
                    self.out.define_name(NAME_PREFIX + total_name(section.total.name), self.row, col, self.row, col)
                else:
                    self.out.blank(self.row, c, self.styles["label"])
            self._fit_height(self.row, [], None)
            self.row += 1
        self._section_label(section.label, first)

    def _indicators(self, section: IndicatorSection) -> None:
        first = self.row
        depth = len(section.levels)
        self._labels([lv.label for lv in section.levels] + [c.label for c in section.columns], [1] * depth + [c.span for c in section.columns])
        items: list[Any] = value_at(self.form, section.field) or []
        per_group = max(self.blank_rows.get(section.field, 1), 1)
        start = self.row
        if section.framework is None:
            # Free: the department writes the groups, one column per level.
            for n in range(max(len(items), per_group)):
                item = items[n] if n < len(items) else None
                for d, level in enumerate(section.levels):
                    self._value(self.row, 2 + d, value_at(item, level.field) if item else None, "text", level.label, editable=True)
                self._row(section.columns, 2 + depth, item, f"第{n + 1}行", 1)
            for d, level in enumerate(section.levels):
                letter = column_letter(2 + d)
                self._guard_input("text", f"{letter}{start}:{letter}{self.row - 1}", 100, level.label)
            self._guard_columns(section.field, section.columns, 2 + depth, start, first)
        else:
            known = {names for _, names in section.leaves()}
            stray = ["/".join(value_at(i, lv.field) or "" for lv in section.levels) for i in items]
            stray = [s for s, i in zip(stray, items, strict=True) if tuple(value_at(i, lv.field) or "" for lv in section.levels) not in known]
            if stray:
                raise FormDataError(
                    f"指标层级不在指标体系内：{'、'.join(stray)}",
                    f"indicator levels outside the framework: {', '.join(stray)}",
                )
            self._groups(section, section.framework, (), (), items, per_group)
            col = 2 + depth
            for column in section.columns:
                letter = column_letter(col)
                self.ranges[f"{section.field}[*].{column.field}"] = f"{letter}{first}:{letter}{self.row - 1}"
                col += column.span
        self._section_label(section.label, first)

    def _groups(
        self, section: IndicatorSection, nodes: list[str | Node], place: tuple[int, ...], names: tuple[str, ...], items: list[Any], per_group: int
    ) -> None:
        """The framework's groups under one parent, each label merged over its rows."""
        depth = len(place)
        last = len(section.levels) - 1
        for i, node in enumerate(nodes, 1):
            name, children = (node, []) if isinstance(node, str) else (node.name, node.items)
            group_row = self.row
            if depth < last:
                self._groups(section, children, (*place, i), (*names, name), items, per_group)
            else:
                path = (*names, name)
                chosen = [item for item in items if tuple(value_at(item, lv.field) for lv in section.levels) == path]
                for n in range(max(len(chosen), per_group)):
                    self._row(section.columns, 2 + len(section.levels), chosen[n] if n < len(chosen) else None, f"{name}第{n + 1}行", 1)
                col = 2 + len(section.levels)
                for column in section.columns:
                    letter = column_letter(col)
                    self._guard_input(column.type, f"{letter}{group_row}:{letter}{self.row - 1}", column.max_length, column.label, tuple(column.choices))
                    col += column.span
                self.out.define_name(NAME_PREFIX + group_name(section.field, *place, i), group_row, 2 + len(section.levels), self.row - 1, self.width + 1)
            self._group_label(name, 2 + depth, group_row, guard=f"level{depth + 1}")

    # -- cells ----------------------------------------------------------

    def _labels(self, texts: list[str], spans: list[int]) -> None:
        """A header row: each label over its columns."""
        col, fits = 2, []
        for text, span in zip(texts, spans, strict=True):
            self._text(self.row, col, text, "label", "")
            for extra in range(col + 1, col + span):
                self.out.blank(self.row, extra, self.styles["label"])
            self.out.merge(self.row, col, self.row, col + span - 1)
            fits.append((text, col, span, "label"))
            col += span
        self._fit_height(self.row, fits, None)
        self.row += 1

    def _section_label(self, label: str, first: int) -> None:
        self._group_label(label, 1, first, guard="label")

    def _group_label(self, text: str, col: int, first: int, *, guard: str) -> None:
        """A label in ``col`` merged down over rows first..current-1.

        Such labels stay unlocked, guarded by validation instead: LibreOffice
        drops a merge of locked cells when a row is inserted inside it.
        """
        self._text(first, col, text, "label", "", editable=True)
        for row in range(first + 1, self.row):
            self.out.blank(row, col, self.inputs["label"])
        self.out.merge(first, col, self.row - 1, col)
        self._guard(guard, self._ref(first, col), label=text)

    def _value(self, row: int, col: int, value: Any, style: str, label: str, *, editable: bool = False) -> None:
        if isinstance(value, str):
            self._text(row, col, value, style, label, editable=editable)
        elif value is None:
            self.out.blank(row, col, self._look(style, editable))
        else:
            self.out.number(row, col, value, self._look(style, editable))

    def _look(self, style: str, editable: bool) -> CellStyle:
        """A named style, unlocked for the cells departments fill in."""
        return (self.inputs if editable else self.styles)[style]

    def _text(self, row: int, col: int, text: str, style: str, label: str, *, editable: bool = False) -> None:
        fault = text_fault(text)
        if fault:
            raise FormDataError(f"“{label}”{fault[0]}", f"{label}: {fault[1]}")
        self.out.text(row, col, text, self._look(style, editable))

    def _fit_height(self, row: int, texts: Iterable[tuple[str, int, int, str]], fixed: float | None) -> None:
        """Give the row room for its longest wrapped text: (text, column, span, style)."""
        lines, size = 1, self.styles["label"].size
        for text, col, span, style in texts:
            font_size = self.styles[style].size
            lines = max(lines, _lines(text, sum(self.widths[col - 1 : col - 1 + span]), font_size))
            size = max(size, font_size)
        self.out.row_height(row, fixed or min(lines * size * LINE_HEIGHT + PADDING, MAX_ROW_HEIGHT))

    def _ref(self, row: int, col: int) -> str:
        return f"{column_letter(col)}{row}"


def _lines(text: str, width: float, size: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide."""
    per_line = max(width / (size * CHAR_WIDTH) - 1, 1)
    total = 0
    for paragraph in text.split("\n"):
        units = sum(1 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in paragraph)
        total += max(1, math.ceil(units / per_line))
    return total
