"""A whole city's collection, end to end, as a finance officer runs it:
issue the forms, departments fill them in and send them back (some valid,
some with errors, one broken, one twice, one by e-mail), ingest, status,
ingest again, export."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import read
from xlsxform.cli.main import main
from xlsxform.collection.status import annotator
from xlsxform.collection.store import Store

from .departments import fill_in, mail, write_roster
from .helpers import report_table

YEAR = 2025
# name, code, e-mail, 基本支出 known to the bureau
ROSTER = [
    ["湛江市信访局", "101", "xinfang@zj.gov.cn", "776.8"],
    ["湛江市财政局", "102", "czj@zj.gov.cn", ""],
    ["湛江市教育局", "103", "jyj@zj.gov.cn", "1200"],
    ["湛江市卫生健康局", "104", "wsj@zj.gov.cn", ""],
    ["湛江市公安局", "105", "gaj@zj.gov.cn", ""],
    ["湛江市交通运输局", "106", "jtj@zj.gov.cn", ""],
    ["湛江市民政局", "107", "mzj@zj.gov.cn", ""],
]
BASIC = {"湛江市信访局": "776.8", "湛江市财政局": "500", "湛江市教育局": "1200", "湛江市公安局": "3000.5", "湛江市交通运输局": "88.25"}
PROJECT = {"湛江市信访局": "356.69", "湛江市财政局": "100", "湛江市教育局": "300", "湛江市公安局": "10", "湛江市交通运输局": "11.75"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_whole_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue, fill, ingest, status, ingest again (nothing changes), export: every department ends where it should."""
    city = tmp_path
    roster = write_roster(city / "名单.csv", ROSTER)
    outbox, inbox = city / "outbox", city / "inbox"

    # 1. Issue: a pre-filled workbook and an e-mail draft per department.
    code, _out, _ = run(capsys, "issue", str(roster), "-o", str(outbox), "--year", str(YEAR), "--eml", "--from", "czj@zj.gov.cn", "--deadline", "2024-12-31")
    assert code == 0
    workbooks = {row[0]: outbox / f"{row[0]}.xlsx" for row in ROSTER}
    assert all(path.is_file() and path.with_suffix(".eml").is_file() for path in workbooks.values())
    sent = read(workbooks["湛江市信访局"])
    assert (sent.form.year, sent.form.department, sent.form.budget.basic) == (YEAR, "湛江市信访局", Decimal("776.8"))
    identity = read(workbooks["湛江市教育局"]).identity
    assert (identity["department"], identity["year"], identity["department_code"]) == ("湛江市教育局", str(YEAR), "103")
    draft = email.message_from_bytes(workbooks["湛江市信访局"].with_suffix(".eml").read_bytes(), policy=email.policy.default)
    attached = next(draft.iter_attachments())
    assert (draft["To"].addresses[0].addr_spec, attached.get_filename(), attached.get_content()) == (
        "xinfang@zj.gov.cn",
        "湛江市信访局.xlsx",
        workbooks["湛江市信访局"].read_bytes(),
    )

    # 2. Departments fill in and return.
    inbox.mkdir()
    for name in ("湛江市信访局", "湛江市财政局", "湛江市公安局", "湛江市交通运输局"):
        fill_in(workbooks[name], basic=BASIC[name], project=PROJECT[name])
    fill_in(workbooks["湛江市教育局"], basic=BASIC["湛江市教育局"], project=PROJECT["湛江市教育局"], fiscal="1400")  # R1 broken
    shutil.copy(workbooks["湛江市信访局"], inbox / "信访局 绩效目标表.xlsx")
    shutil.copy(workbooks["湛江市财政局"], inbox / "财政局.xlsx")
    shutil.copy(workbooks["湛江市教育局"], inbox / "教育局（已填）.xlsx")
    shutil.copy(workbooks["湛江市公安局"], inbox / "公安局.xlsx")
    shutil.copy(workbooks["湛江市公安局"], inbox / "公安局(1).xlsx")  # sent twice
    (inbox / "卫健局.xlsx").write_bytes(workbooks["湛江市卫生健康局"].read_bytes()[:3000])  # cut short in transit
    reply = mail(
        [("交通运输局.xlsx", workbooks["湛江市交通运输局"].read_bytes())],
        sender="jtj@zj.gov.cn",
        date=dt.datetime(2024, 12, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    )
    (inbox / "回复 交通运输局.eml").write_bytes(bytes(reply))

    # 3. Ingest, with the status against the roster and its report.
    db, report = city / "forms.sqlite", city / "status.xlsx"
    code, _out, _ = run(capsys, "ingest", str(inbox), "--db", str(db), "--roster", str(roster), "--report", str(report))
    assert code == 1  # a refused file and a form with errors need the officer's attention
    with Store(db) as store:
        forms = {f.department: f for f in store.forms()}
        refusals = store.refusals()
        first = list(store.dump())
        assert {name: (f.errors == 0) for name, f in forms.items()} == {
            "湛江市信访局": True,
            "湛江市财政局": True,
            "湛江市教育局": False,
            "湛江市公安局": True,
            "湛江市交通运输局": True,
        }
        assert [(r.file_name, r.refusal) for r in refusals] == [("卫健局.xlsx", "unreadable")]
        emailed = forms["湛江市交通运输局"]
        assert (emailed.file_name, emailed.received_at) == ("交通运输局.xlsx", "2024-12-20T01:30:00+00:00")
        assert {p.code for p in store.problems(forms["湛江市教育局"].id)} == {"r1-budget-unbalanced"}
        assert forms["湛江市信访局"].form_id == read(workbooks["湛江市信访局"]).identity["form_id"]
        # Nothing is lost: every file of the inbox is a stored form or a refusal (the e-mail by its attachment).
        inputs = {row[0]: row[10] for table, row in first if table == "inputs"}
        expected = {sha256(p) for p in inbox.glob("*.xlsx")} | {hashlib.sha256(workbooks["湛江市交通运输局"].read_bytes()).hexdigest()}
        assert set(inputs) == expected and sorted(inputs.values()) == ["refused"] + ["stored"] * 5

    states = _report_states(report)
    assert states == {
        "湛江市信访局": ("已通过", 0),
        "湛江市财政局": ("已通过", 0),
        "湛江市教育局": ("有错误", 1),
        "湛江市卫生健康局": ("未返回", None),
        "湛江市公安局": ("已通过", 0),
        "湛江市交通运输局": ("已通过", 0),
        "湛江市民政局": ("未返回", None),
    }
    links = _report_links(report)
    if annotator() is not None:
        assert set(links) == {"湛江市教育局"} and (report.parent / links["湛江市教育局"]).is_file()
    else:
        assert links == {}

    # 4. The same inbox again changes nothing.
    code, _, _ = run(capsys, "ingest", str(inbox), "--db", str(db))
    assert code == 0
    with Store(db) as store:
        assert list(store.dump()) == first
    code, _, _ = run(capsys, "status", "--db", str(db), "--roster", str(roster))
    assert code == 1  # not every department is in and valid yet

    # 5. Export the roll-up.
    summary = city / "summary.xlsx"
    code, _, _ = run(capsys, "export", "--db", str(db), "-o", str(summary), "-o", str(city / "summary.csv"), "-o", str(city / "summary.json"))
    assert code == 0
    _, rows, total = report_table(summary, "部门汇总")
    counted = {name: value for name, value in BASIC.items() if name != "湛江市教育局"}  # its return has errors
    by_name = {row["部门名称"]: row for row in rows}
    assert set(by_name) == set(BASIC) and by_name["湛江市教育局"]["基本支出（万元）"] is None
    assert {name: Decimal(str(by_name[name]["基本支出（万元）"])) for name in counted} == {k: Decimal(v) for k, v in counted.items()}
    assert total is not None and str(total["基本支出（万元）"]).startswith("=SUM(")
    assert len(report_table(summary, "重点任务")[1]) == 4
    with (city / "summary.csv").open(encoding="utf-8-sig") as source:
        table = list(csv.reader(source))
    basic = table[0].index("基本支出（万元）")
    assert table[-1][0] == "合计" and Decimal(table[-1][basic]) == sum(Decimal(v) for v in counted.values())
    document = json.loads((city / "summary.json").read_text(encoding="utf-8"))
    assert {d["department"]: d["status"] for d in document["departments"]} == {
        "湛江市信访局": "valid",
        "湛江市财政局": "valid",
        "湛江市教育局": "errors",
        "湛江市公安局": "valid",
        "湛江市交通运输局": "valid",
    }
    assert Decimal(document["totals"]["basic"]) == sum(Decimal(v) for v in counted.values())


def _report_states(report: Path) -> dict[str, tuple[str, int | None]]:
    return {row["部门名称"]: (row["状态"], row["错误"]) for row in report_table(report, "返回情况")[1]}


def _report_links(report: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(report)["返回情况"]
    header_row = openpyxl.utils.cell.coordinate_to_tuple(sheet.freeze_panes)[0] - 1
    header = [c.value for c in sheet[header_row]]
    name, link = header.index("部门名称"), header.index("退回修改表")
    return {row[name].value: row[link].hyperlink.target for row in sheet.iter_rows(min_row=header_row + 1) if row[link].hyperlink}
