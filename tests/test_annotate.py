"""The annotated copy: the department's own workbook with every problem marked on its cell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import GradientFill, PatternFill
from openpyxl.xml.functions import tostring

from xlsxform import Form, FormDataError, Problem, UnreadableWorkbookError, read
from xlsxform.cli.main import main
from xlsxform.reading.annotate import HEADER, annotate, explain

from .helpers import fill, pairs, rendered

S = "绩效目标表!"
MARKS = "_xlsxform_marks"
RED, YELLOW = "FFFFC7CE", "FFFFEB9C"
XLS_FIXTURE = Path(__file__).parent / "fixtures" / "sample-libreoffice.xls"

BROKEN = {"C5": "七百", "C3": 2.5, "C9": 400, "E9": 400, "D14": "=VLOOKUP(1,A1:B2,2)", "C28": "质量指标"}
"""Errors of several kinds, a warning (R4 on C11), and a problem on a merged
cell (C28:C29 holds the 二级指标 of two indicators)."""
R4_INPUTS = ("C6", "C9", "C10")
"""The inputs R4 adds up, marked with its total C11: 项目支出, 财政专项资金, 其他事业发展性支出."""


# -- what a workbook holds, as comparable data -------------------------------------


def cell_values(path: Path) -> dict[str, dict[str, tuple[Any, str]]]:
    """Every non-empty cell of every sheet: its value (a formula as its text) and data type."""
    workbook = openpyxl.load_workbook(path)
    return {
        sheet.title: {c.coordinate: (c.value, c.data_type) for row in sheet.iter_rows() for c in row if c.value is not None} for sheet in workbook.worksheets
    }


def comments(path: Path, sheet: str = "绩效目标表") -> dict[str, str]:
    """The comments of a sheet by cell."""
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}


def fills(path: Path, sheet: str = "绩效目标表") -> dict[str, str]:
    """The solid fill colour of every cell of a sheet."""
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.fill.fgColor.rgb for row in ws.iter_rows() for c in row if c.fill.fill_type == "solid"}


def header_row(sheet: Any) -> int:
    """The row of the results sheet's header, under its heading."""
    return next(row[0].row for row in sheet.iter_rows(max_row=8) if row[0].value in ("序号", "No."))


def result_rows(path: Path, title: str = "校验结果") -> list[dict[str, Any]]:
    """The rows of the results sheet under its header, by header (the Chinese one)."""
    sheet = openpyxl.load_workbook(path)[title]
    top = header_row(sheet)
    return [dict(zip(HEADER["zh"], row, strict=False)) for row in sheet.iter_rows(min_row=top + 1, values_only=True)]


def listed(path: Path, title: str = "校验结果") -> list[tuple[Any, Any]]:
    """(单元格, 代码) of each row of the results sheet."""
    return [(row["单元格"], row["代码"]) for row in result_rows(path, title)]


def links(path: Path, title: str = "校验结果") -> list[str | None]:
    """The internal link of each row's 单元格, or None."""
    sheet = openpyxl.load_workbook(path)[title]
    return [row[1].hyperlink.location if row[1].hyperlink else None for row in sheet.iter_rows(min_row=header_row(sheet) + 1)]


def in_form_order(problems: list[Problem]) -> list[Problem]:
    """The problems as the results sheet lists them: by cell, row by row; those without a cell last."""
    return sorted(problems, key=lambda p: openpyxl.utils.cell.coordinate_to_tuple(bare(p.cell)) if p.cell else (10**7, 0))


def expected(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.cell or "-", p.code) for p in in_form_order(problems)]


def marked_cells(problems: list[Problem]) -> set[str]:
    """The cells a copy marks: each problem's, and the inputs of a failed sum rule (R4: 项目支出, 财政专项资金, 其他事业发展性支出)."""
    cells = {bare(p.cell) for p in problems if p.cell}
    return cells | (set(R4_INPUTS) if any(p.code == "r4-development-exceeds-project" for p in problems) else set())


def bare(ref: str) -> str:
    """'绩效目标表!C5' to 'C5'."""
    return ref.rpartition("!")[2]


@pytest.fixture
def broken(sample: Form, tmp_path: Path) -> Path:
    return fill(rendered(sample, tmp_path, "broken.xlsx"), BROKEN)


