"""The bureau's roll-up: one row per department with the city's totals, in .xlsx, .csv and .json."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlsxform import Form, render
from xlsxform.cli.main import main
from xlsxform.collection.export import csv_paths, export
from xlsxform.collection.ingest import ingest
from xlsxform.collection.roster import read_roster
from xlsxform.collection.store import Store
from xlsxform.errors import ExportError

from .departments import write_roster


@pytest.fixture
def store(sample: Form, tmp_path: Path) -> Store:
    """Three departments' returns: one named like a formula, one with a key task fewer, one whose budget does not balance (R1)."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    render(sample.model_copy(update={"department": "=1+1"}), inbox / "a.xlsx")
    render(sample.model_copy(update={"department": "湛江市教育局", "key_tasks": sample.key_tasks[:1]}), inbox / "b.xlsx")
    render(sample.model_copy(update={"department": "湛江市公安局", "budget": sample.budget.model_copy(update={"basic": Decimal("1")})}), inbox / "c.xlsx")
    with Store(tmp_path / "f.sqlite") as opened:
        ingest([inbox], opened)
        yield opened


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    """The city's roster: one department that never returned, the others not in name order."""
    rows = [["湛江市公安局", "105", "gaj@zj.gov.cn", ""], ["湛江市民政局", "107", "mzj@zj.gov.cn", ""], ["=1+1", "101", "a@zj.gov.cn", ""]]
    return write_roster(tmp_path / "名单.csv", [*rows, ["湛江市教育局", "103", "jyj@zj.gov.cn", ""]])


