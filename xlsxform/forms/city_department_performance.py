"""市级部门整体预算绩效目标表: the model generated from templates/city-department-performance.toml.

Do not edit: regenerate with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from xlsxform.form.types import Amount, Count, FormData, Part, no_items

SPEC_ID = "city-department-performance"
SPEC_VERSION = "1"


class Budget(Part):
    """预算整体情况"""

    basic: Amount | None = Field(None, title="基本支出")
    project: Amount | None = Field(None, title="项目支出")
    fiscal: Amount | None = Field(None, title="财政拨款")
    other_funds: Amount | None = Field(None, title="其他资金")
    special: Amount | None = Field(None, title="财政专项资金")
    other_development: Amount | None = Field(None, title="其他事业发展性支出")
    city_level: Amount | None = Field(None, title="市本级使用资金")
    transfer: Amount | None = Field(None, title="拟用于对下转移支付资金")


class Task(Part):
    """One row of 年度重点工作任务."""

    name: str = Field("", title="名称")
    content: str = Field("", title="主要实施内容")
    funds: Amount | None = Field(None, title="拟投入的资金（万元）")
    outcome: str = Field("", title="期望达到的目标（概述）")


class Indicator(Part):
    """One row of 绩效指标."""

    level1: str = Field("", title="一级指标")
    level2: str = Field("", title="二级指标")
    name: str = Field("", title="三级指标")
    value: str = Field("", title="指标值")


class Form(FormData):
    """市级部门整体预算绩效目标表: one filled form."""

    model_config = ConfigDict(title="市级部门整体预算绩效目标表")

    department: str = Field("", title="部门名称")
    staff: Count | None = Field(None, title="财政供养人员数")
    subunits: Count | None = Field(None, title="下属二级单位数")
    budget: Budget = Field(default_factory=Budget, title="预算整体情况")
    goals: list[str] = Field(default_factory=no_items, title="总体绩效目标")
    key_tasks: list[Task] = Field(default_factory=no_items, title="年度重点工作任务")
    other_tasks: list[Task] = Field(default_factory=no_items, title="其他需完成的任务")
    indicators: list[Indicator] = Field(default_factory=no_items, title="绩效指标")
