"""The package: which part is which, found as office suites find them.

Parts are found through the package's relationships (and its content types
when a relationship is missing), whatever the case of their names or the
slashes of their zip entries; a package with its parts at the root reads too.
:class:`Package` reads the workbook part (sheets in order with their state,
the global defined names, the 1904 date system) and the custom document
properties, and holds the styles and shared strings a sheet's cells need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from xlsxform.safety.terms import part_key
from xlsxform.workbook.grid import AREA, range_box
from xlsxform.workbook.xmlparse import MAIN, Damaged, local, parse
from xlsxform.workbook.xmlstyles import MAC_EPOCH, WINDOWS_EPOCH, cell_formats, shared_strings

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types}"
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedstrings+xml"
_WORKBOOK_TYPES = ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml", "macroenabled.main+xml")

Parts = Mapping[str, list[bytes]]
"""Inflated XML parts by :func:`~xlsxform.safety.terms.part_key`, as the gate keeps them."""


def _folder(part: str) -> str:
    return part.rsplit("/", 1)[0] + "/" if "/" in part else ""


def _resolve(source: str, target: str) -> str:
    """A relationship's target as a part key, relative to its source part."""
    target = target.replace("\\", "/").split("#", 1)[0]
    joined = target.lstrip("/") if target.startswith("/") else _folder(source) + target
    out: list[str] = []
    for piece in joined.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return part_key("/".join(out))


class Package:
    """The parts of one workbook, found through their relationships."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        root = self.relationships("")
        workbook = next((target for kind, target, _ in root if kind.endswith("/officedocument")), None)
        if workbook is None or workbook not in parts:
            workbook = self._by_content_type(_WORKBOOK_TYPES) or "xl/workbook.xml"
        if workbook not in parts:
            raise Damaged("no workbook part")
        self.workbook = workbook
        self.custom = next((target for kind, target, _ in root if kind.endswith("/custom-properties")), "docprops/custom.xml")
        self.epoch = WINDOWS_EPOCH
        self.defined: dict[str, str] = {}
        rels = self.relationships(workbook)
        self.sheets = self._read_workbook(rels)
        """Each sheet in order: name, part, state, whether it is a chart sheet."""
        self.strings_part = next((t for kind, t, _ in rels if kind.endswith("/sharedstrings")), None) or self._by_content_type((_SST_TYPE,))
        self.styles_part = next((t for kind, t, _ in rels if kind.endswith("/styles")), "xl/styles.xml")
        self._strings: list[str] | None = None
        self._formats: list[tuple[str, bool, bool]] | None = None

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(type casefolded, target part key, id) of a part's internal relationships ('' is the package)."""
        rels_part = part_key(f"{_folder(part)}_rels/{part.rsplit('/', 1)[-1]}.rels") if part else "_rels/.rels"
        chunks = self.parts.get(rels_part)
        if chunks is None:
            return []
        found: list[tuple[str, str, str]] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == f"{_PKG_REL}Relationship" and attrs.get("TargetMode", "Internal") != "External":
                found.append((attrs.get("Type", "").casefold(), _resolve(part, attrs.get("Target", "")), attrs.get("Id", "")))

        parse(chunks, start)
        return found

    def _by_content_type(self, wanted: tuple[str, ...]) -> str | None:
        chunks = self.parts.get("[content_types].xml")
        if chunks is None:
            return None
        found: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == f"{_CT}Override" and attrs.get("ContentType", "").casefold().endswith(wanted):
                found.append(part_key(attrs.get("PartName", "")))

        parse(chunks, start)
        return next((part for part in found if part in self.parts), None)

    def _read_workbook(self, rels: list[tuple[str, str, str]]) -> list[tuple[str, str, str, bool]]:
        entries: list[tuple[str, str, str]] = []
        names: list[tuple[str, list[str]]] = []
        rid = f"{_REL}}}id"
        depth = 0
        name_depth = 0

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, name_depth
            depth += 1
            if name_depth:
                name_depth = -abs(name_depth)  # text after a child element is not the name's
            elif name == f"{MAIN}sheet":
                entries.append((attrs.get("name", ""), attrs.get(rid, ""), attrs.get("state", "visible")))
            elif name == f"{MAIN}workbookPr":
                if _true(attrs.get("date1904")):
                    self.epoch = MAC_EPOCH
            elif name == f"{MAIN}definedName" and attrs.get("localSheetId") is None:
                # Global names only, as openpyxl binds them to the workbook.
                names.append((attrs.get("name", ""), []))
                name_depth = depth

        def end(name: str) -> None:
            nonlocal depth, name_depth
            if abs(name_depth) == depth:
                name_depth = 0
            depth -= 1

        def text(data: str) -> None:
            if name_depth > 0 and depth == name_depth:
                names[-1][1].append(data)

        parse(self.parts[self.workbook], start, end, text)
        for name, pieces in names:
            self.defined[name] = "".join(pieces)
        by_id = {rel_id: (kind, target) for kind, target, rel_id in rels}
        sheets = []
        for title, rel_id, state in entries:
            kind, part = by_id.get(rel_id, ("", ""))
            if rel_id and part in self.parts:
                sheets.append((title, part, state, "chartsheet" in kind))
        return sheets

    def sheet(self, preferred: str) -> tuple[str, str] | None:
        """The form's sheet: the one named so, else the first visible worksheet."""
        worksheets = [(title, part, state) for title, part, state, chart in self.sheets if not chart]
        for title, part, _ in worksheets:
            if title == preferred:
                return title, part
        return next(((title, part) for title, part, state in worksheets if state == "visible"), None)

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = shared_strings(self.parts.get(self.strings_part or "", []))
        return self._strings

    @property
    def formats(self) -> list[tuple[str, bool, bool]]:
        """Each cell format (xf) as (number format, is a date, is a duration)."""
        if self._formats is None:
            self._formats = cell_formats(self.parts.get(self.styles_part))
        return self._formats

    def names(self, sheet: str, prefix: str) -> dict[str, tuple[int, int, int, int]]:
        """Defined names starting with ``prefix`` that point at one block of ``sheet``."""
        found = {}
        for name, text in self.defined.items():
            if not prefix or not name.startswith(prefix):
                continue
            match = AREA.match(text.strip())
            if not match or (match[1].replace("''", "'") if match[1] else match[2]) != sheet:
                continue
            found[name] = range_box(match[3].replace("$", ""))
        return found


