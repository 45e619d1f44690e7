"""Taking in returns: workbooks, e-mails, mailboxes and folders; each file
stored once, newer returns superseding older ones, every refusal recorded
with its reason, and no file able to stop the batch."""

from __future__ import annotations

import datetime as dt
import io
import mailbox
import os
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, render
from xlsxform.cli.main import main
from xlsxform.collection.ingest import Progress, ingest
from xlsxform.collection.roster import Department, Roster
from xlsxform.collection.status import department_status, write_report
from xlsxform.collection.store import Store

from .departments import mail
from .helpers import report_table

CST = dt.timezone(dt.timedelta(hours=8))


def form_of(sample: Form, department: str = "湛江市信访局", *, staff: int = 23, valid: bool = True) -> Form:
    """The sample as another department's return: another staff count makes other bytes; ``valid=False`` breaks R1."""
    budget = sample.budget if valid else sample.budget.model_copy(update={"fiscal": Decimal("1")})
    return sample.model_copy(update={"department": department, "staff": staff, "budget": budget})


def workbook(form: Form, path: Path) -> Path:
    render(form, path)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "forms.sqlite") as opened:
        yield opened


def outcomes(summary) -> list[tuple[str, str, str]]:
    return [(o.name, o.status, o.refusal) for o in summary.outcomes]


def test_eml_attachments_are_taken_and_others_refused(sample: Form, tmp_path: Path, store: Store) -> None:
    """A reply's workbook is stored with the sender and date; its PDF is refused; a reply without attachments is refused."""
    book = workbook(form_of(sample), tmp_path / "x.xlsx").read_bytes()
    sent = dt.datetime(2024, 12, 20, 9, 30, tzinfo=CST)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.eml").write_bytes(bytes(mail([("信访局.xlsx", book), ("说明.pdf", b"%PDF-1.4")], sender="Xinfang <xinfang@zj.gov.cn>", date=sent)))
    (tmp_path / "in" / "b.eml").write_bytes(bytes(mail([], sender="jyj@zj.gov.cn", date=sent, subject="忘了附件")))
    summary = ingest([tmp_path / "in"], store)
    assert outcomes(summary) == [
        ("a.eml", "opened", ""),
        ("信访局.xlsx", "stored", ""),
        ("说明.pdf", "refused", "attachment-not-workbook"),
        ("b.eml", "refused", "mail-without-workbook"),
    ]
    (form,) = store.forms()
    assert (form.department, form.file_name, form.received_at) == ("湛江市信访局", "信访局.xlsx", "2024-12-20T01:30:00+00:00")
    row = store.db.execute("SELECT origin, sender, date, subject FROM inputs WHERE sha256 = ?", (form.sha256,)).fetchone()
    assert row == ("eml", "xinfang@zj.gov.cn", "2024-12-20T01:30:00+00:00", "回复：绩效目标表")
    assert store.content(form.sha256) == book


def test_a_mailbox_gives_each_messages_workbooks(sample: Form, tmp_path: Path, store: Store) -> None:
    """An mbox (even without its suffix) yields every message's workbook, a forwarded one included, each with its own sender."""
    box = mailbox.mbox(tmp_path / "Inbox", create=True)
    first = mail(
        [("信访局.xlsx", workbook(form_of(sample), tmp_path / "1.xlsx").read_bytes())], sender="xinfang@zj.gov.cn", date=dt.datetime(2024, 12, 1, tzinfo=CST)
    )
    inner = mail(
        [("教育局.xlsx", workbook(form_of(sample, "湛江市教育局"), tmp_path / "2.xlsx").read_bytes())],
        sender="jyj@zj.gov.cn",
        date=dt.datetime(2024, 12, 2, tzinfo=CST),
    )
    forwarded = EmailMessage()
    forwarded["From"], forwarded["Subject"], forwarded["Date"] = "office@zj.gov.cn", "转发", "Tue, 03 Dec 2024 10:00:00 +0800"
    forwarded.set_content("转发教育局的表格")
    forwarded.add_attachment(inner)
    box.add(first)
    box.add(forwarded)
    box.flush()
    box.close()
    summary = ingest([tmp_path / "Inbox"], store)
    assert [(o.name, o.status, o.receipt.origin, o.receipt.sender) for o in summary.outcomes if o.receipt.kind == "attachment"] == [
        ("信访局.xlsx", "stored", "mbox", "xinfang@zj.gov.cn"),
        ("教育局.xlsx", "stored", "mbox", "office@zj.gov.cn"),
    ]
    assert sorted(f.department for f in store.forms()) == ["湛江市信访局", "湛江市教育局"]


