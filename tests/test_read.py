"""Reading a filled workbook: values as a person sees them, every problem on its cell."""

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import (
    Form,
    NotThisFormError,
    UnreadableWorkbookError,
    read,
    render_template,
)
from xlsxform.reading.values import split_numbered

from .helpers import fill, pairs, rendered, reread

S = "绩效目标表!"


def test_the_sample_reads_back_exactly(sample: Form, tmp_path: Path) -> None:
    """read(render(form)) is the form, with no problem."""
    result = read(rendered(sample, tmp_path))
    assert result.form == sample
    assert result.problems == [] and result.ok


def test_every_field_is_located(sample: Form, tmp_path: Path) -> None:
    """The reading records the cell of each field, so problems point at cells."""
    cells = read(rendered(sample, tmp_path)).cells
    assert (cells["department"], cells["budget.basic"], cells["budget.transfer"]) == (f"{S}B2", f"{S}C5", f"{S}E10")
    assert (cells["key_tasks[2].funds"], cells["indicators[15].value"], cells["expense_total"]) == (f"{S}D16", f"{S}E35", f"{S}C7")


def test_numbers_typed_as_text_are_read_as_numbers(sample: Form, tmp_path: Path) -> None:
    """'776.80', full-width digits with separators and 万元 are the amounts they spell."""
    result = reread(sample, tmp_path, {"C5": "776.80", "E5": "１，１３３.４９ 万元", "C6": " 356.69 ", "C3": "２３"})
    assert (result.form.budget.basic, result.form.budget.fiscal, result.form.budget.project) == (Decimal("776.8"), Decimal("1133.49"), Decimal("356.69"))
    assert result.form.staff == 23
    # The template's SUM formulas skip text, so the sheet's own totals are off: say so.
    assert pairs(result) == {(f"{S}{ref}", "number-as-text") for ref in ("C5", "E5", "C6", "C3")}
    assert result.ok


def test_percent_formatted_numbers_read_as_percentages(sample: Form, tmp_path: Path) -> None:
    """1 and 0.95 typed into a 0% cell are the 100% and 95% the department saw."""
    result = reread(sample, tmp_path, {"E23": 1, "E25": 0.95, "E26": 4}, formats={"E23": "0%", "E25": "0%"})
    values = [i.value for i in result.form.indicators[3:7]]
    assert values == ["100%", "100%", "95%", "4"]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({"C5": "七百"}, {(f"{S}C5", "not-a-number")}),
        ({"C5": -776.8}, {(f"{S}C5", "negative")}),
        ({"C5": 1e22}, {(f"{S}C5", "too-large")}),
        ({"C3": 1e300}, {(f"{S}C3", "too-large")}),
        ({"C3": 2.5}, {(f"{S}C3", "not-whole-number")}),
        ({"E3": "-1"}, {(f"{S}E3", "not-whole-number")}),
        ({"E5": "=VLOOKUP(1,A1:B2,2)"}, {(f"{S}E5", "formula-unresolved")}),
        ({"D15": "六十六"}, {(f"{S}D15", "not-a-number")}),
        ({"B2": None}, {(f"{S}B2", "required")}),
        ({"B12": None}, {(f"{S}B12", "required")}),
    ],
)
def test_a_bad_value_is_reported_on_its_cell(sample: Form, tmp_path: Path, edits: dict, expected: set) -> None:
    """Non-numbers, negatives, fractions of people, formulas in inputs and blanks are named with their cell."""
    assert pairs(reread(sample, tmp_path, edits)) == expected


def test_r1_expenses_must_equal_income(sample: Form, tmp_path: Path) -> None:
    """基本支出 + 项目支出 ≠ 财政拨款 + 其他资金 is an error on the 支出合计 cell."""
    result = reread(sample, tmp_path, {"E5": 1100})
    assert pairs(result) == {(f"{S}C7", "r1-budget-unbalanced")} and not result.ok
    assert (result.problems[0].params["left"], result.problems[0].params["right"]) == ("1133.49", "1100")


def test_r2_task_funds_must_not_exceed_project_spending(sample: Form, tmp_path: Path) -> None:
    """Key-task funds over 项目支出 are an error on the tasks' 合计 cell; other tasks do not count."""
    assert pairs(reread(sample, tmp_path, {"D16": 91})) == {(f"{S}D17", "r2-task-funds-exceed-project")}
    assert reread(sample, tmp_path, {"D18": 1000}).problems == []


def test_r3_development_spending_must_match_its_split(sample: Form, tmp_path: Path) -> None:
    """财政专项资金 + 其他事业发展性支出 ≠ 市本级 + 对下转移支付 is an error on its 合计."""
    assert pairs(reread(sample, tmp_path, {"C9": 10})) == {(f"{S}C11", "r3-development-unbalanced")}


