"""The XML part scanner: each XML part of a zip checked while it is inflated,
as the parsers after the gate would meet it: no DTD, elements and attributes
bounded, rows and cells inside Excel's grid.  It also notes what the zip's
checks decide by: the content types, the package's relationships and each
part's root element.

The one check that reads XML: it knows expat, the parts' encodings and
namespaces, and nothing of zip files, which it sees only as a
:class:`_Package` to read limits from and report to.
"""

from __future__ import annotations

import pyexpat
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from xlsxform.safety.terms import MAX_COLUMNS, MAX_ROWS, KiB, Limits, _one_line, _refuse, part_key

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass
class _Budget:
    """What all XML parts of one file have used so far."""

    inflated: int = 0
    elements: int = 0
    nodes: int = 0
    objects: int = 0


class _Package(Protocol):
    """The zip a part belongs to, as its scanner uses it (the zip checks' ``_Zip``)."""

    limits: Limits
    budget: _Budget
    overrides: list[tuple[str, str]]
    defaults: dict[str, str]
    roots: dict[str, str]
    root_rel_types: list[str]
    root_rels: list[tuple[str, str]]


_SEP = "}"
_ROW = f"{_MAIN_NS}{_SEP}row"
_CELL_REF = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")
"""A cell reference as openpyxl parses it (coordinate_from_string)."""
_BAD_ENCODINGS = (b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x4c\x6f\xa7\x94")
"""UTF-32 and EBCDIC starts: no OOXML part uses them, and expat cannot read them."""
_UNKNOWN_ENCODING = pyexpat.errors.codes[pyexpat.errors.XML_ERROR_UNKNOWN_ENCODING]
_LIGHT_ROOTS = {
    f"{_MAIN_NS}{_SEP}styleSheet",
    f"{_MAIN_NS}{_SEP}workbook",
    f"http://schemas.openxmlformats.org/drawingml/2006/main{_SEP}theme",
    f"http://schemas.openxmlformats.org/package/2006/relationships{_SEP}Relationships",
    f"http://schemas.openxmlformats.org/package/2006/metadata/core-properties{_SEP}coreProperties",
    f"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties{_SEP}Properties",
    f"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties{_SEP}Properties",
}
"""Roots of parts no reader takes rows or cells from: styles, the workbook,
theme, relationships, document properties."""


class _XmlScan:
    """Checks one zip entry's XML as the parsers after the gate would meet it.

    A part over :data:`_SMALL_PART` streams through expat with handlers that
    count every element and check every row and cell.  A smaller part (every
    part of a real form) is checked whole, faster: when it is UTF-8 and holds
    no ``<!`` it can carry no DTD, its elements are counted by its size, and
    its rows and cells are read with a regular expression; anything else
    (a comment, character references, another encoding) goes through expat.

    A part that expat cannot parse stops being scanned: every XML parser
    openpyxl uses is expat too and would stop at the same byte.  Binary parts
    (images, printer settings) fail at once and cost nothing.
    """

    def __init__(self, name: str, size: int, owner: _Package) -> None:
        self.name, self.size, self.owner = name, size, owner
        self.collect = {"[content_types].xml": self._content_type, "_rels/.rels": self._root_rel}.get(part_key(name))
        self.chunks: list[bytes] | None = [] if size <= _SMALL_PART else None
        self.parser: Any = None if self.chunks is not None else self._expat()
        self.first = True

    def _expat(self) -> Any:
        parser = pyexpat.ParserCreate(namespace_separator=_SEP)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler, parser.EndElementHandler, self.totals = _handlers(self.name, self.owner.budget, self.owner.limits, self.collect)
        return parser

    def feed(self, chunk: bytes) -> None:
        if self.first:
            self.first = False
            if chunk.startswith(_BAD_ENCODINGS):
                _refuse("damaged", f"{self.name} is XML in an encoding no workbook uses", f"{self.name} 使用了表格文件不会用的编码")
        if self.chunks is not None:
            self.chunks.append(chunk)
        elif self.parser is not None:
            self._parse(chunk, False)

    def close(self) -> None:
        if self.chunks is not None:
            data = b"".join(self.chunks)
            self.chunks = None
            if self.collect is not None or not self._quick(data):
                self.parser = self._expat()
                self._parse(data, False)
        if self.parser is not None:
            self._parse(b"", True)
        if self.parser is not None:
            self._done()

    def _parse(self, data: bytes, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except pyexpat.ExpatError as exc:
            # An encoding expat does not know may be one another XML parser
            # (lxml, which openpyxl prefers when installed) reads.
            if exc.code == _UNKNOWN_ENCODING:
                _refuse("damaged", f"{self.name} is XML in an encoding no workbook uses", f"{self.name} 使用了表格文件不会用的编码")
            self._done()

    def _done(self) -> None:
        budget = self.owner.budget
        budget.elements, budget.nodes, budget.objects, root = self.totals()
        if root:
            self.owner.roots[part_key(self.name)] = "{" + root if _SEP in root else root
        self.parser = None

    def _quick(self, data: bytes) -> bool:
        """Check a small UTF-8 part without expat; False when it needs expat."""
        declared = _DECLARATION.match(data)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4] or b"<!" in data:
            return False
        if declared and declared[1].lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            return False
        root = _root(data)
        if root is None:
            return True  # no element at all: nothing any parser could build
        light = root in _LIGHT_ROOTS
        budget, limits = self.owner.budget, self.owner.limits
        most = len(data) // 4 + 1  # an element takes at least 4 bytes, an attribute 5
        if budget.objects + most > limits.max_object_elements or budget.nodes + most > limits.max_xml_nodes or budget.elements + most > limits.max_xml_elements:
            return False
        if not light and not _grid(self.name, data):
            return False
        budget.objects += most
        budget.nodes += most
        budget.elements += most
        self.owner.roots[part_key(self.name)] = "{" + root if _SEP in root else root
        return True

    def _doctype(self, *args: Any) -> None:
        _refuse("xml-entities", self.name)

    def _content_type(self, name: str, attrs: dict[str, str]) -> None:
        if name == f"{_CT_NS}{_SEP}Override":
            self.owner.overrides.append((attrs.get("PartName", ""), attrs.get("ContentType", "")))
        elif name == f"{_CT_NS}{_SEP}Default":
            self.owner.defaults[attrs.get("Extension", "").lstrip(".").casefold()] = attrs.get("ContentType", "").casefold()

    def _root_rel(self, name: str, attrs: dict[str, str]) -> None:
        self.owner.root_rel_types.append(attrs.get("Type", ""))
        if attrs.get("TargetMode", "Internal") != "External":
            self.owner.root_rels.append((attrs.get("Type", "").casefold(), attrs.get("Target", "")))


_SMALL_PART = 256 * KiB
_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?([^>]*)")
_NAMESPACE = re.compile(rb"\sxmlns(?::([\w.\-]+))?\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAGS = re.compile(rb"<(?:row|c)[\s/>]")
_PREFIXED_TAG = re.compile(rb":(?:row|c)[\s/>]")
_ROW_MARKS = re.compile(rb"<row[\s/>][^>]*?(/?)>|</row\s*>")
_PLAIN = re.compile(rb'<(?:row r="([0-9]{1,18})"|c r="([A-Z]{1,3})([0-9]{1,18})")')


def _root(data: bytes) -> str | None:
    """The root element of a small UTF-8 part without '<!', as expat names it ('namespace}local')."""
    found = _FIRST_TAG.search(data)
    if found is None:
        return None
    prefix, local = (found[1], found[2]) if found[2] else (None, found[1])
    namespace = None
    for declared in _NAMESPACE.finditer(found[3]):
        if declared[1] == prefix:
            namespace = declared[2] if declared[2] is not None else declared[3]
    name = local.decode("utf-8", "replace")
    return f"{namespace.decode('utf-8', 'replace')}{_SEP}{name}" if namespace else name


def _grid(part: str, data: bytes) -> bool:
    """The rows and cells of a small part must lie in Excel's grid (as
    :func:`_handlers` checks them in a large one).  Found by their plain
    spelling, ``<row r="7"`` and ``<c r="B7"``, as every office suite writes
    them; False when a row or cell is spelt otherwise (a prefix, quotes,
    attributes in another order, no reference): expat must read it."""
    if b"&#" in data or _PREFIXED_TAG.search(data):
        return False
    tags = _TAGS.findall(data)
    plain = _PLAIN.findall(data)
    if len(tags) != len(plain):
        return False
    # Text and attribute values cannot hold '<': every '<row' and '</row' is
    # a tag.  Rows must open and close in turn; a row inside a row goes to expat.
    open_row = False
    for mark in _ROW_MARKS.finditer(data):
        closing = mark[0].startswith(b"</")
        if closing != open_row:
            return False
        open_row = not closing and mark[1] != b"/"
    for row, letters, number in plain:
        if row:
            if not 0 < int(row) <= MAX_ROWS:
                _refuse("cell-outside-grid", f"row {row.decode()} in {part}", f"{part} 中的第 {row.decode()} 行")
        elif _column(letters) > MAX_COLUMNS or int(number) > MAX_ROWS:
            where = (letters + number).decode()
            _refuse("cell-outside-grid", f"cell {where} in {part}", f"{part} 中的单元格 {where}")
    return True


def _handlers(part: str, budget: _Budget, limits: Limits, collect: Callable[[str, dict[str, str]], None] | None) -> tuple[Any, Any, Any]:
    """expat's start and end handlers for one part, and a function giving
    the running totals and the part's root element when it is done."""
    elements, nodes, objects = budget.elements, budget.nodes, budget.objects
    max_elements, max_nodes, max_objects = limits.max_xml_elements, limits.max_xml_nodes, limits.max_object_elements
    max_row_nodes = limits.max_row_nodes
    depth = row_depth = row_nodes = row_cells = column = row_number = 0
    root = ""

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, elements, nodes, objects, row_depth, row_nodes, row_cells, column, row_number, root
        depth += 1
        count = 1 + len(attrs)
        elements += 1
        nodes += count
        if elements > max_elements or nodes > max_nodes:
            _refuse(
                "too-complex", f"more than {max_elements} XML elements or {max_nodes} XML nodes", f"XML 元素超过 {max_elements} 个或节点超过 {max_nodes} 个"
            )
        if row_depth:
            row_nodes += count
            if row_nodes > max_row_nodes:
                _refuse("too-complex", f"a row of {part} holds more than {max_row_nodes} XML nodes", f"{part} 中一行的 XML 节点超过 {max_row_nodes} 个")
            if depth == row_depth + 1:  # openpyxl reads every child of a row as a cell
                if name == _ROW:
                    _refuse("damaged", f"a row inside a row in {part}", f"{part} 中有行套在行里")
                row_cells += 1
                ref = attrs.get("r")
                if ref is None:
                    column += 1
                    row = row_number
                else:
                    found = _CELL_REF.match(ref)
                    if found is None:
                        column += 1
                        return  # not a reference at all: openpyxl refuses it as damaged
                    letters, digits = found.groups()
                    column = _column(letters.upper())
                    row = int(digits)
                if row_cells > MAX_COLUMNS:
                    _refuse("cell-outside-grid", f"a row of {part} with more than {MAX_COLUMNS} cells", f"{part} 中一行超过 {MAX_COLUMNS} 个单元格")
                if column > MAX_COLUMNS or row > MAX_ROWS:
                    where = ref or f"column {column}"
                    _refuse("cell-outside-grid", f"cell {_one_line(where, 20)} in {part}", f"{part} 中的单元格 {_one_line(where, 20)}")
            elif name == _ROW:
                _refuse("damaged", f"a row inside a row in {part}", f"{part} 中有行套在行里")
        elif name == _ROW:
            # openpyxl takes a <row> wherever it stands, in whatever part it
            # reads as a worksheet: so does the gate.
            ref = attrs.get("r")
            number = row_number + 1 if ref is None else _row_number(ref, row_number)
            if not 0 < number <= MAX_ROWS:
                _refuse("cell-outside-grid", f"row {_one_line(ref or str(number), 20)} in {part}", f"{part} 中的第 {_one_line(ref or str(number), 20)} 行")
            row_number, row_depth, row_nodes, row_cells, column = number, depth, count, 0, 0
        else:
            objects += 1
            if objects > max_objects:
                _refuse("too-complex", f"more than {max_objects} XML elements outside worksheet rows", f"工作表数据行以外的 XML 元素超过 {max_objects} 个")
            if depth == 1:
                root = name
            elif depth == 2 and collect is not None:
                collect(name, attrs)

    def end(name: str) -> None:
        nonlocal depth, row_depth
        if depth == row_depth:
            row_depth = 0
        depth -= 1

    def totals() -> tuple[int, int, int, str]:
        return elements, nodes, objects, root

    return start, end, totals


def _row_number(ref: str, previous: int) -> int:
    """A row's number as openpyxl reads its r ('1e18' is row 10**18); one it
    cannot read at all is left for openpyxl to refuse as damaged."""
    try:
        return int(ref)
    except ValueError:
        pass
    try:
        value = float(ref)
    except ValueError:
        return previous + 1
    return int(value) if value.is_integer() else previous + 1


_COLUMN_NUMBERS: dict[str | bytes, int] = {}
"""Column letters met so far to their numbers (a form uses a handful)."""


def _column(letters: str | bytes) -> int:
    """The number of column ``letters`` (A..ZZZ, upper case); over
    :data:`MAX_COLUMNS` for letters outside Excel's grid."""
    number = _COLUMN_NUMBERS.get(letters)
    if number is None:
        number = 0
        for code in letters.encode() if isinstance(letters, str) else letters:
            number = number * 26 + code - 64
        if len(_COLUMN_NUMBERS) < 4096:
            _COLUMN_NUMBERS[letters] = number
    return number
