"""A local variant is a spec file: a sixth column, a third table, a new field
and a new rule, loaded with --spec, rendered, read back and checked, with no
change to xlsxform's code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from xlsxform import load_spec, read, render
from xlsxform.cli.main import main
from xlsxform.spec.generate import model_of

from .conftest import SAMPLE_JSON

VARIANT = Path(__file__).parent / "variants" / "district-department-performance.toml"
S = "绩效目标表!"


def variant_data() -> dict:
    """The sample department's form with the variant's new parts filled in."""
    data = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    data["contact"] = "张三"
    for task in data["key_tasks"] + data["other_tasks"]:
        task["unit"] = "办公室"
    for item in data["indicators"]:
        item["measure"] = "项"
    data["matching"] = [{"item": "区级配套", "funds": "0", "source": "区财政"}]
    return data


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(variant_data(), ensure_ascii=False), encoding="utf-8")
    return path


def test_the_variant_renders_and_reads_back_through_the_command(tmp_path: Path, data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """render and check with --spec take the variant: its data comes back whole and passes."""
    target = tmp_path / "variant.xlsx"
    assert main(["--spec", str(VARIANT), "render", str(data_file), "-o", str(target)]) == 0
    assert main(["--spec", str(VARIANT), "check", str(target), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["--spec", str(VARIANT), "read", str(target)]) == 0
    back = json.loads(capsys.readouterr().out)
    model = model_of(load_spec(VARIANT))
    assert model.model_validate(back) == model.model_validate(variant_data())
    assert back["contact"] == "张三" and back["matching"][0]["source"] == "区财政"


def test_the_variants_grid_is_six_columns_with_the_third_table_and_new_field(tmp_path: Path) -> None:
    """The new field has its row, the third table its header and total, and column F is used."""
    spec = load_spec(VARIANT)
    form = model_of(spec).model_validate(variant_data())
    target = tmp_path / "variant.xlsx"
    render(form, target, spec=spec)
    result = read(target, spec=spec)
    assert result.problems == []
    assert result.cells["contact"] == f"{S}B3"
    assert result.cells["key_tasks[0].unit"].startswith(f"{S}F")
    assert result.cells["indicators[0].value"].startswith(f"{S}F")
    assert result.cells["matching[0].source"].startswith(f"{S}E")


def test_the_new_rule_is_checked_on_its_cell(tmp_path: Path) -> None:
    """R5 (配套资金 ≤ 其他资金) is reported on the third table's total."""
    spec = load_spec(VARIANT)
    data = variant_data()
    data["matching"][0]["funds"] = "5"
    target = tmp_path / "variant.xlsx"
    render(model_of(spec).model_validate(data), target, spec=spec)
    result = read(target, spec=spec)
    total = result.cells["matching_total"]
    assert {(p.cell, p.code) for p in result.problems} == {(total, "r5-matching-exceeds-other-funds")}


PROJECT_VARIANT = Path(__file__).parent / "variants" / "district-project-self-evaluation.toml"
KINDS = {"产出指标": "产出类指标", "效益指标": "效益类指标", "满意度指标": "满意度类指标"}


def project_variant_data() -> dict:
    """The 自评表 sample with the variant's extra level and column filled in."""
    path = Path(__file__).resolve().parent.parent / "samples" / "zhanjiang-xinfang-2023-self-evaluation.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["indicators"]:
        item["kind"] = KINDS[item["level1"]]
        item["measure"] = "件"
    return data


def test_a_self_evaluation_variant_with_another_level_a_column_and_renamed_headers(tmp_path: Path) -> None:
    """A city's local changes (产出类指标 as a level, 计量单位, 指标名称/全年完成值/指标权重) are a spec file: rendered, read back, checked."""
    import openpyxl

    spec = load_spec(PROJECT_VARIANT)
    model = model_of(spec)
    form = model.model_validate(project_variant_data())
    target = tmp_path / "variant.xlsx"
    render(form, target, spec=spec)
    result = read(target, spec=spec)
    assert result.form == form and result.problems == []
    sheet = openpyxl.load_workbook(target).worksheets[0]
    first_row = int(re.sub(r"\D", "", result.cells["indicators[0].name"].split("!")[1]))
    header = [c.value for c in sheet[first_row - 1]][1:]
    assert header == ["一级指标", "指标类别", "二级指标", "指标名称", "计量单位", "年度指标值", "全年完成值", "指标权重", "得分", "偏差原因分析及改进措施"]
    data = project_variant_data()
    data["indicators"][0]["weight"] = "10"
    data["indicators"][0]["score"] = "10"
    render(model.model_validate(data), target, spec=spec)
    checked = read(target, spec=spec)
    assert {(p.cell, p.code) for p in checked.problems} == {(checked.cells["total.weight"], "s4-weights-not-90")}
