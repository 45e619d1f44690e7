"""Problems found in a form, as data: severity, stable code, cell, field, value.

Codes are stable identifiers that programs may rely on; the messages are
templates in Chinese and English filled from the problem's parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# code: (severity, Chinese template, English template)
CATALOGUE: dict[str, tuple[Severity, str, str]] = {
    "required": (Severity.ERROR, "“{label}”必须填写", "{label} is required"),
    "not-a-number": (
        Severity.ERROR,
        "“{label}”应为数字，实际为“{value}”",
        "{label} must be a number, found '{value}'",
    ),
    "negative": (Severity.ERROR, "“{label}”不能为负数", "{label} must not be negative"),
    "control-characters": (
        Severity.WARNING,
        "“{label}”中有不可见的控制字符，已删除；请核对内容",
        "{label} held invisible control characters, which were removed; please check the text",
    ),
    "number-as-text": (
        Severity.WARNING,
        "“{label}”的“{value}”是以文字形式填写的数字，表中合计不会计入，请改为直接填写数字",
        "{label} holds the number '{value}' as text, which the sheet's totals leave out; type it as a number",
    ),
    "too-large": (
        Severity.ERROR,
        "“{label}”的数值“{value}”过大，请核对单位（金额以万元计）",
        "{label} is too large ('{value}'); check the unit (amounts are in 万元)",
    ),
    "not-whole-number": (
        Severity.ERROR,
        "“{label}”应为不小于0的整数，实际为“{value}”",
        "{label} must be a whole number of at least 0, found '{value}'",
    ),
    "cell-error": (
        Severity.ERROR,
        "“{label}”显示错误值“{value}”，请检查公式或直接填写数值",
        "{label} shows the error '{value}'; check its formula or type the value",
    ),
    "formula-unresolved": (
        Severity.ERROR,
        "“{label}”中的公式“{value}”无法计算，请直接填写数值",
        "the formula '{value}' in {label} cannot be worked out; type the value instead",
    ),
    "r1-budget-unbalanced": (
        Severity.ERROR,
        "部门预算支出合计 {left} 万元（基本支出+项目支出）与收入来源合计 {right} 万元（财政拨款+其他资金）不相等",
        "expenses {left} (basic + project) differ from income {right} (fiscal + other funds)",
    ),
    "r2-task-funds-exceed-project": (
        Severity.ERROR,
        "年度重点工作任务拟投入资金合计 {left} 万元超过项目支出 {right} 万元",
        "key task funds total {left}, more than project expenses {right}",
    ),
    "r3-development-unbalanced": (
        Severity.ERROR,
        "事业发展性支出合计 {left} 万元与按预算级次划分合计 {right} 万元不相等",
        "development spending {left} differs from its split by level {right}",
    ),
    "r4-development-exceeds-project": (
        Severity.WARNING,
        "事业发展性支出合计 {left} 万元超过项目支出 {right} 万元，请核实",
        "development spending {left} is more than project expenses {right}; please confirm",
    ),
    "indicator-value-missing": (
        Severity.ERROR,
        "三级指标“{name}”缺少指标值",
        "the indicator '{name}' has no value",
    ),
    "indicator-name-missing": (
        Severity.ERROR,
        "指标值“{text}”缺少三级指标名称",
        "the value '{text}' has no indicator name",
    ),
    "indicator-group-unclear": (
        Severity.WARNING,
        "此行不在任何二级指标的合并单元格内，已按“{level1}／{level2}”读取，请核实",
        "this row is inside no second-level group's label; it was read as {level1} / {level2}, please confirm",
    ),
    "indicator-level-missing": (
        Severity.ERROR,
        "三级指标“{name}”不在任何一级、二级指标之下，请把它移到相应的二级指标行内",
        "the indicator '{name}' is under no first- or second-level indicator; move it into its group",
    ),
    "indicator-level-unknown": (
        Severity.ERROR,
        "二级指标“{level2}”不属于一级指标“{level1}”",
        "'{level2}' is not a second-level indicator of '{level1}'",
    ),
    "level1-without-indicator": (
        Severity.ERROR,
        "一级指标“{level1}”下至少需要填写一个三级指标",
        "'{level1}' needs at least one third-level indicator",
    ),
    "task-part-missing": (
        Severity.WARNING,
        "任务“{value}”未填写{parts}，请补充",
        "the task '{value}' has nothing in {parts}; please complete it",
    ),
    "task-incomplete": (
        Severity.ERROR,
        "第{n}项任务已填写内容，但缺少“{label}”",
        "task {n} has content but no {label}",
    ),
    "section-missing": (
        Severity.ERROR,
        "找不到“{label}”部分，请勿删除或改动表格的栏目名称",
        "the part '{label}' is missing; do not delete or rename the form's labels",
    ),
    "row-missing": (
        Severity.ERROR,
        "找不到“{label}”所在行，请勿删除或改动该行",
        "the row '{label}' is missing; do not delete or rename it",
    ),
    "total-mismatch": (
        Severity.WARNING,
        "表中合计为 {value}，按各项重新计算应为 {expected}",
        "the total says {value}, but its parts add up to {expected}",
    ),
    "department-mismatch": (
        Severity.WARNING,
        "此表是发给“{expected}”的，但部门名称填写为“{value}”",
        "this form was sent to '{expected}' but names the department '{value}'",
    ),
    "year-mismatch": (
        Severity.WARNING,
        "此表是{expected}年度的模板，但标题年度为{value}年",
        "this is the {expected} template but its title says {value}",
    ),
    "template-mismatch": (
        Severity.WARNING,
        "此文件由另一版式“{expected}”生成，已按栏目名称读取",
        "this file was made from another layout ('{expected}'); read by its labels",
    ),
    "outside-form": (
        Severity.WARNING,
        "此单元格在表格栏目之外，内容“{value}”未被读取；如属表内数据，请填到相应栏目中",
        "this cell is outside the form, so '{value}' was not read; move it into the form if it belongs there",
    ),
    "label-changed": (
        Severity.WARNING,
        "此处应为“{expected}”，实际为“{value}”",
        "expected the label '{expected}' here, found '{value}'",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form, located as precisely as the source allows."""

    code: str
    cell: str | None = None
    field: str | None = None
    value: Any = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown problem code {self.code!r}")

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code][0]

    def message(self, lang: str = "zh") -> str:
        """The problem in words, Chinese by default."""
        _, zh, en = CATALOGUE[self.code]
        return (zh if lang == "zh" else en).format(**{"value": self.value, **self.params})

    def at(self, cell: str | None) -> Problem:
        """The same problem placed on a cell."""
        return Problem(self.code, cell, self.field, self.value, self.params)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "code": self.code,
            "cell": self.cell,
            "field": self.field,
            "value": None if self.value is None else str(self.value),
            "message": self.message(lang),
        }


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)
