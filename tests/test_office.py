"""LibreOffice round trips: the rendered form as a person's office suite sees it.

A department opens the workbook in LibreOffice, which recalculates the 合计
formulas and saves the file, or prints it.  These tests check that the totals
come out right, that what LibreOffice saved reads back to the same form with
the same problems, and that the print is one A4 portrait page wide.

Each workbook is converted once per module (a conversion takes 1-3 s) and the
results are shared by the tests below.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import ERROR_CODES

import xlsxform
from xlsxform import Form, Indicator, Task

pytestmark = pytest.mark.office

SAMPLE_JSON = Path(__file__).resolve().parent.parent / "samples" / "zhanjiang-xinfang-2023.json"

TOLERANCE = Decimal("0.000001")
"""Amounts carry at most 6 decimals; a recalculated double must be this close."""

A4_PORTRAIT = (595.0, 842.0)
"""A4 portrait in PDF points (210 x 297 mm)."""


@dataclass(frozen=True)
class Converted:
    """A rendered workbook and LibreOffice's recalculated save of it."""

    rendered: Path
    saved: Path


def _load_sample() -> Form:
    # The `sample` fixture is function-scoped; module fixtures load their own copy.
    return Form.model_validate_json(SAMPLE_JSON.read_bytes())


def _render_and_save(office, directory: Path, form: Form) -> Converted:
    rendered = directory / "x.xlsx"
    xlsxform.render(form, rendered)
    return Converted(rendered, office(rendered, "xlsx"))