@pytest.fixture
def annotated(broken: Path, tmp_path: Path) -> tuple[Path, list[Problem]]:
    """The broken form's annotated copy, and the problems marked on it."""
    problems = read(broken).problems
    target = tmp_path / "annotated.xlsx"
    assert annotate(broken, problems, target) == "校验结果"
    return target, problems


# -- the marks ---------------------------------------------------------------------


def test_the_broken_form_has_errors_a_warning_and_a_shared_cell(broken: Path) -> None:
    """The fixture is what the tests below rely on: errors, a warning, one problem on the merged C28."""
    assert pairs(read(broken)) == {
        (f"{S}C3", "not-whole-number"),
        (f"{S}C5", "not-a-number"),
        (f"{S}D14", "formula-unresolved"),
        (f"{S}C28", "indicator-level-unknown"),
        (f"{S}C11", "r4-development-exceeds-project"),
    }
    assert [p.cell for p in read(broken).problems].count(f"{S}C28") == 1


def test_exactly_the_problem_cells_carry_a_comment(annotated: tuple[Path, list[Problem]]) -> None:
    """Comments are on the cells with problems and nowhere else."""
    path, problems = annotated
    assert set(comments(path)) == marked_cells(problems)


def test_problem_cells_are_filled_by_severity_and_no_other_fill_changes(annotated, broken: Path) -> None:
    """Errors are filled red, warnings yellow; every other cell keeps its fill."""
    path, problems = annotated
    colours = dict.fromkeys(R4_INPUTS, YELLOW)
    for p in problems:
        if p.cell and colours.get(bare(p.cell)) != RED:
            colours[bare(p.cell)] = RED if p.severity == "error" else YELLOW
    after, before = fills(path), fills(broken)
    assert {ref: after[ref] for ref in colours} == colours
    assert {k: v for k, v in after.items() if k not in colours} == {k: v for k, v in before.items() if k not in colours}


def test_a_comment_says_what_to_fix_in_chinese(annotated) -> None:
    """A comment gives the level, the problem's number in 校验结果, what is wrong and what to change."""
    path, problems = annotated
    ordered = in_form_order(problems)
    number = next(n for n, p in enumerate(ordered, 1) if p.cell == f"{S}C5")
    assert comments(path)["C5"] == f"错误（第{number}项）：{explain(ordered[number - 1])}"


def test_a_cell_with_several_problems_gets_one_comment_listing_them(sample: Form, tmp_path: Path) -> None:
    """Two different problems on one cell are two lines of one comment; the worst decides the colour."""
    source = rendered(sample, tmp_path)
    problems = [
        Problem("total-mismatch", cell=f"{S}C7", value=1, params={"expected": "1133.49"}),
        Problem("r1-budget-unbalanced", cell=f"{S}C7", params={"left": "1", "right": "2"}),
    ]
    annotate(source, problems, tmp_path / "out.xlsx")
    assert comments(tmp_path / "out.xlsx")["C7"].split("\n") == [
        f"警告（第1项）：{explain(problems[0])}",
        f"错误（第2项）：{explain(problems[1])}",
    ]
    assert fills(tmp_path / "out.xlsx")["C7"] == RED


def test_the_same_problem_twice_is_one_line_naming_both_numbers(sample: Form, tmp_path: Path) -> None:
    """Two identical problems given for one cell read as one line, numbered with both."""
    problem = Problem("indicator-level-unknown", cell=f"{S}C28", value="质量指标", params={"level1": "效益指标", "level2": "质量指标"})
    annotate(rendered(sample, tmp_path), [problem, problem], tmp_path / "out.xlsx")
    assert comments(tmp_path / "out.xlsx")["C28"] == f"错误（第1、2项）：{explain(problem)}"


def test_a_problem_inside_a_merged_range_marks_its_top_left_cell(sample: Form, tmp_path: Path) -> None:
    """部门名称 is B2:E2 merged: a problem on D2 is marked, and linked, on B2."""
    source = rendered(sample, tmp_path)
    problem = Problem("required", cell=f"{S}D2", field="department", params={"label": "部门名称"})
    annotate(source, [problem], tmp_path / "out.xlsx")
    assert set(comments(tmp_path / "out.xlsx")) == {"B2"}
    assert [(row["序号"], row["单元格"]) for row in result_rows(tmp_path / "out.xlsx")] == [(1, f"{S}D2")]
    assert links(tmp_path / "out.xlsx") == ["'绩效目标表'!B2"]


