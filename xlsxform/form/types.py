"""The value types a spec's fields take, and the bases of every form's model.

Money is ``Decimal`` in 万元 and never float, so sums compare exactly.  A
model holds only what a cell can hold on its own (types, signs); rules across
fields live in the spec and run in :mod:`xlsxform.checking.rules`, so that a
half-filled form can still be read, stored and reported on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from xlsxform.form.amounts import COUNT_MAXIMUM, MAXIMUM, PERCENT_MAXIMUM, canonical

Amount = Annotated[
    Decimal,
    Field(ge=0, le=MAXIMUM),
    AfterValidator(canonical),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""A non-negative sum of money in 万元, serialised as a plain decimal string."""

Number = Annotated[
    Decimal,
    Field(ge=0, le=MAXIMUM),
    AfterValidator(canonical),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""A non-negative decimal that is not money: a weight, a score."""

Percent = Annotated[
    Decimal,
    Field(ge=0, le=PERCENT_MAXIMUM),
    AfterValidator(canonical),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""A share as a fraction: 0.877 is 87.7%."""

Count = Annotated[int, Field(ge=0, le=COUNT_MAXIMUM)]

Date = dt.date


def no_items() -> list[Any]:
    """A new empty list, a list field's default: a function of ours, as the
    builtin ``list`` would have pydantic parse its signature with tokenize
    (whose patterns cost a fresh process more than building the model)."""
    return []


class Part(BaseModel):
    """A group of a form's fields, or one row of a table."""

    # defer_build: a form's validators are built on first use, so importing
    # every form of the family costs little.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class FormData(Part):
    """What every form of the family states: its year and who filled it in."""

    year: int | None = Field(None, ge=1900, le=9999, title="年度")
    department: str = Field("", title="部门名称")
