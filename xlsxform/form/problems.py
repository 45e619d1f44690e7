"""Problems found in a form, as data: severity, stable code, cell, field, value.

Codes are stable identifiers that programs may rely on; the messages are
templates in Chinese and English filled from the problem's parameters.  The
catalogue below holds the codes every form shares (how cells are read, the
parts of tables and indicator tables); each form's own rules bring their
codes and messages in its spec, and a problem of one carries them along.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
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
    "computed-mismatch": (
        Severity.ERROR,
        "“{label}”填写为 {value}，按计算应为 {expected}",
        "{label} says {value}, but works out as {expected}",
    ),
    "not-a-choice": (
        Severity.ERROR,
        "“{label}”应从列表中选择（{choices}），实际为“{value}”",
        "{label} must be one of {choices}, found '{value}'",
    ),
    "not-a-date": (
        Severity.ERROR,
        "“{label}”应为日期，实际为“{value}”",
        "{label} must be a date, found '{value}'",
    ),
    "indicator-value-missing": (
        Severity.ERROR,
        "{row_label}“{name}”缺少{label}",
        "the indicator '{name}' has no {label}",
    ),
    "indicator-name-missing": (
        Severity.ERROR,
        "“{text}”所在行缺少{row_label}名称",
        "the row of '{text}' has no {row_label}",
    ),
    "indicator-group-unclear": (
        Severity.WARNING,
        "此行不在任何二级指标的合并单元格内，已按“{level1}／{level2}”读取，请核实",
        "this row is inside no second-level group's label; it was read as {level1} / {level2}, please confirm",
    ),
    "indicator-level-missing": (
        Severity.ERROR,
        "指标“{name}”不在任何一级、二级指标之下，请把它移到相应的二级指标行内",
        "the indicator '{name}' is under no first- or second-level indicator; move it into its group",
    ),
    "indicator-level-unknown": (
        Severity.ERROR,
        "二级指标“{level2}”不属于一级指标“{level1}”",
        "'{level2}' is not a second-level indicator of '{level1}'",
    ),
    "level1-without-indicator": (
        Severity.ERROR,
        "“{level1}”下至少需要填写一个指标",
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
    defined: tuple[Severity, str, str] | None = dataclasses.field(default=None, compare=False, repr=False)
    """Severity and message templates of a code a spec defines (a form's own rule)."""

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE and self.defined is None:
            found = built_in_rules().get(self.code)
            if found is None:
                raise KeyError(f"unknown problem code {self.code!r}")
            object.__setattr__(self, "defined", found)

    @property
    def severity(self) -> Severity:
        return (self.defined or CATALOGUE[self.code])[0]

    def message(self, lang: str = "zh") -> str:
        """The problem in words, Chinese by default."""
        _, zh, en = self.defined or CATALOGUE[self.code]
        return (zh if lang == "zh" else en).format_map(_Params({"value": self.value, **self.params}, self.code))

    def at(self, cell: str | None) -> Problem:
        """The same problem placed on a cell."""
        return dataclasses.replace(self, cell=cell)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "code": self.code,
            "cell": self.cell,
            "field": self.field,
            "value": None if self.value is None else str(self.value),
            "message": self.message(lang),
        }


@cache
def built_in_rules() -> dict[str, tuple[Severity, str, str]]:
    """The codes the built-in forms' specs define, with their messages."""
    from xlsxform.spec.generate import BUILT_IN
    from xlsxform.spec.loading import load_spec

    found: dict[str, tuple[Severity, str, str]] = {}
    for form_id in BUILT_IN:
        try:
            spec = load_spec(form_id)
        except Exception:
            continue
        for rule in spec.checks.rules:
            found.setdefault(rule.code, (Severity(rule.severity), rule.zh, rule.en))
        for cell in spec.computed():
            if cell.code != "computed-mismatch":
                found.setdefault(cell.code, (Severity.ERROR, cell.zh, cell.en))
    return found


class _Params(dict[str, Any]):
    """Message parameters; a name a template does not get stays visible as
    {name}; labels not given are the built-in spec's that defines the code."""

    def __init__(self, params: dict[str, Any], code: str) -> None:
        super().__init__(params)
        self.code = code

    def __missing__(self, key: str) -> Any:
        if key == "labels":
            return _BuiltInLabels(self.code)
        return "{" + key + "}"


class _BuiltInLabels(dict[str, str]):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def __missing__(self, path: str) -> str:
        from xlsxform.spec.generate import BUILT_IN
        from xlsxform.spec.loading import load_spec

        for form_id in BUILT_IN:
            try:
                spec = load_spec(form_id)
            except Exception:
                continue
            if any(rule.code == self.code for rule in spec.checks.rules):
                return spec.label_of(path)
        return path


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)
