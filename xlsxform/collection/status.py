"""Where the collection stands: every department of the roster is 未返回
(missing), 有错误 (returned with errors), 已通过 (valid), judged on its
current return, or 待确认 (held: a return came from an address that is not
the department's and awaits the officer's ``accept``); forms from
departments not on the roster are 名单外.

The report workbook has one row per department with its counts of errors
and warnings and, for each department with errors, a link to its own
workbook with every problem marked (written by :mod:`xlsxform.reading.annotate`,
when that module is installed), ready to send back.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xlsxform.collection.outbox import safe_stem, unique_names
from xlsxform.collection.receipts import sha256_file, workbook_suffix
from xlsxform.collection.records import FIRST_FORM, FormRecord, Receipt, StoredProblem
from xlsxform.collection.roster import Roster
from xlsxform.collection.store import Store

STATES = {
    "missing": ("未返回", "missing"),
    "errors": ("有错误", "has errors"),
    "valid": ("已通过", "valid"),
    "held": ("待确认", "held"),
    "unlisted": ("名单外", "not on the roster"),
}
ORDER = ("missing", "errors", "valid", "held", "unlisted")


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
    """'missing', 'errors', 'valid', 'held' or 'unlisted'."""
    form: FormRecord | None
    versions: int
    """Returns received from it for the year, the current one included."""
    annotated: Path | None = None
    held: tuple[Receipt, ...] = ()
    """Returns held for the officer (from another address), newer than the current one."""
    accepted_at: str | None = None
    """When the officer chose the current return with ``accept``, if they did."""

    def as_json(self) -> dict[str, object]:
        """What ``status --format json`` prints for the department."""
        form = self.form
        return {
            "department": self.department,
            "code": self.code,
            "email": self.email,
            "state": self.state,
            "sha256": form.sha256 if form else None,
            "receipt": form.receipt if form else None,
            "file": form.file_name if form else None,
            "sent_at": form.received_at if form else None,
            "errors": self.errors if form else None,
            "warnings": self.warnings if form else None,
            "returns": self.versions,
            "accepted_at": self.accepted_at,
            "held": [{"receipt": r.id, "name": r.name, "sender": r.sender, "sent_at": r.sent_at, "sha256": r.sha256} for r in self.held],
        }

    @property
    def errors(self) -> int:
        return self.form.errors if self.form else 0

    @property
    def warnings(self) -> int:
        return self.form.warnings if self.form else 0


def default_year(store: Store, form: str) -> int | None:
    """The latest year the database holds returns of ``form`` (a spec id) for."""
    years = store.years(form)
    return years[-1] if years else None


def return_key(form: FormRecord) -> str:
    """What one current return stands for: its department, and for forms sent
    one per project the project too (department key, a unit separator, the name)."""
    return f"{form.department_key}\x1f{form.scope}" if form.scope else form.department_key


def _of_form(template_id: str | None, form_id: str | None) -> bool:
    return form_id is None or (template_id or FIRST_FORM) == form_id


def current_forms(store: Store, year: int | None, form_id: str | None = None) -> dict[str, FormRecord]:
    """The current return of each department (by :func:`return_key`) for the
    year (and, when ``form_id`` is given, for that form only); forms whose
    year could not be read count for every year."""
    return _current_of(store.forms(current=True), year, form_id)


def _current_of(forms: list[FormRecord], year: int | None, form_id: str | None) -> dict[str, FormRecord]:
    """:func:`current_forms` from the stored forms (the current ones among them count)."""
    chosen: dict[str, FormRecord] = {}
    for form in forms:
        if not form.current:
            continue
        if (year is not None and form.year not in (year, None)) or not _of_form(form.template_id, form_id):
            continue
        key = return_key(form)
        best = chosen.get(key)
        if best is None or (form.received_at, form.id) > (best.received_at, best.id):
            chosen[key] = form
    return chosen


def department_status(store: Store, roster: Roster | None = None, year: int | None = None, form_id: str | None = None) -> list[DepartmentStatus]:
    """Every department of the roster in roster order, then the departments
    that returned a form but are not on it, then held returns of departments
    with none current (for one form, when ``form_id`` is given; a row per
    project for forms sent one per project)."""
    forms = store.forms(current=False)
    current = _current_of(forms, year, form_id)
    versions: dict[str, int] = {}
    for each in forms:
        if _of_form(each.template_id, form_id) and (year is None or each.year in (year, None)):
            key = return_key(each)
            versions[key] = versions.get(key, 0) + 1
    scopes = {each.id: each.scope for each in forms}
    held: dict[str, list[Receipt]] = {}
    for receipt in store.pending(year):
        if _of_form(receipt.template_id, form_id):
            scope = scopes.get(receipt.form, "") if receipt.form is not None else ""
            key = f"{receipt.department_key or ''}\x1f{scope}" if scope else receipt.department_key or ""
            held.setdefault(key, []).append(receipt)
    accepted = store.accepted_times()

    def row(name: str, code: str, email: str, key: str, form: FormRecord | None, unlisted: bool) -> DepartmentStatus:
        waiting = tuple(held.pop(key, []))
        state = "held" if waiting else "missing" if form is None else "unlisted" if unlisted else "valid" if form.ok else "errors"
        when = accepted.get(form.receipt) if form is not None and form.receipt is not None else None
        return DepartmentStatus(_shown(name, key), code, email, state, form, versions.get(key, 0), None, waiting, when)

    rows = []
    for department in roster or []:
        prefix = department.key + "\x1f"
        keys = sorted({k for k in [*current, *held] if k == department.key or k.startswith(prefix)}) or [department.key]
        rows += [row(department.name, department.code, department.email, key, current.pop(key, None), False) for key in keys]
    for key, form in list(current.items()):
        rows.append(row(form.department, form.code or "", "", key, form, roster is not None))
    for key, waiting_list in list(held.items()):
        rows.append(row(waiting_list[0].department or key, "", "", key, None, False))
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
    from xlsxform.workbook.tables import Column, Link, Table, write_tables

    if annotate is True:
        annotate = annotator()
    failed: dict[str, str] = {}
    problems = store.problems_of([row.form.id for row in rows if row.form is not None])
    if annotate:
        rows = _annotate(store, rows, target, annotate, lang, failed, problems)
    en = lang == "en"

    def t(zh: str, en_text: str) -> str:
        return en_text if en else zh

    header = [
        Column(t("序号", "No."), "count", width=5),
        Column(t("部门名称", "Department")),
        Column(t("部门编码", "Code")),
        Column(t("邮箱", "E-mail")),
        Column(t("状态", "Status")),
        Column(t("错误", "Errors"), "count", total=True, width=7),
        Column(t("警告", "Warnings"), "count", total=True, width=7),
        Column(t("返回时间", "Received"), "time"),
        Column(t("文件", "File")),
        Column(t("返回次数", "Returns"), "count", total=True, width=7),
        Column(t("退回修改表", "Marked workbook"), "link"),
    ]
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
                local_datetime(form.received_at) if form else None,
                form.file_name if form else "",
                row.versions,
                link,
            ]
        )
    problems_header = [
        Column(t("部门名称", "Department")),
        Column(t("单元格", "Cell")),
        Column(t("类别", "Severity")),
        Column(t("问题", "Problem"), width=70),
        Column(t("代码", "Code"), width=14),
    ]
    problem_rows: list[list[Any]] = []
    for row in rows:
        if row.form is None:
            continue
        for p in problems[row.form.id]:
            level = {"error": ("错误", "error"), "warning": ("警告", "warning")}.get(p.severity, (p.severity, p.severity))[en]
            problem_rows.append([row.department, p.cell or "", level, p.message_en if en else p.message, p.code])
    refused_header = [
        Column(t("文件", "File")),
        Column(t("来源", "Came from"), width=30),
        Column(t("发件人", "Sender")),
        Column(t("邮件日期", "Mail date"), "time"),
        Column(t("原因", "Reason"), width=40),
        Column(t("代码", "Code"), width=14),
        Column(t("入库时间", "Ingested"), "time"),
        Column("sha256", width=18),
    ]
    refused_rows = [
        [
            r.file_name,
            r.source,
            r.sender or "",
            local_datetime(r.date) if r.date else None,
            r.reason_en if en else r.reason,
            r.refusal,
            local_datetime(r.ingested_at),
            r.sha256,
        ]
        for r in store.refusals()
    ]
    held_header = [
        Column(t("收件编号", "Receipt"), "count", width=8),
        Column(t("部门名称", "Department")),
        Column(t("文件", "File")),
        Column(t("发件人", "Sender")),
        Column(t("发送时间", "Sent"), "time"),
        Column(t("名单中的邮箱", "Department's e-mail")),
        Column("sha256", width=18),
    ]
    held_rows = [[r.id, row.department, r.name, r.sender or "", local_datetime(r.sent_at), row.email, r.sha256 or ""] for row in rows for r in row.held]
    titles = ("Status", "Problems", "Refused files", "Held") if en else ("返回情况", "问题清单", "拒收文件", "待确认")
    year = next((r.form.year for r in rows if r.form is not None and r.form.year), None)
    made = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    template = next((r.form.template_id for r in rows if r.form is not None and r.form.template_id), None) or FIRST_FORM
    if template == FIRST_FORM:
        form_title = t(
            f"{year}年市级部门整体预算绩效目标表" if year else "市级部门整体预算绩效目标表",
            f"department budget performance targets{f' {year}' if year else ''}",
        )
    else:
        form_title = f"{year}年{_form_name(template)}" if year and not en else _form_name(template) + (f" {year}" if year and en else "")
    tally = counts(rows)
    summary = t("，", ", ").join(f"{state_label(s, lang)} {tally[s]}" for s in ORDER if tally.get(s) or s not in ("unlisted", "held"))
    notes = [t(f"共 {len(rows)} 个部门：{summary}。制表时间：{made}", f"{len(rows)} departments: {summary}. Made {made}")]
    made_note = [t(f"制表时间：{made}", f"Made {made}")]
    write_tables(
        target,
        [
            Table(titles[0], header, body, heading=t(f"{form_title}返回情况", f"Returns: {form_title}"), notes=notes),
            Table(titles[1], problems_header, problem_rows, heading=t(f"{form_title}问题清单", f"Problems: {form_title}"), notes=made_note),
            Table(titles[2], refused_header, refused_rows, heading=t("拒收文件", "Refused files"), notes=made_note),
            Table(
                titles[3],
                held_header,
                held_rows,
                heading=t("待确认的返回（发件地址不是名单中的邮箱）", "Held returns (sent from an address not on the roster)"),
                notes=made_note,
            ),
        ],
    )
    _remember_own_files(store, target, [r.annotated for r in rows if r.annotated is not None])
    return Report(target, rows, annotate is not None and annotate is not False, failed)


def _form_name(template: str) -> str:
    """A form's name (项目支出绩效自评表) by its id, the id itself when no spec of that id is found."""
    from xlsxform.errors import XlsxformError
    from xlsxform.spec.loading import load_spec

    try:
        return load_spec(template).form.name
    except XlsxformError:
        return template


