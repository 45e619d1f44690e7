"""docs/spec.md: every example in the spec language reference works as it says."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import load_spec, read, render, render_template
from xlsxform.spec import expr
from xlsxform.spec.generate import model_of
from xlsxform.spec.layout import FieldSpec
from xlsxform.spec.schema import validate

DOC = Path(__file__).resolve().parent.parent / "docs" / "spec.md"
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)
SPECS = [text for kind, text in BLOCKS if kind == "toml" and text.startswith("[form]")]
FRAGMENTS = [text for kind, text in BLOCKS if kind == "toml" and not text.startswith("[form]")]
FORMULAS = [line for kind, text in BLOCKS if kind == "expr" for line in text.splitlines() if line.strip()]


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "example.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_reference_has_its_examples() -> None:
    """The reference holds the worked example, the three-level example, a fragment and formulas."""
    assert len(SPECS) == 2 and FRAGMENTS and len(FORMULAS) >= 5


@pytest.mark.parametrize("text", SPECS, ids=["worked-example", "three-levels"])
def test_each_example_spec_renders_a_template_that_reads_back(tmp_path: Path, text: str) -> None:
    """Each complete example loads, renders a template and reads it back with only what a blank lacks."""
    spec = load_spec(spec_file(tmp_path, text))
    target = tmp_path / "template.xlsx"
    render_template(target, year=2025, department="测试局", spec=spec)
    result = read(target, spec=spec)
    assert {p.code for p in result.problems} <= {"required", "level1-without-indicator"}
    assert result.form_id == spec.form.id


def test_the_worked_example_does_what_the_text_says(tmp_path: Path) -> None:
    """合计 is =SUM(C3,E3); payments above the funds are d1-paid-exceeds-funds on the payments' 合计; free groups are read."""
    spec = load_spec(spec_file(tmp_path, SPECS[0]))
    model = model_of(spec)
    data = {
        "year": 2025,
        "project": "道路养护",
        "department": "区交通局",
        "funds": {"fiscal": "10", "own": "2"},
        "payments": [{"payee": "养护公司", "purpose": "路面修补", "amount": "15"}],
        "results": [{"group": "产出", "name": "修补路面", "value": "3公里"}, {"group": "产出", "name": "更换护栏", "value": "1公里"}],
    }
    target = tmp_path / "filled.xlsx"
    render(model.model_validate(data), target, spec=spec)
    assert openpyxl.load_workbook(target).worksheets[0]["C4"].value == "=SUM(C3,E3)"
    result = read(target, spec=spec)
    assert {(p.cell, p.code) for p in result.problems} == {(result.cells["paid"], "d1-paid-exceeds-funds")}
    assert result.form == model.model_validate(data)
    schema = model.model_json_schema()
    assert set(schema["properties"]) == {"year", "department", "project", "funds", "payments", "results"}
    assert result.form.model_dump()["payments"][0]["amount"] == Decimal(15)


def test_the_three_level_example_reads_back_its_groups(tmp_path: Path) -> None:
    """Rows under a three-level framework come back under their three groups."""
    spec = load_spec(spec_file(tmp_path, SPECS[1]))
    model = model_of(spec)
    rows = [
        {"level1": "产出指标", "kind": "产出类指标", "level2": "质量指标", "name": "合格率", "value": "≥95%"},
        {"level1": "满意度指标", "kind": "满意度类指标", "level2": "服务对象满意度指标", "name": "满意度", "value": "≥90%"},
    ]
    form = model.model_validate({"year": 2025, "department": "测试局", "indicators": rows})
    target = tmp_path / "three.xlsx"
    render(form, target, spec=spec)
    result = read(target, spec=spec)
    assert result.form == form and result.problems == []


@pytest.mark.parametrize("text", FRAGMENTS)
def test_each_fragment_is_valid_spec_language(text: str) -> None:
    """Field declarations shown alone are valid fields."""
    for field in tomllib.loads(text)["fields"].values():
        validate(FieldSpec, field)


@pytest.mark.parametrize("line", FORMULAS)
def test_each_formula_shown_is_what_the_expression_gives(line: str) -> None:
    """The expression-to-formula table is what expr.excel writes."""
    text, formula = (part.strip() for part in line.split("=>"))
    cells = {"a": "C5", "b": "C6", "c": "D5", "items[*].x": "D12:D17"}
    assert expr.excel(expr.parse(text), cells.__getitem__) == formula
