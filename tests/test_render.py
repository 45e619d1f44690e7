"""The rendered sheet: official layout, formulas, formats, fonts, print setup."""

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, FormDataError, Indicator, Task, read, render, render_template
from xlsxform.spec.layout import Spec

from .helpers import rendered

# The sample's rows: title, name, basic info, budget 4-11, goals 12,
# key tasks 13-17 (header, 3 tasks, total), other task 18, indicators 19-35.
SAMPLE_MERGES = {
    "A1:E1",
    "B2:E2",
    "A4:A11",
    "B12:E12",
    "A13:A17",
    "A19:A35",
    "B20:B27",
    "B28:B33",
    "B34:B35",
    "C20:C22",
    "C23:C25",
    "C28:C29",
    "C30:C31",
    "C34:C35",
    "A36:E36",
}


@pytest.fixture
def sheet(sample: Form, tmp_path: Path) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(rendered(sample, tmp_path)).active


def test_the_sample_has_the_official_merges(sheet) -> None:
    """Title, department, section labels and indicator groups are merged as in the official table."""
    assert {str(r) for r in sheet.merged_cells.ranges} == SAMPLE_MERGES


def test_labels_stand_where_the_official_table_has_them(sheet) -> None:
    """Fixed labels and the title with its year are in their cells."""
    expected = {
        "A1": "2023年市级部门整体预算绩效目标表",
        "A2": "部门名称",
        "B2": "湛江市信访局",
        "A3": "基本信息",
        "B3": "财政供养人员数",
        "D3": "下属二级单位数",
        "A4": "预算整体情况",
        "B5": "基本支出",
        "D10": "拟用于对下转移支付资金",
        "A12": "总体绩效目标",
        "A13": "年度重点工作任务",
        "B13": "名称",
        "E13": "期望达到的目标（概述）",
        "B17": "合计",
        "A18": "其他需完成的任务（可选填）",
        "A19": "绩效指标",
        "B19": "一级指标",
        "E19": "指标值",
        "B20": "产出指标",
        "C20": "数量指标",
        "B34": "满意度指标",
        "C34": "服务对象满意度指标",
    }
    assert {ref: sheet[ref].value for ref in expected} == expected
    assert sheet["A36"].value.startswith("备注：1.本表的填报主体是市级一级预算单位。")


def test_totals_are_sum_formulas_over_their_inputs(sheet) -> None:
    """The 合计 rows hold formulas, not numbers, so they follow what the department types."""
    formulas = {ref: sheet[ref].value for ref in ("C7", "E7", "C11", "E11", "D17")}
    assert formulas == {"C7": "=SUM(C5,C6)", "E7": "=SUM(E5,E6)", "C11": "=SUM(C9,C10)", "E11": "=SUM(E9,E10)", "D17": "=SUM(D13:D16)"}


def test_unequal_totals_are_marked_red(sheet) -> None:
    """Conditional formatting fills 支出合计/收入合计 red whenever they differ."""
    rules = {str(cf.sqref): [r.formula for r in cf.rules] for cf in sheet.conditional_formatting}
    assert rules["C7 E7"] == [["ROUND($C$7-$E$7,6)<>0"]]
    assert rules["C11 E11"] == [["ROUND($C$11-$E$11,6)<>0"]]


def test_the_workbook_asks_to_be_recalculated_on_open(sample: Form, tmp_path: Path) -> None:
    """Formulas have no cached values, so every suite is told to recalculate."""
    workbook = openpyxl.load_workbook(rendered(sample, tmp_path))
    assert workbook.calculation.fullCalcOnLoad is True


def test_amounts_and_counts_have_number_formats(sheet) -> None:
    """Amounts show two decimals with separators; counts show whole numbers."""
    assert sheet["C5"].value == 776.8 and sheet["C5"].number_format == "#,##0.00"
    assert sheet["D14"].value == 200.34 and sheet["D14"].number_format == "#,##0.00"
    assert sheet["C7"].number_format == "#,##0.00"
    assert sheet["C3"].value == 23 and sheet["C3"].number_format == "0"


def test_fonts_are_the_official_ones(sheet) -> None:
    """Title in 方正小标宋简体 20pt; body in 仿宋_GB2312, with a Chinese charset for substitution."""
    assert (sheet["A1"].font.name, sheet["A1"].font.sz) == ("方正小标宋简体", 20)
    assert sheet["B14"].font.name == "仿宋_GB2312" and sheet["B14"].font.charset == 134
    assert sheet["C14"].alignment.wrap_text and sheet["C14"].alignment.horizontal == "left"
    assert sheet["B5"].alignment.horizontal == "center"
    assert sheet["B5"].border.left.style == "thin" and sheet["E35"].border.bottom.style == "thin"


def test_fallback_fonts_replace_the_official_ones(sample: Form, tmp_path: Path) -> None:
    """For machines without the official fonts, common ones can be written instead."""
    path = tmp_path / "plain.xlsx"
    render(sample, path, fallback_fonts=True)
    sheet = openpyxl.load_workbook(path).active
    assert (sheet["A1"].font.name, sheet["B14"].font.name) == ("宋体", "仿宋")


def test_rows_are_tall_enough_for_their_text(sheet) -> None:
    """A long wrapped task is given many lines; a short row stays short."""
    assert sheet.row_dimensions[14].height > 10 * sheet.row_dimensions[15].height / 2
    assert sheet.row_dimensions[15].height < 60
    assert sheet.row_dimensions[12].height > 150


