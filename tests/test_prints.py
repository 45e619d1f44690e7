"""What the bureau prints: the status report, the roll-up and a marked copy,
printed by LibreOffice one page wide with the header on every page; and the
form itself, whose pages end between parts or groups."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, render, render_template
from xlsxform.collection.export import export
from xlsxform.collection.ingest import ingest
from xlsxform.collection.roster import read_roster
from xlsxform.collection.status import department_status, write_report
from xlsxform.collection.store import Store
from xlsxform.rendering.pages import page_breaks

from .conftest import _require
from .departments import write_roster

A4_LANDSCAPE = (842, 595)
DEPARTMENTS = 90
"""Enough departments for each report to print on several pages."""


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of a PDF, laid out as printed."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    return [
        subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for n in range(1, count + 1)
    ]


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1000", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A city of 90 departments, three of which returned (one with errors): the status report, the roll-up, one marked
    copy and a blank template, printed to PDF by LibreOffice in one run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not shutil.which("pdftotext"):
        _require("LibreOffice and poppler (pdftotext)")
    root = tmp_path_factory.mktemp("prints")
    sample = Form.model_validate_json((Path(__file__).parent.parent / "samples" / "zhanjiang-xinfang-2023.json").read_bytes())
    inbox = root / "in"
    inbox.mkdir()
    render(sample, inbox / "a.xlsx")
    render(sample.model_copy(update={"department": "湛江市教育局"}), inbox / "b.xlsx")
    render(sample.model_copy(update={"department": "湛江市公安局", "budget": sample.budget.model_copy(update={"basic": Decimal("1")})}), inbox / "c.xlsx")
    names = ["湛江市信访局", "湛江市教育局", "湛江市公安局", *(f"湛江市第{n}局" for n in range(4, DEPARTMENTS + 1))]
    roster = read_roster(write_roster(root / "名单.csv", [[name, str(100 + n), f"d{n}@zj.gov.cn", ""] for n, name in enumerate(names)]))
    with Store(root / "f.sqlite") as store:
        ingest([inbox], store)
        write_report(store, department_status(store, roster, 2023), root / "返回情况.xlsx")
        export(store, [root / "全市汇总.xlsx"], roster=roster)
    (marked,) = (root / "返回情况-退回修改").iterdir()
    shutil.copyfile(marked, root / "退回修改.xlsx")
    render_template(root / "空白模板.xlsx", year=2025)
    files = ["返回情况.xlsx", "全市汇总.xlsx", "退回修改.xlsx", "空白模板.xlsx"]
    profile = root / "profile"
    run = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(root / "pdf"),
            *(str(root / f) for f in files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pdfs = {name: root / "pdf" / f"{Path(name).stem}.pdf" for name in files}
    assert run.returncode == 0 and all(p.is_file() for p in pdfs.values()), run.stderr
    return {**{f"{name}.pdf": pdf for name, pdf in pdfs.items()}, **{name: root / name for name in files}}


def headers(path: Path) -> list[tuple[str, str]]:
    """Each sheet's first and last header, read from the workbook (the row above its frozen panes)."""
    found = []
    for sheet in openpyxl.load_workbook(path).worksheets:
        row = openpyxl.utils.cell.coordinate_to_tuple(sheet.freeze_panes)[0] - 1
        titles = [c.value for c in sheet[row] if c.value is not None]
        found.append((titles[0], titles[-1]))
    return found


@pytest.mark.office
@pytest.mark.parametrize("name", ["返回情况.xlsx", "全市汇总.xlsx"])
def test_every_printed_page_carries_the_first_and_last_column_of_the_header(printed: dict[str, Path], name: str) -> None:
    """Each report prints A4 landscape, one page wide, its header row on every page: every page shows the header's first and last column."""
    pages = pdf_pages(printed[f"{name}.pdf"])
    expected = headers(printed[name])
    assert len(pages) > len(expected)  # some sheet runs over several pages
    sheet = 0
    for text in pages:
        while sheet < len(expected) and not all(title in text for title in expected[sheet]):
            sheet += 1  # the next sheet begins
        assert sheet < len(expected), f"a page without the header's first and last column:\n{text[:400]}"
    assert {(round(w), round(h)) for w, h in page_sizes(printed[f"{name}.pdf"])} == {A4_LANDSCAPE}


@pytest.mark.office
def test_the_printed_reports_have_a_title_and_page_numbers(printed: dict[str, Path]) -> None:
    """The first page names the form and year; every page is numbered 第 n 页，共 m 页."""
    for name, title in (("返回情况.xlsx", "2023年市级部门整体预算绩效目标表返回情况"), ("全市汇总.xlsx", "2023年市级部门整体预算绩效目标表全市汇总")):
        pages = pdf_pages(printed[f"{name}.pdf"])
        assert title in pages[0].replace(" ", "")
        numbers = [re.findall(r"第\s*(\d+)\s*页，共\s*(\d+)\s*页", text) for text in pages]
        assert numbers == [[(str(n), str(len(pages)))] for n in range(1, len(pages) + 1)]


@pytest.mark.office
def test_the_marked_copys_results_sheet_prints_with_its_heading_and_header(printed: dict[str, Path]) -> None:
    """The marked copy's 校验结果 prints A4 with its heading, and its header's first and last column (序号 … 代码)."""
    pages = pdf_pages(printed["退回修改.xlsx.pdf"])
    results = [text for text in pages if "校验结果" in text.replace(" ", "")]
    assert results and all("序号" in text and "代码" in text for text in results)
    assert {(round(w), round(h)) for w, h in page_sizes(printed["退回修改.xlsx.pdf"])} <= {A4_LANDSCAPE, (595, 842)}


@pytest.mark.office
def test_the_blank_template_prints_no_group_across_a_page(printed: dict[str, Path]) -> None:
    """The blank form's pages end between parts: 效益指标 and all its groups print on one page, and LibreOffice adds no break of its own."""
    sheet = openpyxl.load_workbook(printed["空白模板.xlsx"]).worksheets[0]
    breaks = [b.id for b in sheet.row_breaks.brk]
    merged = [(r.min_row, r.max_row) for r in sheet.merged_cells.ranges if r.max_row > r.min_row]
    assert breaks and not [(b, m) for b in breaks for m in merged if m[0] <= b < m[1]]
    pages = [text.replace(" ", "") for text in pdf_pages(printed["空白模板.xlsx.pdf"])]
    form_pages = next(n for n, text in enumerate(pages, 1) if "备注：" in text)
    assert form_pages == len(breaks) + 1
    groups = ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]
    assert len({next(n for n, text in enumerate(pages) if group in text) for group in groups}) == 1


# -- where pages end, as a function ------------------------------------------------


def test_a_page_ends_before_a_label_it_would_split() -> None:
    """Ten rows of 10 points, pages of 65: the page ends before the label over rows 5-8, not inside it."""
    assert page_breaks([10.0] * 10, [(5, 8)], 65) == [4]


def test_a_part_longer_than_a_page_is_split_between_its_groups() -> None:
    """A part (rows 1-12) longer than a page is cut where only it is split, not inside one of its groups (rows 1-6, 7-12)."""
    assert page_breaks([10.0] * 12, [(1, 12), (1, 6), (7, 12)], 95) == [6]


def test_without_labels_pages_are_filled_and_a_tall_row_gets_its_own_page() -> None:
    """Rows without labels fill each page; a row taller than a page is printed on a page of its own."""
    assert page_breaks([10.0] * 10, [], 40) == [4, 8]
    assert page_breaks([10.0, 100.0, 10.0], [], 50) == [1, 2]
