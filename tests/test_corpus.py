"""What departments really send back: the official layout made by hand, with
the variants and quirks of FORM.md, each with the form or the problems it
must give.  Built by tests/corpus.py, independently of xlsxform's renderer."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlsxform import Form, Indicator, NotThisFormError, read

from .conftest import Office
from .corpus import official
from .helpers import pairs

S = "Sheet1!"
# The sample in the official layout: budget rows 4-9 (no 合计 rows), goals 10,
# tasks 12-14, other task 15, indicators 17-32 (生态效益指标 on 29), note 33.


def build(sample: Form, tmp_path: Path, **variant: Any) -> Path:
    path = tmp_path / "returned.xlsx"
    official(sample, path, **variant)
    return path


# -- layouts this tool did not make --------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param({}, id="official layout, Sheet1, no names, no hidden data, no 合计 rows"),
        pytest.param({"sheet": "2023年绩效目标"}, id="any sheet name"),
        pytest.param({"other_rows": 2}, id="two rows for 其他需完成的任务"),
        pytest.param({"extra_task_rows": 3}, id="blank task rows left over"),
        pytest.param(
            {
                "labels": {
                    "拟用于对下转移支付资金": "拟用于对下\n转移支付资金",
                    "基本支出": " 基本支出 ",
                    "其他需完成的任务（可选填）": "其他需完成的任务\n(可选填)",
                    "年度重点工作任务": "年度重点\n工作任务",
                    "财政供养人员数": "财政供养人员数 ",
                }
            },
            id="labels with stray spaces, line breaks and half-width brackets",
        ),
        pytest.param({"labels": {"服务对象满意度指标": "服务对象"}}, id="shortened label 服务对象"),
        pytest.param({"labels": {"服务对象满意度指标": "服务对象\n满意度指标"}}, id="label broken over two lines"),
    ],
)
def test_the_official_layout_reads_in_all_its_variants(sample: Form, tmp_path: Path, variant: dict) -> None:
    """The sections are found by their labels, whatever the sheet name, spacing or row counts."""
    result = read(build(sample, tmp_path, **variant))
    assert result.form == sample
    assert result.problems == []


def test_last_years_form_with_the_year_changed(sample: Form, tmp_path: Path) -> None:
    """The year comes from the title a department edited."""
    assert read(build(sample, tmp_path, title_year=2024)).form == sample.model_copy(update={"year": 2024})


def test_an_empty_other_tasks_part_in_one_row_or_two(sample: Form, tmp_path: Path) -> None:
    """其他需完成的任务 left empty, in one or two rows, is no task and no problem."""
    empty = sample.model_copy(update={"other_tasks": []})
    for rows in (1, 2):
        result = read(build(empty, tmp_path, other_rows=rows))
        assert result.form == empty and result.problems == []


def test_a_second_level_group_with_no_rows(sample: Form, tmp_path: Path) -> None:
    """生态效益指标 with its row left empty, or with no row at all, reads as no indicator there."""
    without = sample.model_copy(update={"indicators": [i for i in sample.indicators if i.level2 != "生态效益指标"]})
    for variant in ({}, {"omit_groups": ("生态效益指标",)}):
        result = read(build(without, tmp_path, **variant))
        assert result.form == without and result.problems == []


def test_rows_inserted_for_extra_tasks_and_indicators(sample: Form, tmp_path: Path) -> None:
    """More tasks and 三级 rows than the blank form had are all read."""
    more = sample.model_copy(
        update={
            "key_tasks": [*sample.key_tasks, sample.key_tasks[1].model_copy(update={"name": "任务4：新增", "funds": Decimal(0)})],
            "indicators": [*sample.indicators[:3], Indicator(level1="产出指标", level2="数量指标", name="新增指标", value="5"), *sample.indicators[3:]],
        }
    )
    result = read(build(more, tmp_path))
    assert result.form == more and result.problems == []


def test_a_workbook_that_is_not_the_form_gets_one_error(tmp_path: Path) -> None:
    """A spreadsheet without the form's parts is refused with NotThisFormError."""
    path = tmp_path / "budget.xlsx"
    workbook = openpyxl.Workbook()
    for row in (["科目", "金额"], ["办公费", 12.5]):
        workbook.active.append(row)
    workbook.save(path)
    with pytest.raises(NotThisFormError):
        read(path)


# -- values as a person sees them -------------------------------------------


def test_numbers_typed_as_text_in_every_way(sample: Form, tmp_path: Path) -> None:
    """'737', full-width digits, thousands separators, 万元 and spaces are the numbers they spell."""
    edits = {"C5": "776.8", "E5": "１，１３３.４９", "C6": "356.69万元", "E6": " 0 ", "C3": "２３", "D12": "200.34 万元", "C8": "0.00"}
    result = read(build(sample, tmp_path, edits=edits))
    assert result.form == sample and result.problems == []


