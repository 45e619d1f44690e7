"""Writing: a department's text never becomes a live formula in anything xlsxform writes.

A name typed as ``=HYPERLINK(...)``, ``@SUM(...)`` or ``\\t=cmd|...`` goes
into rendered forms, annotated copies and reports as a text cell; text a cell
cannot hold is refused with its field named, never cut.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, Task, read

from .helpers import rendered

FORMULA_LIKE = ["=1+1", "+8613800000000", "-5%", "@SUM(A1)", "\t=1+1", "\t@SUM(A1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "=", "=="]
TOTAL = re.compile(r"^=SUM\([A-Z]+\d+(?:[:,][A-Z]+\d+)*\)$")
"""The only formulas xlsxform writes into a form: its own 合计 rows."""


def _formulas(path: Path) -> dict[str, str]:
    """Every formula cell of every sheet: 'sheet!A1' to its text."""
    workbook = openpyxl.load_workbook(path)
    return {f"{ws.title}!{cell.coordinate}": cell.value for ws in workbook.worksheets for row in ws.iter_rows() for cell in row if cell.data_type == "f"}


def _texts(path: Path) -> set[str]:
    workbook = openpyxl.load_workbook(path)
    return {cell.value for ws in workbook.worksheets for row in ws.iter_rows() for cell in row if cell.data_type == "s"}


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_in_every_field_is_written_as_text(sample: Form, tmp_path: Path, text: str) -> None:
    """Department, goals, both task tables and indicators hold = + - @ and tab-led text as text cells; the only formulas are the totals."""
    task = Task(name=text, content=text, funds=1, outcome=text)
    indicators = [i.model_copy(update={"name": text, "value": text}) if n == 0 else i for n, i in enumerate(sample.indicators)]
    form = sample.model_copy(update={"department": text, "goals": [text], "key_tasks": [task], "other_tasks": [task], "indicators": indicators})
    path = rendered(form, tmp_path)
    assert all(TOTAL.match(formula) for formula in _formulas(path).values())
    assert text in _texts(path) or text.lstrip() in _texts(path)


def test_a_tab_is_text_not_a_control_character(sample: Form, tmp_path: Path) -> None:
    """A tab inside a name is kept; it is not one of the control characters a cell cannot hold."""
    path = rendered(sample.model_copy(update={"department": "湛江市\t信访局"}), tmp_path)
    assert read(path).form.department == "湛江市\t信访局"


def _type_text(path: Path, ref: str, text: str) -> Path:
    """A department typing text that looks like a formula, stored as text (as Excel does after a leading ')."""
    workbook = openpyxl.load_workbook(path)
    cell = workbook.active[ref]
    cell.value = text
    cell.data_type = "s"
    workbook.save(path)
    return path


@pytest.mark.parametrize("text", ["=1+1", "\t=cmd|' /C calc'!A0", "@SUM(A1)"])
def test_an_annotated_copy_keeps_formula_like_values_as_text(sample: Form, tmp_path: Path, text: str) -> None:
    """The value found in 基本支出, echoed in the annotated copy's results sheet, is a text cell there and in no formula."""
    annotate = pytest.importorskip("xlsxform.reading.annotate").annotate
    source = _type_text(rendered(sample, tmp_path), "C5", text)
    result = read(source)
    target = tmp_path / "annotated.xlsx"
    annotate(source, result.problems, target)
    assert not any(text.strip() in formula for formula in _formulas(target).values())
    assert text.strip() in {value.strip() for value in _texts(target)}


def test_a_report_keeps_formula_like_values_as_text(tmp_path: Path) -> None:
    """A roll-up table writes = + - @ and tab-led names as text; only its totals row holds formulas."""
    from xlsxform.workbook.tables import Table, write_tables

    rows = [[text, 1] for text in FORMULA_LIKE]
    target = tmp_path / "report.xlsx"
    write_tables(target, [Table("部门汇总", ["部门名称", "金额"], rows, totals=[1])])
    assert _formulas(target) == {f"部门汇总!B{len(rows) + 2}": f"=SUM(B2:B{len(rows) + 1})"}
    assert set(FORMULA_LIKE) <= _texts(target)
