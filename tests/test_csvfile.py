"""One guard for every CSV xlsxform writes: what a department typed never runs as a formula."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from xlsxform.collection.csvfile import csv_cell, plain_cell, write_csv

PACKAGE = Path(__file__).resolve().parent.parent / "xlsxform"


@pytest.mark.parametrize("text", ["=1+2局", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "  =1", "＝1＋2"])
def test_text_a_spreadsheet_would_run_is_kept_text(text: str) -> None:
    """Text beginning like a formula gets a leading apostrophe, which the reader's plain_cell takes away again."""
    assert (csv_cell(text), plain_cell(csv_cell(text))) == (f"'{text}", text)


def test_numbers_and_plain_text_are_written_as_they_are() -> None:
    """Numbers (negative ones too) stay numbers; exact decimals are written in full; other text is untouched."""
    assert [csv_cell(v) for v in (-5, Decimal("-10891.615675"), 1.5, None, "湛江市信访局", "a-b")] == ["-5", "-10891.615675", "1.5", "", "湛江市信访局", "a-b"]


def test_write_csv_guards_the_header_and_every_cell(tmp_path: Path) -> None:
    """write_csv writes UTF-8 with a byte-order mark and passes each cell, header included, through the guard."""
    target = write_csv(tmp_path / "t.csv", ["=部门"], [["=1+2局", Decimal("1.50")]])
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(target.open(encoding="utf-8-sig"))) == [["'=部门"], ["'=1+2局", "1.50"]]


def test_no_module_writes_a_csv_around_the_guard() -> None:
    """Only the guard's own module makes a csv.writer: every CSV goes through write_csv."""
    writers = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "csv.writer(" in p.read_text(encoding="utf-8"))
    assert writers == ["collection/csvfile.py"]