def test_the_same_file_is_stored_once(sample: Form, tmp_path: Path, store: Store) -> None:
    """The same bytes under two names, or again by e-mail, make one form and a receipt each; a later batch of the same inbox records nothing again."""
    path = workbook(form_of(sample), tmp_path / "in" / "a.xlsx") if (tmp_path / "in").mkdir() is None else None
    (tmp_path / "in" / "a (1).xlsx").write_bytes(path.read_bytes())
    (tmp_path / "in" / "c.eml").write_bytes(bytes(mail([("a.xlsx", path.read_bytes())], sender="x@zj.gov.cn", date=dt.datetime(2024, 1, 1, tzinfo=CST))))
    first = ingest([tmp_path / "in"], store)
    assert [o.status for o in first.outcomes] == ["stored", "duplicate", "opened", "duplicate"]
    second = ingest([tmp_path / "in", path], store)
    assert [o.status for o in second.outcomes] == ["known", "known", "known", "known", "known"]
    assert store.counts() == {"receipts": 4, "inputs": 1, "stored": 1, "refused": 0, "forms": 1, "current": 1, "problems": 0}


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_newer_return_supersedes_the_older(sample: Form, tmp_path: Path, store: Store, newest_first: bool) -> None:
    """Whichever arrives first, the return sent later is current and the other is kept as its history."""
    old = mail(
        [("v1.xlsx", workbook(form_of(sample, valid=False), tmp_path / "v1.xlsx").read_bytes())],
        sender="x@zj.gov.cn",
        date=dt.datetime(2024, 12, 1, tzinfo=CST),
    )
    new = mail(
        [("v2.xlsx", workbook(form_of(sample, staff=24), tmp_path / "v2.xlsx").read_bytes())], sender="x@zj.gov.cn", date=dt.datetime(2024, 12, 5, tzinfo=CST)
    )
    (tmp_path / "old.eml").write_bytes(bytes(old))
    (tmp_path / "new.eml").write_bytes(bytes(new))
    for name in ["new.eml", "old.eml"] if newest_first else ["old.eml", "new.eml"]:
        ingest([tmp_path / name], store)
    history = store.history("湛江市信访局")
    assert [(f.file_name, f.errors > 0) for f in history] == [("v1.xlsx", True), ("v2.xlsx", False)]
    assert [(f.superseded_by, f.current) for f in history] == [(history[1].id, False), (None, True)]
    roster = Roster("r", [Department("湛江市信访局", "x@zj.gov.cn")])
    (row,) = department_status(store, roster, 2023)
    assert (row.state, row.versions, row.form.file_name) == ("valid", 2, "v2.xlsx")


def test_a_file_without_date_is_newer_than_older_mail(sample: Form, tmp_path: Path, store: Store) -> None:
    """A file dropped in the inbox counts as received when ingested, so it supersedes last month's e-mail."""
    (tmp_path / "old.eml").write_bytes(
        bytes(
            mail(
                [("v1.xlsx", workbook(form_of(sample, valid=False), tmp_path / "v1.xlsx").read_bytes())],
                sender="x@zj.gov.cn",
                date=dt.datetime(2020, 1, 1, tzinfo=CST),
            )
        )
    )
    ingest([tmp_path / "old.eml"], store)
    ingest([workbook(form_of(sample, staff=30), tmp_path / "v2.xlsx")], store)
    assert [(f.file_name, f.current) for f in store.history("湛江市信访局")] == [("v1.xlsx", False), ("v2.xlsx", True)]


