"""Everything an inbox holds, as receipts: each file found, each e-mail,
each attachment, each member of an archive, in a stable order (folders
sorted), parents before their parts.

Each receipt has a key that names it for good, so that taking in the same
inbox again records nothing twice, while the same bytes received again
(another e-mail, another file) are a receipt of their own:

- a file: its absolute path, modification time and content;
- an e-mail: its Message-ID with its sender, date and subject (its bytes
  when it has no Message-ID);
- an attachment or a member of an archive: its parent's key, its place in
  the parent, and its content.

Nothing here raises for what a sender did: whatever fails on one item
becomes that item's refusal.  Workbooks are written to ``scratch`` (under a
name of our own) for the readers; the database stores the bytes.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import itertools
import os
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from xlsxform.collection import archives
from xlsxform.collection.mailparts import Mail, header_summary, mbox_messages, parse_message, parse_msg
from xlsxform.collection.records import NewReceipt, iso
from xlsxform.safety.gate import Limits
from xlsxform.safety.ole2 import OLE2_MAGIC

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAIL_SUFFIXES = {".eml", ".msg822"}
MAILBOX_SUFFIXES = {".mbox", ".mbx"}
MAX_NAME_BYTES = 120
"""A received name is shortened past this (UTF-8 bytes), with a short hash to keep it unique."""

Reason = tuple[str, str, str]
KEEP_IN_MEMORY = 64 * 1024
"""Bytes of a refused receipt held in memory until recorded; larger ones wait in a scratch file."""

REFUSALS: dict[str, tuple[str, str]] = {
    "unsupported-file": ("不是工作簿、邮件或邮箱文件", "not a workbook, an e-mail or a mailbox"),
    "attachment-not-workbook": ("邮件附件不是工作簿", "the attachment is not a workbook"),
    "mail-without-workbook": ("邮件中没有附件", "the e-mail has no attachment"),
    "unreadable-mail": ("无法读取邮件或邮箱", "cannot read the e-mail or mailbox"),
    "mail-too-large": ("邮件过大，未拆开读取（请把表格单独发送）", "the e-mail is too large to open (send the workbook on its own)"),
    "too-large": ("文件过大", "the file is too large"),
    "rar": ("这是 RAR 压缩包，无法读取，请直接发送 .xlsx 文件", "a RAR archive, which is not opened; send the .xlsx itself"),
    "7z": ("这是 7z 压缩包，无法读取，请直接发送 .xlsx 文件", "a 7z archive, which is not opened; send the .xlsx itself"),
    "tnef": (
        "这是 Outlook 的 winmail.dat 附件，无法读取，请在邮件程序中改用纯文本或 HTML 格式，把 .xlsx 作为普通附件重新发送",
        "an Outlook winmail.dat (TNEF) attachment, which is not opened; resend the .xlsx as a plain attachment (not Rich Text)",
    ),
    "nested-archive": ("压缩包嵌套过深，请直接发送 .xlsx 文件", "archives nested too deep; send the .xlsx itself"),
    "archive-without-workbook": ("压缩包中没有文件", "the archive holds no file"),
    "archive-member-unreadable": (
        "压缩包中的这个文件无法取出（已加密、过大或损坏），请直接发送 .xlsx 文件",
        "this file of the archive cannot be taken out (encrypted, too large or damaged)",
    ),
    "issued-blank": ("这是发出的空白表格（与发出时完全相同，尚未填写），不是部门的返回", "the workbook as issued, not filled in: not a return"),
    "own-file": (
        "这是 xlsxform 自己生成的文件（返回情况表、退回修改表或汇总表），不是部门的返回",
        "a file xlsxform wrote itself (a report, a marked copy, an export), not a return",
    ),
    "unreadable-file": ("无法读取这个文件", "cannot read the file"),
    "unreadable": ("", ""),
    "not-this-form": ("", ""),
    "crashed": ("读取时出现意外错误", "reading failed unexpectedly"),
}
"""Why a receipt is refused: stable codes, with their reason when it is not the reader's own message."""


def reason(code: str, detail_zh: str = "", detail_en: str = "") -> Reason:
    zh, en = REFUSALS[code]
    return (code, f"{zh}（{detail_zh}）" if detail_zh else zh, f"{en} ({detail_en})" if detail_en else en)


def _inside(parent: NewReceipt, key: str, kind: str, name: str, origin: str, source: str, size: int, sha: str) -> NewReceipt:
    """A receipt found inside another (an e-mail's attachment, an archive's
    member): sent when its parent was, with its parent's sender and mail fields."""
    return NewReceipt(key, kind, name, origin, source, parent.sent_at, size, sha, parent.key, parent.sender, parent.date, parent.subject, parent.message_id)


