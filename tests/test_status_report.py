"""The status workbook (返回情况.xlsx) as a finance officer prints it: titled,
in roster order, with formats by kind and a 合计 row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, render
from xlsxform.collection.ingest import ingest
from xlsxform.collection.roster import Roster, read_roster
from xlsxform.collection.status import ORDER, department_status, state_label, write_report
from xlsxform.collection.store import Store

from .departments import write_roster
from .helpers import report_table


@pytest.fixture
def report(sample: Form, tmp_path: Path, away_from_utc: None) -> Path:
    """A roster of three: one valid return, one with errors, one missing; the status workbook written without marked copies."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    render(sample.model_copy(update={"department": "湛江市教育局"}), inbox / "a.xlsx")
    render(sample.model_copy(update={"department": "湛江市公安局", "budget": sample.budget.model_copy(update={"basic": Decimal("1")})}), inbox / "b.xlsx")
    rows = [["湛江市民政局", "107", "mzj@zj.gov.cn", ""], ["湛江市公安局", "105", "gaj@zj.gov.cn", ""], ["湛江市教育局", "103", "jyj@zj.gov.cn", ""]]
    roster = read_roster(write_roster(tmp_path / "名单.csv", rows))
    with Store(tmp_path / "f.sqlite") as store:
        ingest([inbox], store)
        return write_report(store, department_status(store, roster, 2023), tmp_path / "返回情况.xlsx", annotate=False).path


def test_rows_follow_the_roster_with_a_totals_row(report: Path) -> None:
    """One row per department in roster order, each with its state; a 合计 row sums errors, warnings and returns."""
    _, rows, total = report_table(report, "返回情况")
    assert [(r["序号"], r["部门名称"], r["状态"], r["错误"]) for r in rows] == [
        (1, "湛江市民政局", "未返回", None),
        (2, "湛江市公安局", "有错误", 1),
        (3, "湛江市教育局", "已通过", 0),
    ]
    assert total is not None and [total[t] for t in ("错误", "警告", "返回次数")] == ["=SUM(F4:F6)", "=SUM(G4:G6)", "=SUM(J4:J6)"]


def test_counts_are_whole_numbers_and_times_local_date_times(report: Path) -> None:
    """Counts are formatted as whole numbers; 返回时间 is a date-time cell in local time, as `status` prints it."""
    sheet = openpyxl.load_workbook(report)["返回情况"]
    errors, received = sheet["F5"], sheet["H5"]
    assert (errors.number_format, received.number_format) == ("#,##0", "yyyy-mm-dd hh:mm")
    assert isinstance(received.value, dt.datetime) and abs(received.value - dt.datetime.now()) < dt.timedelta(minutes=10)


def test_it_has_a_title_a_summary_and_one_font(report: Path) -> None:
    """A title names the form and year, a line under it counts each state that has departments (and always 未返回, 有错误, 已通过); every cell is in one font."""
    sheet = openpyxl.load_workbook(report)["返回情况"]
    assert sheet["A1"].value == "2023年市级部门整体预算绩效目标表返回情况"
    counts = {state_label(s): 1 for s in ORDER if s in ("missing", "errors", "valid")}
    assert sheet["A2"].value.startswith(f"共 3 个部门：{'，'.join(f'{label} {n}' for label, n in counts.items())}。")
    fonts = {c.font.name for row in sheet.iter_rows() for c in row if c.value is not None}
    assert fonts == {"宋体"}


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_repeated(report: Path) -> None:
    """返回情况, 问题清单 and 拒收文件 each print A4 landscape, fitted to one page wide, header row repeated, page numbers."""
    for sheet in openpyxl.load_workbook(report).worksheets:
        assert (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight, sheet.print_title_rows) == ("landscape", 1, 0, "$3:$3")
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def _selects(store: Store, roster: Roster, target: Path) -> int:
    """How many SELECT statements the status of a roster and its report ask the database."""
    seen: list[str] = []
    store.db.set_trace_callback(seen.append)
    try:
        write_report(store, department_status(store, roster, 2023), target, annotate=False)
    finally:
        store.db.set_trace_callback(None)
    return sum(statement.lstrip().upper().startswith("SELECT") for statement in seen)


def test_the_status_and_its_report_ask_as_many_queries_for_many_departments_as_for_one(sample: Form, tmp_path: Path) -> None:
    """Working out the status and writing its report take the same number of queries whether one department returned or three (some with errors)."""
    names = ["湛江市教育局", "湛江市公安局", "湛江市民政局"]
    asked = []
    for size in (1, 3):
        inbox = tmp_path / f"in{size}"
        inbox.mkdir()
        for n, name in enumerate(names[:size]):
            budget = sample.budget.model_copy(update={"basic": Decimal("1")}) if n else sample.budget
            render(sample.model_copy(update={"department": name, "budget": budget}), inbox / f"{n}.xlsx")
        roster = read_roster(write_roster(tmp_path / f"名单{size}.csv", [[name, f"10{n}", f"d{n}@zj.gov.cn", ""] for n, name in enumerate(names[:size])]))
        with Store(tmp_path / f"{size}.sqlite") as store:
            ingest([inbox], store)
            asked.append(_selects(store, roster, tmp_path / f"返回情况{size}.xlsx"))
    assert asked[0] == asked[1]
