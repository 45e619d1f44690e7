"""Cell values as departments write them: numbers, shares, dates, years in
titles, numbered items in one cell."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any

from xlsxform.form import amounts
from xlsxform.spec.layout import normalise_label

ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "Err:502", "Err:504", "Err:508", "Err:522"})
"""What a cell shows when its formula failed (LibreOffice's Err:NNN included)."""


def as_percent(value: Any) -> Decimal | None:
    """A share as a fraction: 0.877, or text such as '87.7%' or '87.7％'."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text.endswith("%"):
            number = as_number(text[:-1])
            return None if number is None else amounts.canonical(number / 100)
    return as_number(value)


def as_date(value: Any) -> dt.date | None:
    """A date cell, or a date typed as text: 2023-12-31, 2023.12.31, 2023年12月31日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*", unicodedata.normalize("NFKC", value))
        if found:
            try:
                return dt.date(int(found[1]), int(found[2]), int(found[3]))
            except ValueError:
                return None
    return None


def as_number(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return amounts.from_float(value)
        except ValueError:
            return None
    if isinstance(value, str):
        try:
            return amounts.parse(value)
        except ValueError:
            return None
    return None


_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def title_year(title: str) -> int | None:
    """The year a title names: 2023年…, …（2025年）, 二〇二五年…"""
    text = normalise_label(title).translate(_CHINESE_DIGITS)
    found = re.search(r"(\d{4})年", text) or re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    year = int(found[1]) if found else None
    return year if year and 1900 <= year <= 9999 else None


def split_numbered(text: str, numbered: str) -> list[str]:
    """Split '目标1：…⏎目标2：…' into its items; unnumbered text splits by line."""
    marker = re.escape(numbered).replace(re.escape("{n}"), r"\s*\d+\s*").replace("：", "[：:]")
    pattern = re.compile(rf"(?:^|\n)\s*{marker}")
    parts = pattern.split(text) if pattern.search(text) else text.split("\n")
    return [p.strip() for p in parts if p.strip()]
