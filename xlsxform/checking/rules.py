"""Rules across fields: required parts, tables' rows, indicator tables,
computed fields and the spec's own rules (expressions that must hold).

Rules see only the data (a model, or the plain data of
:mod:`xlsxform.spec.data`) and the spec, never cells: each problem names the
field it concerns and the reader places it on a cell.  So the same checks run
on a form read from a workbook, loaded from JSON or built in code.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from xlsxform.form import amounts
from xlsxform.form.problems import Problem, Severity
from xlsxform.spec import expr
from xlsxform.spec.layout import IndicatorSection, RuleSpec, Spec, TableSection

_ITEM = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def check(form: Any, spec: Spec, unreadable: frozenset[str] = frozenset()) -> list[Problem]:
    """Every rule problem of ``form``, in the order a person reads the sheet.

    ``unreadable`` names fields whose cells could not be read (already
    reported): rules over them are not checked, since they would only repeat
    that problem with a value the sheet does not show.
    """
    problems = [
        Problem("required", field=path, params={"label": spec.label_of(path)}) for path in spec.checks.required if value_at(form, path) in (None, "", [])
    ]
    for table in spec.tables():
        problems += _table_problems(form, table, unreadable)
    for section in spec.indicator_sections():
        problems += _indicator_problems(form, section)
    problems += _computed_problems(form, spec, unreadable)
    for rule in spec.checks.rules:
        problems += _rule_problems(form, spec, rule, unreadable)
    return problems


def value_at(form: Any, path: str) -> Any:
    """The value at a dotted field path such as ``budget.basic``."""
    value = form
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value


def values(form: Any, row: Any = None) -> expr.Values:
    """Field values for expressions: a path, a list's column (items[*].x), or
    one of ``row``'s columns."""

    def scalar(value: Any) -> expr.Scalar:
        if isinstance(value, bool) or value is None or isinstance(value, Decimal | str):
            return value
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, list):
            return "\n".join(map(str, value))
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def lookup(path: str) -> expr.Scalar | list[expr.Scalar]:
        if row is not None and "." not in path:
            return scalar(value_at(row, path))
        head, star, column = path.partition("[*].")
        if star:
            return [scalar(value_at(item, column)) for item in value_at(form, head) or []]
        return scalar(value_at(form, path))

    return lookup


def show(value: Any, kind: str = "amount") -> str:
    """A value as a message shows it: 776.8, 87.7%."""
    if isinstance(value, Decimal):
        if kind == "percent":
            return amounts.text((value * 100).normalize()) + "%"
        return amounts.text(value)
    return "" if value is None else str(value)


def _table_problems(form: Any, table: TableSection, unreadable: frozenset[str]) -> list[Problem]:
    problems = []
    name, *rest = table.columns
    for i, item in enumerate(value_at(form, table.field) or []):
        if not value_at(item, name.field):
            problems.append(Problem("task-incomplete", field=f"{table.field}[{i}].{name.field}", params={"n": i + 1, "label": name.label}))
            continue
        missing = [c for c in rest if value_at(item, c.field) in (None, "") and f"{table.field}[{i}].{c.field}" not in unreadable]
        if missing:
            labels = "、".join(f"“{c.label}”" for c in missing)
            problems.append(
                Problem("task-part-missing", field=f"{table.field}[{i}].{missing[0].field}", value=value_at(item, name.field), params={"parts": labels})
            )
    return problems


