"""The bureau's roll-up of the current returns: one row per department with
its key figures and the city's totals, every key task, every indicator.

The totals count 已通过 (valid) returns only; ``include_errors`` adds the
returns with errors, each marked as counted.  A department whose newer
return is 待确认 (held) is counted by its current return, like the others.  With a roster every department
of it has a row, in roster order: those whose return is not counted (not
returned, with errors, ...) show their state and blank figures.  A line under
the title says what the totals include.

Formats, chosen by the output's suffix:

- ``.xlsx``: sheets 部门汇总 (a 合计 row of SUM formulas, calculated when
  opened), 重点任务 and 绩效指标, each ready to print;
- ``.csv``: the same three tables as three files (``summary.csv``,
  ``summary-重点任务.csv``, ``summary-绩效指标.csv``), UTF-8 with a BOM so
  that Excel reads the Chinese, totals computed exactly;
- ``.json``: every department with its state and whole form, for programs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxform.checking.rules import value_at
from xlsxform.collection.csvfile import write_csv
from xlsxform.collection.records import FormRecord
from xlsxform.collection.roster import Roster
from xlsxform.collection.status import ORDER, DepartmentStatus, default_year, department_status, local_datetime, state_label
from xlsxform.collection.store import Store
from xlsxform.errors import ExportError
from xlsxform.forms.city_department_performance import Budget
from xlsxform.spec.layout import Spec
from xlsxform.spec.loading import DEFAULT_SPEC

FORMATS = (".xlsx", ".csv", ".json")
BUDGET = list(Budget.model_fields)
"""The 8 amounts of 预算整体情况, in the form's order."""
COUNTED = ("valid",)
"""States whose figures the totals count; ``include_errors`` adds 'errors'."""
PENDING = ("held",)
"""States of a department whose current return stays counted (if valid, or
with ``include_errors``) while a newer one waits for the officer."""
SHEETS = ("部门汇总", "重点任务", "绩效指标")


@dataclass(frozen=True)
class Part:
    """One table of the roll-up: (header, kind) pairs and rows."""

    columns: list[tuple[str, str, bool]]
    """Header, kind ('text', 'count', 'amount', 'time') and whether it is totalled."""
    rows: list[list[Any]]

    @property
    def header(self) -> list[str]:
        """The column titles on one line each (as CSV and programs want them)."""
        return [title.replace("\n", "") for title, _, _ in self.columns]

    def totals(self) -> dict[int, Decimal]:
        """Exact sums of the totalled columns, by column."""
        return {
            col: sum((Decimal(str(row[col])) for row in self.rows if row[col] not in (None, "")), Decimal(0))
            for col, (_, _, total) in enumerate(self.columns)
            if total
        }


