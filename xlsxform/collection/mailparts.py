"""Taking e-mails apart: the header a receipt records, and every part that
may be a returned workbook, however the mail program nested it.

- any MIME nesting: multipart/mixed, alternative, related (Apple Mail puts a
  workbook *inline* inside multipart/alternative > multipart/related), and
  forwarded messages (message/rfc822) to any depth;
- names in RFC 2047 encoded words and RFC 2231 parameters in any charset
  (GBK, GB18030, GB2312, Big5, UTF-8), raw 8-bit GBK names, and malformed
  parameters such as a lone ``filename*0*``: a name that cannot be decoded
  is replaced, never fatal;
- Outlook's saved messages (.msg), through extract-msg;
- mailboxes (mbox) read as a stream, one message at a time, with a message
  split by an unescaped "From " line in its body joined back.

Only the standard library's email package and extract-msg are used here.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes

from xlsxform.collection.records import iso

CHINESE = ("utf-8", "gb18030", "big5")
"""Tried in this order on names whose charset is missing or wrong."""
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030", "big5": "big5hkscs"}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"Rar!", b"7z\xbc\xaf", b"\x78\x9f\x3e\x22")
"""Bytes that never begin a message's text: a part starting so is an attachment, whatever its type says."""


@dataclass
class Part:
    """One leaf of a message that is not its text: a candidate attachment."""

    name: str
    """Its file name as the sender gave it (decoded), or '' when it has none."""
    content_type: str
    payload: bytes


@dataclass
class Mail:
    """One message: what its receipt records, and its parts."""

    sender: str | None = None
    date: str | None = None
    """The Date header, ISO 8601 in UTC; None when missing or unreadable."""
    subject: str | None = None
    message_id: str | None = None
    parts: list[Part] = field(default_factory=list)


# -- names ------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes of a name: in their declared charset if it decodes, else the
    first Chinese charset that does, else with replacement characters."""
    tried = []
    if charset:
        tried.append(_ALIASES.get(charset.strip().lower(), charset.strip().lower()))
    for candidate in [*tried, *CHINESE]:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def decode_words(text: str) -> str:
    """RFC 2047 encoded words (=?gbk?B?...?=) anywhere in a text, decoded."""
    if "=?" not in text:
        return _unescape(text)
    try:
        pieces = decode_header(text)
    except Exception:
        return _unescape(text)
    out = []
    for value, charset in pieces:
        out.append(decode_bytes(value, charset) if isinstance(value, bytes) else value)
    return "".join(out)


def _unescape(text: str) -> str:
    """Raw 8-bit bytes the parser kept as surrogates (a GBK name sent without any encoding), decoded."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("utf-8", "surrogateescape"))
    return text


_PARAM = re.compile(r"""(?ix) (?:^|;) \s* ([a-z0-9_\-]+) (\*\d+)? (\*)? \s*=\s* ("(?:[^"\\]|\\.)*"|[^;]*)""")


def raw_filename(header: str) -> str:
    """A file name from a raw Content-Disposition or Content-Type header, by
    hand: filename / name, RFC 2231 continuations (filename*0*, filename*1)
    in any order and charset, RFC 2047 words in quoted names.  Tolerates
    what the email package refuses; '' when there is no name."""
    found: dict[str, dict[int, tuple[bool, str]]] = {}
    for name, section, star, value in _PARAM.findall(header):
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        index = int(section[1:]) if section else -1
        found.setdefault(name.lower(), {})[index] = (bool(star), value)
    for wanted in ("filename", "name"):
        sections = found.get(wanted)
        if not sections:
            continue
        charset = None
        data = bytearray()
        for index in sorted(sections):
            encoded, value = sections[index]
            if encoded:
                if index <= 0 and value.count("'") >= 2:
                    charset, _, value = value.split("'", 2)
                data += unquote_to_bytes(value)
            else:
                data += value.encode("utf-8", "surrogateescape")
        text = decode_bytes(bytes(data), charset or None)
        return decode_words(text).strip()
    return ""


def part_filename(part: Message) -> str:
    """A part's file name, decoded whatever the mail program did; '' when none."""
    raw = [str(v) for k, v in part.raw_items() if k.lower() in ("content-disposition", "content-type")] if hasattr(part, "raw_items") else []
    name = ""
    try:
        name = part.get_filename() or ""
    except Exception:  # a malformed parameter: decoded by hand below
        name = ""
    if name:
        name = decode_words(name)
    if not name or "\ufffd" in name or "=?" in name:
        for header in raw:
            by_hand = raw_filename(" ".join(header.split()))
            if by_hand:
                name = by_hand
                break
    return name.strip()


# -- messages ---------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        return decode_words(" ".join(str(value).split())) if value is not None else ""
    except Exception:  # a malformed header: taken raw, else as missing
        for key, value in message.raw_items():
            if key.lower() == name.lower():
                return decode_words(" ".join(str(value).split()))
        return ""


