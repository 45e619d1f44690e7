"""Every call the portal makes into the library, in one place and typed.

The pages never read workbooks, open the store or write exports themselves:
they call these functions, which do what the command line does (``check``,
``ingest``, ``status``, ``export``, ``issue``) through the library's public
functions.  Each runs in a worker thread and opens what it needs itself.

Where it meets the rest of the library:

- :func:`submit` and :func:`intake` go through ``ingest``: a department's
  submit is a receipt with origin ``web``, what the bureau uploads keeps
  the origin of what it is (file, eml, mbox...); each return is stored
  under the form ``ingest`` recognises, one per sheet of a workbook that
  holds several projects;
- :func:`held` and :func:`accept` are ``store.pending`` and ``xlsxform accept``;
- :data:`STATES` are the status rows' states, 'held' (待确认) included;
- the family of forms: :func:`forms` lists the built-in ones; standing,
  exports, templates and issuing each take a form's id, as ``status``,
  ``export``, ``template`` and ``issue`` take ``--form``; which forms a
  department was issued is in the portal's link table
  (:meth:`~xlsxform.portal.tables.PortalTables.issued_forms`), and
  :func:`owed` is what its page lists.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from xlsxform.checking.rules import values
from xlsxform.collection.export import csv_paths, export
from xlsxform.collection.ingest import Summary, ingest
from xlsxform.collection.mail import issued_message, load_template, send, write_eml
from xlsxform.collection.outbox import Issued, issue, render_department, safe_stem, write_manifest
from xlsxform.collection.records import FIRST_FORM as FIRST_FORM
from xlsxform.collection.records import FormRecord, StoredProblem
from xlsxform.collection.roster import Department, Roster, department_key, read_roster
from xlsxform.collection.status import DepartmentStatus, annotation_folder, default_year, department_status, write_report
from xlsxform.collection.store import Store
from xlsxform.errors import PortalError, XlsxformError
from xlsxform.form import amounts
from xlsxform.form.problems import Problem
from xlsxform.portal.links import issue_links, with_link
from xlsxform.portal.tables import PortalTables
from xlsxform.reading.annotate import annotate, explain
from xlsxform.reading.reader import MARGIN_COLUMNS, read_workbook
from xlsxform.reading.result import ReadResult
from xlsxform.rendering.renderer import render_template
from xlsxform.safety import gate
from xlsxform.spec import expr
from xlsxform.spec.generate import BUILT_IN
from xlsxform.spec.layout import ExprCell, Spec
from xlsxform.spec.loading import load_spec
from xlsxform.workbook.grid import range_box
from xlsxform.workbook.view import SheetView, sheet_view

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
class FormKind:
    """One form of the family, as the pages name it."""

    id: str
    name: str
    per_project: bool
    """Sent one per project: a department has one current return per project."""


def forms() -> list[FormKind]:
    """The built-in forms, the first form first (``xlsxform forms``)."""
    return [form_kind(form) for form in BUILT_IN]


def form_kind(form: str) -> FormKind:
    """A built-in form by id; an unknown id (a --spec variant) by its id alone."""
    if form not in BUILT_IN:
        return FormKind(form, form, False)
    meta = load_spec(form).form
    return FormKind(meta.id, meta.name, meta.subject is not None)


def chosen_form(text: str | None) -> str:
    """The form a page asks for (?form=ID): a built-in id, else the first form."""
    return text if text in BUILT_IN else FIRST_FORM


_write_lock = threading.Lock()
"""One writer at a time into the store: ingest forks its readers, and
SQLite has one writer anyway."""


# -- checking one upload -----------------------------------------------------------


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


# -- taking returns in ---------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    status: str
    """The receipt's outcome: 'stored', 'duplicate' (this content was received before), 'held' or 'refused'."""
    receipt: int | None
    form: int | None
    errors: int
    warnings: int
    reason: str = ""
    receipts: int = 1
    """Receipts made: one per sheet of a workbook of several forms."""


