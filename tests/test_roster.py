"""The bureau's roster: read from CSV (UTF-8 or GBK) or .xlsx, every fault one line naming its row."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform.cli.main import main
from xlsxform.collection.roster import Department, read_roster
from xlsxform.errors import RosterError

from .departments import write_roster

ROWS = [
    ["湛江市信访局", "101", "xinfang@zj.gov.cn", "776.8"],
    ["湛江市财政局", "", " czj@zj.gov.cn ", ""],
]
EXPECTED = [
    Department("湛江市信访局", "xinfang@zj.gov.cn", "101", {"basic": Decimal("776.8")}, 2),
    Department("湛江市财政局", "czj@zj.gov.cn", "", {}, 3),
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_any_usual_encoding(tmp_path: Path, encoding: str) -> None:
    """A CSV saved as UTF-8 (with or without BOM) or GBK reads the same."""
    roster = read_roster(write_roster(tmp_path / "r.csv", ROWS, encoding=encoding))
    assert roster.departments == EXPECTED


def test_xlsx_with_numbers_as_numbers(tmp_path: Path) -> None:
    """An .xlsx roster reads like the CSV, codes typed as numbers stay codes, amounts as typed."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", " 部门 名称", "单位编码", "电子邮箱", "基本支出", "项目支出（万元）", "联系人"])
    ws.append([1, "湛江市信访局", 101, "xinfang@zj.gov.cn", 776.8, "356.69 万元", "张三"])
    ws.append([None, None, None, None, None, None, None])
    wb.save(tmp_path / "r.xlsx")
    roster = read_roster(tmp_path / "r.xlsx")
    assert roster.departments == [Department("湛江市信访局", "xinfang@zj.gov.cn", "101", {"basic": Decimal("776.8"), "project": Decimal("356.69")}, 2)]


def test_lookup_ignores_spaces_and_full_width(tmp_path: Path) -> None:
    """A department is found whatever spaces or full-width letters its name is written with."""
    roster = read_roster(write_roster(tmp_path / "r.csv", [["湛江市ABC局", "", "a@zj.gov.cn", ""]]))
    assert roster.find(" 湛江市ＡＢＣ 局\n") == roster.departments[0]


@pytest.mark.parametrize(
    ("header", "rows", "fault"),
    [
        (["部门名称", "电话"], [["湛江市信访局", "1"]], ("missing-column", 1)),
        (["名称", "邮箱"], [["湛江市信访局", "a@zj.gov.cn"]], ("missing-column", 1)),
        (["部门名称", "邮箱"], [["湛江市信访局", "a@zj.gov.cn"], ["湛江市 信访局", "b@zj.gov.cn"]], ("duplicate-department", 3)),
        (["部门名称", "部门编码", "邮箱"], [["甲局", "1", "a@zj.gov.cn"], ["乙局", "1", "b@zj.gov.cn"]], ("duplicate-code", 3)),
        (["部门名称", "邮箱"], [["甲局", "a@zj.gov.cn"], ["乙局", "not-an-address"]], ("bad-email", 3)),
        (["部门名称", "邮箱"], [["甲局", ""]], ("bad-email", 2)),
        (["部门名称", "邮箱", "基本支出"], [["甲局", "a@zj.gov.cn", "很多"]], ("bad-amount", 2)),
        (["部门名称", "邮箱", "基本支出"], [["甲局", "a@zj.gov.cn", "-5"]], ("bad-amount", 2)),
        (["部门名称", "邮箱"], [["", "a@zj.gov.cn"]], ("no-name", 2)),
        (["部门名称", "邮箱"], [], ("empty", None)),
    ],
)
def test_faults_name_the_row(tmp_path: Path, header: list[str], rows: list[list[str]], fault: tuple[str, int | None]) -> None:
    """Each kind of fault is reported with its code and the row to fix."""
    with pytest.raises(RosterError) as caught:
        read_roster(write_roster(tmp_path / "r.csv", rows, header=header))
    assert (caught.value.code, caught.value.row) == fault


def test_cli_reports_a_bad_roster_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`issue` with a bad roster prints one line, writes nothing, exits 2."""
    roster = write_roster(tmp_path / "r.csv", [["甲局", "a@zj.gov.cn"], ["甲局", "b@zj.gov.cn"]], header=["部门名称", "邮箱"])
    code = main(["issue", str(roster), "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert (code, out, len(err.strip().splitlines())) == (2, "", 1)
    assert not (tmp_path / "out").exists()


def test_a_roster_of_any_size_is_read_whole(tmp_path: Path) -> None:
    """A roster of 100,000 departments gives 100,000 departments, none cut."""
    rows = [[f"第{n}局", str(n), f"d{n}@zj.gov.cn", ""] for n in range(100_000)]
    roster = read_roster(write_roster(tmp_path / "big.csv", rows))
    assert (len(roster), roster.departments[-1].name, roster.departments[-1].row) == (100_000, "第99999局", 100_001)


def test_every_faulty_row_is_reported_in_one_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All faulty rows come in one error, each with its code and row; the CLI lists every one."""
    rows = [
        ["甲局", "1", "a@zj.gov.cn", ""],
        ["", "2", "b@zj.gov.cn", ""],
        ["乙局", "3", "not-an-address", ""],
        ["甲局", "1", "c@zj.gov.cn", "-5"],
        ["丙局", "4", "d@zj.gov.cn", ""],
    ]
    path = write_roster(tmp_path / "r.csv", rows)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert [(f.code, f.row) for f in caught.value.faults] == [
        ("no-name", 3),
        ("bad-email", 4),
        ("duplicate-department", 5),
        ("duplicate-code", 5),
        ("bad-amount", 5),
    ]
    assert main(["issue", str(path), "-o", str(tmp_path / "out")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1 + 5