@pytest.fixture(scope="module")
def sample_saved(office, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """The sample rendered, then opened and saved by LibreOffice as xlsx."""
    return _render_and_save(office, tmp_path_factory.mktemp("sample"), _load_sample())


@pytest.fixture(scope="module")
def sample_pdf(office, sample_saved: Converted) -> Path:
    """The rendered sample printed to PDF by LibreOffice."""
    _poppler("pdfinfo"), _poppler("pdftotext")  # skip before paying for the conversion
    return office(sample_saved.rendered, "pdf")


@pytest.fixture(scope="module")
def template_saved(office, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """A blank template for 测试局, 2024, opened and saved by LibreOffice."""
    rendered = tmp_path_factory.mktemp("template") / "blank.xlsx"
    xlsxform.render_template(rendered, year=2024, department="测试局")
    return Converted(rendered, office(rendered, "xlsx"))


UNBALANCED_FISCAL = Decimal("1100")
"""财政拨款 changed so that 收入合计 (1100) is 33.49 less than 支出合计 (1133.49)."""


@pytest.fixture(scope="module")
def unbalanced_saved(office, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """The sample with 财政拨款 lowered, rendered and saved by LibreOffice."""
    form = _load_sample()
    form.budget.fiscal = UNBALANCED_FISCAL
    return _render_and_save(office, tmp_path_factory.mktemp("unbalanced"), form)


# -- helpers ---------------------------------------------------------------


def _sheet(path: Path, *, data_only: bool = False):
    workbook = openpyxl.load_workbook(path, data_only=data_only)
    return workbook["绩效目标表"]


def _formula_cells(path: Path) -> dict[str, str]:
    """Every formula of a rendered file: coordinate to formula text."""
    return {cell.coordinate: cell.value for row in _sheet(path).iter_rows() for cell in row if isinstance(cell.value, str) and cell.value.startswith("=")}


def _total_keys(path: Path) -> dict[tuple[str, str], str]:
    """Each formula cell keyed by its row's label in column B and its column.

    The keys name the totals independently of row numbers: ('支出合计', 'C') is
    基本支出 + 项目支出, ('支出合计', 'E') the 收入合计 beside it, ('合计', 'C')
    and ('合计', 'E') the two 事业发展性支出 totals, ('合计', 'D') the key tasks'
    funds.
    """
    ws = _sheet(path)
    keys: dict[tuple[str, str], str] = {}
    for coordinate in _formula_cells(path):
        cell = ws[coordinate]
        key = (str(ws.cell(cell.row, 2).value), cell.column_letter)
        assert key not in keys, f"two formula cells share the key {key}: {keys[key]} and {coordinate}"
        keys[key] = coordinate
    return keys


def _expected_totals(form: Form) -> dict[tuple[str, str], Decimal]:
    """The totals a form should show, summed exactly from its parts."""
    b = form.budget

    def add(*amounts: Decimal | None) -> Decimal:
        return sum((a for a in amounts if a is not None), Decimal(0))

    return {
        ("支出合计", "C"): add(b.basic, b.project),
        ("支出合计", "E"): add(b.fiscal, b.other_funds),
        ("合计", "C"): add(b.special, b.other_development),
        ("合计", "E"): add(b.city_level, b.transfer),
        ("合计", "D"): add(*(t.funds for t in form.key_tasks)),
    }


def _number(value: object) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), f"not a number: {value!r}"
    return Decimal(repr(value))


def _error_cells(path: Path) -> dict[str, object]:
    """Cells of the saved sheet that hold an error value such as #VALUE!."""
    errors = {}
    for row in _sheet(path, data_only=True).iter_rows():
        for cell in row:
            text = str(cell.value).strip() if cell.value is not None else ""
            if cell.data_type == "e" or text in ERROR_CODES or text.startswith("Err:"):
                errors[cell.coordinate] = cell.value
    return errors


def _problem_cells(result: xlsxform.ReadResult) -> list[tuple[str, str]]:
    """The (cell, code) pairs of a read's problems, sorted."""
    return sorted((p.cell or "", p.code) for p in result.problems)


def _poppler(tool: str) -> str:
    """The path of a poppler-utils tool; skipped (or failed in CI) when missing."""
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("XLSXFORM_REQUIRE_OFFICE"):
            pytest.fail(f"{tool} (poppler-utils) is required but not installed")
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found


# -- the sample ------------------------------------------------------------


def test_sample_totals_are_recalculated_by_libreoffice(sample_saved: Converted, sample: Form) -> None:
    """Every 合计 formula of the rendered sample holds its exact sum once LibreOffice has recalculated and saved it."""
    keys = _total_keys(sample_saved.rendered)
    expected = _expected_totals(sample)
    assert set(keys) == set(expected), "the rendered sample's formula cells are not the five 合计 of the form"
    assert expected[("支出合计", "C")] == Decimal("1133.49")
    assert expected[("合计", "D")] == Decimal("356.69")
    values = _sheet(sample_saved.saved, data_only=True)
    for key, coordinate in keys.items():
        found = _number(values[coordinate].value)
        assert abs(found - expected[key]) < TOLERANCE, f"{coordinate} {key}: LibreOffice computed {found}, expected {expected[key]}"


def test_sample_saved_by_libreoffice_has_no_error_values(sample_saved: Converted) -> None:
    """No cell of the sample, as LibreOffice saved it, holds an error value such as #VALUE! or #REF!."""
    assert _error_cells(sample_saved.saved) == {}


def test_libreoffice_keeps_the_totals_as_formulas(sample_saved: Converted) -> None:
    """LibreOffice saves each 合计 back as the same formula over the same cells, not as a bare number."""
    rendered = _formula_cells(sample_saved.rendered)
    saved = _formula_cells(sample_saved.saved)
    assert rendered, "the rendered sample has no formulas"
    assert {c: f.replace(" ", "").upper() for c, f in saved.items()} == {c: f.replace(" ", "").upper() for c, f in rendered.items()}


def test_sample_saved_by_libreoffice_reads_back_unchanged(sample_saved: Converted, sample: Form) -> None:
    """The sample saved by LibreOffice reads back to exactly the sample's data, with no problems."""
    result = xlsxform.read(sample_saved.saved)
    assert result.problems == []
    assert result.form == sample


# -- a blank template --------------------------------------------------------


def test_template_totals_are_zero_after_libreoffice(template_saved: Converted) -> None:
    """Every 合计 of a blank template is the number 0 once LibreOffice has recalculated it, with no error values."""
    formulas = _formula_cells(template_saved.rendered)
    assert len(formulas) == 5, f"expected the five 合计 formulas, found {sorted(formulas)}"
    values = _sheet(template_saved.saved, data_only=True)
    assert {c: _number(values[c].value) for c in formulas} == {c: Decimal(0) for c in formulas}
    assert _error_cells(template_saved.saved) == {}


def test_template_saved_by_libreoffice_reads_like_the_original(template_saved: Converted) -> None:
    """A blank template saved by LibreOffice reads as 测试局 2024 with the same required-part problems, on the same cells, as the file before LibreOffice."""
    before = xlsxform.read(template_saved.rendered)
    after = xlsxform.read(template_saved.saved)
    assert (after.form.department, after.form.year) == ("测试局", 2024)
    expected = _problem_cells(before)
    assert {code for _, code in expected} == {"required", "level1-without-indicator"}
    assert all(cell.startswith("绩效目标表!") for cell, _ in expected), expected
    assert _problem_cells(after) == expected
    assert after.form == before.form


# -- an unbalanced budget ----------------------------------------------------


def test_unbalanced_budget_totals_show_the_difference(unbalanced_saved: Converted) -> None:
    """With 财政拨款 lowered, LibreOffice computes 支出合计 1133.49 and 收入合计 1100, 33.49 apart."""
    keys = _total_keys(unbalanced_saved.rendered)
    values = _sheet(unbalanced_saved.saved, data_only=True)
    expense = _number(values[keys[("支出合计", "C")]].value)
    income = _number(values[keys[("支出合计", "E")]].value)
    assert abs(expense - Decimal("1133.49")) < TOLERANCE
    assert abs(income - UNBALANCED_FISCAL) < TOLERANCE
    assert abs((expense - income) - Decimal("33.49")) < TOLERANCE


def test_unbalanced_budget_is_reported_on_the_expense_total(unbalanced_saved: Converted) -> None:
    """Reading the unbalanced form saved by LibreOffice reports r1-budget-unbalanced on the 支出合计 cell (绩效目标表!C7)."""
    ws = _sheet(unbalanced_saved.rendered)
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "支出合计"]
    assert len(rows) == 1, f"支出合计 found in rows {rows}"
    expense_total = f"{ws.title}!C{rows[0]}"
    assert expense_total == "绩效目标表!C7"
    result = xlsxform.read(unbalanced_saved.saved)
    assert [(p.cell, p.code) for p in result.problems] == [(expense_total, "r1-budget-unbalanced")]
    assert not result.ok


# -- printing ----------------------------------------------------------------


def test_sample_prints_on_a4_portrait_one_page_wide(sample_pdf: Path) -> None:
    """The sample printed by LibreOffice is a few A4 portrait pages, each holding the table's full width."""
    pdfinfo, pdftotext = _poppler("pdfinfo"), _poppler("pdftotext")
    info = subprocess.run([pdfinfo, "-f", "1", "-l", "1000", str(sample_pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    sizes = [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]
    assert 1 <= pages <= 4, f"{pages} pages: the table does not fit one page wide"
    assert len(sizes) == pages
    for width, height in sizes:
        assert abs(width - A4_PORTRAIT[0]) <= 2 and abs(height - A4_PORTRAIT[1]) <= 2, f"page is {width} x {height} pt, not A4 portrait"

    text = subprocess.run([pdftotext, "-layout", str(sample_pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "2023年市级部门整体预算绩效目标表" in text
    assert "湛江市信访局" in text
    lines = text.splitlines()
    # Column A and column E on one printed line: no column went to a page of its own.
    assert any("基本信息" in line and "财政供养人员数" in line and "下属二级单位数" in line for line in lines)
    assert any("名称" in line and "主要实施内容" in line and "期望达到的目标（概述）" in line for line in lines)
    assert any("一级指标" in line and "二级指标" in line and "指标值" in line for line in lines)


def test_text_that_looks_like_formulas_or_escapes_survives_libreoffice(office, tmp_path: Path, sample: Form) -> None:
    """Text beginning with = + - @, line breaks and a literal _x0041_ are still that text after a LibreOffice save."""
    tricky = sample.model_copy(
        update={
            "department": "部门_x0041_甲",
            "key_tasks": [Task(name="=1+1", content="第一行\n第二行", funds=Decimal("356.69"), outcome="+86 123")],
            "indicators": [*sample.indicators[:-1], Indicator(level1="满意度指标", level2="服务对象满意度指标", name="@投诉率", value="-0%")],
        }
    )
    converted = _render_and_save(office, tmp_path, tricky)
    assert _formula_cells(converted.saved) == _formula_cells(converted.rendered)
    result = xlsxform.read(converted.saved)
    assert result.form == tricky and result.problems == []