def test_r4_development_spending_over_project_spending_is_a_warning(sample: Form, tmp_path: Path) -> None:
    """Development spending above 项目支出 warns but does not fail the form."""
    result = reread(sample, tmp_path, {"C9": 400, "E9": 400})
    assert pairs(result) == {(f"{S}C11", "r4-development-exceeds-project")}
    assert result.ok and result.problems[0].severity == "warning"


def test_money_is_compared_exactly(sample: Form, tmp_path: Path) -> None:
    """0.1 + 0.2 equals 0.3 on this form: amounts are decimals, not floats."""
    edits = {"C5": 0.1, "C6": 0.2, "E5": 0.3, "E6": 0, "D14": 0.1, "D15": 0.1, "D16": 0}
    assert reread(sample, tmp_path, edits).problems == []


def test_indicator_rows_need_a_name_and_a_value(sample: Form, tmp_path: Path) -> None:
    """A 三级 name without a value, or a value without a name, is an error on the empty cell."""
    result = reread(sample, tmp_path, {"E20": None, "D21": None})
    assert pairs(result) == {(f"{S}E20", "indicator-value-missing"), (f"{S}D21", "indicator-name-missing")}


def test_second_level_must_belong_to_its_first_level(sample: Form, tmp_path: Path) -> None:
    """质量指标 under 效益指标 is outside the framework and reported on its cell."""
    assert pairs(reread(sample, tmp_path, {"C28": "质量指标"})) == {(f"{S}C28", "indicator-level-unknown")}


def test_each_first_level_needs_an_indicator(sample: Form, tmp_path: Path) -> None:
    """满意度指标 with no 三级 rows is an error on its label."""
    result = reread(sample, tmp_path, {"D34": None, "E34": None, "D35": None, "E35": None})
    assert pairs(result) == {(f"{S}B34", "level1-without-indicator")}


def test_all_problems_are_collected_in_one_pass(sample: Form, tmp_path: Path) -> None:
    """A form with many faults lists them all, not just the first."""
    result = reread(sample, tmp_path, {"B2": "", "C3": -2, "E5": 1, "D14": "x", "E20": None, "C28": "质量指标"})
    assert pairs(result) == {
        (f"{S}B2", "required"),
        (f"{S}C3", "not-whole-number"),
        (f"{S}C7", "r1-budget-unbalanced"),
        (f"{S}D14", "not-a-number"),
        (f"{S}E20", "indicator-value-missing"),
        (f"{S}C28", "indicator-level-unknown"),
    }


def test_a_total_typed_over_its_formula_is_checked(sample: Form, tmp_path: Path) -> None:
    """A number typed into a 合计 cell is recomputed and a mismatch reported there."""
    assert pairs(reread(sample, tmp_path, {"C7": 1000})) == {(f"{S}C7", "total-mismatch")}
    assert reread(sample, tmp_path, {"C7": 1133.49, "D17": "356.69"}).problems == []


def test_empty_rows_are_not_data(sample: Form, tmp_path: Path) -> None:
    """Blank template rows left empty read as nothing."""
    path = tmp_path / "blank.xlsx"
    render_template(path, year=2024, department="测试局")
    form = read(path).form
    assert (form.key_tasks, form.other_tasks, form.indicators, form.goals) == ([], [], [], [])


def test_a_filled_template_reads_back(tmp_path: Path) -> None:
    """A department filling the blank rows of a template gets exactly what it typed."""
    path = tmp_path / "blank.xlsx"
    render_template(path, year=2024, department="测试局")
    edits = {
        "C3": 10,
        "E3": 1,
        "C5": 100,
        "C6": 50,
        "E5": 150,
        "E6": 0,
        "C9": 0,
        "C10": 0,
        "E9": 0,
        "E10": 0,
        "B12": "目标1：第一个目标\n目标2:第二个目标",
        "B14": "任务1：甲",
        "C14": "内容",
        "D14": 50,
        "E14": "目标",
        "D23": "会议次数",
        "E23": "10",
        "D35": "经济效益",
        "E35": "明显",
        "D47": "满意度",
        "E47": 0.9,
    }
    result = read(fill(path, edits, formats={"E47": "0%"}))
    assert result.problems == []
    form = result.form
    assert form.goals == ["第一个目标", "第二个目标"]
    assert [(t.name, t.funds) for t in form.key_tasks] == [("任务1：甲", Decimal(50))]
    assert [(i.level1, i.level2, i.name, i.value) for i in form.indicators] == [
        ("产出指标", "数量指标", "会议次数", "10"),
        ("效益指标", "经济效益指标", "经济效益", "明显"),
        ("满意度指标", "服务对象满意度指标", "满意度", "90%"),
    ]


