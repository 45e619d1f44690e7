"""xlsxform: the budget performance forms as styled workbooks and back.

Library API::

    from xlsxform import Form, read, render, render_template

    render_template("blank.xlsx", year=2024, department="湛江市信访局")
    result = read("filled.xlsx")          # ReadResult: form, problems, cells
    for problem in result.problems:
        print(problem.cell, problem.code, problem.message())
    render(result.form, "copy.xlsx")

The packages follow the pipeline: ``spec`` (layout specs), ``form`` (the data,
its rules and problems), ``rendering`` and ``reading`` (form to workbook and
back), ``workbook`` (the only place spreadsheet libraries are used),
``safety`` (the gate every received file passes), ``collection`` (issue,
ingest, store, status, export) and ``cli``.
"""

from __future__ import annotations

from xlsxform.checking.rules import check
from xlsxform.collection.export import export
from xlsxform.collection.ingest import ingest
from xlsxform.collection.outbox import issue
from xlsxform.collection.roster import read_roster
from xlsxform.collection.store import Store
from xlsxform.errors import (
    FormDataError,
    NotThisFormError,
    OutputExistsError,
    RefusedFileError,
    SpecError,
    UnreadableWorkbookError,
    XlsxformError,
)
from xlsxform.form.model import Budget, Form, Indicator, Task
from xlsxform.form.problems import Problem, Severity
from xlsxform.reading.reader import ReadResult, read
from xlsxform.rendering.renderer import render, render_template
from xlsxform.spec.layout import Spec, load_spec

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Form",
    "FormDataError",
    "Indicator",
    "NotThisFormError",
    "OutputExistsError",
    "Problem",
    "ReadResult",
    "RefusedFileError",
    "Severity",
    "Spec",
    "SpecError",
    "Store",
    "Task",
    "UnreadableWorkbookError",
    "XlsxformError",
    "__version__",
    "check",
    "export",
    "ingest",
    "issue",
    "load_spec",
    "read",
    "read_roster",
    "render",
    "render_template",
]