@dataclass(frozen=True)
class Tables:
    """The roll-up: every department's standing, which of them the totals count, the three tables."""

    year: int | None
    departments: list[DepartmentStatus]
    counted: list[bool]
    """For each department, whether its figures are in the totals."""
    include_errors: bool
    summary: Part
    tasks: Part
    indicators: Part
    name: str = "市级部门整体预算绩效目标表"
    """The form's name, for titles."""
    form_id: str = DEFAULT_SPEC
    sheets: tuple[str, str, str] = SHEETS
    keys: tuple[str, ...] = ("staff", "subunits", *BUDGET, "key_task_funds")
    """The JSON names of the summary's totalled columns."""

    @property
    def forms(self) -> list[FormRecord]:
        """The returns the totals count."""
        return [d.form for d, c in zip(self.departments, self.counted, strict=True) if c and d.form is not None]

    def scope(self, lang: str = "zh") -> str:
        """What the totals include, in words: the line under the title."""
        en = lang == "en"
        tally: dict[str, list[int]] = {}
        for department, counted in zip(self.departments, self.counted, strict=True):
            tally.setdefault(department.state, [0, 0])[0 if counted else 1] += 1
        states = sorted(tally, key=lambda s: (s not in COUNTED, ORDER.index(s) if s in ORDER else len(ORDER)))
        inside = [(s, tally[s][0]) for s in states if tally[s][0]]
        outside = [(s, tally[s][1]) for s in states if tally[s][1]]
        if en:
            text = f"Totals include {', '.join(f'{n} {state_label(s, lang)}' for s, n in inside) or 'no return'}"
            text += f" ({self.with_errors_note(lang)})" if self.include_errors and any(s == "errors" for s, _ in inside) else ""
            text += " (held: by the current return)" if any(s in PENDING for s, _ in inside) else ""
            text += f"; not included: {', '.join(f'{n} {state_label(s, lang)}' for s, n in outside)}." if outside else "."
            return text
        text = f"合计包括：{'、'.join(f'{state_label(s)} {n} 个' for s, n in inside) or '无'}"
        text += f"（{self.with_errors_note(lang)}）" if self.include_errors and any(s == "errors" for s, _ in inside) else ""
        text += "（待确认的按当前版本计入）" if any(s in PENDING for s, _ in inside) else ""
        text += f"；未计入：{'、'.join(f'{state_label(s)} {n} 个' for s, n in outside)}。" if outside else "。"
        return text

    @staticmethod
    def with_errors_note(lang: str = "zh") -> str:
        return "returns with errors included as they are, not corrected" if lang == "en" else "有错误的表格按原样计入，数据未经更正"


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _standing(store: Store, year: int | None, roster: Roster | None, include_errors: bool, form_id: str) -> tuple[list[DepartmentStatus], list[bool]]:
    """Every department's row of the roll-up, and whether the totals count it."""
    departments = department_status(store, roster, year, form_id)
    if roster is None:
        departments.sort(key=lambda d: (d.department, d.form.id if d.form else 0))
    counted_states = (*COUNTED, "errors") if include_errors else COUNTED
    counted = [d.form is not None and (d.state in counted_states or (d.state in PENDING and (d.form.ok or include_errors))) for d in departments]
    return departments, counted


def tables(store: Store, year: int | None = None, *, roster: Roster | None = None, include_errors: bool = False, spec: Spec | None = None) -> Tables:
    """The roll-up for ``year`` (default: the latest year of its form in the database) of
    one form (default: the first): with a roster, every department of it in
    roster order (then returns from departments not on it); without, each
    department that returned a form, in order of name."""
    year = year if year is not None else default_year(store, spec.form.id if spec is not None else DEFAULT_SPEC)
    if spec is not None and spec.form.id != DEFAULT_SPEC:
        return _form_tables(store, year, roster, include_errors, spec)
    departments, counted = _standing(store, year, roster, include_errors, DEFAULT_SPEC)
    summary_columns = [
        ("序号", "count", False),
        ("部门名称", "text", False),
        ("部门编码", "text", False),
        ("状态", "text", False),
        ("计入合计", "text", False),
        ("财政供养人员数", "count", True),
        ("下属二级单位数", "count", True),
        *((f"{Budget.model_fields[name].title or name}\n（万元）", "amount", True) for name in BUDGET),
        ("重点任务资金合计\n（万元）", "amount", True),
        ("返回时间", "time", False),
    ]
    summary_rows: list[list[Any]] = []
    task_rows: list[list[Any]] = []
    indicator_rows: list[list[Any]] = []
    for n, (department, counts) in enumerate(zip(departments, counted, strict=True), 1):
        form = department.form
        figures: list[Any] = [None] * (3 + len(BUDGET))
        if counts and form is not None:
            data = form.data
            budget = data.get("budget") or {}
            tasks = data.get("key_tasks") or []
            task_total = sum((_amount(t.get("funds")) or Decimal(0) for t in tasks), Decimal(0))
            figures = [data.get("staff"), data.get("subunits"), *(_amount(budget.get(name)) for name in BUDGET), task_total]
            for i, task in enumerate(tasks, 1):
                task_rows.append([department.department, i, task.get("name", ""), task.get("content", ""), _amount(task.get("funds")), task.get("outcome", "")])
            for item in data.get("indicators") or []:
                indicator_rows.append([department.department, item.get("level1", ""), item.get("level2", ""), item.get("name", ""), item.get("value", "")])
        summary_rows.append(
            [
                n,
                department.department,
                department.code,
                state_label(department.state),
                "是" if counts else "否",
                *figures,
                local_datetime(form.received_at) if form else None,
            ]
        )
    return Tables(
        year,
        departments,
        counted,
        include_errors,
        Part(summary_columns, summary_rows),
        Part(
            [
                ("部门名称", "text", False),
                ("序号", "count", False),
                ("名称", "text", False),
                ("主要实施内容", "text", False),
                ("拟投入的资金（万元）", "amount", True),
                ("期望达到的目标（概述）", "text", False),
            ],
            task_rows,
        ),
        Part(
            [("部门名称", "text", False), ("一级指标", "text", False), ("二级指标", "text", False), ("三级指标", "text", False), ("指标值", "text", False)],
            indicator_rows,
        ),
    )


