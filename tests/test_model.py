"""The form's data model: exact money, Chinese titles, a JSON Schema."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from xlsxform import Budget, Form, Indicator, Task


def test_money_is_an_exact_decimal_with_one_canonical_text() -> None:
    """776.80 and 776.8 are the same amount, kept as a Decimal and written as 776.8."""
    form = Form(year=2023, budget={"basic": "776.80", "project": 356.69})
    assert form.budget.basic == Decimal("776.8") and isinstance(form.budget.basic, Decimal)
    assert form.budget.project == Decimal("356.69")
    assert '"basic":"776.8"' in form.model_dump_json()


@pytest.mark.parametrize("field", ["basic", "fiscal", "transfer"])
def test_negative_amounts_are_refused(field: str) -> None:
    """An amount below zero is not valid form data."""
    with pytest.raises(ValidationError):
        Budget(**{field: "-1"})


def test_counts_are_whole_numbers_of_at_least_zero() -> None:
    """财政供养人员数 refuses negative and fractional values."""
    for bad in (-1, 2.5):
        with pytest.raises(ValidationError):
            Form(year=2023, staff=bad)


def test_text_is_stripped_of_surrounding_space() -> None:
    """Stray spaces around what a department typed do not count as data."""
    assert Task(name="  任务1 ").name == "任务1"


def test_every_field_carries_its_chinese_label_as_title() -> None:
    """Each field's title is the label the form prints beside it."""
    for model in (Form, Budget, Task, Indicator):
        for name, info in model.model_fields.items():
            assert info.title and not info.title.isascii(), f"{model.__name__}.{name}"
    assert Form.model_fields["staff"].title == "财政供养人员数"
    assert Budget.model_fields["transfer"].title == "拟用于对下转移支付资金"


def test_json_schema_names_fields_in_chinese() -> None:
    """The JSON Schema carries the Chinese titles, for other programs and people."""
    schema = Form.model_json_schema()
    assert schema["title"] == "市级部门整体预算绩效目标表"
    assert schema["properties"]["department"]["title"] == "部门名称"
    assert schema["$defs"]["Budget"]["properties"]["basic"]["title"] == "基本支出"


def test_the_sample_is_the_seed_department_complete(sample: Form) -> None:
    """The shipped sample holds everything the seed form states."""
    assert (sample.year, sample.department, sample.staff, sample.subunits) == (2023, "湛江市信访局", 23, 0)
    assert (len(sample.goals), len(sample.key_tasks), len(sample.other_tasks), len(sample.indicators)) == (4, 3, 1, 16)
    assert sum(t.funds for t in sample.key_tasks) == sample.budget.project == Decimal("356.69")


def test_every_public_name_is_what_it_says_whatever_was_imported_first() -> None:
    """No public name of the package is shadowed by a submodule of the same name."""
    import importlib
    import pkgutil

    import xlsxform

    modules = {m.name for m in pkgutil.iter_modules(xlsxform.__path__) if not m.name.startswith("_")}
    for module in modules:
        importlib.import_module(f"xlsxform.{module}")
    assert not set(xlsxform.__all__) & modules
    assert callable(xlsxform.read) and callable(xlsxform.render) and callable(xlsxform.issue)
