"""The gate: what a file really is, and whether a spreadsheet library may see it.

Every returned workbook comes from outside the bureau.  :func:`inspect` looks
at the bytes before openpyxl or xlrd does, identifies the file by its content
(never by its name) and refuses, with one :class:`~xlsxform.errors.RefusedFileError`
carrying a stable ``reason`` code, anything that is not a workbook or could
make reading crash, hang or exhaust memory:

- not a regular file, empty, larger than :attr:`Limits.max_file_size`;
- a zip (.xlsx): too many entries, two entries with one name, declared or
  actual inflated sizes over the limits, an entry that inflates more than
  1/:attr:`Limits.min_inflate_ratio` times (Apache POI's ZipSecureFile limits),
  entries that do not inflate to their declared size or fail their CRC;
  every entry is inflated with bounded reads, stopping as soon as a limit
  is crossed;
- in any XML part: a DTD (``<!DOCTYPE``, so no entity bomb and no external
  entity can reach a parser), more elements or attributes than a parser can
  build in bounded time and memory, a row with more cells than Excel's 16,384
  columns or a cell or row reference outside Excel's grid;
- by kind: macros (unless :attr:`Limits.allow_macros`), Strict Open XML,
  .xlsb, OpenDocument, CSV, HTML or XML saved under a spreadsheet's name,
  encrypted (password-protected) OOXML, other OLE2 or zip files, anything else.

What passes is described by a :class:`FileKind`: an .xlsx (or .xlsm when
macros are allowed: their code is never loaded, let alone run) or an .xls,
which the gate recognises in its OLE2 container but leaves to the .xls reader.

This module imports no spreadsheet library.
"""

from __future__ import annotations

import os
import pyexpat
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from xlsxform.errors import RefusedFileError, UnreadableWorkbookError
from xlsxform.safety.ole2 import OLE2_MAGIC, _inspect_ole2
from xlsxform.safety.sniff import _refuse_other
from xlsxform.safety.terms import MAX_COLUMNS, MAX_ROWS, FileKind, KiB, Limits, MiB, _one_line, _refuse, _Refused
from xlsxform.safety.terms import part_key as part_key

REASONS: dict[str, tuple[str, str]] = {
    "not-a-file": ("不是普通文件，无法读取", "not a regular file"),
    "empty": ("文件是空的（0 字节），请重新发送", "the file is empty (0 bytes); send it again"),
    "too-large": ("文件过大，无法安全读取（{detail}）", "the file is too large to read safely ({detail})"),
    "damaged": ("文件已损坏或不完整，请重新保存后发送（{detail}）", "the file is damaged or incomplete ({detail}); save it again and resend"),
    "not-a-workbook": (
        "这不是 Excel 工作簿（{detail}），请用 Excel 或 WPS 另存为 .xlsx 后发送",
        "not an Excel workbook ({detail}); save it as .xlsx with Excel or WPS",
    ),
    "csv": (
        "这是 CSV 文本文件，不是 Excel 工作簿，请在 Excel 中打开后另存为 .xlsx",
        "a CSV text file, not an Excel workbook; open it in Excel and save it as .xlsx",
    ),
    "html": (
        "这是网页（HTML）文件，只是名字像表格，请在 Excel 中打开后另存为 .xlsx",
        "a web page (HTML) saved under a spreadsheet's name, not a workbook; open it in Excel and save it as .xlsx",
    ),
    "xml-spreadsheet": ("这是 Excel 2003 XML 表格，请另存为 .xlsx", "an Excel 2003 XML spreadsheet; save it as .xlsx"),
    "ods": ("这是 OpenDocument 表格（.ods），请另存为 .xlsx", "an OpenDocument spreadsheet (.ods); save it as .xlsx"),
    "xlsb": ("这是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx", "an Excel binary workbook (.xlsb); save it as .xlsx"),
    "encrypted": ("文件已加密，请去除密码后重新发送", "the file is password-protected; remove the password and send it again"),
    "macros": (
        "文件含有宏，请另存为不含宏的 Excel 工作簿（.xlsx）后重新发送",
        "the workbook contains macros; save it as a macro-free Excel Workbook (.xlsx) and send it again",
    ),
    "external-links": ("文件链接了其他工作簿，请断开链接后重新发送", "the workbook links to other workbooks; break the links and send it again"),
    "strict-ooxml": (
        "文件为“Strict Open XML”格式，请另存为“Excel 工作簿（.xlsx）”",
        "the file is in Strict Open XML format; save it as an ordinary Excel Workbook (.xlsx)",
    ),
    "zip-bomb": ("文件压缩比异常（疑似压缩炸弹），拒绝读取（{detail}）", "the file inflates suspiciously far, like a zip bomb ({detail})"),
    "too-many-entries": ("文件内部部件过多（{detail}），拒绝读取", "the file has too many parts ({detail})"),
    "duplicate-entries": ("文件内部有重名的部件（{detail}），可能被篡改，拒绝读取", "the file holds two parts named {detail}; it may have been tampered with"),
    "xml-entities": (
        "文件含有 XML 实体声明（DTD），表格文件从不需要它，可能被篡改，拒绝读取（{detail}）",
        "the file contains an XML DTD, which no workbook needs: entity declarations are refused ({detail})",
    ),
    "too-complex": (
        "文件结构过于复杂，无法安全读取（{detail}），请把表格内容复制到新模板后发送",
        "the file is too complex to read safely ({detail}); copy the form into a new template and resend",
    ),
    "cell-outside-grid": (
        "单元格地址超出 Excel 表格范围（{detail}），文件已损坏或被篡改",
        "a cell lies outside Excel's grid ({detail}); the file is damaged or tampered with",
    ),
}
"""Every reason the gate gives, in Chinese and English."""