def test_percentages_as_numbers_or_text_and_signs_kept(sample: Form, tmp_path: Path) -> None:
    """1 and 0.95 in 0% cells are 100% and 95%; '≥95%' and '≧90%' are kept as written."""
    edits = {"E20": 1, "E22": 0.95, "E24": 1, "E31": "≥95%", "E32": "≧90%", "E21": 0.955}
    formats = {"E20": "0%", "E22": "0%", "E24": "0%", "E21": "0.0%"}
    values = [i.value for i in read(build(sample, tmp_path, edits=edits, formats=formats)).form.indicators]
    assert (values[3], values[4], values[5], values[7], values[14], values[15]) == ("100%", "95.5%", "95%", "100%", "≥95%", "≧90%")


def test_dates_and_date_like_text_in_indicator_values(sample: Form, tmp_path: Path) -> None:
    """A date cell reads as its format shows it; '2023.12.31' typed as text stays that text."""
    when = dt.datetime(2023, 12, 31)
    result = read(build(sample, tmp_path, edits={"E23": when}, formats={"E23": "yyyy\\.mm\\.dd"}))
    assert result.form == sample
    assert read(build(sample, tmp_path, edits={"E23": when}, formats={"E23": "yyyy/m/d"})).form.indicators[6].value == "2023/12/31"


def test_formulas_typed_over_inputs_without_cached_values(sample: Form, tmp_path: Path) -> None:
    """=C5+C6 in 财政拨款 counts as its result; a formula that cannot be worked out is reported."""
    assert read(build(sample, tmp_path, edits={"E5": "=C5+C6"})).form == sample
    assert read(build(sample, tmp_path, edits={"E5": "=SUM(C5:C6)"})).form == sample
    result = read(build(sample, tmp_path, edits={"E5": '=INDIRECT("C5")'}))
    assert pairs(result) == {(f"{S}E5", "formula-unresolved")}


def test_cached_values_saved_by_libreoffice_lose_their_float_noise(sample: Form, tmp_path: Path, office: Office) -> None:
    """A formula typed over an input, calculated and saved by LibreOffice, reads as its cached value without float noise."""
    form = sample.model_copy(
        update={"budget": sample.budget.model_copy(update={"basic": Decimal("80000.1"), "project": Decimal("2800.82"), "fiscal": Decimal("82800.92")})}
    )
    form.key_tasks[0].funds = Decimal("2644.13")
    saved = office(build(form, tmp_path, edits={"E5": "=C5+C6"}), "xlsx")
    assert openpyxl.load_workbook(saved).active["E5"].value == "=C5+C6"
    assert read(saved).form == form and read(saved).problems == []
    # Excel writes the full double (82800.920000000013); LibreOffice rounds to 15 digits.
    noisy = with_cached_value(saved, "E5", "82800.920000000013")
    assert openpyxl.load_workbook(noisy, data_only=True).active["E5"].value == 82800.92000000001
    result = read(noisy)
    assert result.form.budget.fiscal == Decimal("82800.92") and result.problems == []


def with_cached_value(path: Path, ref: str, cached: str) -> Path:
    """A copy of a saved workbook whose formula cell ``ref`` caches ``cached``, as Excel would write it."""
    target = path.with_name(f"cached-{path.name}")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rf'(<c r="{ref}"[^>]*>\s*<f[^>]*>[^<]*</f>\s*<v>)[^<]*(</v>)'.encode(), rb"\g<1>" + cached.encode() + rb"\g<2>", data)
                assert count == 1
            copy.writestr(item, data)
    return target


# -- rules, reported on cells of the official layout ----------------------------


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({"E5": 1100}, {(f"{S}C5", "r1-budget-unbalanced")}),
        ({"D14": 100}, {(f"{S}B12", "r2-task-funds-exceed-project")}),
        ({"C8": 10}, {(f"{S}C8", "r3-development-unbalanced")}),
        ({"C8": 400, "E8": 400}, {(f"{S}C8", "r4-development-exceeds-project")}),
        ({"B2": None}, {(f"{S}B2", "required")}),
        ({"C25": "质量指标"}, {(f"{S}C25", "indicator-level-unknown")}),
        ({"E17": None}, {(f"{S}E17", "indicator-value-missing")}),
        ({"D30": None}, {(f"{S}D30", "indicator-name-missing")}),
        ({"C6": -1}, {(f"{S}C6", "negative")}),
        ({"C9": "无"}, {(f"{S}C9", "not-a-number")}),
        ({"D13": "六十六点三五"}, {(f"{S}D13", "not-a-number")}),
        ({"D31": None, "E31": None, "D32": None, "E32": None}, {(f"{S}B31", "level1-without-indicator")}),
    ],
)
def test_rules_are_reported_on_the_cell_to_fix(sample: Form, tmp_path: Path, edits: dict, expected: set) -> None:
    """R1-R4, required parts, the framework and bad values are each named with the cell a department must fix."""
    assert pairs(read(build(sample, tmp_path, edits=edits))) == expected


def test_what_is_typed_outside_the_form_is_pointed_out(sample: Form, tmp_path: Path) -> None:
    """An amount one column too far right, or text below the note, is a warning on its cell, not silently lost."""
    result = read(build(sample, tmp_path, edits={"F6": 999, "G14": "备注", "B35": "补充说明"}))
    assert result.form == sample
    assert pairs(result) == {(f"{S}F6", "outside-form"), (f"{S}G14", "outside-form"), (f"{S}B35", "outside-form")}
    assert result.ok
