"""Helpers for the collection specifications: a roster, a department filling
in the workbook it was sent, and e-mails carrying the result back."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from openpyxl.utils import coordinate_to_tuple, get_column_letter

from xlsxform import read

from .helpers import fill

ROSTER_HEADER = ["部门名称", "部门编码", "邮箱", "基本支出（万元）"]


def write_roster(path: Path, rows: list[list[Any]], header: list[str] = ROSTER_HEADER, encoding: str = "utf-8-sig") -> Path:
    """A roster CSV as a bureau saves it from Excel."""
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _cell(ref: str) -> tuple[int, int]:
    return coordinate_to_tuple(ref.rsplit("!", 1)[-1])


def answers(blank: Path, *, basic: str, project: str, fiscal: str | None = None, staff: int = 12) -> dict[str, Any]:
    """The cells a department types into its issued workbook to complete it:
    found where the form itself says they are (so any layout of the template
    fills alike).  ``fiscal`` other than basic + project breaks rule R1."""
    cells = read(blank).cells
    total = Decimal(basic) + Decimal(project)
    at = lambda field: cells[field].rsplit("!", 1)[-1]  # noqa: E731
    edits: dict[str, Any] = {
        at("staff"): staff,
        at("subunits"): 0,
        at("budget.basic"): float(basic),
        at("budget.project"): float(project),
        at("budget.fiscal"): float(fiscal if fiscal is not None else total),
        at("budget.other_funds"): 0,
        at("budget.special"): 0,
        at("budget.other_development"): 0,
        at("budget.city_level"): 0,
        at("budget.transfer"): 0,
        at("goals"): "目标1：按时完成年度工作任务\n目标2：提高服务质量",
    }
    row, col = _cell(cells["key_tasks"])
    for offset, value in enumerate(["任务1：日常运转", "保障日常办公业务正常运转", float(project), "工作正常有序运转"]):
        edits[f"{get_column_letter(col + offset)}{row}"] = value
    for field, ref in cells.items():
        if field.startswith("indicators:"):
            row, _ = _cell(ref)
            edits[f"D{row}"] = f"{field.split(':', 1)[1]}三级指标"
            edits[f"E{row}"] = "≥95%"
    return edits


def fill_in(path: Path, **kwargs: Any) -> Path:
    """Fill the department's issued workbook in place, as the department would."""
    return fill(path, answers(path, **kwargs))


def mail(attachments: list[tuple[str, bytes]], *, sender: str, date: dt.datetime, subject: str = "回复：绩效目标表") -> EmailMessage:
    """A department's reply with its workbooks attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "czj@example.gov.cn"
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message.set_content("已填好，请查收。")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message
