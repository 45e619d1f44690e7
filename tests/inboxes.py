"""Inboxes as bureaus really receive them, built in code with Python's email
package: every attachment layout mail programs produce, names in every
Chinese charset and encoding, archives, and files no reader should open.

Each builder returns the bytes of one message (or file); ``every_case``
writes a whole inbox holding each case, with what is expected of it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from xlsxform import Form, render

CST = dt.timezone(dt.timedelta(hours=8))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIXTURES = Path(__file__).parent / "fixtures"


def form_of(sample: Form, department: str = "湛江市信访局", *, staff: int = 23, valid: bool = True) -> Form:
    """The sample as another department's return: another staff count makes other bytes; ``valid=False`` breaks R1."""
    budget = sample.budget if valid else sample.budget.model_copy(update={"fiscal": Decimal("1")})
    return sample.model_copy(update={"department": department, "staff": staff, "budget": budget})


def workbook_bytes(form: Form) -> bytes:
    out = io.BytesIO()
    render(form, out)
    return out.getvalue()


def when(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, 12, day, hour, 0, tzinfo=CST)


def _head(message: EmailMessage, sender: str, date: dt.datetime | None, subject: str, message_id: str | None) -> None:
    message["From"] = sender
    message["To"] = "czj@zj.gov.cn"
    message["Subject"] = subject
    if date is not None:
        message["Date"] = format_datetime(date)
    if message_id:
        message["Message-ID"] = message_id


def plain(
    attachments: list[tuple[str, bytes]],
    *,
    sender: str = "xinfang@zj.gov.cn",
    date: dt.datetime | None = None,
    subject: str = "回复：绩效目标表",
    message_id: str | None = None,
    content_type: str = "application/octet-stream",
) -> bytes:
    """multipart/mixed: a text body and the attachments (names RFC 2231 in UTF-8, as Python writes them)."""
    message = EmailMessage()
    _head(message, sender, date if date is not None else when(1), subject, message_id)
    message.set_content("已填好，请查收。")
    maintype, _, subtype = content_type.partition("/")
    for name, data in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def apple_mail(name: str, data: bytes, *, sender: str = "xinfang@zj.gov.cn", date: dt.datetime | None = None) -> bytes:
    """Apple Mail's nesting: multipart/alternative holding text/plain and a
    multipart/related of the HTML body with the workbook *inline*."""
    message = EmailMessage()
    _head(message, sender, date or when(1), "回复：绩效目标表", None)
    message.set_content("已填好，请查收。")
    message.add_alternative("<html><body>已填好，请查收。<br><img src='cid:x'></body></html>", subtype="html")
    html = message.get_payload()[1]
    # add_related turns the HTML part into multipart/related and marks the workbook inline.
    html.add_related(data, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", cid="<x>", filename=name)
    html.get_payload()[1].replace_header("Content-Disposition", "inline")
    html.get_payload()[1].set_param("filename", name, header="Content-Disposition")
    return bytes(message)


def forwarded(inner: bytes, *, sender: str = "office@zj.gov.cn", date: dt.datetime | None = None) -> bytes:
    """A message forwarded as an attachment (message/rfc822)."""
    import email
    import email.policy

    message = EmailMessage()
    _head(message, sender, date or when(3), "转发：绩效目标表", None)
    message.set_content("转发部门的表格")
    message.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    return bytes(message)


def raw(
    disposition: str,
    data: bytes,
    *,
    content_type: str = "application/octet-stream",
    sender: str = "xinfang@zj.gov.cn",
    date: dt.datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """A message written byte by byte, with the attachment's headers exactly
    as given (for names no library would write: malformed RFC 2231, raw GBK)."""
    stamp = format_datetime(date or when(1)).encode()
    body = base64.encodebytes(data)
    head = b"From: " + sender.encode() + b"\r\nTo: czj@zj.gov.cn\r\nSubject: =?utf-8?b?" + base64.b64encode("回复".encode()) + b"?=\r\nDate: " + stamp + b"\r\n"
    if message_id:
        head += b"Message-ID: " + message_id.encode() + b"\r\n"
    head += b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BOUNDARY"\r\n\r\n'
    text = (
        b"--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes("已填好".encode()) + b"\r\n"
    )
    part = (
        b"--BOUNDARY\r\nContent-Type: "
        + content_type.encode()
        + b"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: "
        + (disposition.encode("utf-8") if isinstance(disposition, str) else disposition)
        + b"\r\n\r\n"
        + body
        + b"\r\n--BOUNDARY--\r\n"
    )
    return head + text + part


def raw_bytes_name(name: bytes, data: bytes, **kwargs: object) -> bytes:
    """An attachment whose name is raw 8-bit bytes (GBK, as old Chinese mail programs send)."""
    message = raw('attachment; filename="NAME"', data, **kwargs)  # type: ignore[arg-type]
    return message.replace(b"NAME", name)


def rfc2047(name: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(name.encode(charset)).decode()}?="


def rfc2231(name: str, charset: str) -> str:
    from urllib.parse import quote_from_bytes

    return f"{charset}''{quote_from_bytes(name.encode(charset))}"


def zip_of(files: list[tuple[str, bytes]], *, gbk_names: bool = False) -> bytes:
    """A .zip of the files; ``gbk_names`` names them in GBK without the UTF-8 flag, as Windows' own zip does."""
    out = io.BytesIO()
    renames: list[tuple[bytes, bytes]] = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (name, data) in enumerate(files):
            if gbk_names:
                wanted = name.encode("gbk")
                placeholder = f"{n:03d}".encode().ljust(len(wanted), b"_")
                renames.append((placeholder, wanted))
                name = placeholder.decode()
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 12, 1, 9, 0, 0)), data, zipfile.ZIP_DEFLATED)
    data = out.getvalue()
    for placeholder, wanted in renames:  # same length: every offset stays right
        data = data.replace(placeholder, wanted)
    return data


RAR = b"Rar!\x1a\x07\x01\x00" + bytes(range(200))
SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(range(200))
WINMAIL = b"\x78\x9f\x3e\x22\x01\x00" + bytes(200)


def mbox(messages: list[bytes]) -> bytes:
    """An mbox of the messages, with each body's "From " lines left unescaped (as many programs leave them)."""
    out = b""
    for n, data in enumerate(messages):
        out += f"From sender{n}@zj.gov.cn Mon Dec  2 09:00:00 2024\n".encode() + data.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n"
    return out


def split_by_from(name: str, data: bytes, *, sender: str = "xinfang@zj.gov.cn") -> bytes:
    """A message whose text has a line starting with "From " before the attachment, unescaped."""
    message = EmailMessage()
    _head(message, sender, when(2), "回复：绩效目标表", "<split-1@zj.gov.cn>")
    message.set_content("请查收附件。\n\nFrom the attached workbook you can see our figures.\n", cte="8bit")
    message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)
