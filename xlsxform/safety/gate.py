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
import stat
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO, NoReturn

from xlsxform.errors import RefusedFileError, UnreadableWorkbookError
from xlsxform.safety.ole2 import OLE2_MAGIC, _inspect_ole2
from xlsxform.safety.sniff import _refuse_other
from xlsxform.safety.terms import FileKind, KiB, Limits, MiB, _one_line, _refuse, _Refused
from xlsxform.safety.terms import part_key as part_key
from xlsxform.safety.xmlscan import _Budget, _XmlScan

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


__all__ = ["REASONS", "FileKind", "Limits", "inspect", "refusal"]
