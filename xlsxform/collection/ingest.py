"""Taking in what departments send back: workbooks, e-mails, mailboxes, and
folders of them, into the collection database.

1. *Expand*: folders are walked (sorted, so every run sees the same order);
   an .eml gives its workbook attachments, a mailbox (mbox) each message's;
   anything else is recorded as refused with its reason.  Every item is
   hashed (sha256); one already in the database, or seen earlier in the same
   batch, is skipped, so ingesting the same inbox twice changes nothing.
2. *Read*: new workbooks are read and checked in a pool of processes, one
   per core.  The read of one file is isolated: whatever it raises, or even
   a worker that dies, becomes a refusal for that file and the batch goes on.
3. *Store*: each result is written in its own transaction, in input order:
   a form with its problems and origin, or a refusal with its reason.  A
   newer return from the same department supersedes the older one, which is
   kept as history.

Nothing is lost: each input is either stored as a form or recorded as refused.
"""

from __future__ import annotations

import email
import email.policy
import errno
import gc
import hashlib
import json
import mailbox
import os
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

from xlsxform.collection.roster import Roster, department_key
from xlsxform.collection.store import Input, Store, StoredProblem, iso, now
from xlsxform.safety.gate import OLE2_MAGIC, ZIP_MAGIC, Limits
from xlsxform.spec.layout import DEFAULT_SPEC, Spec

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAIL_SUFFIXES = {".eml", ".msg822"}
MAILBOX_SUFFIXES = {".mbox", ".mbx"}
MAX_INPUT_BYTES = Limits().max_file_size
"""A workbook larger than this is refused unread, as the gate would (a filled form is ~30 KB)."""
MAX_CONTENT_BYTES = 64 << 20
"""Inputs up to this size are kept in the database, refused ones included."""

REFUSALS: dict[str, tuple[str, str]] = {
    "unsupported-file": ("不是工作簿、邮件或邮箱文件", "not a workbook, an e-mail or a mailbox"),
    "attachment-not-workbook": ("邮件附件不是工作簿", "the attachment is not a workbook"),
    "mail-without-workbook": ("邮件中没有附件", "the e-mail has no attachment"),
    "unreadable-mail": ("无法读取邮件或邮箱", "cannot read the e-mail or mailbox"),
    "too-large": ("文件过大", "the file is too large"),
    "unreadable": ("", ""),
    "not-this-form": ("", ""),
    "crashed": ("读取时出现意外错误", "reading failed unexpectedly"),
}
"""Why an input is refused: stable codes, with their reason when it is not
the reader's own message."""


@dataclass
class Item:
    """One input of the batch: a file, an attachment, or a message."""

    input: Input
    path: Path | None
    """Where its bytes are (a temporary copy for attachments)."""
    refusal: str | None = None
    detail: tuple[str, str] | None = None
    """(zh, en) detail of a refusal decided before reading."""


@dataclass
class Outcome:
    """What became of one item."""

    input: Input
    status: str
    """'stored', 'refused', 'duplicate' (seen earlier in this batch) or 'known' (already in the database)."""
    department: str = ""
    errors: int = 0
    warnings: int = 0
    refusal: str = ""
    reason: str = ""
    reason_en: str = ""
    form: int | None = None
    superseded: list[int] = field(default_factory=list)


