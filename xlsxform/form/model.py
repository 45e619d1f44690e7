"""The first form's data model, 市级部门整体预算绩效目标表, for typed access.

The classes are generated from templates/city-department-performance.toml
(see :mod:`xlsxform.spec.generate`); the value types live in
:mod:`xlsxform.form.types`.  ``describe`` words a validation error's
location with any model's titles.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from xlsxform.form.types import COUNT_MAXIMUM, Amount, Count, FormData
from xlsxform.forms.city_department_performance import Budget, Form, Indicator, Task

__all__ = ["COUNT_MAXIMUM", "Amount", "Budget", "Count", "Form", "FormData", "Indicator", "Task", "describe"]


def describe(loc: tuple[str | int, ...], model: type[BaseModel] = Form) -> str:
    """A validation error's location in the form's words:
    ('key_tasks', 0, 'funds') is 年度重点工作任务第1项的拟投入的资金（万元）."""
    current: type[BaseModel] | None = model
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"第{part + 1}项"
            continue
        info = current.model_fields.get(part) if current else None
        title = info.title if info and info.title else str(part)
        text = f"{text}的{title}" if text.endswith("项") else title
        inner = [a for a in (info.annotation, *get_args(info.annotation)) if isinstance(a, type)] if info else []
        current = next((a for a in inner if issubclass(a, BaseModel)), None)
    return text
