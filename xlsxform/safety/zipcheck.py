"""The zip container checks: a file that starts as a zip has its directory
and entries held to the limits, then every entry inflated in bounded chunks,
each XML part through the scanner of :mod:`xlsxform.safety.xmlscan`; what
passes is told apart by its content types and relationships: a workbook
(.xlsx, or .xlsm when macros are allowed) or a refused .xlsb, Strict Open XML,
OpenDocument, other office file or plain zip.
"""

from __future__ import annotations

import struct
import zipfile
from typing import BinaryIO, NoReturn

from xlsxform.safety.terms import FileKind, KiB, Limits, MiB, _refuse, _Refused, part_key
from xlsxform.safety.xmlscan import _Budget, _XmlScan

ZIP_MAGIC = b"PK\x03\x04"

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