@dataclass
class Summary:
    outcomes: list[Outcome]
    seconds: dict[str, float]
    """Wall time of each phase in the parent: expand and hash, wait for the
    readers (the pool's start included), store in SQLite, total."""
    read_seconds: float = 0.0
    """Wall time the workers spent reading, summed over workers."""
    read_cpu: float = 0.0
    """CPU time the workers spent reading, summed over workers."""
    workers: int = 0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def stored(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "stored"]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "refused"]


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    *,
    roster: Roster | None = None,
    spec: Spec | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Take every workbook in ``paths`` into ``store``; see the module's doc.

    Without ``spec`` each workbook's form is recognised (identity, else
    labels) and the return is stored under it."""
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    ingested_at = now()
    scratch = Path(tempfile.mkdtemp(prefix="xlsxform-ingest-"))
    slots: list[Outcome | None] = []
    try:
        database = store.path
        items = list(expand(paths, scratch, [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal"))]))
        slots = [None] * len(items)
        to_read: list[tuple[int, Item]] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            sha = item.input.sha256
            if sha in seen:
                slots[index] = Outcome(item.input, "duplicate")
            elif store.known(sha):
                slots[index] = Outcome(item.input, "known")
            elif item.refusal:
                slots[index] = _refuse(store, item, item.refusal, *(item.detail or REFUSALS[item.refusal]), ingested_at=ingested_at)
            else:
                to_read.append((index, item))
            seen.add(sha)
        seconds["expand and hash"] = time.perf_counter() - started

        waited = storing = read_seconds = read_cpu = 0.0
        done = 0
        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_read)))
        mark = time.perf_counter()
        for (index, _), (item, result) in zip(to_read, read_all([item for _, item in to_read], spec, workers), strict=False):
            now_ = time.perf_counter()
            waited += now_ - mark
            read_seconds += result.get("seconds", 0.0)
            read_cpu += result.get("cpu", 0.0)
            slots[index] = _store(store, item, result, roster, spec, ingested_at)
            done += 1
            if progress:
                progress(done, len(to_read))
            mark = time.perf_counter()
            storing += mark - now_
        seconds["wait for the readers"] = waited
        seconds["store in SQLite"] = storing
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcomes = [o for o in slots if o is not None]
    seconds["total"] = time.perf_counter() - started
    return Summary(outcomes, seconds, read_seconds, read_cpu, workers if to_read else 0)


# -- expanding inputs -----------------------------------------------------------


def expand(paths: Iterable[str | Path], scratch: Path, skip: Iterable[Path] = ()) -> Iterator[Item]:
    """Every item in ``paths``: files of folders (sorted, symbolic links to
    folders not followed), attachments of e-mails and of each message of a
    mailbox; attachments are copied into ``scratch`` to be read.  Files in
    ``skip`` (the database itself) are passed over."""
    skipped = {p.resolve() for p in skip}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for folder, folders, files in os.walk(path):
                folders.sort()
                for name in sorted(files):
                    child = Path(folder) / name
                    if child.is_file() and child.resolve() not in skipped:
                        yield from _file(child, scratch)
        elif path.exists():
            if path.resolve() not in skipped:
                yield from _file(path, scratch)
        else:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))


def _file(path: Path, scratch: Path) -> Iterator[Item]:
    suffix = path.suffix.lower()
    head = _head(path)
    size = path.stat().st_size
    if suffix in WORKBOOK_SUFFIXES or (suffix not in MAIL_SUFFIXES | MAILBOX_SUFFIXES and head[:4] in (ZIP_MAGIC, OLE2_MAGIC[:4])):
        item = Input(_sha256_file(path), path.name, str(path), "file", size)
        if size > MAX_INPUT_BYTES:
            yield Item(item, path, "too-large", _too_large(size))
        else:
            yield Item(item, path)
    elif suffix in MAIL_SUFFIXES or (suffix not in MAILBOX_SUFFIXES and _looks_like_mail(head)):
        yield from _mail_file(path, scratch)
    elif suffix in MAILBOX_SUFFIXES or head.startswith(b"From "):
        yield from _mailbox(path, scratch)
    else:
        yield Item(Input(_sha256_file(path), path.name, str(path), "file", size), path, "unsupported-file")


def _mail_file(path: Path, scratch: Path) -> Iterator[Item]:
    data = path.read_bytes()
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception:  # the parser is lenient; anything it raises is a broken file
        yield Item(Input(_sha256(data), path.name, str(path), "eml", len(data)), path, "unreadable-mail")
        return
    yield from _message(message, data, path.name, str(path), "eml", scratch)


def _mailbox(path: Path, scratch: Path) -> Iterator[Item]:
    try:
        box = mailbox.mbox(path, factory=None, create=False)
        keys = box.keys()
    except Exception:
        data = path.read_bytes()
        yield Item(Input(_sha256(data), path.name, str(path), "mbox", len(data)), path, "unreadable-mail")
        return
    try:
        for n, key in enumerate(keys, 1):
            try:
                data = box.get_bytes(key)
                message = email.message_from_bytes(data, policy=email.policy.default)
            except Exception:
                data = b""
                yield Item(Input(_sha256(f"{path}\x1f{n}".encode()), f"{path.name}#{n}", str(path), "mbox", 0), None, "unreadable-mail")
                continue
            yield from _message(message, data, f"{path.name}#{n}", str(path), "mbox", scratch)
    finally:
        box.close()


def _message(message: Any, data: bytes, name: str, source: str, origin: str, scratch: Path) -> Iterator[Item]:
    """The attachments of one message (and of messages forwarded inside it)."""
    header = _header(message, "From")
    sender = parseaddr(header)[1] or header or None
    date = _date(_header(message, "Date"))
    subject = _header(message, "Subject") or None
    message_id = _header(message, "Message-ID") or None
    found = False
    for n, part in enumerate(_attachments(message), 1):
        found = True
        filename = _safe_name(part.get_filename() or f"{name}-附件{n}")
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:
            payload = b""
        info = Input(_sha256(payload), filename, source, origin, len(payload), sender, date, subject, message_id)
        if not _is_workbook(filename, part.get_content_type(), payload):
            yield Item(info, None, "attachment-not-workbook")
            continue
        if len(payload) > MAX_INPUT_BYTES:
            yield Item(info, None, "too-large", _too_large(len(payload)))
            continue
        # Under a name of our own: the sender chose the attachment's name.
        suffix = Path(filename).suffix.lower()
        target = scratch / f"{info.sha256}{suffix if suffix in WORKBOOK_SUFFIXES else _workbook_suffix(payload)}"
        target.write_bytes(payload)
        yield Item(info, target)
    if not found:
        info = Input(_sha256(data), name, source, origin, len(data), sender, date, subject, message_id)
        yield Item(info, None, "mail-without-workbook")


def _attachments(message: Any) -> Iterator[Any]:
    if not isinstance(message, EmailMessage):
        return
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            for inner in part.iter_parts():
                yield from _attachments(inner)
        elif part.is_multipart():
            yield from _attachments(part)
        else:
            yield part
    # A message that is nothing but an attachment has no multipart body.
    if not message.is_multipart() and message.get_filename():
        yield message


def _is_workbook(filename: str, content_type: str, payload: bytes) -> bool:
    suffix = Path(filename).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return True
    if suffix in ("", ".bin", ".dat") or content_type in ("application/octet-stream", "application/vnd.ms-excel") or "spreadsheet" in content_type:
        return (payload[:4] == ZIP_MAGIC and b"xl/" in payload[:65536]) or payload[:8] == OLE2_MAGIC
    return False


def _workbook_suffix(payload: bytes) -> str:
    return ".xls" if payload[:8] == OLE2_MAGIC else ".xlsx"


def _header(message: Any, name: str) -> str:
    try:
        value = message.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except Exception:  # a malformed header: treated as missing
        return ""


def _date(text: str) -> str | None:
    if not text:
        return None
    try:
        return iso(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _safe_name(name: str) -> str:
    """An attachment's file name without any folder part or control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "附件"