_KINDS = {"amount": "amount", "count": "count", "number": "amount"}
"""How a field type shows in the roll-up (everything else as text)."""


def _column(label: str, kind: str, totalled: bool) -> tuple[str, str, bool]:
    shown = _KINDS.get(kind, "text")
    return (f"{label}\n（万元）" if kind == "amount" and "万元" not in label else label, shown, totalled and shown != "text")


def _value(value: Any, kind: str) -> Any:
    return _amount(value) if kind in {"amount", "number"} else value


def _form_tables(store: Store, year: int | None, roster: Roster | None, include_errors: bool, spec: Spec) -> Tables:
    """Another form's roll-up, from its spec: its fields, its first table's rows, its indicators."""
    departments, counted = _standing(store, year, roster, include_errors, spec.form.id)
    scalars = [p for p, f in spec.fields.items() if f.type != "lines" and p not in ("department", "year") and "[" not in p]
    summary = [("序号", "count", False), ("部门名称", "text", False), ("部门编码", "text", False), ("状态", "text", False), ("计入合计", "text", False)]
    summary += [_column(spec.fields[p].label, spec.fields[p].type, spec.fields[p].type in ("amount", "count")) for p in scalars]
    summary.append(("返回时间", "time", False))
    lists = spec.tables()[:1]
    groups = spec.indicator_sections()[:1]
    task_columns = [("部门名称", "text", False), ("序号", "count", False), *(_column(c.label, c.type, c.type == "amount") for s in lists for c in s.columns)]
    indicator_columns = [("部门名称", "text", False), *((lv.label, "text", False) for g in groups for lv in g.levels)]
    indicator_columns += [_column(c.label, c.type, False) for g in groups for c in g.columns]
    rows: list[list[Any]] = []
    table_rows: list[list[Any]] = []
    indicator_rows: list[list[Any]] = []
    for n, (department, counts) in enumerate(zip(departments, counted, strict=True), 1):
        form = department.form
        figures: list[Any] = [None] * len(scalars)
        if counts and form is not None:
            data = form.data
            figures = [_value(value_at(data, p), spec.fields[p].type) for p in scalars]
            for section in lists:
                for i, item in enumerate(data.get(section.field) or [], 1):
                    table_rows.append([department.department, i, *(_value(item.get(c.field), c.type) for c in section.columns)])
            for group in groups:
                for item in data.get(group.field) or []:
                    levels = [item.get(lv.field, "") for lv in group.levels]
                    indicator_rows.append([department.department, *levels, *(_value(item.get(c.field), c.type) for c in group.columns)])
        state = [n, department.department, department.code, state_label(department.state), "是" if counts else "否"]
        rows.append([*state, *figures, local_datetime(form.received_at) if form else None])
    sheets = ("汇总", lists[0].label if lists else "明细", "绩效指标")
    keys = tuple(p for p in scalars if spec.fields[p].type in ("amount", "count"))
    return Tables(
        year,
        departments,
        counted,
        include_errors,
        Part(summary, rows),
        Part(task_columns, table_rows),
        Part(indicator_columns, indicator_rows),
        name=spec.form.name,
        form_id=spec.form.id,
        sheets=sheets,
        keys=keys,
    )


