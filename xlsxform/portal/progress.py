"""Where everyone stands: every department's state for a form and year
(``xlsxform status``, :data:`STATES` with 'held' (待确认) included), what a
department owes (the forms it was issued, from the portal's link table
:meth:`~xlsxform.portal.tables.PortalTables.issued_forms`), and its returns
as stored."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from xlsxform.collection.records import FIRST_FORM, FormRecord, StoredProblem
from xlsxform.collection.roster import Roster, department_key
from xlsxform.collection.status import DepartmentStatus, default_year, department_status
from xlsxform.collection.store import Store
from xlsxform.portal.checking import marked_copy
from xlsxform.portal.family import FormKind, form_kind
from xlsxform.portal.tables import PortalTables

STATES = {
    "missing": "未返回",
    "errors": "有错误",
    "held": "待确认",
    "valid": "已通过",
    "unlisted": "名单外",
}
"""Every state a department can be in, as the dashboard counts them ('held':
a return kept aside until the bureau accepts it)."""


@dataclass(frozen=True)
class Standing:
    year: int | None
    rows: list[DepartmentStatus]
    counts: dict[str, int]
    years: list[int]
    form: FormKind = field(default_factory=lambda: form_kind(FIRST_FORM))


def standing(db: Path, roster: Roster | None, year: int | None, form: str = FIRST_FORM) -> Standing:
    """Every department's state for a form and year (default: the latest):
    ``xlsxform --form ID status``; a row per project for a form sent one per project."""
    with Store(db) as store:
        years = store.years(form)
        year = year if year is not None else default_year(store, form)
        rows = department_status(store, roster, year, form)
    counts = {state: sum(r.state == state for r in rows) for state in STATES}
    return Standing(year, rows, counts, years, form_kind(form))


def row_key(row: DepartmentStatus) -> str:
    """The department a status row is of, by key."""
    if row.form is not None:
        return row.form.department_key
    if row.held and row.held[0].department_key:
        return row.held[0].department_key
    return department_key(row.department)


def department_rows(rows: list[DepartmentStatus], key: str) -> list[DepartmentStatus]:
    """One department's status rows (one per project for a form sent one per project)."""
    return [r for r in rows if row_key(r) == key]


@dataclass(frozen=True)
class Owed:
    """A form issued to a department for a year, as its page lists it."""

    form: FormKind
    deadline: str
    state: str
    """The form's state for the department: the worst of its projects' for a form sent one per project."""
    rows: list[DepartmentStatus]
    """The department's current (or held) returns of the form, one per project; none before any return."""


def shown_state(row: DepartmentStatus) -> str:
    """A row's state as the department sees it (名单外 is judged on its return)."""
    if row.state == "unlisted":
        return "valid" if row.form is not None and row.form.ok else "errors"
    return row.state


def owed(db: Path, roster: Roster | None, key: str, year: int) -> list[Owed]:
    """Every form issued to the department for the year, each with its state
    and the department's returns of it; the first form when none was recorded."""
    with PortalTables(db) as tables:
        issued = tables.issued_forms(key, year)
    chosen = [(link.form, link.deadline) for link in issued] or [(FIRST_FORM, "")]
    found = []
    with Store(db) as store:
        for form, deadline in chosen:
            mine = department_rows(department_status(store, roster, year, form), key)
            rows = [dataclasses.replace(r, state=shown_state(r)) for r in mine if r.form is not None or r.held]
            states = {r.state for r in rows}
            state = next((s for s in ("errors", "held", "valid") if s in states), "missing")
            found.append(Owed(form_kind(form), deadline, state, rows))
    return found


def history(db: Path, key: str, year: int | None = None, form: str | None = None) -> list[FormRecord]:
    """Every return of one department (of one year and form if given), newest first."""
    with Store(db) as store:
        found = store.history(key)
    return [f for f in reversed(found) if (year is None or f.year in (year, None)) and (form is None or (f.template_id or FIRST_FORM) == form)]


def stored_problems(db: Path, form: int) -> list[StoredProblem]:
    with Store(db) as store:
        return store.problems(form)


def stored_form(db: Path, form: int) -> FormRecord | None:
    with Store(db) as store:
        return store.form(form)


def stored_marked_copy(db: Path, form: FormRecord, target: Path) -> bool:
    """The stored return's own workbook with its problems marked."""
    with Store(db) as store:
        content = store.content(form.sha256)
        problems = [p for p in (s.problem() for s in store.problems(form.id)) if p is not None]
    if content is None:
        return False
    source = target.with_name(f"source-{form.id}{Path(form.file_name).suffix.lower() or '.xlsx'}")
    source.write_bytes(content)
    return marked_copy(source, problems, target)


def stored_file(db: Path, form: FormRecord) -> bytes | None:
    with Store(db) as store:
        return store.content(form.sha256)