@pytest.mark.parametrize(
    ("text", "goals"),
    [
        ("目标1：甲\n目标2：乙", ["甲", "乙"]),
        ("目标1:甲\n 目标 2 ：乙\n续写", ["甲", "乙\n续写"]),
        ("甲\n乙", ["甲", "乙"]),
        ("", []),
    ],
)
def test_goals_split_on_their_numbers(text: str, goals: list[str]) -> None:
    """总体绩效目标 is one cell; its items split on 目标N：, else on lines."""
    assert split_numbered(text, "目标{n}：") == goals


def test_a_workbook_that_is_not_this_form_is_refused(tmp_path: Path) -> None:
    """A spreadsheet without the form's sections is one NotThisFormError naming the file."""
    path = tmp_path / "other.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "电话"])
    workbook.save(path)
    with pytest.raises(NotThisFormError) as raised:
        read(path)
    assert raised.value.path == str(path)


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04 truncated"])
def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    """Empty, random and truncated files raise UnreadableWorkbookError, not a library's exception."""
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableWorkbookError):
        read(path)


def test_messages_exist_in_chinese_and_english(sample: Form, tmp_path: Path) -> None:
    """Every problem speaks both languages."""
    problem = reread(sample, tmp_path, {"C5": "七百"}).problems[0]
    assert problem.message() == "“基本支出”应为数字，实际为“七百”"
    assert problem.message("en") == "基本支出 must be a number, found '七百'"
    assert problem.to_dict()["cell"] == f"{S}C5" and problem.to_dict()["value"] == "七百"


def test_office_escapes_in_text_are_decoded(sample: Form, tmp_path: Path) -> None:
    """Excel's _x000D_ before a line break is a carriage return, read as a plain line break."""
    result = reread(sample, tmp_path, {"C15": "第一行_x000D_\n第二行\r\n第三行"})
    assert result.form.key_tasks[1].content == "第一行\n第二行\n第三行"


def test_text_that_looks_like_an_office_escape_survives(sample: Form, tmp_path: Path) -> None:
    """A department's literal '_x0041_' is written escaped and read back as typed."""
    form = sample.model_copy(update={"department": "部门_x0041_甲"})
    path = rendered(form, tmp_path)
    assert openpyxl.load_workbook(path).active["B2"].value == "部门_x005F_x0041_甲"
    assert read(path).form.department == "部门_x0041_甲"


def test_a_workbook_saved_by_libreoffice_reads_back_exactly(sample: Form) -> None:
    """The sample as LibreOffice saved it (shared strings, cached totals) reads to the sample, no problems."""
    result = read(Path(__file__).parent / "fixtures" / "sample-libreoffice.xlsx")
    assert result.form == sample and result.problems == []


@pytest.mark.parametrize("typed", ["=C5+C6", "=SUM(C5:C6)", "=776.8+356.69", "=SUM(C5,C6)*1"])
def test_simple_formulas_typed_over_inputs_are_worked_out(sample: Form, tmp_path: Path, typed: str) -> None:
    """A formula with no cached value (=C5+C6 in 财政拨款) counts as the number it works out to."""
    result = reread(sample, tmp_path, {"E5": typed})
    assert result.form.budget.fiscal == Decimal("1133.49") and result.problems == []


def test_a_formula_too_complex_to_work_out_is_reported(sample: Form, tmp_path: Path) -> None:
    """A formula beyond simple arithmetic, or referring to a text cell, is reported on its cell."""
    assert pairs(reread(sample, tmp_path, {"C6": "=B5*2", "E6": "=E5+"})) >= {(f"{S}C6", "formula-unresolved"), (f"{S}E6", "formula-unresolved")}


def test_dates_in_indicator_values_read_as_shown(sample: Form, tmp_path: Path) -> None:
    """A date typed into 指标值 reads as its number format shows it."""
    import datetime as dt

    when = dt.datetime(2023, 12, 31)
    result = reread(sample, tmp_path, {"E26": when, "E27": when}, formats={"E26": "yyyy/m/d", "E27": 'yyyy"年"m"月"d"日"'})
    assert [i.value for i in result.form.indicators[6:8]] == ["2023/12/31", "2023年12月31日"]


def test_every_problem_can_be_put_into_words(sample: Form, tmp_path: Path) -> None:
    """Messages of every kind of problem a form can have format in both languages."""
    edits = {
        "B2": None,
        "C3": "许多",
        "E3": 2.5,
        "E5": 1,
        "D14": 500,
        "C9": 400,
        "E9": 100,
        "E21": None,
        "D22": None,
        "C28": "质量指标",
        "B12": "=VLOOKUP(1,A1:B2,2)",
        "D24": "#N/A",
        "D18": -1,
        "C10": 1e20,
    }
    result = reread(sample, tmp_path, edits)
    codes = {p.code for p in result.problems}
    assert codes >= {
        "required",
        "not-a-number",
        "not-whole-number",
        "r1-budget-unbalanced",
        "r2-task-funds-exceed-project",
        "indicator-value-missing",
        "indicator-name-missing",
        "indicator-level-unknown",
        "formula-unresolved",
        "cell-error",
        "negative",
        "too-large",
    }
    for problem in result.problems:
        assert problem.message("zh") and problem.message("en")