def summary(path: Path) -> tuple[Any, int, list[str], list[list[Any]], list[Any]]:
    """The 部门汇总 sheet: the sheet, its header row number, header, department rows and the 合计 row."""
    sheet = openpyxl.load_workbook(path)["部门汇总"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    at = next(i for i, row in enumerate(values) if row[:2] == ["序号", "部门名称"])
    header = [str(v).replace("\n", "") for v in values[at]]  # a long title wraps before its unit
    return sheet, at + 1, header, values[at + 1 : -1], values[-1]


def column(header: list[str], title: str) -> int:
    return header.index(title)


def test_text_stays_text_and_totals_are_formulas(store: Store, tmp_path: Path) -> None:
    """A name that looks like a formula is text in the workbook; each 合计 cell sums its column."""
    export(store, [tmp_path / "s.xlsx"])
    sheet, at, header, rows, total = summary(tmp_path / "s.xlsx")
    name = sheet.cell(at + 1, column(header, "部门名称") + 1)
    assert (name.value, name.data_type) == ("=1+1", "s")
    col = openpyxl.utils.get_column_letter(column(header, "项目支出（万元）") + 1)
    assert total[column(header, "项目支出（万元）")] == f"=SUM({col}{at + 1}:{col}{at + len(rows)})"
    tasks = openpyxl.load_workbook(tmp_path / "s.xlsx")["重点任务"]
    assert tasks.cell(tasks.max_row, 5).value == f"=SUM(E4:E{tasks.max_row - 1})"


def test_totals_count_valid_returns_only(store: Store, sample: Form, tmp_path: Path) -> None:
    """A return with errors has its row, its state and blank figures; the totals hold the valid returns alone."""
    result = export(store, [tmp_path / "s.xlsx", tmp_path / "s.csv"])
    _, _, header, rows, _ = summary(tmp_path / "s.xlsx")
    by_name = {row[1]: row for row in rows}
    police = by_name["湛江市公安局"]
    assert (police[column(header, "状态")], police[column(header, "计入合计")], police[column(header, "基本支出（万元）")]) == ("有错误", "否", None)
    assert [f.department for f in result.forms] == ["=1+1", "湛江市教育局"]
    csv_rows = list(csv.reader(csv_paths(tmp_path / "s.csv")[0].open(encoding="utf-8-sig")))
    assert Decimal(csv_rows[-1][column(header, "基本支出（万元）")]) == 2 * sample.budget.basic
    assert result.scope() == "合计包括：已通过 2 个；未计入：有错误 1 个。"


def test_include_errors_adds_them_marked_as_counted(store: Store, sample: Form, tmp_path: Path) -> None:
    """With include_errors the return with errors is counted, its row says so, and so does the line under the title."""
    result = export(store, [tmp_path / "s.xlsx", tmp_path / "s.json"], include_errors=True)
    sheet, at, header, rows, _ = summary(tmp_path / "s.xlsx")
    police = next(row for row in rows if row[1] == "湛江市公安局")
    assert (police[column(header, "状态")], police[column(header, "计入合计")], police[column(header, "基本支出（万元）")]) == ("有错误", "是", 1)
    assert result.scope() == "合计包括：已通过 2 个、有错误 1 个（有错误的表格按原样计入，数据未经更正）。"
    assert str(sheet.cell(at - 1, 1).value).startswith(result.scope())
    document = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert Decimal(document["totals"]["basic"]) == 2 * sample.budget.basic + 1


def test_a_roster_gives_every_department_a_row_in_roster_order(store: Store, roster_file: Path, tmp_path: Path) -> None:
    """With a roster each department has a row in the roster's order; one that never returned shows 未返回 and no figures."""
    result = export(store, [tmp_path / "s.xlsx"], roster=read_roster(roster_file))
    _, _, header, rows, _ = summary(tmp_path / "s.xlsx")
    shown = [(r[1], r[column(header, "部门编码")], r[column(header, "状态")], r[column(header, "计入合计")]) for r in rows]
    assert shown == [
        ("湛江市公安局", "105", "有错误", "否"),
        ("湛江市民政局", "107", "未返回", "否"),
        ("=1+1", "101", "已通过", "是"),
        ("湛江市教育局", "103", "已通过", "是"),
    ]
    missing = rows[1]
    assert all(v is None for v in missing[column(header, "财政供养人员数") :])
    assert result.scope() == "合计包括：已通过 2 个；未计入：未返回 1 个、有错误 1 个。"


def test_cells_are_formatted_by_kind_in_one_font(store: Store, tmp_path: Path, away_from_utc: None) -> None:
    """Counts are whole numbers, amounts have two decimals and （万元） in the header, the time is a local date-time; one font throughout."""
    export(store, [tmp_path / "s.xlsx"])
    sheet, at, header, rows, _ = summary(tmp_path / "s.xlsx")
    first = at + 1
    formats = {title: sheet.cell(first, column(header, title) + 1).number_format for title in ("财政供养人员数", "基本支出（万元）", "返回时间")}
    assert formats == {"财政供养人员数": "#,##0", "基本支出（万元）": "#,##0.00", "返回时间": "yyyy-mm-dd hh:mm"}
    total = [sheet.cell(sheet.max_row, column(header, t) + 1).number_format for t in ("财政供养人员数", "基本支出（万元）")]
    assert total == ["#,##0", "#,##0.00"]
    received = rows[0][column(header, "返回时间")]
    assert isinstance(received, dt.datetime) and abs(received - dt.datetime.now()) < dt.timedelta(minutes=10)
    assert {sheet.cell(r, c).font.name for r in range(1, sheet.max_row + 1) for c in range(1, sheet.max_column + 1) if sheet.cell(r, c).value is not None} == {
        "宋体"
    }


def test_the_sheets_are_set_up_to_print(store: Store, tmp_path: Path) -> None:
    """Every sheet has a title row, prints A4 landscape one page wide with its header row on every page and page numbers in the footer."""
    export(store, [tmp_path / "s.xlsx"])
    for sheet in openpyxl.load_workbook(tmp_path / "s.xlsx"):
        setup = (int(sheet.page_setup.paperSize), sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight)
        assert setup == (int(sheet.PAPERSIZE_A4), "landscape", 1, 0) and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert str(sheet["A1"].value).startswith("2023年市级部门整体预算绩效目标表") and "&P" in sheet.oddFooter.center.text
        assert sheet.print_title_rows == "$3:$3" and sheet["A3"].border.left.style == "thin"


def test_csv_files_have_exact_totals_and_no_formulas(store: Store, sample: Form, tmp_path: Path) -> None:
    """The CSV export writes three files; totals are exact decimals; text that Excel would run is quoted."""
    export(store, [tmp_path / "s.csv"])
    files = csv_paths(tmp_path / "s.csv")
    assert [p.name for p in files] == ["s.csv", "s-重点任务.csv", "s-绩效指标.csv"] and all(p.is_file() for p in files)
    rows = list(csv.reader(files[0].open(encoding="utf-8-sig")))
    project = rows[0].index("项目支出（万元）")
    assert [r[1] for r in rows[1:-1]] == ["'=1+1", "湛江市公安局", "湛江市教育局"] and rows[-1][0] == "合计"
    assert Decimal(rows[-1][project]) == 2 * sample.budget.project


def test_json_holds_every_department(store: Store, roster_file: Path, sample: Form, tmp_path: Path) -> None:
    """The JSON export has each department with its state, whether it is counted, its whole form, and the totals."""
    export(store, [tmp_path / "s.json"], roster=read_roster(roster_file))
    document = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    states = [(d["department"], d["status"], d["counted"]) for d in document["departments"]]
    assert states == [("湛江市公安局", "errors", False), ("湛江市民政局", "missing", False), ("=1+1", "valid", True), ("湛江市教育局", "valid", True)]
    forms = {d["department"]: Form.model_validate(d["form"]) for d in document["departments"] if d["form"]}
    assert forms["湛江市教育局"].key_tasks == sample.key_tasks[:1]
    assert (document["year"], Decimal(document["totals"]["basic"])) == (2023, 2 * sample.budget.basic)


def test_an_unknown_format_is_refused(store: Store, tmp_path: Path) -> None:
    """Only .xlsx, .csv and .json can be written."""
    with pytest.raises(ExportError):
        export(store, [tmp_path / "s.pdf"])


def test_the_command_takes_a_roster_and_include_errors(store: Store, roster_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export --roster R --include-errors` writes every department of the roster and counts the return with errors."""
    store.close()
    target = tmp_path / "汇总.json"
    argv = ["export", "--db", str(tmp_path / "f.sqlite"), "-o", str(target), "--roster", str(roster_file), "--include-errors", "--year", "2023"]
    assert main(argv) == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert [d["counted"] for d in document["departments"]] == [True, False, True, True]


def test_a_department_with_a_held_return_is_counted_by_its_current_one(sample: Form, tmp_path: Path) -> None:
    """A newer return from a stranger's address is held (待确认); the department's current, valid return stays in the totals, its row saying 待确认."""
    from . import inboxes

    own, stranger = (inboxes.workbook_bytes(inboxes.form_of(sample, staff=k)) for k in (7, 9))
    inbox = tmp_path / "mail"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(inboxes.plain([("信访局.xlsx", own)], date=inboxes.when(1)))
    (inbox / "2.eml").write_bytes(inboxes.plain([("冒名.xlsx", stranger)], sender="someone@qq.com", date=inboxes.when(2)))
    roster = read_roster(write_roster(tmp_path / "r.csv", [["湛江市信访局", "", "xinfang@zj.gov.cn", ""]]))
    with Store(tmp_path / "held.sqlite") as held_store:
        ingest([inbox], held_store, roster=roster)
        result = export(held_store, [tmp_path / "h.json"], roster=roster)
    (row,) = json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))["departments"]
    assert (row["status"], row["counted"], row["form"]["staff"], result.scope()) == ("held", True, 7, "合计包括：待确认 1 个（待确认的按当前版本计入）。")
