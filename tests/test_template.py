"""Templates departments can fill but not break: every guard, as rendered and
after LibreOffice has opened and saved the file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from xlsxform import Form, Indicator, Task, read, render_template
from xlsxform.spec.layout import Spec

from .conftest import Fill, Office

S = "绩效目标表!"
FORM_ID = "form-0001"

# The default template: key tasks 14-18 (total 19), other tasks 20-21,
# indicator header 22, nine 二级 groups of three rows from 23, note 50.
AMOUNT_INPUTS = {"C5", "E5", "C6", "E6", "C9", "E9", "C10", "E10", *(f"D{r}" for r in (14, 15, 16, 17, 18, 20, 21))}
COUNT_INPUTS = {"C3", "E3"}
TEXT_INPUTS = {"B2", "B12", *(f"{c}{r}" for c in "BCE" for r in (14, 15, 16, 17, 18, 20, 21)), *(f"{c}{r}" for c in "DE" for r in range(23, 50))}
SPANNING_LABELS = {"A2", "A3", "A4", "A12", "A13", "A20", "A22", "B23", "B35", "B47", *(f"C{r}" for r in range(23, 50, 3))}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "blank.xlsx"
    render_template(path, year=2024, department="测试局", form_id=FORM_ID)
    return path


@pytest.fixture(scope="module", params=["rendered", "libreoffice"])
def saved(request: pytest.FixtureRequest, template: Path) -> Path:
    """The template as xlsxform wrote it, and as LibreOffice saved it."""
    if request.param == "rendered":
        return template
    return request.getfixturevalue("office")(template, "xlsx")


def cells_of(ranges: str) -> set[str]:
    """Every cell of a space-separated list of ranges."""
    found = set()
    for part in ranges.split():
        first_col, first_row, last_col, last_row = range_boundaries(part)
        found |= {f"{openpyxl.utils.get_column_letter(c)}{r}" for c in range(first_col, last_col + 1) for r in range(first_row, last_row + 1)}
    return found


def validations(path: Path) -> dict[str, tuple[str, str | None]]:
    """Each validated cell: (type, formula1)."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return {cell: (dv.type, dv.formula1) for dv in sheet.data_validations.dataValidation for cell in cells_of(str(dv.sqref))}


def test_the_sheet_is_protected_but_rows_can_be_added_and_formatted(saved: Path) -> None:
    """Protection is on without a password; inserting rows and formatting stay allowed."""
    protection = openpyxl.load_workbook(saved).worksheets[0].protection
    assert protection.sheet is True and not protection.password
    assert (protection.insertRows, protection.formatCells, protection.formatRows, protection.formatColumns) == (False, False, False, False)
    assert protection.deleteRows is True


def test_a_password_can_be_set(tmp_path: Path, office: Office) -> None:
    """An optional password protects the sheet, and survives a LibreOffice save."""
    path = tmp_path / "locked.xlsx"
    render_template(path, year=2024, password="财政局2024")
    for version in (path, office(path, "xlsx")):
        assert openpyxl.load_workbook(version).worksheets[0].protection.password


def test_only_inputs_and_guarded_group_labels_are_unlocked(saved: Path) -> None:
    """Labels, headers, totals and formulas are locked; inputs are not."""
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    unlocked = {
        c.coordinate
        for row in sheet.iter_rows(min_row=1, max_row=50, max_col=5)
        for c in row
        if c.protection.locked is False and not isinstance(c, openpyxl.cell.cell.MergedCell)
    }
    assert unlocked == AMOUNT_INPUTS | COUNT_INPUTS | TEXT_INPUTS | SPANNING_LABELS
    assert all(sheet[ref].protection.locked for ref in ("A1", "B5", "C4", "C7", "E7", "C11", "D19", "B19", "B22", "A50"))


def test_amounts_must_be_non_negative_with_at_most_six_decimals(saved: Path) -> None:
    """Every amount input has a custom rule: a number ≥ 0 equal to itself rounded to 6 places."""
    rules = validations(saved)
    for ref in AMOUNT_INPUTS:
        kind, formula = rules[ref]
        assert kind == "custom" and formula is not None and ">=0" in formula and ",6)" in formula, ref


def test_counts_must_be_whole_numbers(saved: Path) -> None:
    """财政供养人员数 and 下属二级单位数 accept whole numbers ≥ 0 only."""
    rules = validations(saved)
    assert {rules[ref] for ref in COUNT_INPUTS} == {("whole", "0")}


def test_text_inputs_have_length_limits(saved: Path, spec: Spec) -> None:
    """Each text input is limited in length, within Excel's 32,767 characters."""
    rules = validations(saved)
    assert {ref for ref in TEXT_INPUTS if rules.get(ref, ("",))[0] == "textLength"} == TEXT_INPUTS
    assert {rules["B2"][1], rules["C14"][1], rules["D23"][1], rules["E23"][1], rules["B12"][1]} == {"100", "2000", "200", "500", "5000"}


