"""The bureau's roll-up of the current returns: one row per department with
its key figures and the city's totals, every key task, every indicator.

Formats, chosen by the output's suffix:

- ``.xlsx``: sheets 部门汇总 (totals row of SUM formulas, recalculated when
  opened), 重点任务 and 绩效指标;
- ``.csv``: the same three tables as three files (``summary.csv``,
  ``summary-重点任务.csv``, ``summary-绩效指标.csv``), UTF-8 with a BOM so
  that Excel reads the Chinese, totals computed exactly;
- ``.json``: every department's whole form with its status, for programs.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxform.collection.csvfile import csv_cell
from xlsxform.collection.status import current_forms, default_year, state_label
from xlsxform.collection.store import FormRecord, Store
from xlsxform.errors import ExportError
from xlsxform.form.model import Budget
from xlsxform.form.rules import value_at
from xlsxform.spec.layout import DEFAULT_SPEC, Spec

FORMATS = (".xlsx", ".csv", ".json")
BUDGET = list(Budget.model_fields)
"""The 8 amounts of 预算整体情况, in the form's order."""


@dataclass(frozen=True)
class Tables:
    """The three tables of the roll-up, with the columns each totals."""

    year: int | None
    forms: list[FormRecord]
    summary: tuple[list[str], list[list[Any]], list[int]]
    tasks: tuple[list[str], list[list[Any]], list[int]]
    indicators: tuple[list[str], list[list[Any]], list[int]]
    form_id: str = DEFAULT_SPEC


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def tables(store: Store, year: int | None = None, spec: Spec | None = None) -> Tables:
    """The roll-up of the current return of every department for ``year``
    (default: the latest year in the database), in order of department name,
    for one form (default: the first)."""
    year = year if year is not None else default_year(store)
    if spec is not None and spec.form.id != DEFAULT_SPEC:
        return _family_tables(store, year, spec)
    forms = sorted(current_forms(store, year, DEFAULT_SPEC).values(), key=lambda f: (f.department, f.id))
    titles = [Budget.model_fields[name].title or name for name in BUDGET]
    summary_header = [
        "部门名称",
        "部门编码",
        "年度",
        "状态",
        "错误",
        "警告",
        "财政供养人员数",
        "下属二级单位数",
        *titles,
        "重点任务资金合计",
        "返回时间",
        "文件",
    ]
    summary_rows: list[list[Any]] = []
    task_rows: list[list[Any]] = []
    indicator_rows: list[list[Any]] = []
    for form in forms:
        data = form.data
        budget = data.get("budget") or {}
        tasks = data.get("key_tasks") or []
        task_total = sum((_amount(t.get("funds")) or Decimal(0) for t in tasks), Decimal(0))
        summary_rows.append(
            [
                form.department,
                form.code or "",
                form.year,
                state_label("valid" if form.ok else "errors"),
                form.errors,
                form.warnings,
                data.get("staff"),
                data.get("subunits"),
                *(_amount(budget.get(name)) for name in BUDGET),
                task_total,
                form.received_at,
                form.file_name,
            ]
        )
        for n, task in enumerate(tasks, 1):
            task_rows.append([form.department, n, task.get("name", ""), task.get("content", ""), _amount(task.get("funds")), task.get("outcome", "")])
        for item in data.get("indicators") or []:
            indicator_rows.append([form.department, item.get("level1", ""), item.get("level2", ""), item.get("name", ""), item.get("value", "")])
    summed = list(range(6, 6 + 2 + len(BUDGET) + 1))
    return Tables(
        year,
        forms,
        (summary_header, summary_rows, summed),
        (["部门名称", "序号", "名称", "主要实施内容", "拟投入的资金（万元）", "期望达到的目标（概述）"], task_rows, [4]),
        (["部门名称", "一级指标", "二级指标", "三级指标", "指标值"], indicator_rows, []),
    )


SHEETS = ("部门汇总", "重点任务", "绩效指标")


