"""Where the collection stands: every department of the roster is 未返回
(missing), 有错误 (returned with errors) or 已通过 (valid), judged on its
current return; forms from departments not on the roster are 名单外.

The report workbook has one row per department with its counts of errors
and warnings and, for each department with errors, a link to its own
workbook with every problem marked (written by :mod:`xlsxform.reading.annotate`,
when that module is installed), ready to send back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xlsxform.collection.outbox import safe_stem, unique_names
from xlsxform.collection.roster import Roster
from xlsxform.collection.store import FIRST_FORM, FormRecord, Store

STATES = {
    "missing": ("未返回", "missing"),
    "errors": ("有错误", "has errors"),
    "valid": ("已通过", "valid"),
    "unlisted": ("名单外", "not on the roster"),
}
ORDER = ("missing", "errors", "valid", "unlisted")


def state_label(state: str, lang: str = "zh") -> str:
    zh, en = STATES[state]
    return en if lang == "en" else zh


@dataclass(frozen=True)
class DepartmentStatus:
    """One department's standing."""

    department: str
    code: str
    email: str
    state: str
    """'missing', 'errors', 'valid' or 'unlisted'."""
    form: FormRecord | None
    versions: int
    """Returns received from it for the year, the current one included."""
    annotated: Path | None = None

    @property
    def errors(self) -> int:
        return self.form.errors if self.form else 0

    @property
    def warnings(self) -> int:
        return self.form.warnings if self.form else 0


def default_year(store: Store) -> int | None:
    """The latest year the database holds forms for."""
    years = store.years()
    return years[-1] if years else None


def return_key(form: FormRecord, subject: str | None = None) -> str:
    """What one current return stands for: its department, and for forms sent
    one per project the project too (department key, a unit separator, the name)."""
    if subject is None:
        return form.department_key
    value: Any = form.data
    for part in subject.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return f"{form.department_key}\x1f{value or ''}"


def current_forms(store: Store, year: int | None, form_id: str | None = None, subject: str | None = None) -> dict[str, FormRecord]:
    """The current return of each department (by key) for the year (and, when
    ``form_id`` is given, for that form only; with ``subject``, one per
    department and subject); forms whose year could not be read count for
    every year."""
    chosen: dict[str, FormRecord] = {}
    for form in store.forms(current=True):
        if year is not None and form.year not in (year, None):
            continue
        if form_id is not None and (form.template_id or FIRST_FORM) != form_id:
            continue
        key = return_key(form, subject)
        best = chosen.get(key)
        if best is None or (form.received_at, form.id) > (best.received_at, best.id):
            chosen[key] = form
    return chosen


def department_status(
    store: Store, roster: Roster | None = None, year: int | None = None, form_id: str | None = None, subject: str | None = None
) -> list[DepartmentStatus]:
    """Every department of the roster in roster order, then the departments
    that returned a form but are not on it (for one form, when ``form_id`` is
    given; with ``subject``, a row per project a department returned)."""
    current = current_forms(store, year, form_id, subject)
    versions: dict[str, int] = {}
    for each in store.forms(current=False):
        if form_id is not None and (each.template_id or FIRST_FORM) != form_id:
            continue
        if year is None or each.year in (year, None):
            key = return_key(each, subject)
            versions[key] = versions.get(key, 0) + 1
    rows = []
    for department in roster or []:
        keys = [k for k in current if k == department.key or k.startswith(department.key + "\x1f")] or [department.key]
        for key in keys:
            form = current.pop(key, None)
            state = "missing" if form is None else "valid" if form.ok else "errors"
            rows.append(DepartmentStatus(_shown(department.name, key), department.code, department.email, state, form, versions.get(key, 0)))
    for key, form in current.items():
        state = "unlisted" if roster is not None else "valid" if form.ok else "errors"
        rows.append(DepartmentStatus(_shown(form.department, key), form.code or "", "", state, form, versions.get(key, 0)))
    return rows


def _shown(department: str, key: str) -> str:
    """A department as a status row names it: with its project, for forms sent one per project."""
    _, separator, subject = key.partition("\x1f")
    return f"{department}（{subject}）" if separator and subject else department


def counts(rows: list[DepartmentStatus]) -> dict[str, int]:
    return {state: sum(r.state == state for r in rows) for state in ORDER}


Annotator = Callable[..., Any]


def annotator() -> Annotator | None:
    """``xlsxform.reading.annotate.annotate`` when that module is there, else None."""
    try:
        from xlsxform.reading.annotate import annotate
    except ImportError:
        return None
    return annotate


@dataclass
class Report:
    path: Path
    rows: list[DepartmentStatus]
    annotations: bool
    """True when annotated workbooks could be written (xlsxform.reading.annotate exists)."""
    failed: dict[str, str]
    """Departments whose workbook could not be annotated, with the reason."""