def test_rows_under_one_merged_label_report_it_once(sample: Form, tmp_path: Path) -> None:
    """Two indicators under a 二级 label outside the framework give one problem on that label."""
    result = reread(sample, tmp_path, {"C28": "质量指标"})
    assert [p.cell for p in result.problems] == [f"{S}C28"]


def test_a_sum_over_an_unreadable_amount_is_not_checked(sample: Form, tmp_path: Path) -> None:
    """R1 is not reported on totals the sheet does not show when one of its amounts could not be read."""
    assert pairs(reread(sample, tmp_path, {"C6": "三百", "E5": 1})) == {(f"{S}C6", "not-a-number")}
    assert pairs(reread(sample, tmp_path, {"D15": "=1/0"})) == {(f"{S}D15", "formula-unresolved")}


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("2023年市级部门整体预算绩效目标表", 2023),
        ("市级部门整体预算绩效目标表（2025年）", 2025),
        ("二〇二五年市级部门整体预算绩效目标表", 2025),
        ("市级部门整体预算绩效目标表", None),
    ],
)
def test_the_year_is_read_wherever_the_title_puts_it(title: str, year: int | None) -> None:
    """The year is found before 年, in brackets after the name, or in Chinese numerals."""
    from xlsxform.reading.values import title_year

    assert title_year(title) == year


def test_a_title_without_a_year_is_reported_on_the_title(sample: Form, tmp_path: Path) -> None:
    """A missing year points at the title cell, where it has to be written."""
    assert pairs(reread(sample, tmp_path, {"A1": "市级部门整体预算绩效目标表"})) >= {(f"{S}A1", "required")}


def test_a_task_with_parts_left_empty_is_warned(sample: Form, tmp_path: Path) -> None:
    """A key task with a name but no funds or content gets one warning naming what is missing."""
    result = reread(sample, tmp_path, {"C15": None, "D15": None, "D14": 266.69})
    assert pairs(result) == {(f"{S}C15", "task-part-missing")}
    assert result.ok and result.problems[0].params["parts"] == "“主要实施内容”、“拟投入的资金（万元）”"


def test_control_characters_in_text_are_removed_and_reported(sample: Form, tmp_path: Path) -> None:
    """A control character (Excel's _x0007_) in a text cell is dropped with a warning, so the form can be rendered again."""
    result = reread(sample, tmp_path, {"C15": "保障_x0007_日常办公"})
    assert result.form.key_tasks[1].content == "保障日常办公"
    assert pairs(result) == {(f"{S}C15", "control-characters")}


def test_a_cleared_title_is_a_missing_year_not_a_crash(sample: Form, tmp_path: Path) -> None:
    """Clearing the title cell of a rendered form reports the year as missing, on the title."""
    assert pairs(reread(sample, tmp_path, {"A1": None})) >= {(f"{S}A1", "required")}


def test_text_that_reads_like_an_error_value_is_text(sample: Form, tmp_path: Path) -> None:
    """An outcome a department wrote as '#DIV/0!' is that text; only real error cells are errors."""
    form = sample.model_copy(update={"other_tasks": [sample.other_tasks[0].model_copy(update={"outcome": "#DIV/0!"})]})
    result = read(rendered(form, tmp_path))
    assert result.form == form and result.problems == []


def test_r2_counts_a_blank_project_expense_as_zero(sample: Form, tmp_path: Path) -> None:
    """Key task funds with 项目支出 left blank break R2 on the key tasks' total, as if 项目支出 were 0."""
    result = reread(sample, tmp_path, {"C6": None})
    assert (result.cells["key_task_total"], "r2-task-funds-exceed-project") in pairs(result)


def test_a_chain_of_formulas_is_worked_out_once_per_cell(sample: Form, tmp_path: Path) -> None:
    """An input typed as a formula over a chain of 40 formulas, each adding the one before twice, reads at once (2**39), not in 2**40 steps."""
    import subprocess
    import sys

    chain = {"H1": 1} | {f"H{row}": f"=H{row - 1}+H{row - 1}" for row in range(2, 41)}
    path = fill(rendered(sample, tmp_path), chain | {"C5": "=H40"})
    script = f"from xlsxform import read; print(read({str(path)!r}).form.budget.basic)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert Decimal(done.stdout.strip()) == Decimal(2**39)