def submit(path: Path, db: Path, roster: Roster | None) -> Submitted:
    """A department's checked workbook into the store through ``ingest``: a
    receipt with origin ``web`` (one per sheet of a workbook of several forms)."""
    summary = intake([path], db, roster, origin="web")
    outcomes = [o for o in summary.outcomes if o.status != "opened"] or summary.outcomes
    worst = next((o for status in ("refused", "held", "stored", "duplicate") for o in outcomes if o.status == status), outcomes[0])
    return Submitted(worst.status, worst.id, worst.form, sum(o.errors for o in outcomes), sum(o.warnings for o in outcomes), worst.reason, len(outcomes))


def intake(paths: list[Path], db: Path, roster: Roster | None, origin: str = "file") -> Summary:
    """Workbooks, e-mails, mailboxes and archives into the store: ``xlsxform ingest``."""
    with _write_lock, Store(db) as store:
        return ingest(paths, store, roster=roster, jobs=1 if len(paths) < 4 else None, origin=origin)


# -- where everyone stands -------------------------------------------------------------


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
        years = store.years()
        year = year if year is not None else default_year(store)
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


@dataclass(frozen=True)
class Held:
    """A return kept aside until the bureau accepts it (a receipt with outcome 'held')."""

    receipt: int
    department: str
    department_key: str
    file_name: str
    sender: str
    sent_at: str
    form: str = FIRST_FORM
    """The form it was recognised as."""


def held(db: Path, year: int | None = None, key: str | None = None) -> list[Held]:
    """Held returns awaiting the bureau (of one department if ``key``): ``store.pending``."""
    with Store(db) as store:
        pending = store.pending(year)
    return [
        Held(r.id, r.department or "", r.department_key or "", r.name, r.sender or "", r.sent_at, r.template_id or FIRST_FORM)
        for r in pending
        if key is None or r.department_key == key
    ]


def accept(db: Path, receipt: int) -> str:
    """Make a held (or any) return its department's current one: ``xlsxform accept RECEIPT``;
    returns the department's name."""
    with _write_lock, Store(db) as store:
        return store.accept(receipt).department or ""


# -- exports -------------------------------------------------------------------------


def status_report(db: Path, roster: Roster | None, year: int | None, target: Path, form: str = FIRST_FORM) -> Path:
    """The status workbook of one form (``xlsxform --form ID status --report``), zipped with its marked copies."""
    with Store(db) as store:
        rows = department_status(store, roster, year if year is not None else default_year(store), form)
        write_report(store, rows, target)
    folder = annotation_folder(target)
    bundle = target.with_suffix(".zip")
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(target, target.name)
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                archive.write(path, f"{folder.name}/{path.name}")
    return bundle


def rollup(db: Path, year: int | None, target: Path, form: str = FIRST_FORM) -> Path:
    """The bureau's roll-up of one form (``xlsxform --form ID export``) as .xlsx, .json or a zip of its .csv."""
    with Store(db) as store:
        result = export(store, [target], year=year, spec=load_spec(form))
    if target.suffix == ".csv":
        bundle = target.with_suffix(".zip")
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in csv_paths(target, result.sheets):
                archive.write(path, path.name)
        return bundle
    return target


# -- rosters, templates, issuing --------------------------------------------------------

_rosters: dict[str, Roster] = {}


def roster_from_bytes(name: str, data: bytes) -> Roster:
    """Read and check a roster file (.csv or .xlsx) the bureau uploaded."""
    digest = hashlib.sha256(name.encode() + b"\0" + data).hexdigest()
    if digest in _rosters:
        return _rosters[digest]
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise PortalError("名单须为 .csv 或 .xlsx 文件", "the roster must be a .csv or .xlsx file", code="bad-roster")
    with tempfile.TemporaryDirectory(prefix="xlsxform-roster-") as scratch:
        path = Path(scratch) / f"名单{suffix}"
        path.write_bytes(data)
        roster = read_roster(path)
    roster = dataclasses.replace(roster, path=name)
    if len(_rosters) > 16:
        _rosters.clear()
    _rosters[digest] = roster
    return roster


