"""Layout specs: the declarative description of a form, read from templates/.

A spec says which sections the sheet has, in order, what each cell holds (a
fixed label, a bound model field, a total) and how it looks.  Rendering and
reading both walk the same spec, so they cannot drift apart.  Loading checks
the spec against the model: every field bound exactly once, every reference
known, no two cells on the same spot.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xlsxform.errors import SpecError, XlsxformError, os_reason
from xlsxform.form.model import Budget, Form, Task
from xlsxform.form.problems import CATALOGUE
from xlsxform.workbook.text import MAX_TEXT

WIDTH = 4
"""Content columns B-E beside the label column A."""

# Conventions of the workbooks xlsxform renders, which its reader relies on.
NAME_PREFIX = "xf_"
"""Defined names of sections, inputs, groups and lists start with this."""


def section_name(index: int) -> str:
    """The defined name of the spec's ``index``-th section (without NAME_PREFIX)."""
    return f"section_{index}"


def field_name(path: str) -> str:
    """The defined name of a bound field's cell: budget.basic is budget_basic."""
    return path.replace(".", "_")


def total_name(name: str) -> str:
    return f"total_{name}"


def group_name(field: str, level1: int, level2: int) -> str:
    """The defined name of a 二级 group's rows, numbered from 1 in the framework."""
    return f"{field}_{level1}_{level2}"


IDENTITY_PREFIX = "xlsxform."
"""Keys of the identity (template, year, department, form id) start with this."""
IDENTITY_SHEET = "_xlsxform"
LISTS_SHEET = "_lists"
STYLES = {"title", "label", "total", "text", "amount", "count", "note"}
"""Styles every spec defines: the renderer picks them by the kind of cell."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Font(_Spec):
    name: str
    fallback: str
    size: float


class Style(_Spec):
    font: str
    align: Literal["left", "center", "right"] = "center"
    bold: bool = False
    border: bool = True
    number_format: str = "General"


class Page(_Spec):
    paper: Literal["A4", "A3"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    fit_to_width: bool = True
    margins: dict[Literal["left", "right", "top", "bottom", "header", "footer"], float] = {}


class Meta(_Spec):
    id: str
    version: str
    name: str
    sheet: str = Field(max_length=31)
    title: str


class LabelCell(_Spec):
    label: str
    span: int = Field(1, ge=1, le=WIDTH)
    total: bool = False


class FieldCell(_Spec):
    field: str
    span: int = Field(1, ge=1, le=WIDTH)
    style: str | None = None
    numbered: str | None = None
    """For a list of texts in one cell: the prefix of each item, with {n}."""
    min_lines: int = Field(1, ge=1)
    """Lines of room the row keeps when the field is empty."""
    max_length: int | None = Field(None, ge=1, le=MAX_TEXT)
    """Characters a text field may hold (the template enforces it)."""


class SumCell(_Spec):
    sum: list[str] = Field(min_length=1)
    name: str
    span: int = Field(1, ge=1, le=WIDTH)


CellSpec = LabelCell | FieldCell | SumCell


class _Section(_Spec):
    label: str = ""
    aliases: list[str] = []

    def labels(self) -> list[str]:
        """Every spelling of the section's column-A label, normalised."""
        return [normalise_label(t) for t in [self.label, *self.aliases] if t]


class TitleSection(_Section):
    kind: Literal["title"]
    text: str
    height: float = 40


class FixedSection(_Section):
    kind: Literal["fixed"]
    rows: list[list[CellSpec]] = Field(min_length=1)
    must_equal: list[tuple[str, str]] = []


class Total(_Spec):
    label: str
    column: str
    name: str


class TableSection(_Section):
    kind: Literal["table"]
    field: str
    columns: list[str] = Field(min_length=WIDTH, max_length=WIDTH)
    header: list[str] | None = None
    blank_rows: int = Field(ge=1)
    min_lines: int = Field(1, ge=1)
    max_length: dict[str, Annotated[int, Field(ge=1, le=MAX_TEXT)]] = {}
    total: Total | None = None


class Level1(_Spec):
    level1: str
    level2: list[str] = Field(min_length=1)


