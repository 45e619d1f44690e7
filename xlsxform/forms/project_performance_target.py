"""项目支出绩效目标申报表: the model generated from templates/project-performance-target.toml.

Do not edit: regenerate with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from xlsxform.form.types import Amount, FormData, Part, no_items

SPEC_ID = "project-performance-target"
SPEC_VERSION = "1"


class ProjectFunds(Part):
    """项目资金（万元）"""

    total: Amount | None = Field(None, title="年度资金总额")
    fiscal: Amount | None = Field(None, title="财政拨款")
    other: Amount | None = Field(None, title="其他资金")


class TargetIndicator(Part):
    """One row of 绩效指标."""

    level1: str = Field("", title="一级指标")
    level2: str = Field("", title="二级指标")
    name: str = Field("", title="三级指标")
    value: str = Field("", title="指标值")


class ProjectTarget(FormData):
    """项目支出绩效目标申报表: one filled form."""

    model_config = ConfigDict(title="项目支出绩效目标申报表")

    project: str = Field("", title="项目名称")
    department: str = Field("", title="主管部门")
    unit: str = Field("", title="实施单位")
    kind: str = Field("", title="项目属性")
    period: str = Field("", title="项目期")
    funds: ProjectFunds = Field(default_factory=ProjectFunds, title="项目资金（万元）")
    goals: list[str] = Field(default_factory=no_items, title="年度绩效目标")
    indicators: list[TargetIndicator] = Field(default_factory=no_items, title="绩效指标")