def _family_tables(store: Store, year: int | None, spec: Spec) -> Tables:
    """Another form's roll-up: its fields by label, its first table's rows and its indicators."""
    forms = sorted(current_forms(store, year, spec.form.id, spec.form.subject).values(), key=lambda f: (f.department, f.id))
    scalars = [p for p in spec.fields if spec.fields[p].type != "lines" and p != "department"]
    header = ["部门名称", "部门编码", "年度", "状态", "错误", "警告", *(spec.fields[p].label for p in scalars), "返回时间", "文件"]
    amounts = [6 + n for n, p in enumerate(scalars) if spec.fields[p].type == "amount"]
    lists = spec.tables()[:1]
    indicators = spec.indicator_sections()[:1]
    table_header = ["部门名称", "序号", *(c.label for s in lists for c in s.columns)]
    indicator_header = ["部门名称", *(lv.label for s in indicators for lv in s.levels), *(c.label for s in indicators for c in s.columns)]
    rows: list[list[Any]] = []
    table_rows: list[list[Any]] = []
    indicator_rows: list[list[Any]] = []
    for form in forms:
        data = form.data
        values = [value_at(data, p) for p in scalars]
        values = [_amount(v) if spec.fields[p].type in {"amount", "number", "percent"} else v for p, v in zip(scalars, values, strict=True)]
        state = state_label("valid" if form.ok else "errors")
        rows.append([form.department, form.code or "", form.year, state, form.errors, form.warnings, *values, form.received_at, form.file_name])
        for section in lists:
            for n, item in enumerate(data.get(section.field) or [], 1):
                table_rows.append([form.department, n, *(item.get(c.field) for c in section.columns)])
        for group in indicators:
            for item in data.get(group.field) or []:
                indicator_rows.append([form.department, *(item.get(lv.field, "") for lv in group.levels), *(item.get(c.field) for c in group.columns)])
    return Tables(year, forms, (header, rows, amounts), (table_header, table_rows, []), (indicator_header, indicator_rows, []), spec.form.id)


def export(store: Store, targets: list[Path], *, year: int | None = None, spec: Spec | None = None) -> Tables:
    """Write the roll-up to each target, in the format its suffix names."""
    for target in targets:
        if target.suffix.lower() not in FORMATS:
            raise ExportError("导出文件须以 .xlsx、.csv 或 .json 结尾", "an export file must end in .xlsx, .csv or .json", path=target)
        if not target.parent.is_dir():
            raise ExportError("输出目录不存在", "the output folder does not exist", path=target)
    result = tables(store, year, spec)
    for target in targets:
        match target.suffix.lower():
            case ".xlsx":
                _xlsx(result, target)
            case ".csv":
                _csv(result, target)
            case ".json":
                _json(result, target)
    return result


def csv_paths(target: Path) -> list[Path]:
    """The three files a .csv export writes."""
    return [target, *(target.with_name(f"{target.stem}-{name}{target.suffix}") for name in SHEETS[1:])]


def _xlsx(result: Tables, target: Path) -> None:
    from xlsxform.workbook.tables import Table, write_tables

    write_tables(
        target,
        [Table(title, header, rows, totals) for title, (header, rows, totals) in zip(SHEETS, (result.summary, result.tasks, result.indicators), strict=False)],
    )


def _csv(result: Tables, target: Path) -> None:
    for path, (header, rows, totals) in zip(csv_paths(target), (result.summary, result.tasks, result.indicators), strict=False):
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
            if totals and rows:
                line: list[Any] = ["合计"] + [""] * (len(header) - 1)
                for col in totals:
                    line[col] = csv_cell(sum((Decimal(str(r[col])) for r in rows if r[col] is not None), Decimal(0)))
                writer.writerow(line)


def _json(result: Tables, target: Path) -> None:
    header, rows, totals = result.summary
    keys = ("staff", "subunits", *BUDGET, "key_task_funds") if result.form_id == DEFAULT_SPEC else tuple(header[c] for c in totals)
    sums = {key: csv_cell(sum((Decimal(str(r[col])) for r in rows if r[col] is not None), Decimal(0))) for key, col in zip(keys, totals, strict=False)}
    document = {
        "form": result.form_id,
        "year": result.year,
        "departments": [
            {
                "department": form.department,
                "code": form.code,
                "status": "valid" if form.ok else "errors",
                "errors": form.errors,
                "warnings": form.warnings,
                "received_at": form.received_at,
                "file_name": form.file_name,
                "sha256": form.sha256,
                "form_id": form.form_id,
                "form": form.data,
            }
            for form in result.forms
        ],
        "totals": sums,
    }
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
