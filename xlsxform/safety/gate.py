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

The checks live beside this module, one per kind of container:
:mod:`~xlsxform.safety.zipcheck` (a zip: .xlsx and everything else zipped),
:mod:`~xlsxform.safety.xmlscan` (the XML parts inside it),
:mod:`~xlsxform.safety.ole2` (an OLE2 compound file: .xls and the like) and
:mod:`~xlsxform.safety.sniff` (anything else); :mod:`~xlsxform.safety.terms`
holds what they share.  None of them imports a spreadsheet library.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from xlsxform.errors import RefusedFileError, UnreadableWorkbookError
from xlsxform.safety.ole2 import OLE2_MAGIC, _inspect_ole2
from xlsxform.safety.sniff import _refuse_other
from xlsxform.safety.terms import FileKind, KiB, Limits, MiB, _one_line, _refuse, _Refused
from xlsxform.safety.zipcheck import ZIP_MAGIC, _Zip

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


__all__ = ["REASONS", "FileKind", "Limits", "inspect", "refusal"]