def test_indicator_levels_come_from_lists_on_a_hidden_sheet(saved: Path) -> None:
    """一级/二级 labels take their drop-down lists from a hidden sheet, not inline."""
    workbook = openpyxl.load_workbook(saved)
    rules = validations(saved)
    assert rules["B23"] == ("list", "xf_list_level1") and rules["C26"] == ("list", "xf_list_level2")
    lists = workbook["_lists"]
    assert lists.sheet_state in {"veryHidden", "hidden"}  # LibreOffice knows no very hidden
    assert [c.value for c in lists["A"] if c.value] == ["产出指标", "效益指标", "满意度指标"] and lists["B9"].value == "服务对象满意度指标"


def test_prompts_and_errors_are_chinese_and_within_excel_limits(saved: Path) -> None:
    """Every rule shows a Chinese prompt and error, inside Excel's 32/255/224 limits."""
    for dv in openpyxl.load_workbook(saved).worksheets[0].data_validations.dataValidation:
        assert dv.showInputMessage and dv.showErrorMessage and dv.errorStyle == "stop"
        assert 0 < len(dv.promptTitle) <= 32 and 0 < len(dv.prompt) <= 255 and 0 < len(dv.error) <= 224
        assert not dv.prompt.isascii()


def test_every_input_and_group_has_a_defined_name(saved: Path) -> None:
    """Inputs, row groups, totals and sections are named, so a reader can find them after rows move."""
    names = {name: d.attr_text.replace("'", "") for name, d in openpyxl.load_workbook(saved).defined_names.items()}
    assert names["xf_budget_basic"] == "绩效目标表!$C$5" and names["xf_department"] == "绩效目标表!$B$2"
    assert names["xf_key_tasks"] == "绩效目标表!$B$14:$E$18" and names["xf_other_tasks"] == "绩效目标表!$B$20:$E$21"
    assert names["xf_indicators_1_1"] == "绩效目标表!$D$23:$E$25" and names["xf_indicators_3_1"] == "绩效目标表!$D$47:$E$49"
    assert names["xf_total_key_task_total"] == "绩效目标表!$D$19"
    assert {f"xf_section_{i}" for i in range(9)} <= names.keys()


def test_the_file_says_which_template_department_and_form_it_is(saved: Path) -> None:
    """Template id and version, year, department and form id survive in the file."""
    identity = read(saved).identity
    assert identity == {"template_id": "city-department-performance", "template_version": "1", "year": "2024", "department": "测试局", "form_id": FORM_ID}
    workbook = openpyxl.load_workbook(saved)
    assert workbook["_xlsxform"].sheet_state in {"veryHidden", "hidden"}


def test_instructions_explain_units_rules_and_adding_rows(saved: Path) -> None:
    """A 填表说明 sheet tells how to fill each part, the unit, R1-R4 and how to add rows."""
    text = "\n".join(c.value for c in openpyxl.load_workbook(saved)["填表说明"]["A"] if c.value)
    for needle in ("万元", "基本支出＋项目支出＝财政拨款＋其他资金", "不超过项目支出", "市本级使用资金", "插入", "在上方插入行"):
        assert needle in text


def test_a_department_that_names_another_department_is_warned(template: Path, tmp_path: Path) -> None:
    """A file sent to 测试局 that says 另一个局 gets a department-mismatch warning on 部门名称."""
    from .helpers import fill

    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(template.read_bytes())
    result = read(fill(copy, {"B2": "另一个局"}))
    assert (f"{S}B2", "department-mismatch") in {(p.cell, p.code) for p in result.problems}


def test_names_still_locate_inputs_when_labels_are_changed(template: Path, tmp_path: Path) -> None:
    """With defined names, renamed labels do not stop the reader finding the inputs."""
    from .helpers import fill

    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(template.read_bytes())
    result = read(fill(copy, {"B5": "基本", "B6": "项目", "C5": 1, "C6": 2, "E5": 3, "A13": "重点任务", "B14": "任务甲", "D14": 2}))
    assert (result.form.budget.basic, result.form.budget.project) == (1, 2)
    assert [t.name for t in result.form.key_tasks] == ["任务甲"]


