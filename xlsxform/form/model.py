"""The form's data: what a department states, independent of any layout.

Money is ``Decimal`` in 万元 and never float, so sums compare exactly.  The
model holds only what a cell can hold on its own (types, signs); rules across
fields (R1-R4, required parts) live in :mod:`xlsxform.checking.rules`, so that a
half-filled form can still be read, stored and reported on.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from xlsxform.form.amounts import MAXIMUM, canonical

Amount = Annotated[
    Decimal,
    Field(ge=0, le=MAXIMUM),
    AfterValidator(canonical),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""A non-negative sum of money in 万元, serialised as a plain decimal string."""

COUNT_MAXIMUM = 10**7
"""More people or units than any department has: a typing error."""
Count = Annotated[int, Field(ge=0, le=COUNT_MAXIMUM)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Budget(_Part):
    """预算整体情况: expenses by kind, income by source, development spending."""

    basic: Amount | None = Field(None, title="基本支出")
    project: Amount | None = Field(None, title="项目支出")
    fiscal: Amount | None = Field(None, title="财政拨款")
    other_funds: Amount | None = Field(None, title="其他资金")
    special: Amount | None = Field(None, title="财政专项资金")
    other_development: Amount | None = Field(None, title="其他事业发展性支出")
    city_level: Amount | None = Field(None, title="市本级使用资金")
    transfer: Amount | None = Field(None, title="拟用于对下转移支付资金")


class Task(_Part):
    """One row of 年度重点工作任务 or 其他需完成的任务."""

    name: str = Field("", title="名称")
    content: str = Field("", title="主要实施内容")
    funds: Amount | None = Field(None, title="拟投入的资金（万元）")
    outcome: str = Field("", title="期望达到的目标（概述）")


class Indicator(_Part):
    """One 三级指标 row; ``value`` is the text the department sees (≥95%, 2023.12.31)."""

    level1: str = Field(title="一级指标")
    level2: str = Field(title="二级指标")
    name: str = Field("", title="三级指标")
    value: str = Field("", title="指标值")


class Form(_Part):
    """市级部门整体预算绩效目标表: one department's filled form for one year."""

    model_config = ConfigDict(title="市级部门整体预算绩效目标表")

    year: int | None = Field(None, ge=1900, le=9999, title="年度")
    department: str = Field("", title="部门名称")
    staff: Count | None = Field(None, title="财政供养人员数")
    subunits: Count | None = Field(None, title="下属二级单位数")
    budget: Budget = Field(default_factory=Budget, title="预算整体情况")
    goals: list[str] = Field(default_factory=list, title="总体绩效目标")
    key_tasks: list[Task] = Field(default_factory=list, title="年度重点工作任务")
    other_tasks: list[Task] = Field(default_factory=list, title="其他需完成的任务")
    indicators: list[Indicator] = Field(default_factory=list, title="绩效指标")


@cache
def field_at(path: str, model: type[BaseModel] = Form) -> tuple[str, str]:
    """The Chinese title and kind ('amount', 'count' or 'text') of a dotted
    field path, so that layouts need not repeat what the model knows."""
    for part in path.split("."):
        info = model.model_fields[part]
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            model = info.annotation
    text = str(info.annotation)
    kind = "amount" if "Decimal" in text else "count" if "int" in text else "text"
    return info.title or part, kind


def value_at(form: BaseModel, path: str) -> Any:
    """The value at a dotted field path such as ``budget.basic``."""
    value: Any = form
    for part in path.split("."):
        value = getattr(value, part)
    return value


def describe(loc: tuple[str | int, ...]) -> str:
    """A validation error's location in the form's words:
    ('key_tasks', 0, 'funds') is 年度重点工作任务第1项的拟投入的资金（万元）."""
    model: type[BaseModel] | None = Form
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"第{part + 1}项"
            continue
        info = model.model_fields.get(part) if model else None
        title = info.title if info and info.title else str(part)
        text = f"{text}的{title}" if text.endswith("项") else title
        inner = [a for a in (info.annotation, *get_args(info.annotation)) if isinstance(a, type)] if info else []
        model = next((a for a in inner if issubclass(a, BaseModel)), None)
    return text