def test_print_setup_is_a4_portrait_one_page_wide(sheet) -> None:
    """A4 portrait, fitted to one page wide, print area over the whole table, margins set."""
    setup = sheet.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "portrait", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_area == "'绩效目标表'!$A$1:$E$36"
    assert sheet.page_margins.left == pytest.approx(1.5 / 2.54, abs=0.001)
    assert [sheet.column_dimensions[c].width for c in "ABCDE"] == [15, 21, 27, 22, 27]


@pytest.mark.parametrize("text", ["=1+1", "+8613800000000", "-5%", "@SUM(A1)", '=HYPERLINK("http://x")'])
def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, sample: Form, text: str) -> None:
    """A name or sentence beginning with = + - @ is written and read back as text."""
    form = sample.model_copy(update={"department": text, "key_tasks": [Task(name=text, content=text, funds=1, outcome=text)]})
    path = rendered(form, tmp_path)
    sheet = openpyxl.load_workbook(path).active
    assert (sheet["B2"].value, sheet["B2"].data_type) == (text, "s")
    assert (sheet["C14"].value, sheet["C14"].data_type) == (text, "s")
    assert read(path).form.department == text


def test_a_blank_template_has_the_requested_rows(tmp_path: Path, spec: Spec) -> None:
    """Key tasks, other tasks and rows per 二级 group follow the options; the framework is pre-labelled."""
    path = tmp_path / "blank.xlsx"
    render_template(path, year=2025, department="测试局", blank_rows={"key_tasks": 7, "other_tasks": 3, "indicators": 2})
    sheet = openpyxl.load_workbook(path).active
    merges = {str(r) for r in sheet.merged_cells.ranges}
    # Key tasks: header 13, rows 14-20, total 21; other tasks 22-24; indicators from 25.
    assert sheet["A1"].value == "2025年市级部门整体预算绩效目标表" and sheet["B2"].value == "测试局"
    assert {"A13:A21", "A22:A24"} <= merges
    assert sheet["B21"].value == "合计" and sheet["D21"].value == "=SUM(D13:D20)"
    level2_count = len(spec.indicator_sections()[0].leaves())
    assert f"A25:A{25 + 2 * level2_count}" in merges
    assert (sheet["C26"].value, sheet["C28"].value, sheet["C42"].value) == ("数量指标", "质量指标", "服务对象满意度指标")
    assert sheet["C3"].value is None and sheet["C5"].value is None


def test_a_template_uses_the_spec_defaults(tmp_path: Path) -> None:
    """By default: 5 key tasks, 2 other tasks, 3 rows under each 二级指标."""
    path = tmp_path / "blank.xlsx"
    render_template(path, year=2024)
    merges = {str(r) for r in openpyxl.load_workbook(path).active.merged_cells.ranges}
    assert {"A13:A19", "A20:A21", "C23:C25", "B23:B34"} <= merges


def test_known_amounts_are_pre_filled(tmp_path: Path) -> None:
    """The bureau's known amounts appear in the template; totals stay formulas."""
    path = tmp_path / "prefilled.xlsx"
    render_template(path, year=2024, department="湛江市信访局", budget={"basic": "776.8", "fiscal": 1133.49})
    sheet = openpyxl.load_workbook(path).active
    assert (sheet["C5"].value, sheet["E5"].value, sheet["C6"].value) == (776.8, 1133.49, None)
    assert read(path).form.budget.basic == Decimal("776.8")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"department": "x" * 32768}, "部门名称"),
        ({"goals": ["ok", "bad\x07bell"]}, "总体绩效目标"),
        ({"key_tasks": [Task(name="a", content="\x00")]}, "年度重点工作任务第1行主要实施内容"),
        ({"indicators": [Indicator(level1="产出指标", level2="数量指标", name="n", value="\x1b")]}, "数量指标第1行指标值"),
        ({"other_tasks": [Task(name="a\x01")]}, "其他需完成的任务（可选填）第1行名称"),
        ({"other_tasks": [Task(name="a", outcome="x" * 32768)]}, "其他需完成的任务（可选填）第1行期望达到的目标（概述）"),
        ({"key_tasks": [Task(name="a", outcome="\x1f")]}, "年度重点工作任务第1行期望达到的目标（概述）"),
        ({"indicators": [Indicator(level1="产出指标", level2="数量指标", name="\x02", value="1")]}, "数量指标第1行三级指标"),
    ],
)
def test_text_a_cell_cannot_hold_is_refused_with_the_field_named(tmp_path: Path, sample: Form, change: dict, field: str) -> None:
    """Over-long text and control characters are an error naming the field, never cut silently."""
    with pytest.raises(FormDataError) as raised:
        render(sample.model_copy(update=change), tmp_path / "x.xlsx")
    assert raised.value.zh.startswith(f"“{field}”")
    assert not (tmp_path / "x.xlsx").exists()


def test_indicators_outside_the_framework_cannot_be_rendered(tmp_path: Path, sample: Form) -> None:
    """An indicator under a 一级/二级 pair the form does not have is refused, not dropped."""
    stray = Indicator(level1="效益指标", level2="质量指标", name="n", value="v")
    with pytest.raises(FormDataError) as raised:
        render(sample.model_copy(update={"indicators": [*sample.indicators, stray]}), tmp_path / "x.xlsx")
    assert "效益指标/质量指标" in raised.value.zh


def test_a_form_without_a_year_cannot_be_rendered(tmp_path: Path, sample: Form) -> None:
    """The title needs the year."""
    with pytest.raises(FormDataError):
        render(sample.model_copy(update={"year": None}), tmp_path / "x.xlsx")