def test_a_problem_without_a_cell_is_listed_but_not_marked(sample: Form, tmp_path: Path) -> None:
    """A missing section has no cell: its row says '-' with no link, and no cell is marked."""
    source = rendered(sample, tmp_path)
    annotate(source, [Problem("section-missing", params={"label": "绩效指标"})], tmp_path / "out.xlsx")
    assert listed(tmp_path / "out.xlsx") == [("-", "section-missing")]
    assert links(tmp_path / "out.xlsx") == [None]
    assert comments(tmp_path / "out.xlsx") == {}


def test_a_sheet_name_that_needs_quotes_is_quoted_in_links(sample: Form, tmp_path: Path) -> None:
    """A form pasted into a sheet called 〈Dept's form〉 reads, and its links quote the name."""
    source = rendered(sample, tmp_path)
    workbook = openpyxl.load_workbook(source)
    workbook.active.title = "Dept's form"
    workbook.save(source)
    fill(source, {"C5": "七百", "C3": -1})
    problems = read(source).problems
    assert {p.cell for p in problems} == {"Dept's form!C5", "Dept's form!C3"}
    annotate(source, problems, tmp_path / "out.xlsx")
    assert set(comments(tmp_path / "out.xlsx", "Dept's form")) == {"C5", "C3"}
    assert set(links(tmp_path / "out.xlsx")) == {"'Dept''s form'!C5", "'Dept''s form'!C3"}


# -- the results sheet -------------------------------------------------------------


def test_the_results_sheet_lists_every_problem_in_order(annotated) -> None:
    """One row per problem in the order of the form: number, cell, level, value found, what is wrong and what to change, and last the code."""
    path, problems = annotated
    rows, ordered = result_rows(path), in_form_order(problems)
    assert [(row["单元格"], row["代码"]) for row in rows] == expected(problems)
    assert [row["序号"] for row in rows] == list(range(1, len(problems) + 1))
    assert [row["级别"] for row in rows] == ["错误" if p.severity == "error" else "警告" for p in ordered]
    assert [row["问题说明"] for row in rows] == [explain(p) for p in ordered]
    found = {row["单元格"]: row["发现的值"] for row in rows}
    assert (found[f"{S}C5"], found[f"{S}C3"], found[f"{S}D14"]) == ("七百", "2.5", "=VLOOKUP(1,A1:B2,2)")


def test_the_results_sheet_links_each_row_to_its_cell(annotated) -> None:
    """Each 单元格 is an internal link to the problem's cell, in the same workbook."""
    path, problems = annotated
    assert links(path) == [f"'绩效目标表'!{bare(p.cell)}" for p in in_form_order(problems)]
    sheet = openpyxl.load_workbook(path)["校验结果"]
    assert all(row[1].hyperlink.target is None for row in sheet.iter_rows(min_row=header_row(sheet) + 1))


def test_the_results_sheet_opens_first_and_writes_text_as_text(annotated) -> None:
    """The copy opens on 校验结果; a found '=1+1' is text, not a formula."""
    path, _ = annotated
    workbook = openpyxl.load_workbook(path)
    assert workbook.active.title == "校验结果"
    assert [ws.sheet_view.tabSelected for ws in workbook.worksheets].count(True) == 1
    cells = [c for row in workbook["校验结果"].iter_rows() for c in row if c.value is not None]
    assert {c.data_type for c in cells if not isinstance(c.value, int)} == {"s"}


