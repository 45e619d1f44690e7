"""One cell's value as its field's kind (text, choice, date, amount, percent,
count), or None with the problem recorded.

Its own module because typing a value is the same wherever the cell stands: a
fixed row, a table or an indicator table; the reader finds the cell, this says
what it holds.  A formula typed over an input is worked out here too, from its
cached value or by simple arithmetic over the sheet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxform.form import amounts
from xlsxform.form.problems import Problem
from xlsxform.reading import formula
from xlsxform.reading.values import ERROR_VALUES, as_date, as_number, as_percent
from xlsxform.spec.layout import NUMERIC, normalise_label
from xlsxform.workbook.grid import Grid
from xlsxform.workbook.text import CONTROL, display_text

_MAXIMUM: dict[str, Decimal] = {"count": Decimal(amounts.COUNT_MAXIMUM), "percent": amounts.PERCENT_MAXIMUM}
"""The largest value of a numeric kind (amounts.MAXIMUM for the others)."""


class ScalarReader:
    """Types the values of one grid's cells, recording each problem in
    ``problems`` (the reader's own list, shared)."""

    def __init__(self, grid: Grid, problems: list[Problem]) -> None:
        self.grid = grid
        self.problems = problems
        self.worked: dict[tuple[int, int], Decimal | None] = {}
        """Formula cells already worked out, by (row, col)."""
        self.text_numbers: list[Problem] = []
        """Numbers typed as text: a warning only where formulas total them."""

    def read(self, row: int, col: int, kind: str, path: str, title: str, choices: list[str] | tuple[str, ...] = ()) -> Any:
        """A cell's value as the field's kind, or None with a problem recorded."""
        found = self.grid.get(row, col)
        if found is None:
            return None
        ref = self.grid.ref(row, col)
        value = found.value
        if found.is_formula:
            value = self._formula_value(row, col, kind)
            if value is None:
                self.problems.append(Problem("formula-unresolved", cell=ref, field=path, value=found.value, params={"label": title}))
                return None
        if found.is_error:
            self.problems.append(Problem("cell-error", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if kind not in NUMERIC and kind != "date":
            text = display_text(value, found.number_format)
            if CONTROL.search(text):
                # Not writable back into a workbook: drop them, and say so.
                self.problems.append(Problem("control-characters", cell=ref, field=path, value=repr(text[:50]), params={"label": title}))
                text = CONTROL.sub("", text)
            if kind == "choice" and text and normalise_label(text) not in {normalise_label(c) for c in choices}:
                self.problems.append(Problem("not-a-choice", cell=ref, field=path, value=text, params={"label": title, "choices": "、".join(choices)}))
            elif kind == "choice" and text:
                text = next(c for c in choices if normalise_label(c) == normalise_label(text))
            return text
        if kind == "date":
            day = as_date(value)
            if day is None:
                self.problems.append(Problem("not-a-date", cell=ref, field=path, value=display_text(value, found.number_format), params={"label": title}))
            return day
        if isinstance(value, str) and not value.strip():
            return None  # a formula showing nothing (a ratio over nothing)
        number = as_percent(value) if kind == "percent" else as_number(value)
        if number is None:
            self.problems.append(Problem("not-a-number", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if kind == "count" and (number < 0 or number != number.to_integral_value()):
            self.problems.append(Problem("not-whole-number", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if number < 0:
            self.problems.append(Problem("negative", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if number > _MAXIMUM.get(kind, amounts.MAXIMUM):
            self.problems.append(Problem("too-large", cell=ref, field=path, value=value, params={"label": title}))
            return None
        if isinstance(value, str) and not found.is_formula:
            self.text_numbers.append(Problem("number-as-text", cell=ref, field=path, value=value, params={"label": title}))
        return int(number) if kind == "count" else number

    def _formula_value(self, row: int, col: int, kind: str) -> Any:
        """A formula typed over an input: its cached value, else simple
        arithmetic worked out over the sheet, else None."""
        cached = self.grid.cached(row, col)
        if cached is not None:
            return None if isinstance(cached, str) and cached.strip() in ERROR_VALUES else cached
        if kind == "text":
            return None
        try:
            return formula.evaluate(self.grid.cells[(row, col)].value, self._lookup(set()))
        except formula.Unresolved:
            return None

    def _lookup(self, visiting: set[tuple[int, int]]) -> formula.Lookup:
        """Numbers of the sheet's cells for formula.evaluate, formulas followed (no cycles)."""

        def lookup(row: int, col: int) -> Decimal | None:
            found = self.grid.get(row, col)
            if found is None:
                return None
            if not found.is_formula:
                number = as_number(found.value)
                if number is None:
                    raise ValueError(found.value)
                return number
            if (row, col) in visiting or len(visiting) > 50:
                raise formula.Unresolved("circular or too deep")
            if (row, col) in self.worked:
                return self.worked[(row, col)]
            cached = self.grid.cached(row, col)
            if cached is not None:
                number = as_number(cached)
                if number is None:
                    raise ValueError(cached)
                return number
            # Worked out once: a chain of formulas each adding the one before
            # twice would otherwise cost 2**depth evaluations.
            self.worked[(row, col)] = formula.evaluate(found.value, self._lookup(visiting | {(row, col)}))
            return self.worked[(row, col)]

        return lookup