def test_a_template_filled_in_libreoffice_with_added_rows_reads_back(template: Path, tmp_path: Path, libreoffice_fill: Fill) -> None:
    """Two key tasks and two 数量指标 rows added the way the instructions say, filled and saved in LibreOffice, read back whole."""
    steps: list[dict] = [
        # As the instructions say: select a row of the part, insert rows above it.
        {"insert_rows_above": "D24", "count": 2},
        {"insert_rows_above": "B15", "count": 2},
        # Now: tasks 14-20, total 21, other tasks 22-23, indicators from 25 (数量 25-29).
        {"number": "C3", "value": 23},
        {"number": "E3", "value": 0},
        {"number": "C5", "value": 100},
        {"number": "C6", "value": 70},
        {"number": "E5", "value": 150},
        {"number": "E6", "value": 20},
        {"number": "C9", "value": 0},
        {"number": "C10", "value": 10},
        {"number": "E9", "value": 10},
        {"number": "E10", "value": 0},
        {"text": "B12", "value": "目标1：第一\n目标2：第二"},
    ]
    tasks = [Task(name=f"任务{n}", content=f"内容{n}", funds=Decimal(10), outcome=f"目标{n}") for n in range(1, 8)]
    for row, task in enumerate(tasks, 14):
        steps += [
            {"text": f"B{row}", "value": task.name},
            {"text": f"C{row}", "value": task.content},
            {"number": f"D{row}", "value": 10},
            {"text": f"E{row}", "value": task.outcome},
        ]
    steps += [{"text": "B22", "value": "其他任务"}, {"text": "C22", "value": "其他内容"}, {"number": "D22", "value": 5}, {"text": "E22", "value": "其他目标"}]
    first_rows = {("产出指标", "数量指标"): 25, ("产出指标", "质量指标"): 30, ("效益指标", "社会效益指标"): 42, ("满意度指标", "服务对象满意度指标"): 51}
    indicators = [Indicator(level1="产出指标", level2="数量指标", name=f"数量{n}", value=str(n)) for n in range(1, 6)]
    indicators += [Indicator(level1=l1, level2=l2, name=f"{l2}甲", value="≥95%") for (l1, l2) in list(first_rows)[1:]]
    rows = [25, 26, 27, 28, 29, 30, 42, 51]
    for row, item in zip(rows, indicators, strict=False):
        steps += [{"text": f"D{row}", "value": item.name}, {"text": f"E{row}", "value": item.value}]

    saved = libreoffice_fill(template, tmp_path / "filled.xlsx", steps)

    expected = Form(
        year=2024,
        department="测试局",
        staff=23,
        subunits=0,
        budget={"basic": 100, "project": 70, "fiscal": 150, "other_funds": 20, "special": 0, "other_development": 10, "city_level": 10, "transfer": 0},
        goals=["第一", "第二"],
        key_tasks=tasks,
        other_tasks=[Task(name="其他任务", content="其他内容", funds=5, outcome="其他目标")],
        indicators=indicators,
    )
    result = read(saved)
    assert result.problems == []
    assert result.form == expected
    totals = openpyxl.load_workbook(saved, data_only=True).worksheets[0]
    assert (totals["C7"].value, totals["E7"].value, totals["D21"].value) == (170, 170, 70)
    merges = {str(r) for r in openpyxl.load_workbook(saved).worksheets[0].merged_cells.ranges}
    assert {"A13:A21", "C25:C29", "B25:B38", "A24:A53"} <= merges


def test_rows_inserted_above_a_group_are_read_with_a_warning(template: Path, tmp_path: Path, libreoffice_fill: Fill) -> None:
    """A row inserted above a group's first row, outside every merged label, is flagged instead of silently misfiled."""
    steps = [
        {"insert_rows_above": "D26"},  # above the first 质量指标 row: now row 26, groups below move down one
        {"insert_rows_above": "D23"},  # right under the header: now row 23, everything below moves down one
        {"text": "D27", "value": "插入的指标"},
        {"text": "E27", "value": "1"},
        {"text": "D23", "value": "无组指标"},
        {"text": "E23", "value": "2"},
    ]
    result = read(libreoffice_fill(template, tmp_path / "inserted.xlsx", steps))
    assert {(p.cell, p.code) for p in result.problems} >= {(f"{S}D27", "indicator-group-unclear"), (f"{S}C23", "indicator-level-missing")}
    assert [(i.level2, i.name) for i in result.form.indicators] == [("", "无组指标"), ("数量指标", "插入的指标")]


def test_a_task_row_inserted_below_the_total_is_still_read(template: Path, tmp_path: Path, libreoffice_fill: Fill) -> None:
    """A row inserted between 合计 and the next part belongs to the part above, as it looks to a person."""
    steps = [{"insert_rows_above": "B20"}, {"text": "B20", "value": "任务X：插在合计下方"}, {"number": "D20", "value": 10}]
    result = read(libreoffice_fill(template, tmp_path / "below-total.xlsx", steps))
    assert [(t.name, t.funds) for t in result.form.key_tasks] == [("任务X：插在合计下方", Decimal(10))]
