"""The marked copy a bureau sends back: every input behind a failed rule
marked, comments a department understands, a results sheet that opens with
a heading and prints, and nothing in it that reaches beyond the workbook."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xlsxform import Form, read, render_template
from xlsxform.form.problems import CATALOGUE
from xlsxform.reading.annotate import annotate, explain

from .departments import fill_in
from .hostile.build import edit_sheet, external_link, set_cell

S = "绩效目标表!"
RED = "FFFFC7CE"


def comments(path: Path, sheet_name: str = "绩效目标表") -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)[sheet_name]
    return {c.coordinate: c.comment.text for row in sheet.iter_rows() for c in row if c.comment}


@pytest.fixture
def unbalanced(tmp_path: Path) -> Path:
    """A return made from the issued template whose budget does not balance (R1): income 999 against expenses 150."""
    blank = tmp_path / "甲局.xlsx"
    render_template(blank, year=2025, department="甲局")
    return fill_in(blank, basic="100", project="50", fiscal="999")


def test_an_unbalanced_budget_marks_every_input_and_the_total(unbalanced: Path, tmp_path: Path) -> None:
    """R1 is marked on its locked totals (支出合计, 收入合计) and on the four inputs they add up, each in red with the same words."""
    result = read(unbalanced)
    (problem,) = result.problems
    assert problem.code == "r1-budget-unbalanced"
    annotate(unbalanced, result.problems, tmp_path / "out.xlsx")
    inputs = {result.cells[f].rpartition("!")[2] for f in ("budget.basic", "budget.project", "budget.fiscal", "budget.other_funds")}
    found = comments(tmp_path / "out.xlsx")
    totals = {result.cells[name].rpartition("!")[2] for name in ("expense_total", "income_total")}
    assert problem.cell.rpartition("!")[2] in totals and set(found) == inputs | totals
    assert set(found.values()) == {f"错误（第1项）：{explain(problem)}"}
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["绩效目标表"]
    assert {sheet[ref].fill.fgColor.rgb for ref in found} == {RED}


def test_comments_say_what_to_change_without_codes(unbalanced: Path, tmp_path: Path) -> None:
    """The comment names the difference and what to check; no problem code appears in any comment."""
    result = read(unbalanced)
    annotate(unbalanced, result.problems, tmp_path / "out.xlsx")
    texts = list(comments(tmp_path / "out.xlsx").values())
    assert explain(result.problems[0]).endswith("使支出合计与收入合计相等（相差 849 万元）。")
    assert not [code for code in CATALOGUE for text in texts if code in text]


def test_the_results_sheet_opens_with_a_heading_and_prints_on_a4(unbalanced: Path, sample: Form, tmp_path: Path) -> None:
    """校验结果 opens with the form's title, the department, year and time checked, the counts; its code column is last and narrow; it prints A4, header repeated."""
    result = read(unbalanced)
    annotate(unbalanced, result.problems, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["校验结果"]
    title, who, counts = (sheet.cell(r, 1).value for r in (1, 2, 3))
    assert title == "2025年市级部门整体预算绩效目标表校验结果"
    parts = who.split("　　")
    assert parts[:2] == ["部门：甲局", "年度：2025"]
    assert abs(dt.datetime.strptime(parts[2].removeprefix("校验时间："), "%Y-%m-%d %H:%M") - dt.datetime.now()) < dt.timedelta(minutes=5)
    assert [int(n) for n in re.findall(r"\d+", counts)[:2]] == [1, 0]
    header = [c.value for c in sheet[4]]
    assert header[-1] == "代码" and sheet.column_dimensions["F"].width <= 12 < sheet.column_dimensions["E"].width
    setup = (int(sheet.page_setup.paperSize), sheet.page_setup.fitToWidth, sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.print_title_rows)
    assert setup == (int(sheet.PAPERSIZE_A4), 1, True, "$4:$4")


def test_problems_are_listed_in_the_order_of_the_form(sample: Form, tmp_path: Path) -> None:
    """Problems given out of order are listed row by row down the form, those without a cell last."""
    from xlsxform import Problem

    source = tmp_path / "form.xlsx"
    render_template(source, year=2025)
    problems = [
        Problem("section-missing", params={"label": "绩效指标"}),
        Problem("required", cell=f"{S}B10", params={"label": "总体绩效目标"}),
        Problem("required", cell=f"{S}B2", params={"label": "部门名称"}),
    ]
    annotate(source, problems, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["校验结果"]
    assert [sheet.cell(r, 2).value for r in range(5, 8)] == [f"{S}B2", f"{S}B10", "-"]


# -- safe to send back -------------------------------------------------------------

LINKS = {
    "G2": "javascript:alert(1)",
    "G3": "file:///C:/Windows/system32/calc.exe",
    "G4": "\\\\fileserver\\share\\预算.xlsx",
    "G5": "../其他.xlsx",
    "G6": "https://czj.zhanjiang.gov.cn/",
    "G7": "http://example.gov.cn/",
    "G8": "mailto:czj@zj.gov.cn",
}


@pytest.fixture
def hostile(sample: Form, tmp_path: Path) -> Path:
    """A department's workbook with hyperlinks of every kind, a link to another workbook with a formula and a name using it,
    a DDE formula, a HYPERLINK() to a local file, and recalculation forced on opening."""
    source = tmp_path / "source.xlsx"
    from xlsxform import render

    render(sample, source)
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["绩效目标表"]
    for ref, target in LINKS.items():
        sheet[ref] = "链接"
        sheet[ref].hyperlink = target
    for ref in ("H2", "H3", "H4"):
        sheet[ref] = 0
    sheet["G9"] = "跳转"
    sheet["G9"].hyperlink = openpyxl.worksheet.hyperlink.Hyperlink(ref="G9", location="'绩效目标表'!A1")
    workbook.defined_names["外部预算"] = DefinedName("外部预算", attr_text="[1]Sheet1!$A$1")
    workbook.calculation.fullCalcOnLoad = True
    workbook.save(source)
    linked = tmp_path / "linked.xlsx"
    external_link(source, linked)
    target = tmp_path / "hostile.xlsx"
    cells = [
        set_cell("H2", '<c r="H2"><f>[1]Sheet1!A1</f><v>42</v></c>'),
        set_cell("H3", "<c r=\"H3\"><f>cmd|'/c calc'!A0</f><v>0</v></c>"),
        set_cell("H4", '<c r="H4" t="str"><f>HYPERLINK("file:///C:/a.xlsx","点此")</f><v>点此</v></c>'),
    ]
    edit_sheet(lambda xml: cells[2](cells[1](cells[0](xml))))(linked, target)
    return target


@pytest.fixture
def made_safe(hostile: Path, tmp_path: Path) -> Path:
    target = tmp_path / "marked.xlsx"
    annotate(hostile, read(hostile).problems, target)
    return target


def test_only_web_and_mail_hyperlinks_are_kept(hostile: Path, made_safe: Path) -> None:
    """javascript:, file:, UNC and relative hyperlinks are removed; http, https, mailto and links inside the workbook stay."""
    before = openpyxl.load_workbook(hostile)["绩效目标表"]
    assert {ref: before[ref].hyperlink.target for ref in LINKS} == LINKS
    sheet = openpyxl.load_workbook(made_safe)["绩效目标表"]
    kept = {ref: sheet[ref].hyperlink.target if sheet[ref].hyperlink else None for ref in LINKS}
    assert kept == {**dict.fromkeys(("G2", "G3", "G4", "G5")), **{ref: LINKS[ref] for ref in ("G6", "G7", "G8")}}
    assert (sheet["G9"].hyperlink.location, sheet["G2"].value) == ("'绩效目标表'!A1", "链接")


def test_external_links_and_the_formulas_using_them_become_values(hostile: Path, made_safe: Path) -> None:
    """The link to another workbook goes; a formula using it, a DDE call and a HYPERLINK() to a file keep only the values they showed."""
    with zipfile.ZipFile(hostile) as before:
        assert any(name.startswith("xl/externalLinks/") for name in before.namelist())
    with zipfile.ZipFile(made_safe) as after:
        assert not any("externalLink" in name for name in after.namelist())
        assert b"externalReference" not in after.read("xl/workbook.xml")
    source = openpyxl.load_workbook(hostile)["绩效目标表"]
    assert [source[ref].data_type for ref in ("H2", "H3", "H4")] == ["f", "f", "f"]
    workbook = openpyxl.load_workbook(made_safe)
    sheet = workbook["绩效目标表"]
    assert [(sheet[ref].value, sheet[ref].data_type) for ref in ("H2", "H3", "H4")] == [(42, "n"), (0, "n"), ("点此", "s")]
    assert "外部预算" not in workbook.defined_names
    assert str(sheet["C7"].value).startswith("=SUM(")  # the form's own totals stay formulas


def test_recalculation_on_opening_is_not_forced(hostile: Path, made_safe: Path) -> None:
    """The source asked to recalculate on opening; the copy does not."""
    assert openpyxl.load_workbook(hostile).calculation.fullCalcOnLoad is True
    assert not openpyxl.load_workbook(made_safe).calculation.fullCalcOnLoad


def test_the_heading_says_what_was_taken_out(made_safe: Path) -> None:
    """The results sheet tells the department that links and formulas were taken out, and how many."""
    sheet = openpyxl.load_workbook(made_safe)["校验结果"]
    line = sheet.cell(4, 1).value
    assert [int(n) for n in re.findall(r"\d+", line)] == [4, 3]


def test_a_project_form_is_marked_by_its_own_spec(tmp_path: Path) -> None:
    """A 自评表 whose weights do not reach 90 is titled as the 自评表 and marks every weight S4 adds up as well as the 总分 分值 it is shown on."""
    evaluation = Path(__file__).resolve().parents[1] / "samples" / "zhanjiang-xinfang-2023-self-evaluation.xlsx"
    workbook = openpyxl.load_workbook(evaluation)
    workbook.worksheets[0]["G12"] = 1
    source = tmp_path / "自评表.xlsx"
    workbook.save(source)
    result = read(source)
    annotate(source, result.problems, tmp_path / "out.xlsx")
    assert ("绩效自评表!G22", "s4-weights-not-90") in {(p.cell, p.code) for p in result.problems}
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["校验结果"]["A1"].value == "2023年项目支出绩效自评表校验结果"
    weights = {ref for ref in result.cells.values() if re.fullmatch(r"绩效自评表!G(1[2-9]|2[01])", ref)}
    assert weights and weights | {"绩效自评表!G22"} <= {f"绩效自评表!{c}" for c in comments(tmp_path / "out.xlsx", "绩效自评表")}
