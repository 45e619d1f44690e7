"""What a received content is, by its bytes, and the members of a .zip sent
instead of a workbook.

Contents are recognised by what they hold, never by their name alone: a
workbook named ``附件`` or sent as ``text/plain`` is still a workbook.
Archives are opened within the gate's limits (:class:`Limits`): members
counted before any is inflated, each member and all together bounded, the
compression ratio held to the gate's, one level of nesting.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from xlsxform.collection.mailparts import decode_bytes, looks_like_mail
from xlsxform.safety.gate import Limits
from xlsxform.safety.ole2 import OLE2_MAGIC
from xlsxform.safety.zipcheck import ZIP_MAGIC

RAR_MAGIC = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_MSG_MARK = "__substg1.0_".encode("utf-16-le")
_OUR_CREATOR = re.compile(rb"<dc:creator>\s*xlsxform\s*</dc:creator>")

WORKBOOK = "workbook"
ZIP = "zip"
RAR = "rar"
SEVEN_ZIP = "7z"
TNEF = "tnef"
MSG = "msg"
EML = "eml"
OWN = "own"
"""A workbook xlsxform wrote itself: a status report or an export."""
OTHER = "other"


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes
    ok: bool = True
    """False when it could not be taken out: encrypted, over the limits or damaged."""


class ArchiveRefused(Exception):
    """A .zip that is not opened, with the reason's code and words."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code)
        self.code, self.zh, self.en = code, zh, en


def sniff(data: bytes, name: str = "", *, whole: bool = True) -> str:
    """What a content is: WORKBOOK, OWN, ZIP, RAR, SEVEN_ZIP, TNEF, MSG, EML or OTHER.

    ``data`` is the whole content, or (``whole=False``) its first bytes,
    when a zip can only be told by its name.
    """
    suffix = PurePosixPath(name.lower()).suffix
    if data.startswith(ZIP_MAGIC) or (data.startswith(b"PK") and suffix in (".xlsx", ".xlsm", ".zip")):
        if not whole:
            return WORKBOOK if suffix in (".xlsx", ".xlsm", ".xltx", ".xltm") else ZIP
        names = _zip_names(data)
        if names is None:  # damaged: the reader says why, or it is an archive
            return ZIP if suffix == ".zip" else WORKBOOK
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return OWN if _written_by_us(data, names) else WORKBOOK
        if "[Content_Types].xml" in names or "mimetype" in names:
            return WORKBOOK  # another office document: the gate names it
        return ZIP
    if data.startswith(OLE2_MAGIC):
        if suffix == ".msg" or _MSG_MARK in data[: 1 << 20]:
            return MSG
        return WORKBOOK
    if data.startswith(RAR_MAGIC):
        return RAR
    if data.startswith(SEVEN_ZIP_MAGIC):
        return SEVEN_ZIP
    if data.startswith(TNEF_MAGIC) or name.lower() == "winmail.dat":
        return TNEF
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return WORKBOOK  # a damaged or disguised file: the gate says what it is
    if suffix == ".eml" or looks_like_mail(data[:512]):
        return EML
    return OTHER


def _zip_names(data: bytes) -> set[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > Limits().max_entries:
                return {i.filename for i in infos[:100]}
            return {i.filename for i in infos}
    except Exception:
        return None


def _written_by_us(data: bytes, names: set[str]) -> bool:
    """A workbook of plain tables xlsxform wrote (a status report, an
    export): its creator says xlsxform, and it carries no form identity
    (every form xlsxform renders does, in its custom properties and on its
    identity sheet, and keeps it when a department saves it)."""
    if "docProps/core.xml" not in names:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            with archive.open("docProps/core.xml") as part:
                if not _OUR_CREATOR.search(part.read(64 * 1024)):
                    return False
            for inside in ("docProps/custom.xml", "xl/workbook.xml"):
                if inside in names:
                    with archive.open(inside) as part:
                        text = part.read(1 << 20)
                    if b"xlsxform.template_id" in text or b'name="_xlsxform"' in text:
                        return False
            return True
    except Exception:
        return False


def members(data: bytes, limits: Limits) -> Iterator[Member]:
    """The files of a .zip, each within the gate's limits; directories skipped.

    Raises :class:`ArchiveRefused` before inflating anything when the archive
    as a whole is over the limits; a member over them is given with empty
    data and refused by its caller as too large.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:
        raise ArchiveRefused("damaged-archive", "压缩包已损坏，无法打开，请直接发送 .xlsx 文件", f"the archive is damaged ({exc})") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_archive_members:
            raise ArchiveRefused(
                "archive-too-many-members",
                f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_archive_members} 个），请直接发送 .xlsx 文件",
                f"the archive holds {len(infos)} files (limit {limits.max_archive_members})",
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_archive_size:
            raise ArchiveRefused(
                "archive-too-large",
                f"压缩包解压后过大（{declared >> 20} MB），请直接发送 .xlsx 文件",
                f"the archive inflates to {declared >> 20} MB (limit {limits.max_archive_size >> 20} MB)",
            )
        for info in infos:
            name = member_name(info)
            if info.flag_bits & 0x1:
                yield Member(name, b"", False)
                continue
            if info.file_size > limits.max_file_size or (
                info.file_size > limits.ratio_grace and info.compress_size < info.file_size * limits.min_inflate_ratio
            ):
                yield Member(name, b"", False)
                continue
            try:
                with archive.open(info) as source:
                    content = source.read(info.file_size + 1)
            except Exception:
                yield Member(name, b"", False)
                continue
            if len(content) > info.file_size:  # the directory lied about the size
                yield Member(name, b"", False)
                continue
            yield Member(name, content)


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as the sender saw it: zips made on a Chinese Windows name files in GBK without saying so."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = decode_bytes(name.encode("cp437"))
        except UnicodeEncodeError:
            pass
    return name
