"""CSV files xlsxform writes, opened by Excel as they are: every cell passes one
guard, so that nothing a department typed runs as a formula."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def csv_cell(value: Any) -> str:
    """A value as CSV text that Excel shows as written and never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    # Excel runs a CSV cell beginning with = + - @ (or a tab or carriage
    # return before one) as a formula: keep text text.
    return f"'{text}" if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