def _looks_like_mail(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].lower()
    return any(
        first.startswith(h)
        for h in (b"received:", b"return-path:", b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"mime-version:", b"delivered-to:", b"x-")
    )


def _head(path: Path) -> bytes:
    with path.open("rb") as source:
        return source.read(512)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


def _too_large(size: int) -> tuple[str, str]:
    limit = MAX_INPUT_BYTES >> 20
    return (f"文件过大（{size >> 20} MB，上限 {limit} MB）", f"the file is too large ({size >> 20} MB, limit {limit} MB)")


# -- reading, isolated -------------------------------------------------------


def _subject(result: Any, spec: Spec | None) -> list[str] | None:
    """What tells this return apart from the department's others of its form
    (a project's name): [JSON path, value], or None."""
    from xlsxform.spec.generate import BUILT_IN
    from xlsxform.spec.layout import load_spec

    found = spec if spec is not None and spec.form.id == result.form_id else load_spec(result.form_id) if result.form_id in BUILT_IN else None
    if found is None or found.form.subject is None:
        return None
    value: Any = result.form
    for part in found.form.subject.split("."):
        value = getattr(value, part, "")
    return [f"$.{found.form.subject}", str(value or "")]


def read_one(path: str, spec: Spec | None = None) -> dict[str, Any]:
    """Read and check one workbook; never raises.

    Returns plain data for the parent process: the form as JSON, each problem
    with its messages, and the identity stored in the file; or the refusal
    code and reason.
    """
    from xlsxform.errors import NotThisFormError, XlsxformError
    from xlsxform.reading.reader import read

    try:
        result = read(path, spec=spec)
        problems = [
            {
                "severity": str(p.severity),
                "code": p.code,
                "cell": p.cell,
                "field": p.field,
                "value": None if p.value is None else str(p.value),
                "params": json.loads(json.dumps(p.params, ensure_ascii=False, default=str)),
                "message": p.message("zh"),
                "message_en": p.message("en"),
            }
            for p in result.problems
        ]
        return {
            "ok": True,
            "form": result.form.model_dump_json(),
            "department": result.form.department,
            "year": result.form.year,
            "problems": problems,
            "identity": result.identity,
            "template": result.form_id,
            "subject": _subject(result, spec),
        }
    except XlsxformError as exc:
        code = "not-this-form" if isinstance(exc, NotThisFormError) else "unreadable"
        return {"ok": False, "refusal": code, "kind": type(exc).__name__, "reason": exc.zh, "reason_en": exc.en}
    except Exception as exc:
        return _crashed(exc)