def export(
    store: Store,
    targets: list[Path],
    *,
    year: int | None = None,
    roster: Roster | None = None,
    include_errors: bool = False,
    lang: str = "zh",
    spec: Spec | None = None,
) -> Tables:
    """Write the roll-up to each target, in the format its suffix names."""
    for target in targets:
        if target.suffix.lower() not in FORMATS:
            raise ExportError("导出文件须以 .xlsx、.csv 或 .json 结尾", "an export file must end in .xlsx, .csv or .json", path=target)
        if not target.parent.is_dir():
            raise ExportError("输出目录不存在", "the output folder does not exist", path=target)
    result = tables(store, year, roster=roster, include_errors=include_errors, spec=spec)
    for target in targets:
        match target.suffix.lower():
            case ".xlsx":
                _xlsx(result, target)
            case ".csv":
                _csv(result, target)
            case ".json":
                _json(result, target)
    return result


def csv_paths(target: Path, sheets: tuple[str, ...] = SHEETS) -> list[Path]:
    """The three files a .csv export writes."""
    return [target, *(target.with_name(f"{target.stem}-{name}{target.suffix}") for name in sheets[1:])]


def title(year: int | None, name: str = "市级部门整体预算绩效目标表") -> str:
    return f"{year}年{name}" if year else name


def _xlsx(result: Tables, target: Path) -> None:
    from xlsxform.workbook.tables import Column, Table, write_tables

    made = f"制表时间：{dt.datetime.now():%Y-%m-%d %H:%M}"
    parts = (result.summary, result.tasks, result.indicators)
    headings = ("全市汇总", f"{result.sheets[1]}汇总", "绩效指标汇总")
    widths = {"序号": 5.0, "部门编码": 8.0, "状态": 8.0, "计入合计": 10.0, "主要实施内容": 36.0, "期望达到的目标（概述）": 30.0}
    write_tables(
        target,
        [
            Table(
                sheet,
                [Column(name, kind, total, widths.get(name)) for name, kind, total in part.columns],
                part.rows,
                heading=f"{title(result.year, result.name)}{heading}",
                notes=[f"{result.scope()}　{made}"],
            )
            for sheet, heading, part in zip(result.sheets, headings, parts, strict=True)
        ],
    )


def _shown(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value


def _csv(result: Tables, target: Path) -> None:
    for path, part in zip(csv_paths(target, result.sheets), (result.summary, result.tasks, result.indicators), strict=True):
        rows = [[_shown(v) for v in row] for row in part.rows]
        sums = part.totals()
        if sums and part.rows:
            line: list[Any] = ["合计"] + [""] * (len(part.columns) - 1)
            for col, value in sums.items():
                line[col] = value
            rows.append(line)
        write_csv(path, part.header, rows)


def _json(result: Tables, target: Path) -> None:
    keys = result.keys
    sums = result.summary.totals()
    document = {
        "form": result.form_id,
        "year": result.year,
        "include_errors": result.include_errors,
        "departments": [
            {
                "department": d.form.department if d.form else d.department,
                "scope": d.form.scope if d.form else "",
                "code": d.code or (d.form.code if d.form else None),
                "status": d.state,
                "counted": counted,
                "errors": d.form.errors if d.form else None,
                "warnings": d.form.warnings if d.form else None,
                "received_at": d.form.received_at if d.form else None,
                "file_name": d.form.file_name if d.form else None,
                "sha256": d.form.sha256 if d.form else None,
                "form_id": d.form.form_id if d.form else None,
                "form": d.form.data if d.form else None,
            }
            for d, counted in zip(result.departments, result.counted, strict=True)
        ],
        "totals": {key: format(value, "f") for key, value in zip(keys, sums.values(), strict=True)},
        "totals_include": result.scope("en"),
    }
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
