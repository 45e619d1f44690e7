"""OLE2 compound files (MS-CFB): an .xls, an encrypted OOXML package, a Word
or PowerPoint file, told apart by the names in the container's directory.

The gate's check for a file that starts with :data:`OLE2_MAGIC`.  The
directory is found by bounded, cycle-checked walks of the sector chains, so a
crafted file can neither loop nor send a read past its end; the workbook
itself is left to the .xls reader.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from xlsxform.safety.terms import FileKind, _refuse

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_FREE_SECTORS = 0xFFFFFFFA
"""Sector numbers from here up mark free sectors and chain ends, not sectors."""


def _inspect_ole2(source: BinaryIO, size: int) -> FileKind:
    names = {name.casefold() for name in _ole2_names(source, size)}
    if {"encryptedpackage", "encryptioninfo"} <= names:
        _refuse("encrypted")
    if names & {"workbook", "book"}:
        return FileKind("xls")
    if "worddocument" in names:
        _refuse("not-a-workbook", "a Word document (.doc)", "Word 文档（.doc）")
    if "powerpoint document" in names:
        _refuse("not-a-workbook", "a PowerPoint file (.ppt)", "PowerPoint 文件（.ppt）")
    _refuse("not-a-workbook", "an OLE2 compound file without a workbook", "不含工作簿的 OLE2 复合文档")


def _ole2_names(source: BinaryIO, size: int) -> set[str]:
    """The names in an OLE2 compound file's directory, read with bounded,
    cycle-checked walks of its sector chains (MS-CFB)."""
    source.seek(0)
    header = source.read(512)
    if len(header) < 512:
        _refuse("damaged", "truncated OLE2 header", "OLE2 文件结构损坏")
    order, shift = struct.unpack_from("<HH", header, 0x1C)
    if order != 0xFFFE or shift not in (9, 12):
        _refuse("damaged", "bad OLE2 header", "OLE2 文件结构损坏")
    sector_size = 1 << shift
    sectors = (size - 1) // sector_size  # the header takes the first sector's place
    fat_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    if fat_count > sectors:
        _refuse("damaged", "bad OLE2 allocation table", "OLE2 文件结构损坏")

    def sector(number: int) -> bytes:
        if number >= sectors:
            _refuse("damaged", "truncated OLE2 file", "OLE2 文件结构损坏")
        source.seek((number + 1) * sector_size)
        data = source.read(sector_size)
        if len(data) < sector_size:
            _refuse("damaged", "truncated OLE2 file", "OLE2 文件结构损坏")
        return data

    per_sector = sector_size // 4
    fat_sectors = [n for n in struct.unpack_from("<109I", header, 0x4C) if n < _FREE_SECTORS][:fat_count]
    seen: set[int] = set()
    difat = first_difat
    while len(fat_sectors) < fat_count and difat < _FREE_SECTORS and len(seen) <= difat_count:
        if difat in seen:
            _refuse("damaged", "OLE2 allocation table loops", "OLE2 文件结构损坏")
        seen.add(difat)
        *entries, difat = struct.unpack(f"<{per_sector}I", sector(difat))
        fat_sectors += [n for n in entries if n < _FREE_SECTORS][: fat_count - len(fat_sectors)]

    def next_sector(number: int) -> int:
        index, offset = divmod(number, per_sector)
        if index >= len(fat_sectors):
            _refuse("damaged", "OLE2 chain leaves the allocation table", "OLE2 文件结构损坏")
        return int(struct.unpack_from("<I", sector(fat_sectors[index]), offset * 4)[0])

    names: set[str] = set()
    visited: set[int] = set()
    current = first_directory
    while current < _FREE_SECTORS:
        if current in visited or len(visited) >= sectors:
            _refuse("damaged", "OLE2 directory loops", "OLE2 文件结构损坏")
        visited.add(current)
        data = sector(current)
        for at in range(0, sector_size, 128):
            length, kind = struct.unpack_from("<HB", data, at + 64)
            if kind in (1, 2, 5) and 2 <= length <= 64 and length % 2 == 0:
                names.add(data[at : at + length - 2].decode("utf-16-le", "replace"))
        current = next_sector(current)
    if not names:
        _refuse("damaged", "empty OLE2 directory", "OLE2 文件结构损坏")
    return names
