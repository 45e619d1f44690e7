"""The whole loop on one messy inbox: `ingest` run twice on an inbox holding
every case a bureau meets records each item with its outcome, makes the
right return current for every department, and never prints a traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from xlsxform import Form
from xlsxform.cli.main import main
from xlsxform.collection.store import Store

from . import inboxes
from .inboxes import FIXTURES, form_of, when, workbook_bytes

ROSTER = {
    "湛江市信访局": "xinfang@zj.gov.cn",
    "湛江市教育局": "jyj@zj.gov.cn",
    "湛江市民政局": "mzj@zj.gov.cn",
    "湛江市水务局": "swj@zj.gov.cn",
    "湛江市卫健委": "wjw@zj.gov.cn",
    "湛江市公安局": "gaj@zj.gov.cn",
    "湛江市交通局": "jtj@zj.gov.cn",
    "湛江市林业局": "lyj@zj.gov.cn",
}


def build(inbox: Path, sample: Form) -> None:
    """Every case of the inbox, each commented with what must become of it."""
    inbox.mkdir()

    def book(department: str, staff: int = 23, valid: bool = True) -> bytes:
        return workbook_bytes(form_of(sample, department, staff=staff, valid=valid))

    # 信访局: its return under a malformed RFC 2231 name (current), the same bytes dropped in the folder (duplicate),
    # an Outlook .msg sent earlier (stored, not current), and one from a stranger sent later (held).
    xinfang = book("湛江市信访局")
    (inbox / "01-信访局.eml").write_bytes(inboxes.raw("attachment; filename*0*", xinfang, date=when(5), message_id="<xf-1@zj>"))
    (inbox / "02-信访局.xlsx").write_bytes(xinfang)
    os.utime(inbox / "02-信访局.xlsx", (when(4).timestamp(), when(4).timestamp()))  # saved from the mail the day before it was sent again
    (inbox / "03-回复.msg").write_bytes((FIXTURES / "outlook-reply.msg").read_bytes())
    (inbox / "04-冒名.eml").write_bytes(inboxes.plain([("信访局.xlsx", book("湛江市信访局", 99))], sender="x@qq.com", date=when(6)))
    # 教育局: four versions in one batch, named so that name order is the wrong order; the last modified is current.
    names = ["教育局-更正.xlsx", "教育局 2.xlsx", "教育局(1).xlsx", "教育局.xlsx"]
    for n, name in enumerate(names):
        (inbox / name).write_bytes(book("湛江市教育局", 30 + n, valid=n != 0))
    for n, name in enumerate(reversed(names)):
        moment = dt.datetime(2024, 12, 1 + n, tzinfo=dt.UTC).timestamp()
        os.utime(inbox / name, (moment, moment))
    # 民政局: A, then B with errors, then A again: A current, its resend a duplicate receipt.
    a, b = book("湛江市民政局", 1), book("湛江市民政局", 2, valid=False)
    (inbox / "10-民政局.eml").write_bytes(inboxes.plain([("A.xlsx", a)], sender="mzj@zj.gov.cn", date=when(1), message_id="<m1@zj>"))
    (inbox / "11-民政局.eml").write_bytes(inboxes.plain([("B.xlsx", b)], sender="mzj@zj.gov.cn", date=when(2), message_id="<m2@zj>"))
    (inbox / "12-民政局.eml").write_bytes(inboxes.plain([("A.xlsx", a)], sender="mzj@zj.gov.cn", date=when(3), subject="以此为准", message_id="<m3@zj>"))
    # 水务局: an e-mail dated 2099 and a 120-character attachment name.
    (inbox / "20-水务局.eml").write_bytes(
        inboxes.plain([("水务局" * 40 + ".xlsx", book("湛江市水务局", valid=False))], sender="swj@zj.gov.cn", date=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    )
    # 卫健委 in a .zip with Windows' GBK names; 公安局 in Apple Mail's nesting; 交通局 in an mbox message cut by a "From " line.
    zipped = inboxes.zip_of([("卫健委.xlsx", book("湛江市卫健委"))], gbk_names=True)
    (inbox / "30-卫健委.eml").write_bytes(inboxes.plain([("表格.zip", zipped)], sender="wjw@zj.gov.cn", date=when(2)))
    (inbox / "31-公安局.eml").write_bytes(inboxes.apple_mail("公安局.xlsx", book("湛江市公安局"), sender="gaj@zj.gov.cn", date=when(2)))
    (inbox / "32-Inbox").write_bytes(inboxes.mbox([inboxes.split_by_from("交通局.xlsx", book("湛江市交通局"), sender="jtj@zj.gov.cn")]))
    # 林业局 sent only what cannot be read: a .rar, a .7z and winmail.dat (refused, bytes kept); it stays missing.
    (inbox / "40-林业局.eml").write_bytes(
        inboxes.plain([("表.rar", inboxes.RAR), ("表.7z", inboxes.SEVEN_ZIP), ("winmail.dat", inboxes.WINMAIL)], sender="lyj@zj.gov.cn", date=when(2))
    )


def test_ingest_twice_on_an_inbox_with_every_case(tmp_path: Path, sample: Form, capsys: pytest.CaptureFixture[str]) -> None:
    """Each item ends with its outcome, each department with the right current return, the second run adds only the bureau's own files, and nothing prints a traceback."""
    inbox, db = tmp_path / "收件箱", str(tmp_path / "forms.sqlite")
    build(inbox, sample)
    roster = tmp_path / "名单.csv"
    roster.write_text("部门名称,邮箱\n" + "".join(f"{name},{address}\n" for name, address in ROSTER.items()), encoding="utf-8-sig")
    report = inbox / "返回情况.xlsx"
    assert main(["ingest", str(inbox), "--db", db, "--roster", str(roster), "--report", str(report)]) == 1
    assert main(["ingest", str(inbox), "--db", db, "--roster", str(roster), "--report", str(report)]) == 1
    assert "Traceback" not in capsys.readouterr().err
    with Store(db) as store:
        receipts = store.receipts()
        current = {f.department: f for f in store.forms()}
        by_name = {(r.name, r.outcome) for r in receipts}
        assert {
            ("01-信访局.eml-附件1", "stored"),  # the malformed name replaced by one of our own
            ("02-信访局.xlsx", "duplicate"),
            ("信访局绩效目标表.xlsx", "stored"),
            ("信访局.xlsx", "held"),
            ("A.xlsx", "duplicate"),
            ("B.xlsx", "stored"),
            ("卫健委.xlsx", "stored"),
            ("公安局.xlsx", "stored"),
            ("交通局.xlsx", "stored"),
            ("表.rar", "refused"),
            ("表.7z", "refused"),
            ("winmail.dat", "refused"),
            ("返回情况.xlsx", "refused"),
        } <= by_name
        own = [r for r in receipts if r.refusal == "own-file"]
        assert sorted(r.name for r in own) == sorted(["返回情况.xlsx", *(p.name for p in (inbox / "返回情况-退回修改").iterdir())])
        assert {name: (form.file_name, form.errors > 0) for name, form in current.items()} == {
            "湛江市信访局": ("01-信访局.eml-附件1", False),
            "湛江市教育局": ("教育局-更正.xlsx", True),
            "湛江市民政局": ("A.xlsx", False),
            "湛江市水务局": (next(r.name for r in receipts if r.name.startswith("水务局水务局")), True),
            "湛江市卫健委": ("卫健委.xlsx", False),
            "湛江市公安局": ("公安局.xlsx", False),
            "湛江市交通局": ("交通局.xlsx", False),
        }
        assert current["湛江市民政局"].receipt == max(r.id for r in receipts if r.name == "A.xlsx")
        assert all(r.outcome != "refused" or r.reason for r in receipts)
    assert main(["status", "--db", db, "--roster", str(roster), "--format", "json"]) == 1
    states = {row["department"]: row["state"] for row in json.loads(capsys.readouterr().out)}
    assert states == {
        "湛江市信访局": "held",
        "湛江市教育局": "errors",
        "湛江市民政局": "valid",
        "湛江市水务局": "errors",
        "湛江市卫健委": "valid",
        "湛江市公安局": "valid",
        "湛江市交通局": "valid",
        "湛江市林业局": "missing",
    }