def test_refusals_are_recorded_with_their_reason(sample: Form, tmp_path: Path, store: Store) -> None:
    """A text file, a damaged workbook and a workbook that is not the form are each recorded as refused, bytes kept, and the rest stored."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "readme.txt").write_text("hello", encoding="utf-8")
    good = workbook(form_of(sample), inbox / "good.xlsx")
    (inbox / "cut.xlsx").write_bytes(good.read_bytes()[:2000])
    other = openpyxl.Workbook()
    other.active.append(["工资表", "张三", 100])
    other.save(inbox / "wrong.xlsx")
    summary = ingest([inbox], store)
    assert sorted(outcomes(summary)) == [
        ("cut.xlsx", "refused", "unreadable"),
        ("good.xlsx", "stored", ""),
        ("readme.txt", "refused", "unsupported-file"),
        ("wrong.xlsx", "refused", "not-this-form"),
    ]
    refused = {r.file_name: r for r in store.refusals()}
    assert {name: (r.refusal, bool(r.reason), bool(r.reason_en)) for name, r in refused.items()} == {
        "cut.xlsx": ("unreadable", True, True),
        "readme.txt": ("unsupported-file", True, True),
        "wrong.xlsx": ("not-this-form", True, True),
    }
    assert store.content(refused["readme.txt"].sha256) == b"hello"


def test_a_file_that_crashes_its_reader_is_refused_and_the_batch_goes_on(sample: Form, tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that raises anything, or kills its process outright, becomes that file's refusal; every other file is stored."""
    import xlsxform.collection.ingest as module

    real = module.read_one

    def hostile(path: str, spec=None):
        if path.endswith("raises.xlsx"):
            raise RecursionError("deep")
        if path.endswith("kills.xlsx"):
            os._exit(3)
        return real(path, spec)

    monkeypatch.setattr(module, "read_one", hostile)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n, name in enumerate(["a", "kills", "b", "raises", "c"]):
        workbook(form_of(sample, f"部门{name}", staff=n), inbox / f"{name}.xlsx")
    summary = ingest([inbox], store, jobs=2)
    assert sorted(outcomes(summary)) == [
        ("a.xlsx", "stored", ""),
        ("b.xlsx", "stored", ""),
        ("c.xlsx", "stored", ""),
        ("kills.xlsx", "refused", "crashed"),
        ("raises.xlsx", "refused", "crashed"),
    ]


def test_progress_is_shown_only_on_a_terminal() -> None:
    """The progress bar writes to a terminal and nowhere else."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        bar = Progress("读取", stream)
        bar(1, 2)
        bar(2, 2)
        bar.close()
    assert (piped.getvalue(), terminal.getvalue().count("\r"), terminal.getvalue().endswith("\n")) == ("", 2, True)


def test_status_against_the_roster(sample: Form, tmp_path: Path, store: Store) -> None:
    """Departments are valid, with errors, missing, or not on the roster; the report has one row each."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    workbook(form_of(sample, "湛江市信访局"), inbox / "a.xlsx")
    workbook(form_of(sample, "湛江市 教育局", valid=False), inbox / "b.xlsx")
    workbook(form_of(sample, "湛江市水务局"), inbox / "c.xlsx")
    roster = Roster("r", [Department(n, "a@zj.gov.cn") for n in ("湛江市信访局", "湛江市教育局", "湛江市民政局")])
    ingest([inbox], store, roster=roster)
    rows = department_status(store, roster)
    assert [(r.department, r.state, r.errors) for r in rows] == [
        ("湛江市信访局", "valid", 0),
        ("湛江市教育局", "errors", 1),
        ("湛江市民政局", "missing", 0),
        ("湛江市水务局", "unlisted", 0),
    ]
    report = write_report(store, rows, tmp_path / "status.xlsx", annotate=False)
    assert [(r["部门名称"], r["状态"]) for r in report_table(report.path, "返回情况")[1]] == [
        ("湛江市信访局", "已通过"),
        ("湛江市教育局", "有错误"),
        ("湛江市民政局", "未返回"),
        ("湛江市水务局", "名单外"),
    ]