def write_report(store: Store, rows: list[DepartmentStatus], target: Path, *, lang: str = "zh", annotate: Annotator | bool | None = True) -> Report:
    """The status workbook: 返回情况 (one row per department), 问题清单 (every
    problem of the current returns) and 拒收文件 (every refused input).

    Annotated workbooks go into a folder beside it (``<report>-退回修改``),
    one per department with errors, each linked from its row.
    """
    from xlsxform.workbook.tables import Link, Table, write_tables

    if annotate is True:
        annotate = annotator()
    failed: dict[str, str] = {}
    if annotate:
        rows = _annotate(store, rows, target, annotate, lang, failed)
    en = lang == "en"
    header = (
        ["No.", "Department", "Code", "E-mail", "Status", "Errors", "Warnings", "Received", "File", "Returns", "Marked workbook"]
        if en
        else ["序号", "部门名称", "部门编码", "邮箱", "状态", "错误", "警告", "返回时间", "文件", "返回次数", "退回修改表"]
    )
    body: list[list[Any]] = []
    for n, row in enumerate(rows, 1):
        link: Any = ""
        if row.annotated is not None:
            relative = row.annotated.relative_to(target.parent).as_posix()
            link = Link(row.annotated.name, relative)
        elif row.department in failed:
            link = failed[row.department]
        form = row.form
        body.append(
            [
                n,
                row.department,
                row.code,
                row.email,
                state_label(row.state, lang),
                row.errors if form else None,
                row.warnings if form else None,
                local_time(form.received_at) if form else "",
                form.file_name if form else "",
                row.versions,
                link,
            ]
        )
    problems_header = ["Department", "Cell", "Severity", "Problem", "Code"] if en else ["部门名称", "单元格", "类别", "问题", "代码"]
    problem_rows: list[list[Any]] = []
    for row in rows:
        if row.form is None:
            continue
        for p in store.problems(row.form.id):
            level = {"error": ("错误", "error"), "warning": ("警告", "warning")}.get(p.severity, (p.severity, p.severity))[en]
            problem_rows.append([row.department, p.cell or "", level, p.message_en if en else p.message, p.code])
    refused_header = (
        ["File", "Came from", "Sender", "Mail date", "Reason", "Code", "Ingested", "sha256"]
        if en
        else ["文件", "来源", "发件人", "邮件日期", "原因", "代码", "入库时间", "sha256"]
    )
    refused_rows = [
        [
            r.file_name,
            r.source,
            r.sender or "",
            local_time(r.date) if r.date else "",
            r.reason_en if en else r.reason,
            r.refusal,
            local_time(r.ingested_at),
            r.sha256,
        ]
        for r in store.refusals()
    ]
    titles = ("Status", "Problems", "Refused files") if en else ("返回情况", "问题清单", "拒收文件")
    write_tables(
        target,
        [
            Table(titles[0], header, body),
            Table(titles[1], problems_header, problem_rows),
            Table(titles[2], refused_header, refused_rows),
        ],
    )
    return Report(target, rows, annotate is not None and annotate is not False, failed)


def annotation_folder(target: Path) -> Path:
    return target.parent / f"{target.stem}-退回修改"


def _annotate(store: Store, rows: list[DepartmentStatus], target: Path, annotate: Annotator, lang: str, failed: dict[str, str]) -> list[DepartmentStatus]:
    with_errors = [r for r in rows if r.form is not None and r.form.errors]
    folder = annotation_folder(target)
    if not with_errors:
        _remove_stale(folder, set())
        return rows
    folder.mkdir(parents=True, exist_ok=True)
    suffix = MARKED[lang == "en"]
    names = unique_names([safe_stem(r.department) + suffix for r in with_errors], ".xlsx")
    written: dict[int, Path] = {}
    with tempfile.TemporaryDirectory(prefix="xlsxform-annotate-") as scratch:
        for row, name in zip(with_errors, names, strict=False):
            assert row.form is not None
            content = store.content(row.form.sha256)
            if content is None:
                failed[row.department] = "原文件未保存" if lang != "en" else "the original file was not kept"
                continue
            source = Path(scratch) / f"{row.form.id}{Path(row.form.file_name).suffix.lower() or '.xlsx'}"
            source.write_bytes(content)
            problems = [p for p in (s.problem() for s in store.problems(row.form.id)) if p is not None]
            try:
                annotate(source, problems, folder / name, lang=lang)
            except Exception as exc:
                failed[row.department] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            written[row.form.id] = folder / name
    _remove_stale(folder, set(written.values()))
    return [replace(r, annotated=written.get(r.form.id)) if r.form is not None and r.form.id in written else r for r in rows]


MARKED = ("-需修改", "-to-fix")
"""How a marked workbook's name ends (Chinese, English)."""


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Marked workbooks left from an earlier report whose department has
    since sent a valid return (or whose errors are gone) are removed, so the
    folder holds exactly what is to be sent back."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.suffix == ".xlsx" and path.stem.endswith(MARKED) and path not in keep:
            path.unlink()


def local_time(stamp: str) -> str:
    """A stored UTC time as the local time a person reads: 2024-03-01 16:05."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
