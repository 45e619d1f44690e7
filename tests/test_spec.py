"""Layout specs: one file per form, checked when loaded."""

import dataclasses
import pickle
from pathlib import Path

import pytest

from xlsxform import Form, SpecError, load_spec, read, render
from xlsxform.spec.layout import Total
from xlsxform.spec.loading import resource_dir

BUNDLED = resource_dir("templates") / "city-department-performance.toml"


def variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the bundled spec with some text replaced."""
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_spec_loads_by_name() -> None:
    """The default form is found by name, inside the package or the checkout."""
    spec = load_spec()
    assert spec.form.sheet == "绩效目标表"
    assert [s.kind for s in spec.sections][:2] == ["title", "fixed"]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ('{ field = "department", span = 4 }', '{ field = "department", span = 3 }', "spec-row-width"),
        (
            '{ field = "content", label = "主要实施内容", max_length = 2000 },\n  { field = "funds"',
            '{ field = "name", label = "x" },\n  { field = "funds"',
            "spec-duplicate-column",
        ),
        ('title = "金额（万元）"', 'title = "金额（万元）这个标题超过了三十二个字符的限制因为它实在是太长太长太长了"', "spec-invalid"),
        ('{ field = "staff" }', '{ field = "subunits" }', "spec-field-twice"),
        ('{ field = "staff" }', '{ label = "x" }', "spec-field-unbound"),
        ('{ field = "staff" }', '{ field = "staf" }', "spec-unknown-field"),
        ('expr = "sum(budget.basic, budget.project)"', 'expr = "sum(budget.basic, budget.nothing)"', "spec-unknown-path"),
        ('expr = "sum(budget.basic, budget.project)"', 'expr = "sum(budget.basic,, budget.project)"', "spec-expression"),
        ('at = "expense_total"', 'at = "nowhere"', "spec-unknown-cell"),
        ('code = "r2-task-funds-exceed-project"', 'code = "r1-budget-unbalanced"', "spec-duplicate-code"),
        ('amount = { font = "body"', 'amount = { font = "nofont"', "spec-unknown-font"),
        ('kind = "indicators"', 'kind = "grid"', "spec-invalid"),
        ("E = 27\n", "E = 27\nG = 10\n", "spec-columns"),
        ('"budget.basic" = { type = "amount"', '"budget.basic" = { type = "money"', "spec-invalid"),
        ('budget = { label = "预算整体情况", model = "Budget" }', "", "spec-group-missing"),
    ],
)
def test_an_inconsistent_spec_is_refused_with_the_reason(tmp_path: Path, old: str, new: str, code: str) -> None:
    """Overlapping or missing cells, unbound, doubly bound or unknown fields, bad expressions: each fault has its code."""
    with pytest.raises(SpecError) as raised:
        load_spec(variant(tmp_path, (old, new)))
    assert code in raised.value.codes
    assert raised.value.path and raised.value.path.endswith("variant.toml")


def test_a_malformed_or_missing_spec_is_one_clear_error(tmp_path: Path) -> None:
    """Broken TOML and a missing file raise SpecError, not a parser's exception."""
    broken = tmp_path / "broken.toml"
    broken.write_text("[form\nid = 1", encoding="utf-8")
    for path in (broken, tmp_path / "missing.toml"):
        with pytest.raises(SpecError):
            load_spec(path)


def test_a_variant_is_a_new_spec_file_not_new_code(tmp_path: Path, sample: Form) -> None:
    """A renamed sheet, a new title and more blank rows need only a spec file."""
    path = variant(
        tmp_path,
        ('sheet = "绩效目标表"', 'sheet = "区级目标表"'),
        ('text = "{year}年市级部门整体预算绩效目标表"', 'text = "{year}年区级部门整体预算绩效目标表"'),
        ('title = "{year}年市级部门整体预算绩效目标表"', 'title = "{year}年区级部门整体预算绩效目标表"'),
    )
    spec = load_spec(path)
    target = tmp_path / "variant.xlsx"
    render(sample, target, spec=spec)
    result = read(target, spec=spec)
    assert result.form == sample and result.problems == []
    assert next(iter(result.cells.values())).startswith("区级目标表!")


def test_a_loaded_spec_cannot_be_changed() -> None:
    """A loaded spec, shared by every read, refuses assignment to any part, and its classes take only their own keywords."""
    spec = load_spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.form.name = "另一张表"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del spec.sections[0].label  # type: ignore[misc]
    with pytest.raises(TypeError):
        Total(label="合计", column="funds", name="total", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Total(label="合计", column="funds")  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(spec)) == spec