def test_control_characters_and_formula_like_values_stay_harmless_text(sample: Form, tmp_path: Path) -> None:
    """A value with a bell character and a leading '=' is written as text without the control character."""
    source = rendered(sample, tmp_path)
    problem = Problem("not-a-number", cell=f"{S}C5", value="=A1\x07#N/A", params={"label": "基本支出"})
    annotate(source, [problem], tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["校验结果"]
    cell = sheet.cell(header_row(sheet) + 1, HEADER["zh"].index("发现的值") + 1)
    assert (cell.value, cell.data_type) == ("=A1#N/A", "s")


def test_a_valid_form_gets_a_copy_saying_it_passed(sample: Form, tmp_path: Path) -> None:
    """With no problems the copy has no marks and a 校验结果 sheet saying 校验通过."""
    source = rendered(sample, tmp_path)
    annotate(source, [], tmp_path / "out.xlsx")
    assert [row["序号"] for row in result_rows(tmp_path / "out.xlsx")] == ["校验通过，未发现问题。"]
    assert comments(tmp_path / "out.xlsx") == {}


def test_a_department_sheet_named_like_ours_is_kept_and_ours_gets_a_number(broken: Path, tmp_path: Path) -> None:
    """The department's own 校验结果 sheet is theirs: ours is 校验结果(2), also when the copy is annotated again."""
    workbook = openpyxl.load_workbook(broken)
    workbook.create_sheet("校验结果")["A1"] = "本部门自查记录"
    workbook.save(broken)
    problems = read(broken).problems
    assert annotate(broken, problems, tmp_path / "once.xlsx") == "校验结果(2)"
    assert annotate(tmp_path / "once.xlsx", problems, tmp_path / "twice.xlsx") == "校验结果(2)"
    for path in (tmp_path / "once.xlsx", tmp_path / "twice.xlsx"):
        assert cell_values(path)["校验结果"] == {"A1": ("本部门自查记录", "s")}
        assert openpyxl.load_workbook(path).sheetnames[-3:] == ["校验结果", "校验结果(2)", MARKS]
        assert listed(path, "校验结果(2)") == expected(problems)


def test_english_copies_speak_english(annotated, broken: Path, tmp_path: Path) -> None:
    """lang='en' names the sheet, the header, the levels and the comments in English."""
    _, problems = annotated
    annotate(broken, problems, tmp_path / "en.xlsx", lang="en")
    sheet = openpyxl.load_workbook(tmp_path / "en.xlsx")["Check results"]
    assert [c.value for c in sheet[header_row(sheet)]] == ["No.", "Cell", "Level", "Found", "Problem", "Code"]
    assert comments(tmp_path / "en.xlsx")["C11"].startswith("warning (no. ")


# -- the department's data ---------------------------------------------------------


def test_not_one_value_of_the_department_changes(annotated, broken: Path) -> None:
    """Every value and formula of every original sheet is identical, cell by cell; sheets keep order and visibility."""
    path, _ = annotated
    before, after = cell_values(broken), cell_values(path)
    assert list(after)[: len(before)] == list(before) and list(after)[len(before) :] == ["校验结果", MARKS]
    for name, cells in before.items():
        assert after[name] == cells, name
    old, new = openpyxl.load_workbook(broken), openpyxl.load_workbook(path)
    assert [ws.sheet_state for ws in new.worksheets][: len(old.worksheets)] == [ws.sheet_state for ws in old.worksheets]
    assert new[MARKS].sheet_state == "veryHidden"
    assert [str(r) for r in new["绩效目标表"].merged_cells.ranges] == [str(r) for r in old["绩效目标表"].merged_cells.ranges]


def test_the_copy_reads_back_to_the_same_form_and_problems(annotated, broken: Path) -> None:
    """Reading the annotated copy gives what reading the department's file gave."""
    path, problems = annotated
    result = read(path)
    assert result.form == read(broken).form and result.problems == problems


@pytest.mark.office
def test_strings_are_kept_exactly_as_stored(sample: Form, tmp_path: Path, office) -> None:
    """A literal '_x0041_' in a shared string saved by LibreOffice is still '_x0041_' in the copy, not the letter A."""
    source = office(rendered(sample.model_copy(update={"department": "部门_x0041_甲"}), tmp_path), "xlsx")
    assert read(source).form.department == "部门_x0041_甲"
    annotate(source, [], tmp_path / "out.xlsx")
    assert read(tmp_path / "out.xlsx").form.department == "部门_x0041_甲"


def test_a_department_comment_is_kept_under_ours(broken: Path, tmp_path: Path) -> None:
    """A comment the department wrote on a problem cell stays, after the problem."""
    workbook = openpyxl.load_workbook(broken)
    workbook.active["C5"].comment = openpyxl.comments.Comment("按上年数填写", "信访局")
    workbook.save(broken)
    problems = read(broken).problems
    annotate(broken, problems, tmp_path / "out.xlsx")
    assert comments(tmp_path / "out.xlsx")["C5"].endswith("\n\n——\n按上年数填写")


# -- a marked copy sent back -------------------------------------------------------

SEPARATOR = "\n\n——\n"
"""Between our note and the department's own comment on a cell."""
GREEN = "FFE2EFDA"
FIXED = ("C3", "C5", "D14")
"""The problems the department fixes in the marked copy; C11 (a warning) and C28 remain."""
DEPARTMENT_NOTES = {"C5": ("按上年数填写", "信访局"), "C28": ("指标待定", "信访局"), "B3": ("含借调人员", "信访局")}


def exact_fills(path: Path, sheet: str = "绩效目标表") -> dict[str, str]:
    """Every cell's fill, exactly (as openpyxl writes it), by cell."""
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: tostring(c.fill.to_tree()).decode() for row in ws.iter_rows() for c in row}


