"""E-mail to departments: drafts (.eml) with the workbook attached, or sent
over SMTP.

Subject and body come from a template the bureau can change: the bundled
``templates/email.toml`` or any TOML file with ``subject`` and ``body``,
whose ``{department}``, ``{year}``, ``{deadline}``, ``{file}``, ``{form_id}``,
``{code}`` and ``{sender_name}`` (the sign-off: ``--from-name``, else
:data:`DEFAULT_SENDER_NAME`) are filled in for each department.

SMTP uses STARTTLS and logs in only when asked; the password is read from
an environment variable (``XLSXFORM_SMTP_PASSWORD``), never from the command
line, where other users of the machine could see it.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform.errors import MailError
from xlsxform.spec.loading import read_toml, resource_dir

if TYPE_CHECKING:
    from xlsxform.collection.outbox import Issued

DEFAULT_TEMPLATE = "email.toml"
PASSWORD_VARIABLE = "XLSXFORM_SMTP_PASSWORD"
PLACEHOLDERS = ("department", "year", "deadline", "file", "form_id", "code", "sender_name")
DEFAULT_SENDER_NAME = "市财政局"
"""Who the e-mail is signed by when no sender's name is given."""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    body: str
    path: str = ""

    def fill(self, context: Mapping[str, Any]) -> tuple[str, str]:
        """The subject (on one line) and body for one department."""
        values = {name: "" for name in PLACEHOLDERS} | {k: "" if v is None else str(v) for k, v in context.items()}
        subject = " ".join(self.subject.format_map(values).split())
        return subject, self.body.format_map(values).strip("\n") + "\n"


def load_template(path: str | Path | None = None) -> EmailTemplate:
    """The bundled template, or the one at ``path``, checked: both texts
    present and every placeholder known."""
    path = Path(path) if path else resource_dir("templates") / DEFAULT_TEMPLATE
    data = read_toml(path, MailError, "邮件模板", "e-mail template")
    for key in ("subject", "body"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise MailError(f"邮件模板缺少“{key}”", f"the e-mail template has no '{key}'", path=path)
    known = "、".join("{" + p + "}" for p in PLACEHOLDERS)
    for key in ("subject", "body"):
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(data[key]) if name is not None]
        except ValueError as exc:
            raise MailError(f"邮件模板“{key}”中的花括号不成对（{exc}）", f"unbalanced braces in the template's {key} ({exc})", path=path) from None
        for name in fields:
            if name not in PLACEHOLDERS:
                raise MailError(
                    f"邮件模板“{key}”中的占位符 {{{name}}} 无法识别，可用：{known}",
                    f"unknown placeholder {{{name}}} in the template's {key}; use {known}",
                    path=path,
                )
    return EmailTemplate(data["subject"], data["body"], str(path))


def compose(template: EmailTemplate, *, sender: str, to: str, context: Mapping[str, Any], attachment: Path, sender_name: str = "") -> EmailMessage:
    """One department's message with its workbook attached, signed by ``sender_name``."""
    subject, body = template.fill({"sender_name": sender_name or DEFAULT_SENDER_NAME, **context})
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = formataddr((str(context.get("department", "")), to))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    kind = mimetypes.guess_type(attachment.name)[0] or XLSX_TYPE
    maintype, _, subtype = kind.partition("/")
    message.add_attachment(attachment.read_bytes(), maintype=maintype, subtype=subtype, filename=attachment.name)
    return message


def issued_message(template: EmailTemplate, item: Issued, *, year: int, deadline: str, sender: str, sender_name: str = "", link: str = "") -> EmailMessage:
    """The message of one issued workbook, as ``issue`` and the portal both
    send it: the template filled in with the department, year, deadline, file,
    form id, code and private link, the workbook attached."""
    context = {
        "department": item.department.name,
        "year": year,
        "deadline": deadline,
        "file": item.workbook.name,
        "form_id": item.form_id,
        "code": item.department.code,
        "link": link,
    }
    return compose(template, sender=sender, sender_name=sender_name, to=item.department.email, context=context, attachment=item.workbook)


def write_eml(message: EmailMessage, target: Path) -> None:
    """Save a message as an .eml file any mail program opens as a draft."""
    target.write_bytes(bytes(message))


@dataclass(frozen=True)
class Delivery:
    """What became of one message."""

    key: str
    to: str
    ok: bool
    reason: str = ""


def parse_server(text: str) -> tuple[str, int]:
    """'smtp.example.gov.cn:587' to a host and port (25 when none is given)."""
    host, _sep, port = text.rpartition(":") if ":" in text else (text, "", "25")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MailError(f"邮件服务器“{text}”应写作 主机:端口", f"mail server '{text}' must be HOST:PORT", path=None)
    return host, int(port)


def send(
    messages: Iterable[tuple[str, EmailMessage]],
    host: str,
    port: int,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60,
    context: ssl.SSLContext | None = None,
) -> list[Delivery]:
    """Send each (key, message) over one connection.

    A message the server refuses is recorded and the rest still go; a
    server that cannot be reached, will not start TLS or refuses the login
    raises :class:`MailError` before anything is sent.
    """
    where = f"{host}:{port}"
    try:
        server = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"无法连接邮件服务器 {where}：{exc}", f"cannot connect to the mail server {where}: {exc}") from None
    results: list[Delivery] = []
    try:
        try:
            server.ehlo()
            if starttls:
                server.starttls(context=context or ssl.create_default_context())
                server.ehlo()
            if user:
                server.login(user, password or "")
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"邮件服务器 {where} 拒绝登录（用户 {user}）", f"the mail server {where} refused the login of {user}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"邮件服务器 {where} 不支持：{exc}", f"the mail server {where} does not support: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"与邮件服务器 {where} 握手失败：{exc}", f"handshake with the mail server {where} failed: {exc}") from None
        broken = ""
        for key, message in messages:
            to = str(message["To"])
            if broken:
                results.append(Delivery(key, to, False, broken))
                continue
            try:
                refused = server.send_message(message)
                results.append(Delivery(key, to, not refused, "; ".join(f"{a}: {c} {r!r}" for a, (c, r) in refused.items())))
            except smtplib.SMTPServerDisconnected as exc:
                broken = f"connection lost: {exc}"
                results.append(Delivery(key, to, False, broken))
            except smtplib.SMTPResponseException as exc:
                results.append(
                    Delivery(
                        key, to, False, f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
                    )
                )
            except smtplib.SMTPRecipientsRefused as exc:
                results.append(Delivery(key, to, False, "; ".join(f"{a}: {c}" for a, (c, _) in exc.recipients.items())))
            except (OSError, smtplib.SMTPException) as exc:
                broken = f"{type(exc).__name__}: {exc}"
                results.append(Delivery(key, to, False, broken))
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return results
