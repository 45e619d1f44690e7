"""Rules across fields: required parts, the indicator framework, R1-R4.

Rules see only the model and the spec, never cells: each problem names the
field it concerns and the reader places it on a cell.  So the same checks run
on a form read from a workbook, loaded from JSON or built in code.
"""

from __future__ import annotations

import re
from decimal import Decimal

from xlsxform.form import amounts
from xlsxform.form.model import Form, field_at, value_at
from xlsxform.form.problems import Problem
from xlsxform.spec.layout import Spec, SumCheck

_LIST_ITEM = re.compile(r"^(\w+)\[\*\]\.(\w+)$")


def check(form: Form, spec: Spec, unreadable: frozenset[str] = frozenset()) -> list[Problem]:
    """Every rule problem of ``form``, in the order a person reads the sheet.

    ``unreadable`` names fields whose cells could not be read (already
    reported): sums over them are not checked, since they would only repeat
    that problem with a total the sheet does not show.
    """
    problems = [Problem("required", field=path, params={"label": field_at(path)[0]}) for path in spec.checks.required if value_at(form, path) in (None, "", [])]
    for table in spec.tables():
        for i, task in enumerate(getattr(form, table.field)):
            if not task.name:
                problems.append(Problem("task-incomplete", field=f"{table.field}[{i}].name", params={"n": i + 1, "label": field_at("name", type(task))[0]}))
                continue
            missing = [c for c in table.columns if getattr(task, c) in (None, "") and f"{table.field}[{i}].{c}" not in unreadable]
            if missing:
                labels = "、".join(f"“{field_at(c, type(task))[0]}”" for c in missing)
                problems.append(Problem("task-part-missing", field=f"{table.field}[{i}].{missing[0]}", value=task.name, params={"parts": labels}))
    problems += _indicator_problems(form, spec)
    problems += [p for c in spec.checks.sums if not _touches(c, unreadable) and (p := _sum_problem(form, c))]
    return problems


def _touches(rule: SumCheck, unreadable: frozenset[str]) -> bool:
    """Whether a sum rule adds up any field that could not be read."""
    for path in rule.left + rule.right:
        match = _LIST_ITEM.match(path)
        if match:
            pattern = re.compile(rf"^{match[1]}\[\d+\]\.{match[2]}$")
            if any(pattern.match(field) for field in unreadable):
                return True
        elif path in unreadable:
            return True
    return False


def _indicator_problems(form: Form, spec: Spec) -> list[Problem]:
    section = spec.indicators()
    items = getattr(form, section.field)
    problems = []
    for i, item in enumerate(items):
        if not item.level1 or not item.level2:
            problems.append(Problem("indicator-level-missing", field=f"{section.field}[{i}].level2", value=item.name, params={"name": item.name}))
        elif item.level2 not in section.level2_of(item.level1):
            problems.append(
                Problem(
                    "indicator-level-unknown", field=f"{section.field}[{i}].level2", value=item.level2, params={"level1": item.level1, "level2": item.level2}
                )
            )
        if bool(item.name) != bool(item.value):
            missing = "value" if item.name else "name"
            problems.append(
                Problem(
                    f"indicator-{missing}-missing",
                    field=f"{section.field}[{i}].{missing}",
                    value=item.name or item.value,
                    params={"name": item.name, "text": item.value},
                )
            )
    for group in section.framework:
        if not any(item.level1 == group.level1 and item.name for item in items):
            problems.append(Problem("level1-without-indicator", field=level1_field(section.field, group.level1), params={"level1": group.level1}))
    return problems


def level1_field(field: str, level1: str) -> str:
    """The pseudo-field of a 一级 group, so its problems land on its label."""
    return f"{field}:{level1}"


def _sum_problem(form: Form, rule: SumCheck) -> Problem | None:
    left, right = total(form, rule.left), total(form, rule.right)
    broken = left != right if rule.op == "==" else left > right
    if not broken:
        return None
    return Problem(rule.code, field=rule.at, value=amounts.text(left), params={"left": amounts.text(left), "right": amounts.text(right)})


def total(form: Form, paths: list[str]) -> Decimal:
    """Exact sum of amounts; a blank counts as 0, items[*].x sums a column."""
    result = Decimal(0)
    for path in paths:
        match = _LIST_ITEM.match(path)
        values = [getattr(item, match[2]) for item in getattr(form, match[1])] if match else [value_at(form, path)]
        result += sum((v for v in values if v is not None), Decimal(0))
    return amounts.canonical(result)