def all_comments(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """Every comment of every sheet, (sheet, cell) to (text, author)."""
    workbook = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.comment.text, c.comment.author) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.comment}


def marks(path: Path) -> dict[str, str | None]:
    """The cells of the form sheet carrying a comment written by xlsxform, with their solid fill colour."""
    ws = openpyxl.load_workbook(path)["绩效目标表"]
    return {
        c.coordinate: c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None
        for row in ws.iter_rows()
        for c in row
        if c.comment and c.comment.author == "xlsxform"
    }


def snapshot(path: Path) -> dict[str, Any]:
    """What matters of a workbook: its sheets with their visibility, the one it opens on, every value, every fill exactly, every comment with its author."""
    workbook = openpyxl.load_workbook(path)
    return {
        "sheets": [(ws.title, ws.sheet_state) for ws in workbook.worksheets],
        "active": workbook.active.title,
        "values": cell_values(path),
        "fills": {ws.title: exact_fills(path, ws.title) for ws in workbook.worksheets},
        "comments": all_comments(path),
    }


def as_department(path: Path, values: dict[str, Any], notes: dict[str, tuple[str, str]] | None = None) -> Path:
    """Type values and comments into the form sheet, as a department would in Excel, and save in place."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["绩效目标表"]
    for ref, value in values.items():
        sheet[ref] = value
    for ref, (text, author) in (notes or {}).items():
        sheet[ref].comment = Comment(text, author)
    workbook.save(path)
    return path


def copy(path: Path, name: str) -> Path:
    return Path(shutil.copyfile(path, path.parent / name))


@pytest.fixture
def fixes(sample: Form, tmp_path: Path) -> dict[str, Any]:
    """The sample's own values of the cells the department fixes."""
    sheet = openpyxl.load_workbook(rendered(sample, tmp_path, "clean.xlsx"))["绩效目标表"]
    return {ref: sheet[ref].value for ref in FIXED}


@pytest.fixture
def returned(broken: Path) -> Path:
    """The broken form as the department keeps it: fills of its own on C5 (green) and C3 (a gradient), its comments on C5, C28 and B3."""
    workbook = openpyxl.load_workbook(broken)
    sheet = workbook["绩效目标表"]
    sheet["C5"].fill = PatternFill(fill_type="solid", start_color=GREEN, end_color=GREEN)
    sheet["C3"].fill = GradientFill(degree=90, stop=("FFFFFFFF", "FF9BC2E6"))
    for ref, (text, author) in DEPARTMENT_NOTES.items():
        sheet[ref].comment = Comment(text, author)
    workbook.save(broken)
    return broken


def test_fixing_some_problems_and_annotating_again_marks_exactly_the_rest(returned: Path, fixes, tmp_path: Path) -> None:
    """The marked copy with some problems fixed, annotated again: marks on exactly the remaining problems, every other cell with its original fill, its values untouched."""
    annotate(returned, read(returned).problems, tmp_path / "marked.xlsx")
    sent_back = as_department(tmp_path / "marked.xlsx", fixes)
    problems = read(sent_back).problems
    assert {p.cell for p in problems} == {f"{S}C11", f"{S}C28"}
    again = tmp_path / "again.xlsx"
    assert annotate(sent_back, problems, again) == "校验结果"
    assert marks(again) == {**dict.fromkeys(R4_INPUTS, YELLOW), "C11": YELLOW, "C28": RED}
    original, after = exact_fills(returned), exact_fills(again)
    assert {ref for ref in after if after[ref] != original[ref]} == {*R4_INPUTS, "C11", "C28"}
    assert listed(again) == expected(problems)
    assert openpyxl.load_workbook(again).sheetnames == [*openpyxl.load_workbook(returned).sheetnames, "校验结果", MARKS]
    before, now = cell_values(sent_back), cell_values(again)
    assert {name: now[name] for name in before if name not in ("校验结果", MARKS)} == {
        name: cells for name, cells in before.items() if name not in ("校验结果", MARKS)
    }


