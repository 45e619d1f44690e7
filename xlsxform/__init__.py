"""xlsxform: the budget performance forms as styled workbooks and back.

Library API::

    from xlsxform import Form, SelfEvaluation, read, render, render_template

    render_template("blank.xlsx", year=2024, department="湛江市信访局")
    result = read("filled.xlsx")          # ReadResult: form, problems, cells
    result.form_id                        # which form it was: recognised
    evaluation = result.form_as(SelfEvaluation)   # typed, for the 自评表
    for problem in result.problems:
        print(problem.cell, problem.code, problem.message())
    render(result.form, "copy.xlsx")

Each form of the family is one spec file (templates/*.toml, docs/spec.md);
the built-in forms' models are generated into ``forms``.  The packages
follow the pipeline: ``spec`` (the spec language, its expressions and the
model generator), ``form`` (value types, rules and problems), ``rendering``
and ``reading`` (form to workbook and back), ``workbook`` (the only place spreadsheet libraries are used),
``safety`` (the gate every received file passes), ``collection`` (issue,
ingest, store, status, export) and ``cli``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from xlsxform.form.problems import Problem, Severity
    from xlsxform.form.types import FormData
    from xlsxform.forms.city_department_performance import Budget, Form, Indicator, Task
    from xlsxform.forms.project_performance_target import ProjectTarget
    from xlsxform.forms.project_self_evaluation import SelfEvaluation
    from xlsxform.reading.reader import read, read_workbook
    from xlsxform.reading.result import ReadResult
    from xlsxform.rendering.renderer import render, render_template
    from xlsxform.spec.layout import Spec
    from xlsxform.spec.loading import load_spec

_ERRORS = ("FormDataError", "NotThisFormError", "OutputExistsError", "RefusedFileError", "SpecError", "UnreadableWorkbookError", "XlsxformError")
_HOME = {
    "check": "checking.rules",
    "export": "collection.export",
    "ingest": "collection.ingest",
    "issue": "collection.outbox",
    "read_roster": "collection.roster",
    "Store": "collection.store",
    **dict.fromkeys(_ERRORS, "errors"),
    "Problem": "form.problems",
    "Severity": "form.problems",
    "FormData": "form.types",
    **dict.fromkeys(("Budget", "Form", "Indicator", "Task"), "forms.city_department_performance"),
    "ProjectTarget": "forms.project_performance_target",
    "SelfEvaluation": "forms.project_self_evaluation",
    **dict.fromkeys(("read", "read_workbook"), "reading.reader"),
    "ReadResult": "reading.result",
    **dict.fromkeys(("render", "render_template"), "rendering.renderer"),
    "Spec": "spec.layout",
    "load_spec": "spec.loading",
}
"""The module each public name comes from."""


def __getattr__(name: str) -> Any:
    """A public name, imported on first use: reading loads neither openpyxl
    nor the collection's csv and e-mail, nor any form's model but the one it
    reads.  xlsxform's models are built with pydantic's plugin scan off."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'xlsxform' has no attribute {name!r}")
    from xlsxform._plugins import no_plugins

    module = f"xlsxform.{home}"
    with no_plugins():
        __import__(module)  # not importlib.import_module: -X importtime reports this import
    value = getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Form",
    "FormData",
    "FormDataError",
    "Indicator",
    "NotThisFormError",
    "OutputExistsError",
    "Problem",
    "ProjectTarget",
    "ReadResult",
    "RefusedFileError",
    "SelfEvaluation",
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
    "read_workbook",
    "render",
    "render_template",
]
