"""A form's data as plain values, exactly as its model would hold them.

Reading a workbook needs no model: the reader types every cell itself, and
the rules work on plain data.  :func:`complete` gives that data the model's
shape (every member in the model's order, defaults filled, text stripped as
the model strips it, amounts canonical), so that validating it with the
model (:func:`xlsxform.spec.generate.model_of`) changes nothing, and
:func:`as_json` and :func:`json_text` give what the model's JSON would say.  A test holds the
three to each other over every workbook the tests read.  So a command that
only reads builds no model and imports no validation library.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from xlsxform.form.amounts import canonical
from xlsxform.spec.generate import Member, shape
from xlsxform.spec.layout import FieldType, IndicatorSection, Spec, TableSection

WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""What the model strips from both ends of a text: Unicode's White_Space,
as pydantic's str_strip_whitespace trims it (Python's own strip() would also
take U+001C to U+001F)."""

_DECIMALS = {"amount", "number", "percent"}


def complete(spec: Spec, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (as the reader gathered it) in the shape of the spec's model."""
    # What every form states first (xlsxform.form.types.FormData); the spec's
    # own department field, when it has one, takes that place.
    out: dict[str, Any] = {"year": data.get("year"), "department": ""}
    out |= _members(shape(spec), data)
    return out


def _members(members: tuple[Member, ...], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for member in members:
        found = data.get(member.name)
        if member.field is not None:
            out[member.name] = _value(member.field.type, found)
        elif member.group is not None:
            out[member.name] = _members(member.members, found or {})
        elif member.rows is not None:
            out[member.name] = [_row(member.rows, item) for item in found or []]
    return out


def _row(section: TableSection | IndicatorSection, item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if isinstance(section, IndicatorSection):
        row |= {level.field: _value("text", item.get(level.field)) for level in section.levels}
    return row | {column.field: _value(column.type, item.get(column.field)) for column in section.columns}


def _value(kind: FieldType, value: Any) -> Any:
    if kind in ("text", "choice"):
        return (value or "").strip(WHITESPACE)
    if kind == "lines":
        return [line.strip(WHITESPACE) for line in value or []]
    if value is None:
        return None
    if kind in _DECIMALS:
        return canonical(Decimal(value))
    if kind == "count":
        return int(value)
    return value


def as_json(value: Any) -> Any:
    """Completed data as the model's JSON gives it: amounts as plain decimal
    text, dates as ISO dates."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_text(data: dict[str, Any]) -> str:
    """Completed data as the model's compact JSON text (what a store keeps)."""
    return json.dumps(as_json(data), ensure_ascii=False, separators=(",", ":"))
