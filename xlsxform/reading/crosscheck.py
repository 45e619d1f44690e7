"""What the reader checks once the whole form is read, and where it says so.

Its own module because these checks look across the form, not at one cell: a
total typed as a number against its recomputed parts, what the file says it
is against what it holds, and each problem the rules find put on the cell
its field was read from (or its first part's), each problem once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxform.checking.rules import values
from xlsxform.form import amounts
from xlsxform.form.problems import Problem
from xlsxform.reading.values import as_number
from xlsxform.spec import expr
from xlsxform.spec.layout import ExprCell, Spec, normalise_label
from xlsxform.workbook.grid import Value

WrittenTotal = tuple[str, str, Value, str]
"""A total the file states as a plain number: name, expression, value, cell."""


def written_totals(totals: list[WrittenTotal], data: dict[str, Any]) -> list[Problem]:
    """A total typed as a number must match its recomputed parts."""
    problems = []
    for _name, expression, found, ref in totals:
        worked = expr.evaluate(expr.parse(expression), values(data))
        expected = amounts.canonical(worked) if isinstance(worked, Decimal) else Decimal(0)
        stated = as_number(found.value)
        if stated is None or stated != expected:
            problems.append(Problem("total-mismatch", cell=ref, value=found.value, params={"expected": amounts.text(expected)}))
    return problems


def identity(stated_identity: dict[str, str], spec: Spec, data: dict[str, Any], cells: dict[str, str]) -> list[Problem]:
    """A file made for one department (or year, or template) that says another."""
    problems = []
    claims = [
        ("template_id", spec.form.id, "template-mismatch", None),
        ("department", data["department"], "department-mismatch", "department"),
        ("year", str(data["year"]), "year-mismatch", "year"),
    ]
    for key, found, code, path in claims:
        stated = stated_identity.get(key)
        if stated and found and normalise_label(stated) != normalise_label(found):
            problems.append(Problem(code, cell=cells.get(path or ""), field=path, value=found, params={"expected": stated}))
    return problems


def placed(problem: Problem, cells: dict[str, str], spec: Spec) -> Problem:
    """Put a rule's problem on the cell its field was read from."""
    cell = cells.get(problem.field or "")
    if cell is None and problem.field:
        cell = cells.get(_first_part(spec, problem.field))
    return problem.at(cell)


def _first_part(spec: Spec, name: str) -> str:
    """Where a total stands when the file has no total row: its first part."""
    for cell in spec.cells():
        if isinstance(cell, ExprCell) and cell.ref == name:
            return next(expr.parse(cell.expr).paths(), "")
    for section in spec.tables():
        if section.total and section.total.name == name:
            return section.field
    return ""


def once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: rows under one merged label share its cell."""
    seen: set[tuple[str, str | None, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.code, problem.cell, str(problem.value))
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
