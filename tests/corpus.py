"""Returned workbooks the way departments really send them: the official
layout written cell by cell with openpyxl, independently of xlsxform's
renderer: no defined names, no hidden data, no 合计 rows, any sheet name.

``official(form)`` builds the table of FORM.md; its keyword arguments make
the variants departments produce, and ``Layout`` says where everything went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from xlsxform import Form

FRAMEWORK = {
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}
BUDGET_ROWS = [
    ("部门预算支出", "预算金额（万元）", "收入来源", "预算金额（万元）"),
    ("基本支出", "basic", "财政拨款", "fiscal"),
    ("项目支出", "project", "其他资金", "other_funds"),
    ("事业发展性支出", "预算金额（万元）", "按预算级次划分", "预算金额（万元）"),
    ("财政专项资金", "special", "市本级使用资金", "city_level"),
    ("其他事业发展性支出", "other_development", "拟用于对下转移支付资金", "transfer"),
]
NOTE = "备注：1.本表的填报主体是市级一级预算单位。2.本表在“二上”环节通过系统录入，具体字段信息以系统为准。"


@dataclass
class Layout:
    """Where ``official`` put things: row numbers by part."""

    tasks: list[int] = field(default_factory=list)
    other_tasks: list[int] = field(default_factory=list)
    indicators: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    level1_rows: dict[str, int] = field(default_factory=dict)
    note: int = 0


def official(
    form: Form,
    path: Path,
    *,
    sheet: str = "Sheet1",
    title_year: int | None = None,
    labels: dict[str, str] | None = None,
    other_rows: int = 1,
    empty_group_rows: int = 1,
    omit_groups: tuple[str, ...] = (),
    extra_task_rows: int = 0,
    edits: dict[str, Any] | None = None,
    formats: dict[str, str] | None = None,
) -> Layout:
    """Write ``form`` in the official layout; ``labels`` replaces label texts,
    ``edits``/``formats`` then change cells as a department would."""
    rename = labels or {}

    def label(text: str) -> str:
        return rename.get(text, text)

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    layout = Layout()
    ws["A1"] = f"{title_year or form.year}年市级部门整体预算绩效目标表"
    ws.merge_cells("A1:E1")
    ws["A2"], ws["B2"] = label("部门名称"), form.department
    ws.merge_cells("B2:E2")
    ws["A3"], ws["B3"], ws["C3"], ws["D3"], ws["E3"] = label("基本信息"), label("财政供养人员数"), form.staff, label("下属二级单位数"), form.subunits
    ws["A4"] = label("预算整体情况")
    for row, cells in enumerate(BUDGET_ROWS, 4):
        for col, text in enumerate(cells, 2):
            value = getattr(form.budget, text) if text in type(form.budget).model_fields else label(text)
            ws.cell(row, col).value = float(value) if value is not None and not isinstance(value, str) else value
    ws.merge_cells("A4:A9")
    ws["A10"], ws["B10"] = label("总体绩效目标"), "\n".join(f"目标{n}：{goal}" for n, goal in enumerate(form.goals, 1))
    ws.merge_cells("B10:E10")
    row = 11
    ws.cell(row, 1).value = label("年度重点工作任务")
    for col, text in enumerate(["名称", "主要实施内容", "拟投入的资金（万元）", "期望达到的目标（概述）"], 2):
        ws.cell(row, col).value = label(text)
    first = row
    for task in [*form.key_tasks, *[None] * extra_task_rows]:
        row += 1
        layout.tasks.append(row)
        if task:
            _task(ws, row, task)
    ws.merge_cells(start_row=first, start_column=1, end_row=row, end_column=1)
    first = row + 1
    for i in range(max(len(form.other_tasks), other_rows)):
        row += 1
        layout.other_tasks.append(row)
        if i < len(form.other_tasks):
            _task(ws, row, form.other_tasks[i])
    ws.cell(first, 1).value = label("其他需完成的任务（可选填）")
    if row > first:
        ws.merge_cells(start_row=first, start_column=1, end_row=row, end_column=1)
    row += 1
    header = row
    ws.cell(row, 1).value = label("绩效指标")
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "指标值"], 2):
        ws.cell(row, col).value = label(text)
    for level1, level2s in FRAMEWORK.items():
        level1_first = row + 1
        for level2 in level2s:
            if level2 in omit_groups:
                continue
            items = [i for i in form.indicators if (i.level1, i.level2) == (level1, level2)]
            rows = []
            for item in items or [None] * empty_group_rows:
                row += 1
                rows.append(row)
                if item:
                    ws.cell(row, 4).value, ws.cell(row, 5).value = item.name, item.value
            if rows:
                ws.cell(rows[0], 3).value = label(level2)
                ws.merge_cells(start_row=rows[0], start_column=3, end_row=rows[-1], end_column=3)
            layout.indicators[(level1, level2)] = rows
        ws.cell(level1_first, 2).value = label(level1)
        layout.level1_rows[level1] = level1_first
        ws.merge_cells(start_row=level1_first, start_column=2, end_row=row, end_column=2)
    ws.merge_cells(start_row=header, start_column=1, end_row=row, end_column=1)
    row += 1
    ws.cell(row, 1).value = NOTE
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    layout.note = row
    for ref, value in (edits or {}).items():
        ws[ref] = value
    for ref, number_format in (formats or {}).items():
        ws[ref].number_format = number_format
    workbook.save(path)
    return layout


def _task(ws: Any, row: int, task: Any) -> None:
    ws.cell(row, 2).value, ws.cell(row, 3).value = task.name, task.content
    ws.cell(row, 4).value = float(task.funds) if task.funds is not None else None
    ws.cell(row, 5).value = task.outcome
