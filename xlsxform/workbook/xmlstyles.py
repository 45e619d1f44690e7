"""What the styles and shared strings parts make of a cell's stored text.

A cell holds an index into the shared strings and one into the cell formats
(xfs); these two parts are read once, on first use, by
:class:`~xlsxform.workbook.xmlpackage.Package`.  Strings read as openpyxl's
Text (rich text as its plain text, phonetic runs left out); a format is its
number format with whether it shows a date or a duration, and numbers in a
date format become dates as openpyxl's from_excel makes them (1900 and 1904
epochs), ISO 8601 cells (t="d") as its from_ISO8601 does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from xlsxform.workbook.xmlparse import MAIN, local, parse


def text_collector() -> tuple[Callable[[str, int], None], Callable[[int], None], Callable[[str], None], Callable[[], str | None]]:
    """Handlers building one string item (<si> or <is>) as openpyxl's Text:
    its own <t>, then each run's <t>, phonetic runs left out."""
    plain: list[str | None] = [None]
    runs: list[str | None] = []
    state = {"target": 0, "depth": 0, "child": False}
    # target 1: the item's <t>; 2: a run's <t>; 3: inside a run.

    def start(local: str, depth: int) -> None:
        target = state["target"]
        if target in (1, 2):
            state["child"] = True
            return
        if target == 0 and depth == 1:
            if local == "t":
                plain[0] = None
                state.update(target=1, depth=depth, child=False)
            elif local == "r":
                runs.append(None)
                state.update(target=3, depth=depth)
        elif target == 3 and depth == state["depth"] + 1 and local == "t":
            state.update(target=2, depth=depth, child=False)
            runs[-1] = None

    def end(depth: int) -> None:
        target = state["target"]
        if target in (1, 2) and depth == state["depth"]:
            state["child"] = False
            state["target"] = 0 if target == 1 else 3
            if target == 2:
                state["depth"] = depth - 1
        elif target == 3 and depth == state["depth"]:
            state["target"] = 0

    def text(data: str) -> None:
        target = state["target"]
        if target in (1, 2) and not state["child"]:
            if target == 1:
                plain[0] = (plain[0] or "") + data
            else:
                runs[-1] = (runs[-1] or "") + data

    def result() -> str | None:
        value = "".join([*(p for p in plain if p is not None), *(r for r in runs if r is not None)])
        plain[0] = None
        runs.clear()
        state.update(target=0, depth=0, child=False)
        return value

    return start, end, text, result


def shared_strings(chunks: Iterable[bytes]) -> list[str]:
    strings: list[str] = []
    si = f"{MAIN}si"
    depth = 0
    inside = 0
    item_start, item_end, item_text, item_result = text_collector()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, inside
        depth += 1
        if inside:
            item_start(local(name), depth - inside)
        elif name == si:
            inside = depth

    def end(name: str) -> None:
        nonlocal depth, inside
        if inside:
            if depth == inside:
                strings.append(item_result() or "")
                inside = 0
            else:
                item_end(depth - inside)
        depth -= 1

    def text(data: str) -> None:
        if inside:
            item_text(data)

    parse(chunks, start, end, text)
    return strings


BUILTIN_FORMATS = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}
"""Excel's built-in number formats, as openpyxl names them."""

_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def _is_date(fmt: str | None) -> bool:
    return fmt is not None and _DATE_CODE.search(_STRIP.sub("", fmt.split(";")[0])) is not None


def _is_duration(fmt: str | None) -> bool:
    return fmt is not None and _DURATION.search(fmt.split(";")[0]) is not None


def cell_formats(chunks: list[bytes] | None) -> list[tuple[str, bool, bool]]:
    if chunks is None:
        return []
    custom: dict[int, str] = {}
    ids: list[int] = []
    in_xfs = 0
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_xfs, depth
        depth += 1
        if name == f"{MAIN}numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == f"{MAIN}cellXfs":
            in_xfs = depth
        elif in_xfs and depth == in_xfs + 1 and local(name) == "xf":
            ids.append(int(attrs.get("numFmtId") or 0))

    def end(name: str) -> None:
        nonlocal in_xfs, depth
        if depth == in_xfs:
            in_xfs = 0
        depth -= 1

    parse(chunks, start, end)
    formats = []
    for number in ids:
        fmt = custom[number] if number in custom else BUILTIN_FORMATS.get(number)
        formats.append((fmt or "General", _is_date(fmt), _is_duration(fmt)))
    return formats


# -- dates ------------------------------------------------------------------------

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)


def from_excel(value: float, epoch: dt.datetime, duration: bool) -> Any:
    """An Excel serial number as openpyxl's from_excel gives it."""
    if duration:
        delta = dt.timedelta(days=value)
        if delta.microseconds:
            delta = dt.timedelta(seconds=delta.total_seconds() // 1, microseconds=round(delta.microseconds, -3))
        return delta
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def from_iso(text: str) -> Any:
    """An ISO 8601 cell value (t="d") as openpyxl's from_ISO8601 gives it."""
    match = _ISO.match(text)
    if match and any(match.groups()):
        parts: dict[str, Any] = match.groupdict(0)
        for key in ("year", "month", "day", "hour", "minute", "second"):
            if parts[key]:
                parts[key] = int(parts[key])
        if parts["microsecond"]:
            parts["microsecond"] = int(float(parts["microsecond"]) * 1_000_000)
        if not parts["date"]:
            return dt.time(parts["hour"], parts["minute"], parts["second"], parts["microsecond"])
        if not parts["time"]:
            return dt.date(parts["year"], parts["month"], parts["day"])
        del parts["time"], parts["date"]
        return dt.datetime(**parts)
    match = _ISO_DURATION.match(text)
    if match and any(match.groups()):
        return dt.timedelta(**{key: float(value) for key, value in match.groupdict(0).items()})
    raise ValueError(text)
