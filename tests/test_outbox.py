"""Issuing forms: safe, unique file names whatever a department is called,
and each workbook pre-filled and carrying its department and form id."""

from __future__ import annotations

import csv
import dataclasses
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlsxform import load_spec, read
from xlsxform.cli.main import main
from xlsxform.collection.outbox import (
    MAX_STEM_BYTES,
    MAX_STEM_CHARS,
    form_id,
    issue,
    safe_stem,
    unique_names,
    write_manifest,
)
from xlsxform.collection.roster import Department, Roster
from xlsxform.errors import OutputExistsError

from .departments import write_roster

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
names = st.text(min_size=0, max_size=300) | st.sampled_from(
    ["CON", "con.txt", "..", ".", " ", "a/b\\c", "LPT1 ", "湛江市\u202e信访局", "\x00", "CON .xlsx", "信" * 100, "信" * 99 + "/"]
)


def assert_safe(name: str, suffix: str) -> None:
    stem = name.removesuffix(suffix)
    assert stem and name.endswith(suffix)
    assert not any(ch in '<>:"/\\|?*' or unicodedata.category(ch)[0] == "C" for ch in name)
    assert stem == stem.strip(" .") and not stem.startswith(".")
    assert stem.split(".")[0].strip().upper() not in WINDOWS_RESERVED
    assert len(stem) <= MAX_STEM_CHARS and len(stem.encode("utf-8")) <= MAX_STEM_BYTES


@settings(max_examples=300, deadline=None)
@given(names)
def test_any_name_gives_a_safe_file_name(name: str) -> None:
    """Whatever a department's name holds, its file name has no separators, controls or reserved words, and is bounded."""
    assert_safe(safe_stem(name) + ".xlsx", ".xlsx")


@settings(max_examples=100, deadline=None)
@given(st.lists(names, min_size=1, max_size=30))
def test_names_are_unique_ignoring_case(tmp_path_factory: pytest.TempPathFactory, departments: list[str]) -> None:
    """Every department of a roster gets its own file, even where names differ only in characters a file name cannot hold."""
    files = unique_names([safe_stem(n) for n in departments], ".xlsx")
    assert len({f.casefold() for f in files}) == len(departments)
    folder = tmp_path_factory.mktemp("names")
    for file in files:
        assert_safe(file, ".xlsx")
        (folder / file).write_bytes(b"")
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


def test_chinese_names_are_kept() -> None:
    """A usual department name is its own file name."""
    assert [safe_stem("湛江市信访局"), safe_stem(" 湛江市 教育局（本级） ")] == ["湛江市信访局", "湛江市 教育局（本级）"]


def test_form_ids_are_stable() -> None:
    """The same department and year always get the same form id; another year another."""
    department = Department("湛江市信访局", "a@zj.gov.cn", "101")
    renamed = Department("湛江市人民信访局", "a@zj.gov.cn", "101")
    assert form_id(2025, department) == form_id(2025, renamed) != form_id(2026, department)
    assert form_id(2025, Department("甲局", "a@zj.gov.cn")) == form_id(2025, Department(" 甲局", "b@zj.gov.cn"))


def test_issue_prefills_and_stores_identity(tmp_path: Path) -> None:
    """Each workbook is pre-filled with the roster's name and amounts and carries its identity inside."""
    roster = Roster("r.csv", [Department("湛江市信访局", "a@zj.gov.cn", "101", {"basic": Decimal("776.8")}), Department("CON", "c@zj.gov.cn")])
    issued = issue(roster, tmp_path / "out", year=2025)
    assert [i.workbook.name for i in issued] == ["湛江市信访局.xlsx", "_CON.xlsx"]
    form = read(issued[0].workbook).form
    assert (form.year, form.department, form.budget.basic) == (2025, "湛江市信访局", Decimal("776.8"))
    spec = load_spec()
    assert read(issued[0].workbook).identity == {
        "form_id": issued[0].form_id,
        "department": "湛江市信访局",
        "department_code": "101",
        "year": "2025",
        "template_id": spec.form.id,
        "template_version": spec.form.version,
    }


@pytest.mark.office
def test_identity_survives_a_save_in_libreoffice(tmp_path: Path, office) -> None:
    """A department that opens and saves its workbook in LibreOffice keeps the identity inside it."""
    (issued,) = issue(Roster("r.csv", [Department("湛江市信访局", "a@zj.gov.cn", "101")]), tmp_path / "out", year=2025)
    saved = office(issued.workbook, "xlsx")
    assert read(saved).identity == read(issued.workbook).identity


def test_issue_refuses_a_folder_holding_an_earlier_run(tmp_path: Path) -> None:
    """A second issue into the same folder is refused before anything is written; the first run's files stay as they were."""
    roster = Roster("r.csv", [Department("甲局", "a@zj.gov.cn")])
    (first,) = issue(roster, tmp_path / "out", year=2025)
    before = first.workbook.read_bytes()
    with pytest.raises(OutputExistsError) as refused:
        issue(roster, tmp_path / "out", year=2026)
    assert (refused.value.code, first.workbook.read_bytes()) == ("output-exists", before)


def test_overwrite_replaces_the_whole_earlier_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`issue --overwrite` removes every file of the earlier run (drafts included), so the folder holds exactly what its manifest lists."""
    roster = write_roster(tmp_path / "名单.csv", [["甲局", "", "a@zj.gov.cn", ""], ["乙局", "", "b@zj.gov.cn", ""]])
    out = tmp_path / "out"
    assert main(["issue", str(roster), "-o", str(out), "--year", "2025", "--eml", "--from", "czj@zj.gov.cn"]) == 0
    assert main(["issue", str(roster), "-o", str(out), "--year", "2025"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["乙局.eml", "乙局.xlsx", "发放清单.csv", "甲局.eml", "甲局.xlsx"]
    write_roster(roster, [["甲局", "", "a@zj.gov.cn", ""]])
    assert main(["issue", str(roster), "-o", str(out), "--year", "2025", "--overwrite"]) == 0
    capsys.readouterr()
    listed = {row[name] for row in csv.DictReader((out / "发放清单.csv").open(encoding="utf-8-sig")) for name in ("文件", "邮件") if row[name]}
    assert sorted(p.name for p in out.iterdir()) == sorted({"发放清单.csv", *listed}) == ["发放清单.csv", "甲局.xlsx"]


def test_the_manifest_keeps_every_formula_like_cell_text(tmp_path: Path) -> None:
    """A department named like a formula gives manifest cells (name, e-mail, file, draft) that a spreadsheet shows as text."""
    roster = Roster("r.csv", [Department("=1+2局", "-a@zj.gov.cn", "+101")])
    issued = [dataclasses.replace(item, draft=item.workbook.with_suffix(".eml")) for item in issue(roster, tmp_path / "out", year=2025)]
    rows = list(csv.reader(write_manifest(tmp_path / "out", issued).open(encoding="utf-8-sig")))
    by_column = dict(zip(rows[0], rows[1], strict=True))
    assert [by_column[name] for name in ("部门名称", "部门编码", "邮箱", "文件", "邮件")] == [
        "'=1+2局",
        "'+101",
        "'-a@zj.gov.cn",
        "'=1+2局.xlsx",
        "'=1+2局.eml",
    ]
