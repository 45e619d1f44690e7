"""Text as office suites store and show it, without loading a spreadsheet
library: the cell limit, control characters, _xHHHH_ escapes, and a value
shown as the person filling it saw it (1 in a 0% cell is 100%)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from xlsxform.form import amounts

_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
"""Office suites read _xHHHH_ in a string as the character HHHH (Excel
writes a carriage return as _x000D_); openpyxl neither escapes nor unescapes."""


MAX_TEXT = 32767
"""Excel's hard limit on the characters of one cell."""


CONTROL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""Control characters a workbook cannot hold (the characters openpyxl refuses)."""


def escape(text: str) -> str:
    """Text as an office suite must store it so it reads back as written."""
    return _ESCAPE.sub(r"_x005F\1", text) if "_x" in text else text


def plain_text(text: str) -> str:
    """A stored string as shown: _xHHHH_ escapes decoded, line breaks as \\n."""
    if "_x" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m[1][2:6], 16)), text)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def display_text(value: Any, number_format: str = "General") -> str:
    """A cell's value as the person filling it saw it (1 in a 0% cell is 100%)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if "%" in number_format:
            decimals = _decimals(number_format)
            return f"{value * 100:.{decimals}f}%"
        return amounts.text(value)
    if isinstance(value, dt.datetime | dt.date):
        return _date_text(value, number_format)
    return str(value)


_DATE_TOKEN = re.compile(r'yyyy|yy|mm|m|dd|d|"[^"]*"|\\.|\[[^\]]*\]|.', re.I)


def _date_text(value: dt.date, number_format: str) -> str:
    """A date as its number format shows it (yyyy/m/d, yyyy.mm.dd, yyyy"年"m"月"d"日")."""
    pattern = number_format.split(";", 1)[0]
    if not re.search(r"[yd]", pattern, re.I):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    parts = []
    for token in _DATE_TOKEN.findall(pattern):
        lower = token.lower()
        parts.append(
            {
                "yyyy": f"{value.year:04d}",
                "yy": f"{value.year % 100:02d}",
                "mm": f"{value.month:02d}",
                "m": str(value.month),
                "dd": f"{value.day:02d}",
                "d": str(value.day),
            }.get(lower)
            or (
                token[1:-1]
                if token.startswith('"')
                else token[1:]
                if token.startswith("\\")
                else ""
                if token.startswith("[") or lower in "hs:" or lower in {"am/pm"}
                else token
            )
        )
    return "".join(parts).strip()


def _decimals(number_format: str) -> int:
    head = number_format.split("%", 1)[0]
    return len(head.split(".", 1)[1]) if "." in head else 0


def clean_text(text: str) -> str:
    """Report text a cell or comment can hold: control characters dropped, cut to the cell limit."""
    return CONTROL.sub("", text)[:MAX_TEXT]


def text_fault(text: str) -> tuple[str, str] | None:
    """Why a string cannot be stored in a cell as it is (zh, en), or None."""
    if len(text) > MAX_TEXT:
        return (f"超过单元格上限 {MAX_TEXT} 个字符（{len(text)} 个）", f"longer than a cell's {MAX_TEXT} characters ({len(text)})")
    if CONTROL.search(text):
        return ("含有不能写入表格的控制字符", "contains control characters a workbook cannot hold")
    return None


def column_letter(col: int) -> str:
    """A column's letters as a spreadsheet shows them: 1 is A, 27 is AA."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """A column's number from its letters: A is 1, AA is 27 (either case)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number