def mail_date(text: str) -> str | None:
    if not text:
        return None
    try:
        return iso(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_message(data: bytes) -> Mail:
    """The header and every candidate attachment of a message's bytes."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    sender_text = _header(message, "From")
    mail = Mail(
        sender=(parseaddr(sender_text)[1] or sender_text or None),
        date=mail_date(_header(message, "Date")),
        subject=_header(message, "Subject") or None,
        message_id=_header(message, "Message-ID") or None,
    )
    if mail.sender:
        mail.sender = mail.sender.strip().lower()
    mail.parts = list(leaves(message))
    return mail


def leaves(message: Message, depth: int = 0) -> Iterator[Part]:
    """Every leaf of a message that is not its readable text, in order,
    forwarded messages included (to a bounded depth)."""
    if depth > 20:
        return
    for part in _walk(message, depth):
        ctype = _content_type(part)
        name = part_filename(part)
        disposition = _disposition(part)
        if ctype.startswith("multipart/"):
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        if not isinstance(payload, bytes):
            raw = part.get_payload()
            payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
        if ctype.startswith("text/") and not name and disposition != "attachment" and not payload.startswith(_BINARY_MAGIC):
            continue  # the body, plain or HTML (a workbook mislabelled as text is still found by its bytes)
        yield Part(name, ctype, payload)


def _walk(part: Message, depth: int) -> Iterator[Message]:
    ctype = _content_type(part)
    if ctype == "message/rfc822" or (part.is_multipart() and ctype.startswith("message/")):
        inner = part.get_payload()
        for sub in inner if isinstance(inner, list) else []:
            if isinstance(sub, Message) and depth < 20:
                yield from _walk(sub, depth + 1)
        return
    if part.is_multipart():
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _walk(sub, depth)
        return
    yield part


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


# -- Outlook .msg -------------------------------------------------------------


def parse_msg(path: Path) -> Mail:
    """An Outlook saved message (.msg): its header and attachments, through extract-msg."""
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    # Lenient on what Outlook versions and converters get slightly wrong in
    # the compound file; an attachment that still cannot be taken out is
    # given empty, and so recorded as refused rather than lost.
    message = extract_msg.openMsg(
        str(path), strict=False, errorBehavior=ErrorBehavior.OLE_DEFECT_INCORRECT | ErrorBehavior.ATTACH_BROKEN | ErrorBehavior.ATTACH_NOT_IMPLEMENTED
    )
    if not hasattr(message, "attachments"):
        message.close()
        raise ValueError("not an e-mail message")
    try:
        sender = getattr(message, "sender", None) or ""
        date = getattr(message, "date", None)
        mail = Mail(
            sender=(parseaddr(str(sender))[1] or str(sender) or None),
            date=iso(date) if date is not None and hasattr(date, "astimezone") else mail_date(str(date or "")),
            subject=getattr(message, "subject", None) or None,
            message_id=getattr(message, "messageId", None) or None,
        )
        if mail.sender:
            mail.sender = mail.sender.strip().lower()
        for attachment in getattr(message, "attachments", []):
            data = getattr(attachment, "data", None)
            name = getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None) or ""
            if isinstance(data, bytes):
                mail.parts.append(Part(str(name), str(getattr(attachment, "mimetype", "") or "application/octet-stream"), data))
            elif data is not None and hasattr(data, "exportBytes"):
                mail.parts.append(Part(str(name) or "message.msg", "application/vnd.ms-outlook", data.exportBytes()))
            else:
                mail.parts.append(Part(str(name), "application/x-unreadable", b""))
        return mail
    finally:
        message.close()


# -- mailboxes ------------------------------------------------------------------


@dataclass
class BoxMessage:
    """One message of a mailbox: its bytes (None when over the size limit) and its size."""

    number: int
    data: bytes | None
    size: int


def mbox_messages(source: BinaryIO, max_size: int) -> Iterator[BoxMessage]:
    """The messages of an mbox, read as a stream.

    A message starts at a "From " line that follows a blank line (or starts
    the file) and is itself followed by a header line; a "From " line in a
    body that is not followed by a header (an unescaped one the mail program
    left) stays in the message it belongs to.  A message larger than
    ``max_size`` is given without its bytes.
    """
    number = 0
    chunks: list[bytes] | None = None
    size = 0
    previous_blank = True
    pending: bytes | None = None  # a "From " line waiting to see the next line

    def finish() -> BoxMessage | None:
        nonlocal chunks, size
        if chunks is None:
            return None
        data = b"".join(chunks) if size <= max_size else None
        out = BoxMessage(number, data, size)
        chunks, size = None, 0
        return out

    def add(line: bytes) -> None:
        nonlocal size
        size += len(line)
        if chunks is not None and size <= max_size:
            chunks.append(line)

    for line in source:
        if pending is not None:
            if _HEADER_LINE.match(line):
                done = finish()
                if done is not None:
                    yield done
                number += 1
                chunks, size = [], 0
            else:
                if chunks is None:  # text before any message: a message of its own
                    number += 1
                    chunks, size = [], 0
                add(pending)
            pending = None
        if line.startswith(b"From ") and previous_blank:
            pending = line
            previous_blank = False
            continue
        if chunks is None:
            if not line.strip():
                previous_blank = True
                continue
            number += 1
            chunks, size = [], 0
        if line.startswith(b">From "):
            line = line[1:]
        add(line)
        previous_blank = not line.strip()
    if pending is not None:
        if chunks is None:
            number += 1
            chunks, size = [], 0
        add(pending)
    done = finish()
    if done is not None:
        yield done


def looks_like_mail(head: bytes) -> bool:
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0].lower()
    return any(
        first.startswith(h)
        for h in (b"received:", b"return-path:", b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"mime-version:", b"delivered-to:", b"x-")
    )


def header_summary(data: bytes) -> dict[str, Any]:
    """The header of a message too large to parse whole: read from its first 64 KiB only."""
    head = data[: 64 * 1024].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    try:
        message = email.message_from_bytes(head + b"\n\n", policy=email.policy.default)
        sender = _header(message, "From")
        return {
            "sender": (parseaddr(sender)[1] or sender or None),
            "date": mail_date(_header(message, "Date")),
            "subject": _header(message, "Subject") or None,
            "message_id": _header(message, "Message-ID") or None,
        }
    except Exception:
        return {}
