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

import os
from typing import TYPE_CHECKING, Any

# pydantic looks for plugins in every installed package's metadata when the
# first model class is built; xlsxform's models use none, so they are built
# with the scan switched off (the setting is restored at once: models of the
# program using xlsxform still get its plugins).
_plugins = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
try:
    from xlsxform.checking.rules import check
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
    from xlsxform.reading.reader import ReadResult, read, read_workbook
    from xlsxform.spec.layout import Spec, load_spec
finally:
    if _plugins is None:
        del os.environ["PYDANTIC_DISABLE_PLUGINS"]
    else:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = _plugins

if TYPE_CHECKING:
    from xlsxform.collection.export import export
    from xlsxform.collection.ingest import ingest
    from xlsxform.collection.outbox import issue
    from xlsxform.collection.roster import read_roster
    from xlsxform.rendering.renderer import render, render_template
else:
    # Writing, collecting and exporting load openpyxl, csv and e-mail: these
    # names import their module on first call, so that reading loads none of it.

    def render(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.rendering.renderer.render`."""
        from xlsxform.rendering.renderer import render

        return render(*args, **kwargs)

    def render_template(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.rendering.renderer.render_template`."""
        from xlsxform.rendering.renderer import render_template

        return render_template(*args, **kwargs)

    def ingest(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.collection.ingest.ingest`."""
        from xlsxform.collection.ingest import ingest

        return ingest(*args, **kwargs)

    def issue(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.collection.outbox.issue`."""
        from xlsxform.collection.outbox import issue

        return issue(*args, **kwargs)

    def export(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.collection.export.export`."""
        from xlsxform.collection.export import export

        return export(*args, **kwargs)

    def read_roster(*args: Any, **kwargs: Any) -> Any:
        """:func:`xlsxform.collection.roster.read_roster`."""
        from xlsxform.collection.roster import read_roster

        return read_roster(*args, **kwargs)


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