def test_report_links_each_department_with_errors_to_its_marked_workbook(sample: Form, tmp_path: Path, store: Store) -> None:
    """Each department with errors gets its own workbook marked by the annotator, linked from its row; the others none."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    workbook(form_of(sample, "甲局", valid=False), inbox / "a.xlsx")
    workbook(form_of(sample, "乙局"), inbox / "b.xlsx")
    ingest([inbox], store)
    calls = []

    def annotate(source, problems, target, lang="zh"):
        calls.append(([p.code for p in problems], Path(target).name, Path(source).read_bytes() == (inbox / "a.xlsx").read_bytes()))
        Path(target).write_bytes(b"marked")

    report = write_report(store, department_status(store), tmp_path / "status.xlsx", annotate=annotate)
    assert calls == [(["r1-budget-unbalanced"], "甲局-需修改.xlsx", True)]
    sheet = openpyxl.load_workbook(report.path)["返回情况"]
    links = {row[1].value: row[10].hyperlink.target if row[10].hyperlink else None for row in sheet.iter_rows(min_row=4, max_row=sheet.max_row - 1)}
    assert links == {"甲局": "status-退回修改/甲局-需修改.xlsx", "乙局": None}


def test_ingest_cli_counts_and_exit_codes(sample: Form, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ingest` exits 1 when something needs attention, 0 when the batch was clean or known, 2 for a missing path."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    workbook(form_of(sample), inbox / "a.xlsx")
    db = str(tmp_path / "f.sqlite")
    assert main(["ingest", str(inbox), "--db", db]) == 0
    (inbox / "junk.bin").write_bytes(b"\x00\x01")
    assert main(["ingest", str(inbox), "--db", db]) == 1
    assert main(["ingest", str(inbox), "--db", db]) == 0
    assert main(["ingest", str(tmp_path / "nowhere"), "--db", db]) == 2
    assert main(["status", "--db", str(tmp_path / "none.sqlite")]) == 2
    (tmp_path / "not-a-db.sqlite").write_bytes(b"hello, I am not SQLite" * 100)
    assert main(["ingest", str(inbox), "--db", str(tmp_path / "not-a-db.sqlite")]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 3


def test_the_database_in_the_inbox_is_not_taken_in(sample: Form, tmp_path: Path) -> None:
    """A database kept inside the inbox folder is passed over, not refused as an unknown file."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    workbook(form_of(sample), inbox / "a.xlsx")
    with Store(inbox / "forms.sqlite") as store:
        ingest([inbox], store)
        ingest([inbox], store)
        assert (store.counts()["inputs"], store.counts()["receipts"]) == (1, 1)


def test_marked_workbooks_of_departments_now_valid_are_removed(sample: Form, tmp_path: Path, store: Store) -> None:
    """Once a department's corrected return is valid, its marked workbook leaves the folder of files to send back."""
    ingest([workbook(form_of(sample, valid=False), tmp_path / "v1.xlsx")], store)

    def annotate(source, problems, target, lang="zh"):
        Path(target).write_bytes(b"marked")

    folder = tmp_path / "status-退回修改"
    write_report(store, department_status(store), tmp_path / "status.xlsx", annotate=annotate)
    before = sorted(p.name for p in folder.iterdir())
    ingest([workbook(form_of(sample, staff=99), tmp_path / "v2.xlsx")], store)
    write_report(store, department_status(store), tmp_path / "status.xlsx", annotate=annotate)
    assert (before, sorted(p.name for p in folder.iterdir())) == (["湛江市信访局-需修改.xlsx"], [])


def test_an_xls_return_is_taken_in_from_a_folder_and_from_an_email(tmp_path: Path, store: Store) -> None:
    """An Excel 97-2003 workbook is read like an .xlsx, whether saved in the inbox or attached to a reply."""
    xls = Path(__file__).parent / "fixtures" / "sample-libreoffice.xls"
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "信访局.xls").write_bytes(xls.read_bytes())
    (inbox / "reply.eml").write_bytes(bytes(mail([("附件", xls.read_bytes())], sender="x@zj.gov.cn", date=dt.datetime(2024, 1, 1, tzinfo=CST))))
    summary = ingest([inbox], store)
    assert [(o.name, o.status, o.department, o.errors) for o in summary.outcomes] == [
        ("reply.eml", "opened", "", 0),
        ("附件", "stored", "湛江市信访局", 0),
        ("信访局.xls", "duplicate", "湛江市信访局", 0),
    ]
