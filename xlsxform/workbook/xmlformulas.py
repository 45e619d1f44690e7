"""Formulas as the sheet stores them, as text a person reads.

A shared formula is stored once, in its master cell; every other cell of it
holds only the shared index.  openpyxl gives each such cell its own text by
moving the master's references (its Translator); :func:`formula_text` does the
same here, so the expat reader's grid has the formulas openpyxl's has.  Pure
text work: no XML, no spreadsheet library.
"""

from __future__ import annotations

import re

from xlsxform.workbook.text import column_letter, column_number


def formula_text(attrs: dict[str, str], text: str, row: int, column: int, shared: dict[str, tuple[str, int, int]]) -> str:
    """A formula's text; a shared formula's dependent translated from its master."""
    kind = attrs.get("t")
    if kind == "shared":
        index = attrs.get("si")
        if index in shared:
            master, master_row, master_col = shared[index]
            return translate(master, row - master_row, column - master_col)
        if text != "=":
            shared[index or ""] = (text, row, column)
    elif kind == "dataTable":
        return "="
    return text


_OPERATORS = set("+-*/^&=<>%,;(){} \n")
_ROW_RANGE = re.compile(r"(\$?[1-9][0-9]{0,6}):(\$?[1-9][0-9]{0,6})$")
_COL_RANGE = re.compile(r"(\$?[A-Za-z]{1,3}):(\$?[A-Za-z]{1,3})$")
_CELL = re.compile(r"(\$?[A-Za-z]{1,3})(\$?[1-9][0-9]{0,6})$")


class TranslationError(ValueError):
    """A reference moved above row 1 or left of column A."""


def translate(formula: str, rows: int, cols: int) -> str:
    """A formula moved by ``rows`` and ``cols``: relative references shift,
    absolute ones ($A$1), text, functions and names stay (as openpyxl's
    Translator does, runs of spaces written as one)."""
    if not formula.startswith("="):
        return formula
    out = ["="]
    text = formula[1:]
    at, size = 0, len(text)
    while at < size:
        char = text[at]
        if char == '"':
            end = at + 1
            while end < size:
                if text[end] == '"':
                    if end + 1 < size and text[end + 1] == '"':
                        end += 2
                        continue
                    break
                end += 1
            out.append(text[at : end + 1])
            at = end + 1
        elif char in " \n":
            out.append(char)
            while at < size and text[at] in " \n":
                at += 1
        elif char in _OPERATORS:
            out.append(char)
            at += 1
        else:
            end, brackets = at, 0
            while end < size:
                c = text[end]
                if c == "'":
                    end += 1
                    while end < size and not (text[end] == "'" and not (end + 1 < size and text[end + 1] == "'")):
                        end += 2 if text[end] == "'" else 1
                elif c == "[":
                    brackets += 1
                elif c == "]":
                    brackets -= 1
                elif brackets <= 0 and c in _OPERATORS:
                    break
                end += 1
            operand = text[at:end]
            at = end
            out.append(operand if (at < size and text[at] == "(") or operand[:1] in ('"', "#") else _translate_range(operand, rows, cols))
    return "".join(out)


def _translate_range(text: str, rows: int, cols: int) -> str:
    sheet = ""
    if "!" in text:
        head, text = text.rsplit("!", 1)
        sheet = head + "!"
    if match := _ROW_RANGE.match(text):
        return f"{sheet}{_shift_row(match[1], rows)}:{_shift_row(match[2], rows)}"
    if match := _COL_RANGE.match(text):
        return f"{sheet}{_shift_col(match[1], cols)}:{_shift_col(match[2], cols)}"
    if ":" in text:
        return sheet + ":".join(_translate_range(piece, rows, cols) for piece in text.split(":"))
    if match := _CELL.match(text):
        return f"{sheet}{_shift_col(match[1], cols)}{_shift_row(match[2], rows)}"
    return sheet + text


def _shift_row(text: str, rows: int) -> str:
    if text.startswith("$"):
        return text
    row = int(text) + rows
    if row <= 0:
        raise TranslationError(text)
    return str(row)


def _shift_col(text: str, cols: int) -> str:
    if text.startswith("$"):
        return text
    col = column_number(text) + cols
    if not 1 <= col <= 18278:
        raise TranslationError(text)
    return column_letter(col)
