"""Numbers as departments write them, turned into exact Decimals.

Amounts arrive as cell numbers (doubles, sometimes with float noise) or as
text ('10891.615675', '１，１３３.４９', '737 万元'); both end here, so the
reader and the model agree on one canonical Decimal.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation

PLACES = 6
"""No amount on the form carries more decimals than this."""
MAXIMUM = Decimal(10) ** 12
"""No department's amount reaches a trillion 万元; a larger one is a typing error."""
PERCENT_MAXIMUM = Decimal(1000)
"""A share above 100,000% is a typing error."""
COUNT_MAXIMUM = 10**7
"""More people or units than any department has: a typing error."""
_EXACT = Context(prec=60)
"""Room for any amount a form can hold, so nothing is rounded by accident."""

_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+-]?\.\d+")
_UNIT = re.compile(r"(万元|万)$")


def canonical(value: Decimal) -> Decimal:
    """Drop trailing zeros so 776.80 and 776.8 are one value with one text."""
    if not value.is_finite():
        raise ValueError("not a finite number")
    value = value.normalize(_EXACT)
    exponent = value.as_tuple().exponent
    return Decimal(int(value)) if isinstance(exponent, int) and exponent > 0 else value


def from_float(value: float | int) -> Decimal:
    """A cell's number as the Decimal a person typed (82800.92000000001 is 82800.92)."""
    if isinstance(value, int):
        return Decimal(value)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    exact = Decimal(repr(value))
    # Results of arithmetic carry noise in the last digits; round that away
    # (a double above 1e15 has no decimals left to round).
    if abs(exact) < Decimal(10) ** 15:
        rounded = round(exact, PLACES)
        if abs(exact - rounded) < Decimal("1e-9") * max(Decimal(1), abs(exact)):
            exact = rounded
    return canonical(exact)


def parse(text: str) -> Decimal:
    """Text typed as a number: full-width digits, separators, spaces, 万元."""
    folded = unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")
    folded = _UNIT.sub("", folded)
    if not _NUMBER.fullmatch(folded):
        raise ValueError(f"not a number: {text!r}")
    try:
        return canonical(Decimal(folded.replace(",", "")))
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def text(value: Decimal | float | int) -> str:
    """Shortest plain text of a number: no exponent, no float noise, no '.0'."""
    return format(value if isinstance(value, Decimal) else from_float(value), "f")