def current_roster(db: Path, given: Path | None) -> Roster | None:
    """The roster the bureau uploaded last, else the one ``serve --roster`` named."""
    with PortalTables(db) as tables:
        uploaded = tables.roster()
    if uploaded is not None:
        return roster_from_bytes(*uploaded)
    return read_roster(given) if given is not None else None


def template_for(department: Department | None, name: str, year: int, target: Path, form: str = FIRST_FORM) -> None:
    """The department's pre-filled workbook of one form, as ``issue --form ID`` writes it."""
    spec = load_spec(form)
    if department is None:
        render_template(target, year=year, department=name, spec=spec)
    else:
        render_department(target, department, year=year, spec=spec)


def find(roster: Roster | None, key: str) -> Department | None:
    return next((d for d in roster or [] if d.key == key), None)


@dataclass(frozen=True)
class IssueRequest:
    year: int
    deadline: str
    sender: str
    sender_name: str
    base_url: str
    form: str = FIRST_FORM


@dataclass(frozen=True)
class MailServer:
    """The SMTP server of the server's settings (``serve --smtp``)."""

    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class Sent:
    department: str
    address: str
    ok: bool
    reason: str


def _issue(roster: Roster, request: IssueRequest, db: Path, outbox: Path) -> tuple[list[Issued], list[tuple[str, EmailMessage]], dict[str, str]]:
    """``xlsxform issue ROSTER --portal URL``: the workbooks, the links and each department's message."""
    issued = issue(roster, outbox, year=request.year, spec=load_spec(request.form))
    links = issue_links(db, issued, year=request.year, deadline=request.deadline, base=request.base_url, form=request.form)
    template = with_link(load_template())
    messages = [
        (
            item.form_id,
            issued_message(
                template,
                item,
                year=request.year,
                deadline=request.deadline,
                sender=request.sender,
                sender_name=request.sender_name,
                link=links[item.form_id],
            ),
        )
        for item in issued
    ]
    return issued, messages, links


def issue_bundle(roster: Roster, request: IssueRequest, db: Path, target: Path) -> list[Issued]:
    """``xlsxform issue ROSTER --eml --portal URL`` into a folder, zipped to ``target``."""
    with tempfile.TemporaryDirectory(prefix="xlsxform-issue-") as scratch:
        outbox = Path(scratch) / f"{request.year}年{form_kind(request.form).name}"
        issued, messages, links = _issue(roster, request, db, outbox)
        for n, (item, (_, message)) in enumerate(zip(issued, messages, strict=True)):
            draft = item.workbook.with_suffix(".eml")
            write_eml(message, draft)
            issued[n] = dataclasses.replace(item, draft=draft)
        write_manifest(outbox, issued, links=links)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(outbox.iterdir()):
                archive.write(path, f"{outbox.name}/{path.name}")
    return issued


def issue_and_send(roster: Roster, request: IssueRequest, db: Path, server: MailServer) -> list[Sent]:
    """``xlsxform issue ROSTER --smtp HOST:PORT --portal URL``: each department's e-mail sent."""
    with tempfile.TemporaryDirectory(prefix="xlsxform-issue-") as scratch:
        issued, messages, _ = _issue(roster, request, db, Path(scratch) / "outbox")
        deliveries = {d.key: d for d in send(messages, server.host, server.port, starttls=server.starttls, user=server.user, password=server.password)}
    return [Sent(i.department.name, i.department.email, deliveries[i.form_id].ok, deliveries[i.form_id].reason) for i in issued]


def key_of(name: str) -> str:
    return department_key(name)


def safe_name(name: str) -> str:
    return safe_stem(name)
