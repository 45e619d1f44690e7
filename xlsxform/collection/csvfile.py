"""CSV files xlsxform writes, opened by Excel as they are: every cell of every
CSV goes through :func:`write_csv`, so that nothing a department typed (a
name, an address, a file name made from a name) runs as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
"""What makes Excel, WPS or LibreOffice run a CSV cell as a formula (the
full-width forms too: a Chinese input method types them, and WPS takes them)."""


def csv_cell(value: Any) -> str:
    """A value as CSV text that Excel shows as written and never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    # A cell beginning with = + - @ (or a tab or carriage return, or spaces
    # before one) runs as a formula: a leading apostrophe keeps it text.
    return f"'{text}" if text.lstrip(" ")[:1] in _FORMULA_START else text


def plain_cell(text: str) -> str:
    """What :func:`csv_cell` was given, from what it wrote (for reading our own CSVs back)."""
    return text[1:] if text.startswith("'") and text[1:].lstrip(" ")[:1] in _FORMULA_START else text


def write_csv(target: Path, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV that Excel opens as it is: UTF-8 with a byte-order mark (so
    that the Chinese is read as Chinese), every cell through :func:`csv_cell`."""
    with target.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([csv_cell(v) for v in header])
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
    return target