def _remember_own_files(store: Store, report: Path, marked: list[Path]) -> None:
    """The report and the marked copies are recorded by content, so that an
    inbox holding them (whatever folder) never takes them in as returns."""
    for path, kind in [(report, "report"), *((m, "marked") for m in marked)]:
        try:
            sha = sha256_file(path)
        except OSError:
            continue
        store.add_own_file(sha, kind, path)


def annotation_folder(target: Path) -> Path:
    return target.parent / f"{target.stem}-退回修改"


def _annotate(
    store: Store,
    rows: list[DepartmentStatus],
    target: Path,
    annotate: Annotator,
    lang: str,
    failed: dict[str, str],
    problems: dict[int, list[StoredProblem]],
) -> list[DepartmentStatus]:
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
            source = Path(scratch) / f"{row.form.id}{workbook_suffix(row.form.file_name, content)}"
            source.write_bytes(content)
            found = [p for p in (s.problem() for s in problems[row.form.id]) if p is not None]
            try:
                annotate(source, found, folder / name, lang=lang)
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


def local_datetime(stamp: str | None) -> dt.datetime | None:
    """A stored UTC time as the local date and time a person reads, without
    a zone (a spreadsheet's date-time cell has none); None when unreadable."""
    if not stamp:
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)).astimezone().replace(tzinfo=None, microsecond=0)


def local_time(stamp: str) -> str:
    """A stored UTC time as the local time a person reads: 2024-03-01 16:05."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