_worker_spec: Spec | None = None


def _init_worker(spec: Spec | None) -> None:
    global _worker_spec
    _worker_spec = spec
    # What the worker inherited from its parent stays out of the cyclic
    # collector: scanning it would cost time and copy every page it touches.
    gc.freeze()


def _read_in_worker(path: str) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = read_one(path, _worker_spec)
    except Exception as exc:
        result = _crashed(exc)
    return result | {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _pool(workers: int, spec: Spec | None) -> ProcessPoolExecutor:
    """Worker processes; forked on Linux, so they start in milliseconds with
    everything the parent imported (and the spec it loaded) already there."""
    import multiprocessing

    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,))


def read_all(items: list[Item], spec: Spec | None, workers: int) -> Iterator[tuple[Item, dict[str, Any]]]:
    """Each item with its reading, in input order.

    A worker that dies (a crash in a C extension, the kernel's OOM killer)
    breaks the pool; the files it left unread are then read again one at a
    time, each in a fresh process, and the one that kills its process again
    is refused as 'crashed'.
    """
    if not items:
        return
    import xlsxform.reading.reader  # noqa: F401 - imported once here, inherited by forked workers

    results: list[dict[str, Any] | None] = [None] * len(items)
    retry: list[int] = []
    with _pool(workers, spec) as pool:
        # The workers are forked at the first submit, with the parent's heap
        # frozen (see _init_worker); the parent's collector resumes after.
        gc.freeze()
        try:
            futures: list[Future[dict[str, Any]]] = [pool.submit(_read_in_worker, str(item.path)) for item in items]
        finally:
            gc.unfreeze()
        try:
            for index, future in enumerate(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    retry.append(index)
                    continue
                except Exception as exc:
                    result = _crashed(exc)
                if retry:  # keep input order: wait until the retried files are read
                    results[index] = result
                else:
                    yield items[index], result
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    if not retry:
        return
    for index in retry:
        with _pool(1, spec) as pool:
            try:
                results[index] = pool.submit(_read_in_worker, str(items[index].path)).result()
            except BrokenProcessPool:
                zh, en = REFUSALS["crashed"]
                results[index] = {
                    "ok": False,
                    "refusal": "crashed",
                    "kind": "BrokenProcessPool",
                    "reason": f"{zh}（读取进程意外退出）",
                    "reason_en": f"{en} (the reading process died)",
                }
            except Exception as exc:
                results[index] = _crashed(exc)
    for index in range(retry[0], len(items)):
        done = results[index]
        assert done is not None
        yield items[index], done


def _crashed(exc: BaseException) -> dict[str, Any]:
    zh, en = REFUSALS["crashed"]
    return {
        "ok": False,
        "refusal": "crashed",
        "kind": type(exc).__name__,
        "reason": f"{zh}（{type(exc).__name__}）",
        "reason_en": f"{en} ({type(exc).__name__}: {exc})"[:500],
    }


# -- storing -------------------------------------------------------------------


def _content(item: Item) -> bytes | None:
    if item.path is None or item.input.size > MAX_CONTENT_BYTES:
        return None
    try:
        return item.path.read_bytes()
    except OSError:
        return None


def _refuse(store: Store, item: Item, code: str, zh: str, en: str, *, ingested_at: str) -> Outcome:
    store.refuse(item.input, code, zh, en, _content(item), ingested_at)
    return Outcome(item.input, "refused", refusal=code, reason=zh, reason_en=en)


def _store(store: Store, item: Item, result: dict[str, Any], roster: Roster | None, spec: Spec | None, ingested_at: str) -> Outcome:
    if not result["ok"]:
        return _refuse(store, item, result["refusal"], result["reason"], result["reason_en"], ingested_at=ingested_at)
    ident: dict[str, str] = result["identity"]
    name = ident.get("department") or result["department"] or ""
    entry = roster.find(name) if roster else None
    if entry is None and roster and ident.get("department") and result["department"]:
        entry = roster.find(result["department"])
    department = entry.name if entry else name
    problems = [StoredProblem(**p) for p in result["problems"]]
    year = result["year"]
    if year is None and ident.get("year", "").isdigit():
        year = int(ident["year"])
    added = store.add_form(
        item.input,
        department=department,
        department_key=department_key(department),
        code=(entry.code if entry and entry.code else ident.get("department_code")) or None,
        year=year,
        form_id=ident.get("form_id"),
        template_id=result.get("template") or ident.get("template_id") or DEFAULT_SPEC,
        template_version=ident.get("template_version") or (spec.form.version if spec else None),
        data=result["form"],
        subject=tuple(result["subject"]) if result.get("subject") else None,
        problems=problems,
        received_at=item.input.date or ingested_at,
        ingested_at=ingested_at,
        content=_content(item),
    )
    if added is None:
        return Outcome(item.input, "known", department=department)
    errors = sum(p.severity == "error" for p in problems)
    return Outcome(item.input, "stored", department=department, errors=errors, warnings=len(problems) - errors, form=added[0], superseded=added[1])


# -- on a terminal -------------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal's stderr; silent anywhere else."""

    def __init__(self, label: str, stream: IO[str] | None = None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label, self.width = label, width
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {100 * done // total:3d}%")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(rows: list[list[str]], right: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """Rows as aligned columns, wide (Chinese) characters counted twice."""
    widths = [max(display_width(row[c]) for row in rows if c < len(row)) for c in range(max(map(len, rows)))]
    lines = []
    for row in rows:
        cells = []
        for c, text in enumerate(row):
            pad = " " * (widths[c] - display_width(text))
            cells.append(pad + text if c in right else text + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
