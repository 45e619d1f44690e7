"""xlsxform: the 市级部门整体预算绩效目标表 as a styled workbook and back.

Library API::

    from xlsxform import Form, read, render, render_template

    render_template("blank.xlsx", year=2024, department="湛江市信访局")
    result = read("filled.xlsx")          # ReadResult: form, problems, cells
    for problem in result.problems:
        print(problem.cell, problem.code, problem.message())
    render(result.form, "copy.xlsx")

Names are imported on first use, so that ``import xlsxform`` (and the CLI's
start) does not pay for openpyxl and pydantic until they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Form": "model",
    "Budget": "model",
    "Task": "model",
    "Indicator": "model",
    "render": "renderer",
    "render_template": "renderer",
    "read": "reader",
    "ReadResult": "reader",
    "check": "rules",
    "Problem": "problems",
    "Severity": "problems",
    "Spec": "spec",
    "load_spec": "spec",
    "read_roster": "roster",
    "issue": "outbox",
    "Store": "store",
    "XlsxformError": "errors",
    "RefusedFileError": "errors",
    "SpecError": "errors",
    "FormDataError": "errors",
    "UnreadableWorkbookError": "errors",
    "NotThisFormError": "errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'xlsxform' has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
