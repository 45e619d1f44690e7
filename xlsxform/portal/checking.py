"""A department's check of one upload, as ``xlsxform check`` does it: what
was found, the advice in the department's words, the marked copy, and the
sheet as a table with its computed cells worked out."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from xlsxform.checking.rules import values
from xlsxform.collection.records import FIRST_FORM, StoredProblem
from xlsxform.errors import XlsxformError
from xlsxform.form import amounts
from xlsxform.form.problems import Problem
from xlsxform.portal.family import FormKind, form_kind
from xlsxform.reading.annotate import annotate, explain
from xlsxform.reading.reader import MARGIN_COLUMNS, read_workbook
from xlsxform.reading.result import ReadResult
from xlsxform.safety import gate
from xlsxform.spec import expr
from xlsxform.spec.generate import BUILT_IN
from xlsxform.spec.layout import ExprCell, Spec
from xlsxform.spec.loading import load_spec
from xlsxform.workbook.grid import range_box
from xlsxform.workbook.view import SheetView, sheet_view


@dataclass(frozen=True)
class CheckedSheet:
    """One form a checked workbook holds (one per sheet of a workbook of projects)."""

    sheet: str
    form: FormKind
    department: str
    year: int | None
    subject: str
    """The project it covers, for forms sent one per project ('' for the others)."""
    errors: int
    warnings: int
    owner: str
    """Whose form the sheet says it is: its identity, else its 部门名称."""


@dataclass(frozen=True)
class Checked:
    """What a check of one uploaded workbook found."""

    readable: bool
    department: str = ""
    year: int | None = None
    problems: list[Problem] = field(default_factory=list)
    refusal: str = ""
    """The error's stable code when the file could not be read."""
    reason: str = ""
    identity: dict[str, str] = field(default_factory=dict)
    sheets: list[CheckedSheet] = field(default_factory=list)
    """Every form found, the first sheet's first."""

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def owner(self) -> str:
        """Whose form the file says it is: its identity, else its 部门名称."""
        return self.identity.get("department") or self.department

    @property
    def form(self) -> FormKind | None:
        """The form the first sheet was recognised as."""
        return self.sheets[0].form if self.sheets else None


def _sheet(result: ReadResult) -> CheckedSheet:
    kind = form_kind(result.form_id or FIRST_FORM)
    subject_field = load_spec(kind.id).form.subject if kind.id in BUILT_IN else None
    subject = str(getattr(result.form, subject_field, "") or "") if subject_field else ""
    errors = sum(p.severity == "error" for p in result.problems)
    owner = result.identity.get("department") or result.form.department
    return CheckedSheet(result.sheet, kind, result.form.department, result.form.year, subject, errors, len(result.problems) - errors, owner)


def check(path: Path) -> tuple[Checked, ReadResult | None]:
    """Read and check one workbook, as ``xlsxform check`` does (the gate
    first), recognising its form; a workbook of several forms (one project
    per sheet) is read sheet by sheet, its problems together."""
    try:
        results = read_workbook(path)
    except XlsxformError as exc:
        return Checked(False, refusal=exc.code, reason=exc.zh), None
    first = results[0]
    problems = [p for r in results for p in r.problems]
    sheets = [_sheet(r) for r in results]
    return Checked(True, first.form.department, first.form.year, problems, identity=dict(first.identity), sheets=sheets), first


def advice(problem: Problem | StoredProblem) -> str:
    """What is wrong and what to change, in the department's words, as the
    marked copy's comment says it (a stored problem: its stored message)."""
    return explain(problem) if isinstance(problem, Problem) else problem.message


def marked_copy(source: Path, problems: list[Problem], target: Path) -> bool:
    """The department's workbook with every problem marked; False for an .xls (cannot be copied cell for cell)."""
    try:
        annotate(source, problems, target)
    except XlsxformError:
        return False
    return True


def view(path: Path, reading: ReadResult | None = None) -> SheetView | None:
    """The sheet a form was read from, to draw as a table (None for an .xls or what cannot be opened)."""
    try:
        if gate.inspect(path).format == "xls":
            return None
        spec = load_spec(reading.form_id) if reading is not None and reading.form_id in BUILT_IN else load_spec()
        sheet = reading.sheet if reading is not None and reading.sheet else spec.form.sheet
        worked = _worked(reading, spec) if reading is not None else {}
        return sheet_view(path, preferred_sheet=sheet, max_rows=500, max_cols=len(spec.columns) + MARGIN_COLUMNS, worked=worked)
    except XlsxformError:
        return None


def _worked(reading: ReadResult, spec: Spec) -> dict[tuple[int, int], str]:
    """The spec's computed cells worked out from what the department wrote,
    by cell: what the sheet's formulas show once an office suite opens it."""
    lookup = values(reading.form)
    computed = [(c.name or c.field, c.expr, c.field) for c in spec.cells() if isinstance(c, ExprCell) and (c.name or c.field)]
    computed += [(t.total.name, f"sum({t.field}[*].{t.total.column})", "") for t in spec.tables() if t.total is not None]
    found: dict[tuple[int, int], str] = {}
    for name, expression, path in computed:
        ref = reading.cells.get(name)
        if ref is None:
            continue
        try:
            value = expr.evaluate(expr.parse(expression), lookup)
        except (XlsxformError, ArithmeticError, TypeError, ValueError):
            continue
        if isinstance(value, Decimal):
            percent = path in spec.fields and spec.fields[path].type == "percent"
            row, col, _, _ = range_box(ref.rsplit("!", 1)[-1])
            found[(row, col)] = f"{value * 100:.1f}%" if percent else amounts.text(value)
    return found