class IndicatorSection(_Section):
    kind: Literal["indicators"]
    field: str
    header: list[str] = Field(min_length=WIDTH, max_length=WIDTH)
    blank_rows: int = Field(ge=1)
    max_length: dict[Literal["name", "value"], Annotated[int, Field(ge=1, le=MAX_TEXT)]] = {}
    framework: list[Level1] = Field(min_length=1)
    level2_aliases: dict[str, str] = {}

    def level2_of(self, level1: str) -> list[str]:
        return next((g.level2 for g in self.framework if g.level1 == level1), [])


class NoteSection(_Section):
    kind: Literal["note"]
    text: str


Section = Annotated[
    TitleSection | FixedSection | TableSection | IndicatorSection | NoteSection,
    Field(discriminator="kind"),
]


class SumCheck(_Spec):
    """A rule comparing two sums of amounts, e.g. R1: expenses == income."""

    code: str
    left: list[str] = Field(min_length=1)
    op: Literal["==", "<="]
    right: list[str] = Field(min_length=1)
    at: str
    """The total (or field) a problem is shown on."""


class Checks(_Spec):
    required: list[str] = []
    sums: list[SumCheck] = []


class Protection(_Spec):
    allow: list[Literal["insertRows", "deleteRows", "formatCells", "formatColumns", "formatRows", "sort", "autoFilter"]] = []


class Rule(_Spec):
    """The prompt and error message of one kind of input (Excel's limits)."""

    title: str = Field(max_length=32)
    prompt: str = Field(max_length=250)
    error: str = Field(max_length=220)


class Validation(_Spec):
    amount: Rule
    count: Rule
    text: Rule
    level1: Rule
    level2: Rule
    label: Rule


class Instructions(_Spec):
    sheet: str = Field(max_length=31)
    title: str
    lines: list[str] = Field(min_length=1)


