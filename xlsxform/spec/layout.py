"""Layout specs: the declarative description of a form, read from templates/.

A spec declares a form's data (typed fields, tables with typed columns,
indicator tables), where each cell sits on a grid of any width, how it
looks, and the rules the data must satisfy, as expressions with their
problem codes and messages.  Rendering, reading, the model and its JSON
Schema all derive from it, so they cannot drift apart.  Loading checks it:
every field bound exactly once, every reference known, no two cells on the
same spot; each fault has a stable code.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, dataclass_transform

from xlsxform.spec.schema import CONFIG, Is
from xlsxform.workbook.text import MAX_TEXT

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


def group_name(field: str, *indices: int) -> str:
    """The defined name of an indicator group's rows, by its place in the
    framework (numbered from 1 at each level): indicators_1_2."""
    return "_".join([field, *map(str, indices)])


IDENTITY_PREFIX = "xlsxform."
"""Keys of the identity (template, year, department, form id) start with this."""
IDENTITY_SHEET = "_xlsxform"
LISTS_SHEET = "_lists"

FieldType = Literal["text", "lines", "amount", "number", "count", "percent", "date", "choice"]
"""text (with max_length), lines (numbered items in one cell), amount (万元,
Decimal), number (a weight or score, Decimal), count (whole), percent (a
fraction shown as %), date, choice (one of a list)."""
NUMERIC = {"amount", "number", "count", "percent"}
STYLE_OF = {"text": "text", "lines": "text", "choice": "text", "amount": "amount", "number": "number", "count": "count", "percent": "percent", "date": "date"}
"""The style a field of each type is drawn in unless its cell names another."""
BASE_STYLES = {"title", "label", "total", "text", "note"}
"""Styles every spec defines; the styles of its field types come on top."""
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_CLASS = re.compile(r"^[A-Z][A-Za-z0-9]*$")
FIELD_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")


_T = TypeVar("_T")


@dataclass_transform(kw_only_default=True, frozen_default=True)
def _spec_class(cls: type[_T]) -> type[_T]:
    """A class of the spec language: a dataclass of keyword arguments, frozen,
    whose methods are all :class:`_Spec`'s, shared, rather than generated for
    each class (generating them was most of what building the classes cost,
    and every command builds them)."""
    return dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)


@_spec_class
class _Spec:
    """A part of a spec: immutable, and every key of its table known."""

    __pydantic_config__: ClassVar[dict[str, str]] = CONFIG

    def __init__(self, **values: Any) -> None:
        for f in dataclasses.fields(self):
            if f.name in values:
                value = values.pop(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            elif f.default is not dataclasses.MISSING:
                value = f.default
            else:
                raise TypeError(f"{type(self).__name__}() needs {f.name}")
            object.__setattr__(self, f.name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() takes no {', '.join(values)}")

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Spec)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f.name}={getattr(self, f.name)!r}' for f in dataclasses.fields(self))})"


@_spec_class
class Font(_Spec):
    name: str
    fallback: str
    size: float


@_spec_class
class Style(_Spec):
    font: str
    align: Literal["left", "center", "right"] = "center"
    bold: bool = False
    border: bool = True
    number_format: str = "General"


@_spec_class
class Page(_Spec):
    paper: Literal["A4", "A3"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    fit_to_width: bool = True
    margins: dict[Literal["left", "right", "top", "bottom", "header", "footer"], float] = dataclasses.field(default_factory=dict)


@_spec_class
class Meta(_Spec):
    id: Annotated[str, Is(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: str
    name: str
    sheet: Annotated[str, Is(max_length=31)]
    title: str
    model: Annotated[str, Is(pattern=_CLASS.pattern)] = "Form"
    """The class name of the form's model (and of its generated module's main class)."""
    aliases: list[str] = dataclasses.field(default_factory=list)
    """Other names of the form that titles may carry."""
    subject: str | None = None
    """The field that tells one department's returns of this form apart (a
    project's name, when a department sends one form per project)."""


@_spec_class
class FieldSpec(_Spec):
    """What one field holds: its type, its label (the model's title) and limits."""

    type: FieldType = "text"
    label: str
    max_length: Annotated[int, Is(ge=1, le=MAX_TEXT)] | None = None
    """Characters a text may hold (the template enforces it)."""
    choices: list[str] = dataclasses.field(default_factory=list)
    """The values of a choice, in the order the drop-down lists them."""
    numbered: str | None = None
    """For lines: the prefix of each item, with {n} (目标{n}：)."""


@_spec_class
class Column(FieldSpec):
    """A typed column of a table or an indicator table."""

    field: Annotated[str, Is(pattern=_IDENT.pattern)]
    span: Annotated[int, Is(ge=1)] = 1
    required: bool = False
    """A row with anything in it needs this column (indicator tables)."""


