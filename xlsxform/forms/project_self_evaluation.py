"""项目支出绩效自评表: the model generated from templates/project-self-evaluation.toml.

Do not edit: regenerate with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from xlsxform.form.types import Amount, FormData, Number, Part, Percent, no_items

SPEC_ID = "project-self-evaluation"
SPEC_VERSION = "1"


class FundsTotal(Part):
    """年度资金总额"""

    start: Amount | None = Field(None, title="年度资金总额年初预算数")
    budget: Amount | None = Field(None, title="年度资金总额全年预算数")
    spent: Amount | None = Field(None, title="年度资金总额全年执行数")


class FundsFiscal(Part):
    """当年财政拨款"""

    start: Amount | None = Field(None, title="当年财政拨款年初预算数")
    budget: Amount | None = Field(None, title="当年财政拨款全年预算数")
    spent: Amount | None = Field(None, title="当年财政拨款全年执行数")


class FundsCarry(Part):
    """上年结转资金"""

    start: Amount | None = Field(None, title="上年结转资金年初预算数")
    budget: Amount | None = Field(None, title="上年结转资金全年预算数")
    spent: Amount | None = Field(None, title="上年结转资金全年执行数")


class FundsOther(Part):
    """其他资金"""

    start: Amount | None = Field(None, title="其他资金年初预算数")
    budget: Amount | None = Field(None, title="其他资金全年预算数")
    spent: Amount | None = Field(None, title="其他资金全年执行数")


class EvaluationFunds(Part):
    """项目资金（万元）"""

    total: FundsTotal = Field(default_factory=FundsTotal, title="年度资金总额")
    fiscal: FundsFiscal = Field(default_factory=FundsFiscal, title="当年财政拨款")
    carry: FundsCarry = Field(default_factory=FundsCarry, title="上年结转资金")
    other: FundsOther = Field(default_factory=FundsOther, title="其他资金")
    rate: Percent | None = Field(None, title="执行率")
    score: Number | None = Field(None, title="预算执行得分")


class EvaluationTotal(Part):
    """总分"""

    weight: Number | None = Field(None, title="总分分值")
    score: Number | None = Field(None, title="总分")


class EvaluationIndicator(Part):
    """One row of 绩效指标."""

    level1: str = Field("", title="一级指标")
    level2: str = Field("", title="二级指标")
    name: str = Field("", title="三级指标")
    target: str = Field("", title="年度指标值")
    actual: str = Field("", title="实际完成值")
    weight: Number | None = Field(None, title="分值")
    score: Number | None = Field(None, title="得分")
    reason: str = Field("", title="偏差原因分析及改进措施")


class SelfEvaluation(FormData):
    """项目支出绩效自评表: one filled form."""

    model_config = ConfigDict(title="项目支出绩效自评表")

    project: str = Field("", title="项目名称")
    department: str = Field("", title="主管部门")
    unit: str = Field("", title="实施单位")
    funds: EvaluationFunds = Field(default_factory=EvaluationFunds, title="项目资金（万元）")
    goals: str = Field("", title="预期目标")
    achieved: str = Field("", title="实际完成情况")
    total: EvaluationTotal = Field(default_factory=EvaluationTotal, title="总分")
    indicators: list[EvaluationIndicator] = Field(default_factory=no_items, title="绩效指标")