@dataclass
class Node:
    """One receipt to record, with what is needed to record it."""

    receipt: NewReceipt
    path: Path | None = None
    """Where the bytes of a workbook to read are."""
    refusal: Reason | None = None
    container: bool = False
    content: bytes | None = None
    """Bytes to keep for a refused receipt, when small (workbooks are kept from ``path``)."""
    kept: Path | None = None
    """Where the bytes to keep of a refused receipt are, when not small."""

    @property
    def read(self) -> bool:
        """True when its content is to be read as a form."""
        return self.refusal is None and not self.container


class Expander:
    """Turns the given paths into :class:`Node` s; see the module's doc."""

    def __init__(self, scratch: Path, taken_in: str, limits: Limits, skip: Iterable[Path] = (), origin: str = "file") -> None:
        self.kept = itertools.count()
        self.scratch, self.taken_in, self.limits = scratch, taken_in, limits
        self.origin = origin
        """What a plain file given is recorded as coming from: 'file', or 'web' (uploaded to the portal)."""
        self.skipped = {p.resolve() for p in skip}
        self.keep = limits.max_file_size

    # -- files ----------------------------------------------------------------

    def expand(self, paths: Iterable[str | Path]) -> Iterator[Node]:
        for node in self._expand(paths):
            if node.content is not None and len(node.content) > KEEP_IN_MEMORY:
                # Held in a scratch file until recorded: a batch never holds every refused attachment.
                node.kept = self.scratch / f"kept-{next(self.kept)}"
                node.kept.write_bytes(node.content)
                node.content = None
            yield node

    def _expand(self, paths: Iterable[str | Path]) -> Iterator[Node]:
        for given in paths:
            path = Path(given)
            if path.is_dir():
                unlisted: list[OSError] = []
                for folder, folders, files in os.walk(path, onerror=unlisted.append):
                    folders.sort()
                    for name in sorted(files):
                        child = Path(folder) / name
                        if child.is_file() and child.resolve() not in self.skipped:
                            yield from self._guarded_file(child)
                for exc in unlisted:  # a folder that cannot be listed is recorded, not passed over
                    yield self._unreadable_file(Path(exc.filename or path), exc)
            elif path.exists():
                if path.resolve() not in self.skipped:
                    yield from self._guarded_file(path)
            else:
                raise FileNotFoundError(2, "No such file or directory", str(path))

    def _guarded_file(self, path: Path) -> Iterator[Node]:
        done = 0
        try:
            for node in self._file(path):
                done += 1
                yield node
        except Exception as exc:
            _fatal(exc)
            yield self._unreadable_file(path, exc, partly=done > 0)

    def _unreadable_file(self, path: Path, exc: BaseException, partly: bool = False) -> Node:
        try:
            sha = sha256_file(path)
            size = path.stat().st_size
        except OSError:
            sha, size = None, 0
        key = "file:" + digest(str(path.resolve()), sha or "", type(exc).__name__, "partly" if partly else "")
        return Node(
            NewReceipt(key, "file", safe_name(path.name), self.origin, str(path), self.taken_in, size, sha),
            refusal=reason("unreadable-file", type(exc).__name__, f"{type(exc).__name__}: {exc}"[:200]),
        )

    def _file(self, path: Path) -> Iterator[Node]:
        info = path.stat()
        sha = sha256_file(path)
        sent_at = min(iso(dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)), self.taken_in)
        key = "file:" + digest(str(path.resolve()), str(info.st_mtime_ns), sha)
        name = safe_name(path.name)
        receipt = NewReceipt(key, "file", name, self.origin, str(path), sent_at, info.st_size, sha)
        suffix = path.suffix.lower()
        with path.open("rb") as source:
            head = source.read(1 << 16)
        if suffix in MAILBOX_SUFFIXES or (head.startswith(b"From ") and suffix not in WORKBOOK_SUFFIXES | MAIL_SUFFIXES):
            yield Node(NewReceipt(key, "file", name, "mbox", str(path), sent_at, info.st_size, sha), container=True)
            yield from self._mailbox(path, key)
            return
        if info.st_size > max(self.limits.max_file_size, self.limits.max_message_size):
            code = "mail-too-large" if suffix in MAIL_SUFFIXES | {".msg"} else "too-large"
            yield Node(receipt, refusal=reason(code, f"{info.st_size >> 20} MB", f"{info.st_size >> 20} MB"))
            return
        kind = archives.sniff(head, path.name, whole=False)
        if kind in (archives.WORKBOOK, archives.ZIP) and head.startswith(b"PK"):
            kind = archives.sniff(path.read_bytes(), path.name)
        if kind == archives.EML or suffix in MAIL_SUFFIXES:
            data = path.read_bytes()
            yield from self._message(data, name, str(path), "eml", sent_at, None, key_hint=None)
        elif kind == archives.MSG:
            yield from self._msg(path, name, str(path), sent_at, None, receipt)
        else:
            yield from self._content(receipt, kind, path=path)

    # -- contents ------------------------------------------------------------

    def _content(self, receipt: NewReceipt, kind: str, *, path: Path | None = None, data: bytes | None = None, depth: int = 0) -> Iterator[Node]:
        """One content (a file, an attachment, a member) by what it is."""
        size = receipt.size
        if size > self.limits.max_file_size:
            yield Node(receipt, refusal=reason("too-large", f"{size >> 20} MB，上限 {self.limits.max_file_size >> 20} MB", f"{size >> 20} MB"))
            return
        if kind == archives.WORKBOOK:
            if path is None:
                assert data is not None
                path = self.scratch / f"{receipt.sha256}{workbook_suffix(receipt.name, data)}"
                path.write_bytes(data)
            yield Node(receipt, path=path)
            return
        if data is None:
            assert path is not None
            data = path.read_bytes()
        if kind == archives.OWN:
            yield Node(receipt, refusal=reason("own-file"), content=data)
        elif kind == archives.ZIP:
            yield from self._zip(receipt, data, depth)
        elif kind in (archives.RAR, archives.SEVEN_ZIP, archives.TNEF):
            yield Node(receipt, refusal=reason({archives.RAR: "rar", archives.SEVEN_ZIP: "7z", archives.TNEF: "tnef"}[kind]), content=data)
        elif kind == archives.EML and receipt.kind != "file" and depth < 3:
            yield from self._message(data, receipt.name, receipt.source, receipt.origin, receipt.sent_at, receipt, key_hint=receipt.key)
        elif kind == archives.MSG and receipt.kind != "file" and depth < 3:
            target = self.scratch / f"{receipt.sha256}.msg"
            target.write_bytes(data)
            yield from self._msg(target, receipt.name, receipt.source, receipt.sent_at, receipt, receipt)
        else:
            code = "unsupported-file" if receipt.kind in ("file", "member") else "attachment-not-workbook"
            yield Node(receipt, refusal=reason(code), content=data)

    def _zip(self, receipt: NewReceipt, data: bytes, depth: int) -> Iterator[Node]:
        if depth >= self.limits.max_archive_depth + 1:
            yield Node(receipt, refusal=reason("nested-archive"), content=data)
            return
        try:
            found = list(archives.members(data, self.limits))
        except archives.ArchiveRefused as refused:
            yield Node(receipt, refusal=(refused.code, refused.zh, refused.en), content=data)
            return
        if not found:
            yield Node(receipt, refusal=reason("archive-without-workbook"), content=data)
            return
        yield Node(receipt, container=True, content=data)
        for n, member in enumerate(found, 1):
            sha = sha256(member.data)
            name = safe_name(PurePosixPath(member.name.replace("\\", "/")).name or f"{receipt.name}-{n}")
            child = _inside(receipt, f"{receipt.key}!{n}:{sha}", "member", name, "zip", f"{receipt.source}!{member.name}"[:1000], len(member.data), sha)
            if not member.ok:
                yield Node(child, refusal=reason("archive-member-unreadable"))
                continue
            yield from self._guarded_content(child, member.data, depth + 1)

    def _guarded_content(self, receipt: NewReceipt, data: bytes, depth: int) -> Iterator[Node]:
        done = 0
        try:
            for node in self._content(receipt, archives.sniff(data, receipt.name), data=data, depth=depth):
                done += 1
                yield node
        except Exception as exc:
            _fatal(exc)
            if done == 0:
                yield Node(receipt, refusal=reason("unreadable-file", type(exc).__name__, f"{type(exc).__name__}: {exc}"[:200]), content=data)
            else:
                failed = NewReceipt(
                    receipt.key + "!error", receipt.kind, receipt.name, receipt.origin, receipt.source, receipt.sent_at, receipt.size, None, receipt.key
                )
                yield Node(failed, refusal=reason("unreadable-file", type(exc).__name__, f"{type(exc).__name__}: {exc}"[:200]))

    # -- e-mail ---------------------------------------------------------------

    def _message_receipt(
        self,
        mail: Mail | dict[str, str | None],
        data_sha: str,
        name: str,
        source: str,
        origin: str,
        sent_at: str,
        size: int,
        parent: NewReceipt | None,
        link: str | None = None,
    ) -> NewReceipt:
        fields = mail if isinstance(mail, dict) else {"sender": mail.sender, "date": mail.date, "subject": mail.subject, "message_id": mail.message_id}
        sender, date, subject, message_id = (fields.get(k) for k in ("sender", "date", "subject", "message_id"))
        key = "msg:" + (digest(message_id, date or "", sender or "", subject or "") if message_id else data_sha)
        if parent is not None:
            key = f"{parent.key}>{key}"
        # Sent: the Date, never later than when it was taken in; a missing or future Date counts as then.
        when = min(date, self.taken_in) if date else self.taken_in
        return NewReceipt(key, "message", name, origin, source, when, size, data_sha, parent.key if parent else link, sender, date, subject, message_id)

    def _message(
        self, data: bytes, name: str, source: str, origin: str, sent_at: str, parent: NewReceipt | None, *, key_hint: str | None, link: str | None = None
    ) -> Iterator[Node]:
        data_sha = sha256(data)
        if len(data) > self.limits.max_message_size:
            receipt = self._message_receipt(header_summary(data), data_sha, name, source, origin, sent_at, len(data), parent, link)
            yield Node(receipt, refusal=reason("mail-too-large", f"{len(data) >> 20} MB", f"{len(data) >> 20} MB"))
            return
        try:
            mail = parse_message(data)
        except Exception as exc:  # the parser is lenient; anything it raises is a broken message
            receipt = self._message_receipt(header_summary(data), data_sha, name, source, origin, sent_at, len(data), parent, link)
            yield Node(receipt, refusal=reason("unreadable-mail", type(exc).__name__, type(exc).__name__), content=data if len(data) <= self.keep else None)
            return
        receipt = self._message_receipt(mail, data_sha, name, source, origin, sent_at, len(data), parent, link)
        yield from self._parts(receipt, mail, data)

    def _msg(self, path: Path, name: str, source: str, sent_at: str, parent: NewReceipt | None, as_file: NewReceipt) -> Iterator[Node]:
        data = path.read_bytes()
        data_sha = sha256(data)
        try:
            mail = parse_msg(path)
        except Exception as exc:
            receipt = self._message_receipt({}, data_sha, name, source, "msg", sent_at, len(data), parent)
            yield Node(receipt, refusal=reason("unreadable-mail", type(exc).__name__, f"{type(exc).__name__}: {exc}"[:200]), content=data)
            return
        receipt = self._message_receipt(mail, data_sha, name, source, "msg", sent_at, len(data), parent)
        yield from self._parts(receipt, mail, data)

    def _parts(self, receipt: NewReceipt, mail: Mail, data: bytes) -> Iterator[Node]:
        if not mail.parts:
            yield Node(receipt, refusal=reason("mail-without-workbook"), content=data if len(data) <= self.keep else None)
            return
        yield Node(receipt, container=True, content=data if len(data) <= self.keep else None)
        origin = receipt.origin
        for n, part in enumerate(mail.parts, 1):
            sha = sha256(part.payload)
            name = safe_name(part.name or f"{receipt.name}-附件{n}")
            child = _inside(receipt, f"{receipt.key}/{n}:{sha}", "attachment", name, origin, receipt.source, len(part.payload), sha)
            yield from self._guarded_content(child, part.payload, 0)

    def _mailbox(self, path: Path, key: str) -> Iterator[Node]:
        with path.open("rb") as source:
            for message in mbox_messages(source, self.limits.max_message_size):
                name = f"{safe_name(path.name)}#{message.number}"
                if message.data is None:
                    receipt = NewReceipt(f"{key}#{message.number}:{message.size}", "message", name, "mbox", str(path), self.taken_in, message.size, None, key)
                    yield Node(receipt, refusal=reason("mail-too-large", f"{message.size >> 20} MB", f"{message.size >> 20} MB"))
                    continue
                try:
                    yield from self._message(message.data, name, str(path), "mbox", self.taken_in, None, key_hint=None, link=key)
                except Exception as exc:
                    receipt = NewReceipt(f"{key}#{message.number}:{sha256(message.data)}", "message", name, "mbox", str(path), self.taken_in, message.size)
                    yield Node(receipt, refusal=reason("unreadable-mail", type(exc).__name__, type(exc).__name__), content=message.data)


def _fatal(exc: BaseException) -> None:
    """A full or read-only disk for the scratch copies is this machine's fault, not the sender's: the batch stops."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        raise exc


# -- names and hashes -------------------------------------------------------------


def safe_name(name: str) -> str:
    """A received name as a safe file name: no folder part, no control
    characters, at most MAX_NAME_BYTES bytes (a long one shortened, with a
    short hash of the whole name, its suffix kept when it is short)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".") or "附件"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 8 or not suffix.isascii() or not suffix.isalnum():
        stem, suffix = name, ""
    tail = f"~{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}" + (f".{suffix}" if suffix else "")
    budget = MAX_NAME_BYTES - len(tail.encode())
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem + tail


def workbook_suffix(name: str, data: bytes) -> str:
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in WORKBOOK_SUFFIXES:
        return suffix
    return ".xls" if data[:8] == OLE2_MAGIC else ".xlsx"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