@_spec_class
class Group(_Spec):
    """A dotted prefix of field paths (budget. …): a nested part of the model."""

    label: str
    model: Annotated[str, Is(pattern=_CLASS.pattern)]


@_spec_class
class LabelCell(_Spec):
    label: str
    span: Annotated[int, Is(ge=1)] = 1
    total: bool = False


@_spec_class
class FieldCell(_Spec):
    field: str
    span: Annotated[int, Is(ge=1)] = 1
    style: str | None = None
    min_lines: Annotated[int, Is(ge=1)] = 1
    """Lines of room the row keeps when the field is empty."""


@_spec_class
class ExprCell(_Spec):
    """A cell worked out from others: the template writes the expression as
    a formula, the reader checks what the file shows against it."""

    expr: str
    name: str = ""
    """A name problems may be shown at (a total that is not a field)."""
    field: str = ""
    """A computed field: its value is part of the form's data, and a value
    typed over the formula that differs from the expression is a problem."""
    span: Annotated[int, Is(ge=1)] = 1
    style: str | None = None
    code: str = "computed-mismatch"
    """The problem code when a computed field differs from its expression."""
    zh: str = ""
    en: str = ""
    """Message templates for ``code`` when it is not a built-in one."""

    @property
    def ref(self) -> str:
        return self.field or self.name


CellSpec = LabelCell | FieldCell | ExprCell


@_spec_class
class _Section(_Spec):
    label: str = ""
    aliases: list[str] = dataclasses.field(default_factory=list)

    def labels(self) -> list[str]:
        """Every spelling of the section's column-A label, normalised."""
        return [normalise_label(t) for t in [self.label, *self.aliases] if t]


@_spec_class
class TitleSection(_Section):
    kind: Literal["title"]
    text: str
    height: float = 40.0


@_spec_class
class FixedSection(_Section):
    kind: Literal["fixed"]
    rows: Annotated[list[list[CellSpec]], Is(min_length=1)]
    must_equal: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """Pairs of cells that must hold equal totals; the template marks them red when they differ."""


@_spec_class
class Total(_Spec):
    label: str
    column: str
    name: str


@_spec_class
class TableSection(_Section):
    """Rows of items, one per row, each column typed."""

    kind: Literal["table"]
    field: Annotated[str, Is(pattern=_IDENT.pattern)]
    model: Annotated[str, Is(pattern=_CLASS.pattern)]
    title: str = ""
    """The list's title in the model (default: the label)."""
    columns: Annotated[list[Column], Is(min_length=1)]
    header: bool = True
    """Whether a header row of the columns' labels comes first."""
    blank_rows: Annotated[int, Is(ge=1)]
    min_lines: Annotated[int, Is(ge=1)] = 1
    total: Total | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


@_spec_class
class Level(_Spec):
    field: Annotated[str, Is(pattern=_IDENT.pattern)]
    label: str


@_spec_class
class Node(_Spec):
    """One group of an indicator framework and the groups under it."""

    name: str
    items: list[str | Node] = dataclasses.field(default_factory=list)