class Spec(_Spec):
    """A whole form layout, validated against :class:`xlsxform.form.model.Form`."""

    form: Meta
    protection: Protection = Protection()
    validation: Validation
    instructions: Instructions
    page: Page = Page()
    fonts: dict[str, Font]
    columns: dict[Literal["A", "B", "C", "D", "E"], float]
    styles: dict[str, Style]
    sections: list[Section] = Field(min_length=1)
    checks: Checks = Checks()

    @model_validator(mode="after")
    def _consistent(self) -> Spec:
        problems = _check(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def tables(self) -> list[TableSection]:
        return [s for s in self.sections if isinstance(s, TableSection)]

    def indicators(self) -> IndicatorSection:
        return next(s for s in self.sections if isinstance(s, IndicatorSection))

    def field_cells(self) -> list[FieldCell]:
        return [c for s in self.sections if isinstance(s, FixedSection) for row in s.rows for c in row if isinstance(c, FieldCell)]


def _scalar_paths() -> set[str]:
    """Every field path a fixed cell may bind: top-level scalars and budget.*"""
    top = {n for n in Form.model_fields if n not in {"year", "budget", "goals", "key_tasks", "other_tasks", "indicators"}}
    return top | {"goals"} | {f"budget.{n}" for n in Budget.model_fields}


def _check(spec: Spec) -> list[str]:
    """Cross-references the schema alone cannot see; each entry is one fault."""
    faults = [f"style {name!r} is missing" for name in sorted(STYLES - spec.styles.keys())]
    for name, style in spec.styles.items():
        if style.font not in spec.fonts:
            faults.append(f"style {name!r} uses unknown font {style.font!r}")
    for letter in "ABCDE":
        if letter not in spec.columns:
            faults.append(f"column {letter} has no width")

    bound: list[str] = []
    sums: set[str] = set()
    for section in spec.sections:
        if isinstance(section, FixedSection):
            if not section.label:
                faults.append("a fixed section needs a label")
            for i, row in enumerate(section.rows, 1):
                width = sum(c.span for c in row)
                if width != WIDTH:
                    faults.append(f"section {section.label!r} row {i} spans {width} columns, not {WIDTH} (cells overlap or leave a gap)")
                for cell in row:
                    if isinstance(cell, FieldCell):
                        bound.append(cell.field)
                        if cell.style is not None and cell.style not in spec.styles:
                            faults.append(f"field {cell.field!r} uses unknown style {cell.style!r}")
                    elif isinstance(cell, SumCell):
                        if cell.name in sums:
                            faults.append(f"total {cell.name!r} is defined twice")
                        sums.add(cell.name)
            for pair in section.must_equal:
                faults += [f"must_equal names unknown total {n!r}" for n in pair if n not in sums]
        elif isinstance(section, TableSection):
            bound.append(section.field)
            faults += [f"table {section.field!r} has unknown column {c!r}" for c in section.columns if c not in Task.model_fields]
            faults += [f"table {section.field!r} limits unknown column {c!r}" for c in section.max_length if c not in section.columns]
            if len(set(section.columns)) != WIDTH:
                faults.append(f"table {section.field!r} binds a column twice")
            if section.total is not None:
                if section.total.column not in section.columns:
                    faults.append(f"table {section.field!r} totals unknown column {section.total.column!r}")
                sums.add(section.total.name)
        elif isinstance(section, IndicatorSection):
            bound.append(section.field)
            known = {l2 for g in section.framework for l2 in g.level2}
            faults += [f"level2 alias {a!r} names unknown {t!r}" for a, t in section.level2_aliases.items() if t not in known]

    sum_refs = [ref for s in spec.sections if isinstance(s, FixedSection) for row in s.rows for c in row if isinstance(c, SumCell) for ref in c.sum]
    list_fields = {"key_tasks", "other_tasks", "indicators"}
    allowed = _scalar_paths() | list_fields
    for path in sorted(set(bound)):
        if path not in allowed:
            faults.append(f"unknown field {path!r}")
        if bound.count(path) > 1:
            faults.append(f"field {path!r} is bound {bound.count(path)} times")
    for path in sorted(allowed - set(bound)):
        faults.append(f"field {path!r} is not bound to any cell")
    for ref in sum_refs:
        if ref not in bound or not ref.startswith("budget."):
            faults.append(f"a total sums {ref!r}, which is not a bound amount")
    amounts = {p for p in bound if p.startswith("budget.")}
    amounts |= {f"{t.field}[*].{c}" for t in spec.tables() for c in t.columns if c == "funds"}
    for check in spec.checks.sums:
        if check.code not in CATALOGUE:
            faults.append(f"check uses unknown problem code {check.code!r}")
        faults += [f"check {check.code!r} sums unknown amount {p!r}" for p in check.left + check.right if p not in amounts]
        if check.at not in sums | set(bound):
            faults.append(f"check {check.code!r} is shown at unknown cell {check.at!r}")
    faults += [f"required field {p!r} is unknown" for p in spec.checks.required if p not in allowed | {"year"}]
    kinds = [s.kind for s in spec.sections]
    if kinds.count("indicators") != 1:
        faults.append("a spec needs exactly one indicators section")
    return faults


_SPACE = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """A label as compared: full-width folded to half-width, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))


TEMPLATES = "templates"
DEFAULT_SPEC = "city-department-performance"


def resource_dir(name: str) -> Path:
    """A data folder shipped with xlsxform: inside the installed package, or
    beside it in a source checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"找不到数据目录 {name}", f"data folder {name!r} not found", path=here / name)


def read_toml(path: Path, error: type[XlsxformError], what_zh: str, what_en: str) -> dict[str, Any]:
    """A TOML file of ours (a spec, an e-mail template); any fault is one
    ``error`` naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise error(f"无法读取{what_zh}：{os_reason(exc)}", f"cannot read the {what_en}: {os_reason(exc, 'en')}", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what_zh}格式错误：{exc}", f"the {what_en} is not valid TOML: {exc}", path=path) from None


@cache
def load_spec(name_or_path: str | Path = DEFAULT_SPEC) -> Spec:
    """Load a spec by the name of a bundled template or by a file path."""
    path = Path(name_or_path)
    if not path.suffix and len(path.parts) == 1:
        path = resource_dir(TEMPLATES) / f"{name_or_path}.toml"
    data = read_toml(path, SpecError, "版式文件", "layout spec")
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}" for e in exc.errors())
        raise SpecError(f"版式文件无效：{detail}", f"invalid layout spec: {detail}", path=path) from None