def test_department_comments_survive_and_the_result_is_as_if_never_marked(returned: Path, fixes, tmp_path: Path) -> None:
    """Comments the department wrote before or after the marking stay theirs: the fixed marked copy annotates to exactly what the fixed unmarked workbook does."""
    problems = read(returned).problems
    annotate(returned, problems, tmp_path / "marked.xlsx")
    written = {"C3": ("已改为12人", "信访局"), "D5": ("已核实", "信访局")}  # C3 over our comment, D5 on a cell we never marked
    sent_back = as_department(tmp_path / "marked.xlsx", fixes, written)
    never_marked = as_department(copy(returned, "never-marked.xlsx"), fixes, written)
    problems = read(sent_back).problems
    annotate(sent_back, problems, tmp_path / "again.xlsx")
    annotate(never_marked, problems, tmp_path / "fresh.xlsx")
    assert snapshot(tmp_path / "again.xlsx") == snapshot(tmp_path / "fresh.xlsx")
    found = {ref: note for (sheet, ref), note in all_comments(tmp_path / "again.xlsx").items() if sheet == "绩效目标表"}
    assert {ref: found[ref] for ref in ("C5", "B3", "C3", "D5")} == {**{ref: DEPARTMENT_NOTES[ref] for ref in ("C5", "B3")}, **written}
    assert found["C28"][0].split(SEPARATOR)[1:] == [DEPARTMENT_NOTES["C28"][0]]


def test_annotating_the_annotated_copy_again_is_annotating_once(returned: Path, tmp_path: Path) -> None:
    """A copy annotated twice with the same problems equals the copy annotated once: sheets, values, fills and comments."""
    problems = read(returned).problems
    annotate(returned, problems, tmp_path / "once.xlsx")
    assert annotate(tmp_path / "once.xlsx", problems, tmp_path / "twice.xlsx") == "校验结果"
    assert snapshot(tmp_path / "twice.xlsx") == snapshot(tmp_path / "once.xlsx")


