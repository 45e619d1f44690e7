"""The bureau's roll-up: one row per department with the city's totals, in .xlsx, .csv and .json."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, render
from xlsxform.collection.export import csv_paths, export
from xlsxform.collection.ingest import ingest
from xlsxform.collection.store import Store
from xlsxform.errors import ExportError


@pytest.fixture
def store(sample: Form, tmp_path: Path) -> Store:
    """Two departments' returns, one named like a formula, one with a key task more."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    render(sample.model_copy(update={"department": "=1+1"}), inbox / "a.xlsx")
    render(sample.model_copy(update={"department": "湛江市教育局", "key_tasks": sample.key_tasks[:1]}), inbox / "b.xlsx")
    with Store(tmp_path / "f.sqlite") as opened:
        ingest([inbox], opened)
        yield opened


def test_text_stays_text_and_totals_are_formulas(store: Store, tmp_path: Path) -> None:
    """A name that looks like a formula is text in the workbook; each totals cell sums its column."""
    export(store, [tmp_path / "s.xlsx"])
    workbook = openpyxl.load_workbook(tmp_path / "s.xlsx")
    sheet = workbook["部门汇总"]
    assert [(c.value, c.data_type) for c in sheet["A"][1:3]] == [("=1+1", "s"), ("湛江市教育局", "s")]
    header = [c.value for c in sheet[1]]
    col = openpyxl.utils.get_column_letter(header.index("项目支出") + 1)
    assert sheet[f"{col}4"].value == f"=SUM({col}2:{col}3)"
    tasks = workbook["重点任务"]
    assert (tasks.max_row, tasks["E6"].value) == (1 + 3 + 1 + 1, "=SUM(E2:E5)")


def test_csv_files_have_exact_totals_and_no_formulas(store: Store, sample: Form, tmp_path: Path) -> None:
    """The CSV export writes three files; totals are exact decimals; text that Excel would run is quoted."""
    export(store, [tmp_path / "s.csv"])
    files = csv_paths(tmp_path / "s.csv")
    assert [p.name for p in files] == ["s.csv", "s-重点任务.csv", "s-绩效指标.csv"] and all(p.is_file() for p in files)
    rows = list(csv.reader(files[0].open(encoding="utf-8-sig")))
    project = rows[0].index("项目支出")
    assert [r[0] for r in rows[1:]] == ["'=1+1", "湛江市教育局", "合计"]
    assert Decimal(rows[-1][project]) == 2 * sample.budget.project


def test_json_holds_every_form(store: Store, sample: Form, tmp_path: Path) -> None:
    """The JSON export has each department's whole form, its status and the totals."""
    export(store, [tmp_path / "s.json"])
    document = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    forms = {d["department"]: Form.model_validate(d["form"]) for d in document["departments"]}
    assert forms["湛江市教育局"].key_tasks == sample.key_tasks[:1]
    assert (document["year"], Decimal(document["totals"]["basic"])) == (2023, 2 * sample.budget.basic)


def test_an_unknown_format_is_refused(store: Store, tmp_path: Path) -> None:
    """Only .xlsx, .csv and .json can be written."""
    with pytest.raises(ExportError):
        export(store, [tmp_path / "s.pdf"])
