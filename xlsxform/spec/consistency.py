"""A spec's consistency: the cross-references its schema alone cannot see.

Every field bound exactly once, every reference and expression path known,
every row exactly the form's width, every style, font and validation there,
messages that fill in.  Each fault is (stable code, English text); the
codes are listed in docs/spec.md.
"""

from __future__ import annotations

import re
from typing import Any

from xlsxform.errors import SpecError
from xlsxform.spec import expr
from xlsxform.spec.layout import (
    BASE_STYLES,
    FIELD_PATH,
    STYLE_OF,
    Column,
    ExprCell,
    FieldCell,
    FixedSection,
    IndicatorSection,
    Level,
    Spec,
    TableSection,
)
from xlsxform.workbook.text import column_letter


def check(spec: Spec) -> list[tuple[str, str]]:
    """Cross-references the schema alone cannot see; each entry is one fault."""
    faults: list[tuple[str, str]] = []

    def fault(code: str, text: str) -> None:
        faults.append((code, text))

    letters = list(spec.columns)
    if len(letters) < 2 or letters != [column_letter(i) for i in range(1, len(letters) + 1)]:
        fault("spec-columns", f"columns must run A, B, C, … without gaps, found {', '.join(letters)}")
    width = spec.width
    kinds = {f.type for f in spec.fields.values()} | {c.type for s in spec.lists() for c in s.columns}
    for name in sorted(BASE_STYLES | {STYLE_OF[k] for k in kinds}):
        if name not in spec.styles:
            fault("spec-style-missing", f"style {name!r} is missing")
    for name, style in spec.styles.items():
        if style.font not in spec.fonts:
            fault("spec-unknown-font", f"style {name!r} uses unknown font {style.font!r}")
    wanted = {"label"} | {k for k in kinds if k not in {"lines", "choice"}}
    for indicators in spec.indicator_sections():
        if indicators.framework is not None:
            wanted |= {f"level{d + 1}" for d in range(len(indicators.levels))}
    for name in sorted(wanted - spec.validation.keys()):
        fault("spec-validation-missing", f"validation {name!r} is missing")

    for path, field in spec.fields.items():
        if not FIELD_PATH.match(path) or path == "year":
            fault("spec-bad-field", f"field name {path!r} is not a lower-case dotted path (or is the reserved 'year')")
        for depth in range(1, path.count(".") + 1):
            prefix = ".".join(path.split(".")[:depth])
            if prefix not in spec.groups:
                fault("spec-group-missing", f"field {path!r} needs a group {prefix!r} (label and model)")
        if field.type == "choice" and not field.choices:
            fault("spec-choices-missing", f"choice field {path!r} has no choices")
    if spec.form.subject is not None and spec.form.subject not in spec.fields:
        fault("spec-unknown-field", f"the form's subject {spec.form.subject!r} is not a field")
    if "department" not in spec.fields:
        fault("spec-department-missing", "every form needs a field 'department' (who fills it in)")

    bound: list[str] = []
    refs: set[str] = set()
    for section in spec.sections:
        if isinstance(section, FixedSection):
            if not section.label:
                fault("spec-label-missing", "a fixed section needs a label")
            for i, row in enumerate(section.rows, 1):
                spans = sum(c.span for c in row)
                if spans != width:
                    fault("spec-row-width", f"section {section.label!r} row {i} spans {spans} columns, not {width} (cells overlap or leave a gap)")
                for cell in row:
                    if isinstance(cell, FieldCell | ExprCell) and cell.style is not None and cell.style not in spec.styles:
                        fault("spec-unknown-style", f"cell {cell.field or getattr(cell, 'name', '')!r} uses unknown style {cell.style!r}")
                    if isinstance(cell, FieldCell):
                        bound.append(cell.field)
                    elif isinstance(cell, ExprCell):
                        if not cell.ref:
                            fault("spec-expr-unnamed", f"the cell {cell.expr!r} needs a name or a field")
                        if cell.field:
                            bound.append(cell.field)
                        elif cell.name in refs:
                            fault("spec-duplicate-name", f"total {cell.name!r} is defined twice")
                        refs.add(cell.ref)
            for pair in section.must_equal:
                for name in pair:
                    if name not in refs:
                        fault("spec-unknown-cell", f"must_equal names unknown total {name!r}")
        elif isinstance(section, TableSection | IndicatorSection):
            bound.append(section.field)
            names = [c.field for c in section.columns]
            if isinstance(section, IndicatorSection):
                names += [lv.field for lv in section.levels]
            if len(set(names)) != len(names):
                fault("spec-duplicate-column", f"list {section.field!r} names a column twice")
            spans = sum(c.span for c in section.columns) + (len(section.levels) if isinstance(section, IndicatorSection) else 0)
            if spans != width:
                fault("spec-row-width", f"list {section.field!r} spans {spans} columns, not {width}")
            if isinstance(section, TableSection) and section.total is not None:
                if section.total.column not in names:
                    fault("spec-unknown-column", f"table {section.field!r} totals unknown column {section.total.column!r}")
                refs.add(section.total.name)
            if isinstance(section, IndicatorSection):
                known = set().union(*(section.names_at(d) for d in range(len(section.levels))))
                for alias, target in section.group_aliases.items():
                    if section.framework is not None and target not in known:
                        fault("spec-unknown-alias", f"alias {alias!r} names unknown group {target!r}")
                depths = {len(names) for _, names in section.leaves()}
                if section.framework is not None and depths != {len(section.levels)}:
                    fault("spec-framework-depth", f"the framework of {section.field!r} must be {len(section.levels)} levels deep everywhere")
    models: dict[str, list[Column | Level]] = {}
    for s in spec.lists():
        columns: list[Column | Level] = [*s.columns, *(s.levels if isinstance(s, IndicatorSection) else [])]
        if s.model in models and models[s.model] != columns:
            fault("spec-model-clash", f"model {s.model!r} is used by lists with different columns")
        models[s.model] = columns

    lists = {s.field for s in spec.lists()}
    for path in sorted(set(bound)):
        if path not in spec.fields and path not in lists:
            fault("spec-unknown-field", f"unknown field {path!r}")
        if bound.count(path) > 1:
            fault("spec-field-twice", f"field {path!r} is bound {bound.count(path)} times")
    for path in sorted(set(spec.fields) - set(bound)):
        fault("spec-field-unbound", f"field {path!r} is not bound to any cell")

    def known_path(path: str, row: TableSection | IndicatorSection | None) -> bool:
        if path in spec.fields:
            return True
        if row is not None and "." not in path:
            return any(c.field == path for c in row.columns) or (isinstance(row, IndicatorSection) and any(lv.field == path for lv in row.levels))
        head, star, column = path.partition("[*].")
        section = spec.list_section(head)
        return bool(star) and section is not None and known_path(column, section)

    def expression(text: str, where: str, row: TableSection | IndicatorSection | None = None) -> None:
        try:
            node = expr.parse(text)
        except SpecError as exc:
            fault("spec-expression", f"{where}: {exc.en}")
            return
        for path in node.paths():
            if not known_path(path, row):
                fault("spec-unknown-path", f"{where} uses unknown field {path!r}")

    for cell in spec.cells():
        if isinstance(cell, ExprCell):
            expression(cell.expr, f"cell {cell.ref!r}")
            if cell.code != "computed-mismatch" and not (cell.zh and cell.en):
                fault("spec-message-missing", f"cell {cell.ref!r} has its own code {cell.code!r} but no zh/en messages")
    codes: list[str] = []
    for rule in spec.checks.rules:
        codes.append(rule.code)
        over = spec.list_section(rule.each) if rule.each else None
        if rule.each and over is None:
            fault("spec-unknown-field", f"rule {rule.code!r} runs over unknown list {rule.each!r}")
        expression(rule.check, f"rule {rule.code!r}", over)
        at_ok = (over is not None and known_path(rule.at, over)) or rule.at in refs | set(spec.fields) | lists
        if not at_ok:
            fault("spec-unknown-cell", f"rule {rule.code!r} is shown at unknown cell {rule.at!r}")
        for text in (rule.zh, rule.en):
            if not _formats(text):
                fault("spec-bad-message", f"rule {rule.code!r}: the message {text!r} is not a valid template")
            for path in re.findall(r"\{labels\[([^\]]+)\]\}", text):
                if spec.label_of(path) == path:
                    fault("spec-unknown-path", f"rule {rule.code!r} names the label of unknown field {path!r}")
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        fault("spec-duplicate-code", f"rule code {code!r} is used twice")
    for path in spec.checks.required:
        if path not in spec.fields and path not in lists and path != "year":
            fault("spec-unknown-field", f"required field {path!r} is unknown")
    return faults


class _Anything(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return _Anything()

    def __format__(self, spec: str) -> str:
        return ""


def _formats(text: str) -> bool:
    """Whether a message template fills in without error ({labels[a.b]}, {left}, …)."""
    try:
        text.format_map(_Anything())
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return False
    return True