def test_a_fill_the_department_put_over_a_mark_stays(broken: Path, fixes, tmp_path: Path) -> None:
    """A marked cell the department coloured itself keeps the department's colour; the others get theirs back."""
    annotate(broken, read(broken).problems, tmp_path / "marked.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    workbook["绩效目标表"]["C3"].fill = PatternFill(fill_type="solid", start_color=GREEN, end_color=GREEN)
    workbook.save(tmp_path / "marked.xlsx")
    sent_back = as_department(tmp_path / "marked.xlsx", fixes)
    annotate(sent_back, read(sent_back).problems, tmp_path / "again.xlsx")
    assert fills(tmp_path / "again.xlsx") == {**dict.fromkeys(R4_INPUTS, YELLOW), "C3": GREEN, "C11": YELLOW, "C28": RED}


def test_a_copy_marked_before_marks_were_recorded_is_cleaned_too(broken: Path, fixes, tmp_path: Path) -> None:
    """A marked copy without the record (as earlier versions made them) loses its old notes, colours and 校验结果; the department's comment stays."""
    as_department(broken, {}, {"C5": DEPARTMENT_NOTES["C5"]})
    annotate(broken, read(broken).problems, tmp_path / "marked.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    workbook.remove(workbook[MARKS])
    workbook.save(tmp_path / "marked.xlsx")
    sent_back = as_department(tmp_path / "marked.xlsx", fixes)
    never_marked = as_department(copy(broken, "never-marked.xlsx"), fixes)
    problems = read(sent_back).problems
    annotate(sent_back, problems, tmp_path / "again.xlsx")
    annotate(never_marked, problems, tmp_path / "fresh.xlsx")
    again, fresh = snapshot(tmp_path / "again.xlsx"), snapshot(tmp_path / "fresh.xlsx")
    assert {k: again[k] for k in ("sheets", "active", "fills")} == {k: fresh[k] for k in ("sheets", "active", "fills")}
    assert {ref: text for ref, (text, _) in again["comments"].items()} == {ref: text for ref, (text, _) in fresh["comments"].items()}
    assert {name: cells for name, cells in again["values"].items() if name != MARKS} == {
        name: cells for name, cells in fresh["values"].items() if name != MARKS
    }


@pytest.mark.office
def test_a_copy_saved_by_libreoffice_then_fixed_is_annotated_anew(returned: Path, fixes, tmp_path: Path, office) -> None:
    """Annotated, saved by LibreOffice, fixed in part and annotated again: marks on exactly the remaining problems, the original fills back, the department's comments kept."""
    annotate(returned, read(returned).problems, tmp_path / "marked.xlsx")
    saved = office(tmp_path / "marked.xlsx", "xlsx")
    assert openpyxl.load_workbook(saved)[MARKS].sheet_state == "hidden"  # LibreOffice keeps the record, as merely hidden
    as_department(saved, fixes)
    problems = read(saved).problems
    assert {p.cell for p in problems} == {f"{S}C11", f"{S}C28"}
    again = tmp_path / "again.xlsx"
    assert annotate(saved, problems, again) == "校验结果"
    assert marks(again) == {**dict.fromkeys(R4_INPUTS, YELLOW), "C11": YELLOW, "C28": RED}
    assert {ref: exact_fills(again)[ref] for ref in FIXED} == {ref: exact_fills(returned)[ref] for ref in FIXED}
    assert fills(again) == {**dict.fromkeys(R4_INPUTS, YELLOW), "C5": GREEN, "C11": YELLOW, "C28": RED}
    assert openpyxl.load_workbook(again).sheetnames == [*openpyxl.load_workbook(returned).sheetnames, "校验结果", MARKS]
    found = {ref: text for (sheet, ref), (text, _) in all_comments(again).items() if sheet == "绩效目标表"}
    assert {ref: found[ref] for ref in ("C5", "B3")} == {ref: DEPARTMENT_NOTES[ref][0] for ref in ("C5", "B3")}
    assert found["C28"].split(SEPARATOR)[1:] == [DEPARTMENT_NOTES["C28"][0]]
    assert listed(again) == expected(problems)


@pytest.mark.office
def test_marks_move_with_rows_inserted_in_libreoffice(broken: Path, fixes, tmp_path: Path, libreoffice_fill) -> None:
    """A row inserted in LibreOffice under a marked cell (taking its colour) and a fix: annotated again, only the remaining problems are marked, where they moved to."""
    annotate(broken, read(broken).problems, tmp_path / "marked.xlsx")
    steps = [{"insert_rows_above": "B15", "count": 1}, {"number": "D14", "value": fixes["D14"]}]
    sent_back = libreoffice_fill(tmp_path / "marked.xlsx", tmp_path / "sent-back.xlsx", steps)
    assert fills(sent_back)["D15"] == RED  # the new row took the mark's colour
    problems = read(sent_back).problems
    assert {bare(p.cell) for p in problems} == {"C3", "C5", "C11", "C29"}
    annotate(sent_back, problems, tmp_path / "again.xlsx")
    remaining = {**dict.fromkeys(R4_INPUTS, YELLOW), "C3": RED, "C5": RED, "C11": YELLOW, "C29": RED}
    assert marks(tmp_path / "again.xlsx") == remaining
    assert fills(tmp_path / "again.xlsx") == remaining


# -- refusals ----------------------------------------------------------------------


def test_the_copy_never_overwrites_the_department_file(broken: Path) -> None:
    """The source as target, however spelled, is a FormDataError and the file is untouched."""
    content = broken.read_bytes()
    for target in (broken, broken.parent / "." / broken.name, broken.parent / ".." / broken.parent.name / broken.name):
        with pytest.raises(FormDataError):
            annotate(broken, [], target)
    assert broken.read_bytes() == content


def test_an_xls_source_is_refused_with_a_reason() -> None:
    """An .xls is read, but its annotated copy cannot be made cell for cell: a FormDataError says to save as .xlsx."""
    with pytest.raises(FormDataError) as raised:
        annotate(XLS_FIXTURE, [], XLS_FIXTURE.parent / "never-written.xlsx")
    assert raised.value.path == str(XLS_FIXTURE)
    assert not (XLS_FIXTURE.parent / "never-written.xlsx").exists()


def test_an_unreadable_source_is_an_unreadable_workbook(tmp_path: Path) -> None:
    """A damaged .xlsx raises UnreadableWorkbookError, not openpyxl's exception."""
    source = tmp_path / "bad.xlsx"
    source.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UnreadableWorkbookError):
        annotate(source, [], tmp_path / "out.xlsx")


# -- LibreOffice -------------------------------------------------------------------


@pytest.mark.office
def test_the_marks_survive_libreoffice(annotated, broken: Path, office) -> None:
    """Saved again by LibreOffice, the copy keeps its comments, colours, results, links and values."""
    path, _problems = annotated
    saved = office(path, "xlsx")
    assert comments(saved) == comments(path)
    assert {ref: fills(saved)[ref] for ref in comments(path)} == {ref: fills(path)[ref] for ref in comments(path)}
    assert result_rows(saved) == result_rows(path)
    assert links(saved) == links(path)
    before, after = cell_values(broken), cell_values(saved)
    for name in before:
        assert {ref: v for ref, (v, _) in after[name].items()} == {ref: v for ref, (v, _) in before[name].items()}, name
    assert pairs(read(saved)) == pairs(read(office(broken, "xlsx")))  # as LibreOffice recalculated both


# -- the command -------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_annotate_writes_the_copy_and_says_where(broken: Path, tmp_path: Path, capsys) -> None:
    """`check --annotate` exits 1 for a form with problems, writes the copy and names it."""
    target = tmp_path / "批注.xlsx"
    code, out, _ = run(capsys, "check", str(broken), "--annotate", str(target))
    assert code == 1 and out.strip().splitlines()[-1].endswith(str(target))
    assert listed(target) == expected(read(broken).problems)


def test_check_annotate_writes_a_copy_of_a_valid_form(sample: Form, tmp_path: Path, capsys) -> None:
    """A valid form exits 0 and still gets its copy, saying 校验通过."""
    target = tmp_path / "ok-annotated.xlsx"
    code, _, _ = run(capsys, "check", str(rendered(sample, tmp_path)), "--annotate", str(target))
    assert code == 0 and result_rows(target)[0]["序号"] == "校验通过，未发现问题。"


def test_check_annotate_with_json_names_the_copy_in_the_report(broken: Path, tmp_path: Path, capsys) -> None:
    """With --format json, stdout stays one JSON document, which names the copy."""
    target = tmp_path / "a.xlsx"
    code, out, _ = run(capsys, "check", "--format", "json", str(broken), "--annotate", str(target))
    assert code == 1 and json.loads(out)["annotated"] == str(target) and target.exists()


def test_check_annotate_of_a_returned_marked_copy_replaces_its_marks(broken: Path, fixes, tmp_path: Path, capsys) -> None:
    """`check --annotate` on a marked copy the department partly fixed: one 校验结果 listing the current problems, marks on those cells only."""
    run(capsys, "check", str(broken), "--annotate", str(tmp_path / "marked.xlsx"))
    sent_back = as_department(tmp_path / "marked.xlsx", fixes)
    code, _, _ = run(capsys, "check", str(sent_back), "--annotate", str(tmp_path / "again.xlsx"))
    assert code == 1
    assert [name for name in openpyxl.load_workbook(tmp_path / "again.xlsx").sheetnames if name.startswith("校验结果")] == ["校验结果"]
    assert listed(tmp_path / "again.xlsx") == expected(read(sent_back).problems)
    assert marks(tmp_path / "again.xlsx") == {**dict.fromkeys(R4_INPUTS, YELLOW), "C11": YELLOW, "C28": RED}
    assert fills(tmp_path / "again.xlsx") == {**dict.fromkeys(R4_INPUTS, YELLOW), "C11": YELLOW, "C28": RED}


@pytest.mark.parametrize("target", ["{source}", "{tmp}/./broken.xlsx", "{tmp}/copy.xls", "{tmp}/no/such/dir/a.xlsx"])
def test_check_annotate_refuses_bad_targets(broken: Path, tmp_path: Path, capsys, target: str) -> None:
    """Overwriting the department's file, a non-.xlsx name or a missing folder: one line, exit 2, nothing written."""
    content = broken.read_bytes()
    code, out, err = run(capsys, "check", str(broken), "--annotate", target.format(source=broken, tmp=tmp_path))
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert broken.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xlsx"]


def test_check_annotate_of_an_unreadable_file_is_exit_code_2(tmp_path: Path, capsys) -> None:
    """A file that is not a workbook fails before any copy is written."""
    (tmp_path / "garbage.xlsx").write_bytes(b"\x00garbage")
    code, out, err = run(capsys, "check", str(tmp_path / "garbage.xlsx"), "--annotate", str(tmp_path / "a.xlsx"))
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.xlsx").exists()