def _indicator_problems(form: Any, section: IndicatorSection) -> list[Problem]:
    items = value_at(form, section.field) or []
    problems = []
    first, last = section.levels[0], section.levels[-1]
    name, *others = section.columns
    known = {names for _, names in section.leaves()}
    for i, item in enumerate(items):
        levels = tuple(value_at(item, lv.field) or "" for lv in section.levels)
        title = value_at(item, name.field) or ""
        if not all(levels):
            problems.append(Problem("indicator-level-missing", field=f"{section.field}[{i}].{last.field}", value=title, params={"name": title}))
        elif section.framework is not None and levels not in known:
            problems.append(
                Problem(
                    "indicator-level-unknown",
                    field=f"{section.field}[{i}].{last.field}",
                    value=levels[-1],
                    params={"level1": levels[0], "level2": levels[-1]},
                )
            )
        filled = [c for c in others if value_at(item, c.field) not in (None, "")]
        if not title and filled:
            text = show(value_at(item, filled[0].field), filled[0].type)
            problems.append(
                Problem("indicator-name-missing", field=f"{section.field}[{i}].{name.field}", value=text, params={"text": text, "row_label": name.label})
            )
        elif title:
            for column in others:
                if column.required and value_at(item, column.field) in (None, ""):
                    params = {"name": title, "label": column.label, "row_label": name.label}
                    problems.append(Problem("indicator-value-missing", field=f"{section.field}[{i}].{column.field}", value=title, params=params))
                    break
    for group in section.top_groups() if section.framework is not None else []:
        if not any(value_at(item, first.field) == group and value_at(item, name.field) for item in items):
            problems.append(Problem("level1-without-indicator", field=level1_field(section.field, group), params={"level1": group}))
    return problems


def level1_field(field: str, level1: str) -> str:
    """The pseudo-field of a first-level group, so its problems land on its label."""
    return f"{field}:{level1}"


def _computed_problems(form: Any, spec: Spec, unreadable: frozenset[str]) -> list[Problem]:
    """A computed field whose value (typed over the formula) is not what its expression gives."""
    problems = []
    lookup = values(form)
    for cell in spec.computed():
        node = expr.parse(cell.expr)
        if cell.field in unreadable or _touches(node, unreadable):
            continue
        found, expected = value_at(form, cell.field), expr.evaluate(node, lookup)
        if found is None:
            continue
        if not isinstance(expected, Decimal) or amounts.canonical(expected) != found:
            kind = spec.type_of(cell.field)
            params = {"label": spec.label_of(cell.field), "expected": show(expected, kind) or "空白", "labels": _Labels(spec)}
            defined = None if cell.code == "computed-mismatch" else (Severity.ERROR, cell.zh, cell.en)
            problems.append(Problem(cell.code, field=cell.field, value=show(found, kind), params=params, defined=defined))
    return problems


def _rule_problems(form: Any, spec: Spec, rule: RuleSpec, unreadable: frozenset[str]) -> list[Problem]:
    node = expr.parse(rule.check)
    defined = (Severity(rule.severity), rule.zh, rule.en)
    if rule.each is None:
        if _touches(node, unreadable):
            return []
        params = _sides(node, values(form), spec)
        if expr.evaluate(node, values(form)) is not False:
            return []
        return [Problem(rule.code, field=rule.at, value=params.get("left"), params=params, defined=defined)]
    section = spec.list_section(rule.each)
    problems = []
    for i, row in enumerate(value_at(form, rule.each) or []):
        if any(f"{rule.each}[{i}].{p}" in unreadable for p in node.paths()):
            continue
        lookup = values(form, row)
        if expr.evaluate(node, lookup) is not False:
            continue
        params = _sides(node, lookup, spec) | {"n": i + 1, "row": value_at(row, section.columns[0].field) if section else ""}
        field = f"{rule.each}[{i}].{rule.at}" if "." not in rule.at else rule.at
        value = show(value_at(row, rule.at)) if "." not in rule.at else params.get("left")
        problems.append(Problem(rule.code, field=field, value=value, params=params, defined=defined))
    return problems


def _sides(node: expr.Node, lookup: expr.Values, spec: Spec) -> dict[str, Any]:
    """{left} and {right} of a comparison, and every label, for the message."""
    params: dict[str, Any] = {"labels": _Labels(spec)}
    if node.is_comparison:
        params["left"], params["right"] = (show(expr.evaluate(side, lookup)) for side in node.args)
    return params


def _touches(node: expr.Node, unreadable: frozenset[str]) -> bool:
    """Whether an expression reads any field that could not be read."""
    for path in node.paths():
        head, star, column = path.partition("[*].")
        if star:
            pattern = re.compile(rf"^{re.escape(head)}\[\d+\]\.{re.escape(column)}$")
            if any(pattern.match(field) for field in unreadable):
                return True
        elif path in unreadable:
            return True
    return False


class _Labels(dict[str, str]):
    """The spec's label of any field path, for {labels[budget.basic]} in messages."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.spec = spec

    def __missing__(self, path: str) -> str:
        return self.spec.label_of(path)