def refusal(path: str | Path | None, reason: str, en: str = "", zh: str | None = None) -> RefusedFileError:
    """The error for ``reason``, with a detail in English and Chinese (the
    English one when no Chinese is given, for names and numbers); one line
    whatever the details hold."""
    template_zh, template_en = REASONS[reason]
    detail_en, detail_zh = _one_line(en), _one_line(en if zh is None else zh)
    return RefusedFileError(
        reason,
        template_zh.format(detail=detail_zh).replace("（）", ""),
        template_en.format(detail=detail_en).replace(" ()", ""),
        path=path,
    )


def inspect(path: str | Path, limits: Limits = Limits(), *, keep: bool = False) -> FileKind:
    """What ``path`` really is, or a :class:`RefusedFileError` saying why it is not read.

    With ``keep``, an .xlsx comes with its XML parts as inflated
    (:attr:`FileKind.parts`).  Raises :class:`UnreadableWorkbookError` when
    the file cannot be opened at all.
    """
    try:
        # Non-blocking, so that opening a named pipe does not wait for a writer.
        source = open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UnreadableWorkbookError("无法打开文件", f"cannot open the file ({exc.strerror or exc})", path=path) from None
    try:
        with source:
            return _inspect(source, limits, keep)
    except _Refused as refused:
        raise refusal(path, refused.reason, refused.en, refused.zh) from None
    except OSError as exc:
        raise UnreadableWorkbookError("无法读取文件", f"cannot read the file ({exc.strerror or exc})", path=path) from None


ZIP_MAGIC = b"PK\x03\x04"


def _inspect(source: BinaryIO, limits: Limits, keep: bool = False) -> FileKind:
    info = os.fstat(source.fileno())
    if not stat.S_ISREG(info.st_mode):
        _refuse("not-a-file")
    size = info.st_size
    if size == 0:
        _refuse("empty")
    if size > limits.max_file_size:
        _refuse("too-large", f"{size // MiB} MiB > {limits.max_file_size // MiB} MiB", f"{size // MiB} MiB，上限 {limits.max_file_size // MiB} MiB")
    head = source.read(8 * KiB)
    if not head:
        _refuse("empty")
    if head.startswith(ZIP_MAGIC):
        return _Zip(source, size, limits, keep).inspect()
    if head.startswith(OLE2_MAGIC):
        return _inspect_ole2(source, size)
    _refuse_other(head)


# -- zip (OOXML, ODS, other) --------------------------------------------------

_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.addin.macroenabled.main+xml": "xlsm",
}
_XLSB_TYPE = "application/vnd.ms-excel.sheet.binary.macroenabled.main"
_OFFICE_DOCUMENT = "/officedocument"
"""How the package's relationship to its main part ends (transitional or strict)."""
_MACRO_TYPES = ("vbaproject", "macrosheet", "activex", "macroenabled")
_EXTERNAL_LINK_TYPE = "externallink"
_OTHER_OFFICE = {"wordprocessingml": ("a Word document", "Word 文档"), "presentationml": ("a PowerPoint file", "PowerPoint 文件")}

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_RELS = "http://purl.oclc.org/ooxml/officeDocument/relationships/"

_CHUNK = 64 * KiB
_CD_ENTRY_BYTES = 1 * KiB
"""Central-directory bytes allowed per permitted entry (a real entry takes about 100)."""


