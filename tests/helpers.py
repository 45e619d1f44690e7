"""Small helpers the specifications share: editing a rendered workbook the
way a department would, and reading problems as comparable pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from xlsxform import Form, ReadResult, read, render


def fill(path: Path, edits: dict[str, Any], *, formats: dict[str, str] | None = None) -> Path:
    """Type values into cells of a rendered workbook and save it in place."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    for ref, value in edits.items():
        sheet[ref] = value
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    workbook.save(path)
    return path


def rendered(form: Form, tmp_path: Path, name: str = "form.xlsx") -> Path:
    path = tmp_path / name
    render(form, path)
    return path


def pairs(result: ReadResult) -> set[tuple[str | None, str]]:
    """The problems of a reading as (cell, code) pairs."""
    return {(p.cell, p.code) for p in result.problems}


def reread(form: Form, tmp_path: Path, edits: dict[str, Any], formats: dict[str, str] | None = None) -> ReadResult:
    """Render ``form``, change some cells as a department would, read it back."""
    return read(fill(rendered(form, tmp_path), edits, formats=formats))


def report_table(path: Path, sheet: str) -> tuple[list[str], list[dict[str, Any]], dict[str, Any] | None]:
    """A report sheet as its header, its rows (by header) and its 合计 row:
    the header is the row just above the frozen panes."""
    ws = openpyxl.load_workbook(path)[sheet]
    first = openpyxl.utils.cell.coordinate_to_tuple(ws.freeze_panes)[0]
    values = [list(row) for row in ws.iter_rows(min_row=first - 1, values_only=True)]
    header = [str(v).replace("\n", "") for v in values[0]]  # a long title wraps before its unit
    rows = [dict(zip(header, row, strict=False)) for row in values[1:]]
    total = rows.pop() if rows and rows[-1][header[0]] == "合计" else None
    return header, rows, total