def _true(value: str | None) -> bool:
    """An XML boolean as openpyxl reads it."""
    return bool(value) and value not in ("false", "f", "0")


def custom_properties(chunks: list[bytes] | None) -> list[tuple[str, Any]]:
    """Custom document properties with the types openpyxl knows: text,
    whole and real numbers, booleans and times."""
    if chunks is None:
        return []
    found: list[tuple[str, Any]] = []
    depth = 0
    current: dict[str, Any] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2 and name == f"{_CUSTOM}property":
            current.clear()
            current.update(name=attrs.get("name"), kind=None, text=None, link=attrs.get("linkTarget"))
        elif depth == 3 and current:
            current.update(kind=local(name), text=None, child=False)
        elif depth > 3 and current:
            current["child"] = True

    def end(name: str) -> None:
        nonlocal depth
        if depth == 2 and current:
            kind, text, link = current.get("kind"), current.get("text"), current.get("link")
            if current.get("name") is not None and kind in _PROPERTY_TYPES:
                found.append((current["name"], link if link is not None else _PROPERTY_TYPES[kind](text)))
            current.clear()
        depth -= 1

    def text(data: str) -> None:
        if depth == 3 and current and not current.get("child"):
            current["text"] = (current["text"] or "") + data

    parse(chunks, start, end, text)
    return found


def _filetime(text: str | None) -> Any:
    return None if text is None else dt.datetime.fromisoformat(text.rstrip("Z")) if text else None


_PROPERTY_TYPES: dict[str, Callable[[str | None], Any]] = {
    "lpwstr": lambda text: text,
    "i4": lambda text: None if text is None else int(text),
    "r8": lambda text: None if text is None else float(text),
    "bool": lambda text: None if text is None else _true(text),
    "filetime": _filetime,
}