class _Zip:
    def __init__(self, source: BinaryIO, size: int, limits: Limits, keep: bool = False) -> None:
        self.source, self.size, self.limits = source, size, limits
        self.budget = _Budget()
        self.overrides: list[tuple[str, str]] = []
        """[Content_Types].xml's Override elements: (part name, content type)."""
        self.defaults: dict[str, str] = {}
        """[Content_Types].xml's Default elements: extension casefolded to content type."""
        self.roots: dict[str, str] = {}
        """Each XML part's root element, '{namespace}name', by part key."""
        self.root_rel_types: list[str] = []
        self.root_rels: list[tuple[str, str]] = []
        """The package's relationships: (type casefolded, target)."""
        self.kept: dict[str, list[bytes]] | None = {} if keep else None

    def inspect(self) -> FileKind:
        self._check_directory_size()
        try:
            archive = zipfile.ZipFile(self.source)
        except Exception as exc:  # BadZipFile, and whatever else a broken directory raises
            _refuse("damaged", _zip_error(exc), "zip 结构损坏")
        with archive:
            infos = archive.infolist()
            self._check_entries(infos)
            names = {part_key(info.filename) for info in infos}
            if "[content_types].xml" not in names:
                if "mimetype" in names:
                    self._refuse_opendocument(archive)
                _refuse("not-a-workbook", "a zip archive", "普通 zip 压缩包")
            inflated = sum(self._inflate(archive, info) for info in infos)
        return self._kind(infos, inflated)

    def _check_directory_size(self) -> None:
        """Count entries from the end-of-central-directory record before
        zipfile builds an object per entry."""
        tail_size = min(self.size, 65_535 + 22)
        self.source.seek(self.size - tail_size)
        tail = self.source.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            _refuse("damaged", "truncated: no zip directory", "文件不完整，缺少 zip 目录")
        entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
        if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
            offset = struct.unpack_from("<Q", tail, at - 12)[0]
            if offset + 56 <= self.size:
                self.source.seek(offset)
                record = self.source.read(56)
                if record[:4] == b"PK\x06\x06":
                    entries, directory_size = struct.unpack_from("<QQ", record, 32)
        limit = self.limits.max_entries
        if entries > limit:
            _refuse("too-many-entries", f"{entries} > {limit}", f"{entries} 个，上限 {limit} 个")
        if directory_size > max(limit, 1) * _CD_ENTRY_BYTES:
            _refuse("too-many-entries", f"a zip directory of {directory_size} bytes", f"zip 目录 {directory_size} 字节")

    def _check_entries(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_entries:
            _refuse("too-many-entries", f"{len(infos)} > {limits.max_entries}", f"{len(infos)} 个，上限 {limits.max_entries} 个")
        seen: set[str] = set()
        declared = 0
        for info in infos:
            # Part names are case-insensitive in OPC; readers differ on which
            # of two same-named entries they take.
            key = part_key(info.filename)
            if key in seen:
                _refuse("duplicate-entries", info.filename)
            seen.add(key)
            if info.flag_bits & 0x1:
                _refuse("encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                _refuse("damaged", f"unsupported compression {info.compress_type} in {info.filename}", f"{info.filename} 使用了不支持的压缩方式")
            if info.file_size > limits.max_part_size:
                _refuse(
                    "too-large",
                    f"{info.filename}: {info.file_size // MiB} MiB inflated > {limits.max_part_size // MiB} MiB",
                    f"{info.filename} 解压后 {info.file_size // MiB} MiB，上限 {limits.max_part_size // MiB} MiB",
                )
            declared += info.file_size
            if declared > limits.max_total_size:
                _refuse(
                    "too-large",
                    f"{declared // MiB} MiB inflated > {limits.max_total_size // MiB} MiB",
                    f"解压后共 {declared // MiB} MiB，上限 {limits.max_total_size // MiB} MiB",
                )
            if info.file_size > limits.ratio_grace and info.compress_size < info.file_size * limits.min_inflate_ratio:
                _refuse(
                    "zip-bomb",
                    f"{info.filename}: {info.compress_size} bytes inflate to {info.file_size}",
                    f"{info.filename}：{info.compress_size} 字节解压为 {info.file_size} 字节",
                )

    def _refuse_opendocument(self, archive: zipfile.ZipFile) -> NoReturn:
        try:
            with archive.open("mimetype") as stream:
                mimetype = stream.read(100)
        except Exception as exc:
            _refuse("damaged", _zip_error(exc), "zip 结构损坏")
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            _refuse("ods")
        _refuse("not-a-workbook", "an OpenDocument or other zip file", "OpenDocument 或其他 zip 文件")

    def _inflate(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
        """Inflate one entry in bounded chunks, checking sizes, ratio and XML as it comes."""
        limits = self.limits
        scan = _XmlScan(info.filename, info.file_size, self)
        done = 0
        kept: list[bytes] | None = None
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    if self.kept is not None:
                        if not done and (chunk.lstrip()[:1] == b"<" or chunk.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))):
                            kept = self.kept[part_key(info.filename)] = []
                        if kept is not None:
                            kept.append(chunk)
                    done += len(chunk)
                    self.budget.inflated += len(chunk)
                    if done > limits.max_part_size or self.budget.inflated > limits.max_total_size:
                        _refuse("too-large", f"{info.filename} inflates past the limit", f"{info.filename} 解压后超过上限")
                    if done > limits.ratio_grace and info.compress_size < done * limits.min_inflate_ratio:
                        _refuse(
                            "zip-bomb",
                            f"{info.filename}: {info.compress_size} bytes inflate to more than {done}",
                            f"{info.filename}：{info.compress_size} 字节解压超过 {done} 字节",
                        )
                    scan.feed(chunk)
            scan.close()
        except _Refused:
            raise
        except Exception as exc:  # bad CRC, broken deflate stream, truncated data...
            _refuse("damaged", f"{info.filename}: {_zip_error(exc)}", f"{info.filename} 无法解压")
        if done != info.file_size:
            _refuse("damaged", f"{info.filename} inflates to {done} bytes, not the {info.file_size} declared", f"{info.filename} 解压后的大小与声明不符")
        return done

    def _kind(self, infos: list[zipfile.ZipInfo], inflated: int) -> FileKind:
        # Each part's content type as OPC gives it: its Override, else the
        # Default for its extension (.NET packaging writes the workbook's so).
        overrides = {part_key(name): content.casefold() for name, content in self.overrides}
        present = {}
        for info in infos:
            key = part_key(info.filename)
            content = overrides.get(key) or self.defaults.get(key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else "", "")
            if content:
                present[key] = content
        types = [(part_key(name), content.casefold()) for name, content in self.overrides]
        types += [(key, content) for key, content in present.items() if key not in overrides]
        # The main part is the one the package's relationships name, as office suites find it.
        main = next((_target(target) for kind, target in self.root_rels if kind.endswith(_OFFICE_DOCUMENT)), None)
        main_type = present.get(main or "", "")
        if main_type == _XLSB_TYPE:
            _refuse("xlsb")
        formats = [_WORKBOOK_TYPES[content] for _, content in types if content in _WORKBOOK_TYPES]
        if main_type in _WORKBOOK_TYPES:
            formats = [_WORKBOOK_TYPES[main_type], *formats]
        if not formats:
            if any(content == _XLSB_TYPE for _, content in types):
                _refuse("xlsb")
            other = next(
                (what for _, content in types for key, what in _OTHER_OFFICE.items() if key in content),
                ("a zip file without a workbook", "不含工作簿的 zip 文件"),
            )
            _refuse("not-a-workbook", *other)
        workbook_parts = [name for name, content in types if content in _WORKBOOK_TYPES]
        strict = any(rel.startswith(_STRICT_RELS) for rel in self.root_rel_types) or any(
            self.roots.get(name, "").startswith("{" + _STRICT_NS) for name in workbook_parts
        )
        if strict:
            _refuse("strict-ooxml")
        lowered = [part_key(info.filename) for info in infos]
        macros = (
            "xlsm" in formats
            or any(name.rsplit("/", 1)[-1] == "vbaproject.bin" or name.startswith(("xl/macrosheets/", "xl/activex/")) for name in lowered)
            or any(key in content for _, content in types for key in _MACRO_TYPES)
        )
        links = any(name.startswith("xl/externallinks/") for name in lowered) or any(_EXTERNAL_LINK_TYPE in content for _, content in types)
        if macros and not self.limits.allow_macros:
            _refuse("macros")
        if links and not self.limits.allow_external_links:
            _refuse("external-links")
        return FileKind("xlsm" if macros else "xlsx", macros=macros, external_links=links, entries=len(infos), inflated=inflated, parts=self.kept or {})


def _target(target: str) -> str:
    """A package relationship's target as a part key (relative to the root)."""
    target = part_key(target.split("#", 1)[0])
    while target.startswith("./"):
        target = target[2:]
    return target


def _zip_error(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, zipfile.BadZipFile) else f"{type(exc).__name__}: {text}"


# -- XML parts ------------------------------------------------------------------


@dataclass
class _Budget:
    """What all XML parts of one file have used so far."""

    inflated: int = 0
    elements: int = 0
    nodes: int = 0
    objects: int = 0


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

    def __init__(self, name: str, size: int, owner: _Zip) -> None:
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


__all__ = ["REASONS", "FileKind", "Limits", "inspect", "refusal"]