@_spec_class
class IndicatorSection(_Section):
    """Indicator rows grouped by one to three levels (一级/二级/…): the groups
    come from a fixed framework, or the department writes them (free)."""

    kind: Literal["indicators"]
    field: Annotated[str, Is(pattern=_IDENT.pattern)]
    model: Annotated[str, Is(pattern=_CLASS.pattern)] = "Indicator"
    title: str = ""
    levels: Annotated[list[Level], Is(min_length=1, max_length=3)]
    columns: Annotated[list[Column], Is(min_length=1)]
    blank_rows: Annotated[int, Is(ge=1)]
    """Rows per group of the last level (free: rows in all)."""
    framework: list[str | Node] | None = None
    """The groups, in order; None lets departments write their own."""
    group_aliases: dict[str, str] = dataclasses.field(default_factory=dict)
    """Shortened group names departments write, and what they stand for."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)

    def leaves(self) -> list[tuple[tuple[int, ...], tuple[str, ...]]]:
        """Every group of the last level: its place (from 1 per level) and its names."""
        found: list[tuple[tuple[int, ...], tuple[str, ...]]] = []

        def walk(nodes: list[str | Node], place: tuple[int, ...], names: tuple[str, ...]) -> None:
            for i, node in enumerate(nodes, 1):
                name, items = (node, []) if isinstance(node, str) else (node.name, node.items)
                if items:
                    walk(items, (*place, i), (*names, name))
                else:
                    found.append(((*place, i), (*names, name)))

        walk(self.framework or [], (), ())
        return found

    def top_groups(self) -> list[str]:
        return [n if isinstance(n, str) else n.name for n in self.framework or []]

    def names_at(self, depth: int) -> list[str]:
        """Every group name of one level (0 for the first)."""
        return list(dict.fromkeys(names[depth] for _, names in self.leaves() if depth < len(names)))


@_spec_class
class NoteSection(_Section):
    kind: Literal["note"]
    text: str


Section = Annotated[
    TitleSection | FixedSection | TableSection | IndicatorSection | NoteSection,
    Is(discriminator="kind"),
]


@_spec_class
class RuleSpec(_Spec):
    """A rule as an expression that must hold, with its problem code and messages.

    ``each`` names a table or indicator list: the rule is checked on every
    row, its paths naming the row's columns.  Messages are templates: {left}
    and {right} (the sides of a comparison), {value}, {row} (a row's first
    column), {n} (its number) and {labels[path]} (a field's label)."""

    code: Annotated[str, Is(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    severity: Literal["error", "warning"] = "error"
    check: str
    at: str
    each: str | None = None
    zh: str
    en: str


@_spec_class
class Checks(_Spec):
    required: list[str] = dataclasses.field(default_factory=list)
    rules: list[RuleSpec] = dataclasses.field(default_factory=list)


@_spec_class
class Protection(_Spec):
    allow: list[Literal["insertRows", "deleteRows", "formatCells", "formatColumns", "formatRows", "sort", "autoFilter"]] = dataclasses.field(
        default_factory=list
    )


@_spec_class
class Rule(_Spec):
    """The prompt and error message of one kind of input (Excel's limits)."""

    title: Annotated[str, Is(max_length=32)]
    prompt: Annotated[str, Is(max_length=250)]
    error: Annotated[str, Is(max_length=220)]


@_spec_class
class Instructions(_Spec):
    sheet: Annotated[str, Is(max_length=31)]
    title: str
    lines: Annotated[list[str], Is(min_length=1)]


@_spec_class
class Spec(_Spec):
    """A whole form: its data (fields, tables, indicators), its layout and its rules."""

    form: Meta
    protection: Protection = dataclasses.field(default_factory=Protection)
    validation: dict[str, Rule]
    """Prompt and error per field type, per indicator level (level1…) and for labels."""
    instructions: Instructions
    page: Page = dataclasses.field(default_factory=Page)
    fonts: dict[str, Font]
    columns: dict[str, float]
    """Column widths, from A; column A holds the section labels."""
    styles: dict[str, Style]
    groups: dict[str, Group] = dataclasses.field(default_factory=dict)
    fields: dict[str, FieldSpec]
    sections: Annotated[list[Section], Is(min_length=1)]
    checks: Checks = dataclasses.field(default_factory=Checks)

    @property
    def width(self) -> int:
        """Content columns beside the label column A."""
        return len(self.columns) - 1

    def tables(self) -> list[TableSection]:
        return [s for s in self.sections if isinstance(s, TableSection)]

    def indicator_sections(self) -> list[IndicatorSection]:
        return [s for s in self.sections if isinstance(s, IndicatorSection)]

    def lists(self) -> list[TableSection | IndicatorSection]:
        return [s for s in self.sections if isinstance(s, TableSection | IndicatorSection)]

    def list_section(self, field: str) -> TableSection | IndicatorSection | None:
        return next((s for s in self.lists() if s.field == field), None)

    def cells(self) -> list[CellSpec]:
        return [c for s in self.sections if isinstance(s, FixedSection) for row in s.rows for c in row]

    def computed(self) -> list[ExprCell]:
        return [c for c in self.cells() if isinstance(c, ExprCell) and c.field]

    def label_of(self, path: str) -> str:
        """The label of a field path: budget.basic, key_tasks, key_tasks[0].funds, funds (a group)."""
        if path in self.fields:
            return self.fields[path].label
        if path in self.groups:
            return self.groups[path].label
        head, _, column = re.sub(r"\[(\d+|\*)\]", "", path).partition(".")
        section = self.list_section(head)
        if section is None:
            return "年度" if path == "year" else path
        if not column:
            return section.title or section.label
        known = {c.field: c.label for c in section.columns}
        if isinstance(section, IndicatorSection):
            known |= {lv.field: lv.label for lv in section.levels}
        return known.get(column, column)

    def type_of(self, path: str) -> FieldType:
        """The type of a scalar path or of a list's column (key_tasks[*].funds)."""
        if path in self.fields:
            return self.fields[path].type
        head, _, column = re.sub(r"\[(\d+|\*)\]", "", path).partition(".")
        section = self.list_section(head)
        if section is not None:
            for c in section.columns:
                if c.field == column:
                    return c.type
        return "text"


_SPACE = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """A label as compared: full-width folded to half-width, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))
