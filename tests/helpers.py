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
