"""Files that are neither a zip nor an OLE2 container, named from their first
bytes: an empty zip, PDF, RTF, a web page or an Excel 2003 XML spreadsheet
saved under a spreadsheet's name, CSV, other text, binary data.

Every such file is refused; this module only says what it is, so that the
refusal tells the sender what to do.
"""

from __future__ import annotations

from typing import NoReturn

from xlsxform.safety.terms import KiB, _refuse

_WEB_MARKERS = ("<html", "<!doctype html", "<table", "<head", "<body", "<meta", "<style", '<?mso-application progid="excel.sheet"')


def _refuse_other(head: bytes) -> NoReturn:
    """Name what a file that is neither a zip nor an OLE2 container is."""
    if head.startswith(b"PK\x05\x06"):
        _refuse("not-a-workbook", "an empty zip archive", "空的 zip 压缩包")
    if head.startswith(b"%PDF"):
        _refuse("not-a-workbook", "a PDF document", "PDF 文档")
    if head.startswith(b"{\\rtf"):
        _refuse("not-a-workbook", "an RTF document", "RTF 文档")
    text = _as_text(head)
    if text is None:
        _refuse("not-a-workbook", "unrecognised binary data", "无法识别的二进制数据")
    start = text.lstrip().casefold()
    if start.startswith("mime-version:"):
        _refuse("html")  # a single-file web page (.mht) saved as .xls
    if start.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start and "<html" not in start:
            _refuse("xml-spreadsheet")
        if any(marker in start for marker in _WEB_MARKERS):
            _refuse("html")
        _refuse("not-a-workbook", "an XML or markup file", "XML 或其他标记文件")
    first = next((line for line in start.splitlines() if line.strip()), "")
    if any(sep in first for sep in ",;\t"):
        _refuse("csv")
    _refuse("not-a-workbook", "a text file", "文本文件")


def _as_text(head: bytes) -> str | None:
    """The start of a file as text, or None when it looks binary."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, "replace")
            break
    else:
        body = head[:-4] if len(head) == 8 * KiB else head  # a character may be cut at the end
        for encoding in ("utf-8", "gb18030"):
            try:
                text = body.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return None if controls or "\ufffd" * 4 in text else text
