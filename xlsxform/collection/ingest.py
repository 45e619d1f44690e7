"""Taking in what departments send back: workbooks, e-mails (.eml, Outlook
.msg), mailboxes, archives and folders of them, into the collection
database, so that no return is ever lost and the right one is current.

1. *Expand* (:mod:`xlsxform.collection.receipts`): every file found, every
   e-mail, every attachment, every member of a .zip becomes a receipt, in a
   stable order.  A receipt already recorded by an earlier run is passed
   over, so taking in a growing inbox again records only what is new.
2. *Read* (:mod:`xlsxform.collection.readers`): contents new to the database are read and checked in a pool of
   processes, one per core, a bounded number at a time.  The read of one
   content is isolated: whatever it raises, or even a worker that dies,
   becomes a refusal of that content and the batch goes on.
3. *Record*: each receipt is written in its own transaction, in input order,
   with its content's bytes and the form read from it: ``stored``,
   ``duplicate``, ``refused`` (with the reason), ``held`` or ``opened``
   (see :mod:`xlsxform.collection.store`, which also states which return
   is current).

Nothing is lost: each receipt ends as a stored form or a recorded reason.
Only the database itself failing (read-only, full disk, locked) stops the
batch, with one line naming it; the rerun completes the batch.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from xlsxform.collection.outbox import MANIFEST
from xlsxform.collection.readers import crashed, read_all
from xlsxform.collection.receipts import Expander, Node, reason
from xlsxform.collection.records import FormData, NewReceipt, Recorded, StoredProblem, now
from xlsxform.collection.roster import Roster, department_key
from xlsxform.collection.store import Store
from xlsxform.safety.gate import Limits
from xlsxform.spec.layout import Spec
from xlsxform.spec.loading import DEFAULT_SPEC

OWN_FILES = ("own-file", "issued-blank")
"""Refusals of files xlsxform wrote itself: no sender is waiting for them."""


@dataclass
class Outcome:
    """What became of one receipt."""

    receipt: NewReceipt
    status: str
    """'stored', 'duplicate', 'refused', 'held', 'opened', or 'known' (recorded by an earlier run)."""
    id: int | None = None
    department: str = ""
    errors: int = 0
    warnings: int = 0
    refusal: str = ""
    reason: str = ""
    reason_en: str = ""
    form: int | None = None

    @property
    def name(self) -> str:
        return self.receipt.name


@dataclass(frozen=True)
class Conflict:
    """Two or more different returns of one department taken in in one batch."""

    department: str
    year: int | None
    returns: list[tuple[int, str, str]]
    """(receipt, name, sent at) of each, oldest first."""
    kept: int | None
    """The receipt now current (None when all are held)."""
    why: str
    """'latest' (sent last), 'latest-not-held' (sent last but for returns held for the officer),
    'taken-later' (sent at the same time, taken in later), 'accepted' (chosen by the officer),
    'earlier' (a return of an earlier batch was sent later) or 'held' (all are held)."""
    distinct: int = 0
    """How many different contents the returns are."""


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
    conflicts: list[Conflict] = field(default_factory=list)
    batch: str = ""

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def stored(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "stored"]

    @property
    def refused(self) -> list[Outcome]:
        """Receipts refused, xlsxform's own files (see ``own``) apart."""
        return [o for o in self.outcomes if o.status == "refused" and o.refusal not in OWN_FILES]

    @property
    def own(self) -> list[Outcome]:
        """Files xlsxform wrote itself met in the inbox (reports, marked copies, issued blanks): recorded, not returns."""
        return [o for o in self.outcomes if o.status == "refused" and o.refusal in OWN_FILES]

    @property
    def held(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "held"]


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    *,
    roster: Roster | None = None,
    spec: Spec | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
    origin: str = "file",
) -> Summary:
    """Take everything in ``paths`` into ``store``; see the module's doc.

    Without ``spec`` each workbook's form is recognised (identity, else
    labels) and the return is stored under it.

    ``origin`` is what the files given are recorded as coming from: 'file',
    or 'web' for what was uploaded to the portal (e-mails in them stay 'eml')."""
    limits = limits or Limits()
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    taken_in = now()
    scratch = Path(tempfile.mkdtemp(prefix="xlsxform-ingest-"))
    collecting = gc.isenabled()
    gc.enable()  # a long batch makes cycles (the e-mail parser's); the command itself runs with the collector off
    outcomes: list[Outcome] = []
    to_read: list[int] = []
    workers = 0
    read_seconds = read_cpu = 0.0
    reads: Generator[dict[str, Any], None, None] | None = None
    try:
        database = store.path
        skip = [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal"))]
        nodes = list(Expander(scratch, taken_in, limits, skip, origin).expand(paths))
        _remember_outboxes(store, nodes)
        seen: set[str] = set()
        for index, node in enumerate(nodes):
            sha = node.receipt.sha256
            if not node.read or sha is None or sha in seen:
                continue
            seen.add(sha)
            known = store.content_of(sha)
            if store.known_receipt(node.receipt.key) or (known is not None and known.status != "opened"):
                continue  # a workbook opened before (one of several forms) is read again for its sheets' receipts
            own = store.own_file(sha)
            if own:
                node.refusal = reason("issued-blank" if own == "issued" else "own-file")
                node.kept, node.path = node.path, None
                continue
            to_read.append(index)
        seen.clear()
        seconds["expand and hash"] = time.perf_counter() - started

        waited = storing = 0.0
        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_read))) if to_read else 0
        reads = read_all([str(nodes[i].path) for i in to_read], spec, workers)
        pending = deque(to_read)
        # The readings of workbooks of several forms, by content, for their copies later in this batch.
        several: dict[str, list[dict[str, Any]]] = {}
        holds = _holds(roster)
        mark = time.perf_counter()
        for index, node in enumerate(nodes):
            result: dict[str, Any] | None = None
            if pending and pending[0] == index:
                pending.popleft()
                result = next(reads)
                now_ = time.perf_counter()
                waited += now_ - mark
                mark = now_
                read_seconds += result.pop("seconds", 0.0)
                read_cpu += result.pop("cpu", 0.0)
            sha = node.receipt.sha256
            if result is not None and "sheets" in result and sha is not None:
                several[sha] = result["sheets"]  # small: the forms' data, for a copy later in the batch
            if result is None and sha in several:
                result = {"ok": True, "sheets": several[sha]}
            if result is not None and "sheets" in result:
                outcomes += _record_sheets(store, node, result["sheets"], roster, spec, taken_in, holds)
            else:
                outcomes.append(_record(store, node, result, roster, spec, taken_in, holds))
            nodes[index] = _DONE  # the parent keeps no content, form nor result it has recorded
            if progress:
                progress(index + 1, len(nodes))
            now_ = time.perf_counter()
            storing += now_ - mark
            mark = now_
        seconds["wait for the readers"] = waited
        seconds["store in SQLite"] = storing
    finally:
        if reads is not None:
            reads.close()  # the pool's workers end here, not whenever the generator is collected
        if not collecting:
            gc.disable()
        shutil.rmtree(scratch, ignore_errors=True)
    conflicts = _conflicts(store, outcomes)
    seconds["total"] = time.perf_counter() - started
    return Summary(outcomes, seconds, read_seconds, read_cpu, workers, conflicts, taken_in)


def _remember_outboxes(store: Store, nodes: list[Node]) -> None:
    """An outbox met in the inbox (its 发放清单.csv): the workbooks it lists,
    by content, are xlsxform's own, now and in every later batch; the
    manifest itself is not a return either."""
    for node in nodes:
        if node.receipt.kind != "file" or node.receipt.name != MANIFEST or node.container:
            continue
        data = _content(node)
        digests = re.findall(rb"\b[0-9a-f]{64}\b", data or b"")
        if not digests:
            continue
        for digest in digests:
            store.add_own_file(digest.decode(), "issued", node.receipt.source)
        node.refusal = reason("own-file")


_DONE = Node(NewReceipt("", "file", "", "file", "", ""))


def _holds(roster: Roster | None) -> Callable[[str | None], Callable[[str], bool] | None]:
    """For a sender, the rule that holds a department's return: with a roster
    that has the department's address, one from any other address is held."""

    def for_sender(sender: str | None) -> Callable[[str], bool] | None:
        if roster is None or not sender:
            return None
        address = sender.strip().lower()

        def held(department: str) -> bool:
            entry = roster.find(department)
            return entry is not None and bool(entry.email) and entry.email.strip().lower() != address

        return held

    return for_sender


def _record(
    store: Store,
    node: Node,
    result: dict[str, Any] | None,
    roster: Roster | None,
    spec: Spec | None,
    taken_in: str,
    holds: Callable[[str | None], Callable[[str], bool] | None],
) -> Outcome:
    """Record one receipt; anything unexpected becomes its refusal, except the database failing."""
    receipt = node.receipt
    try:
        if node.container:
            done = store.record(receipt, batch=taken_in, container=True, content=_content(node))
        elif node.refusal is not None:
            done = store.record(receipt, batch=taken_in, refusal=node.refusal, content=_content(node))
        elif result is not None and not result["ok"]:
            done = store.record(receipt, batch=taken_in, refusal=(result["refusal"], result["reason"], result["reason_en"]), content=_content(node))
        else:
            form = _form_data(result, roster, spec) if result is not None else None
            done = store.record(receipt, batch=taken_in, form=form, content=_content(node) if form else None, held=holds(receipt.sender))
    except Exception as exc:
        from xlsxform.errors import StoreError

        if isinstance(exc, StoreError):
            raise
        failure = crashed(exc)
        done = store.record(receipt, batch=taken_in, refusal=(failure["refusal"], failure["reason"], failure["reason_en"]))
    return _outcome(receipt, done, store)


def _record_sheets(
    store: Store,
    node: Node,
    sheets: list[dict[str, Any]],
    roster: Roster | None,
    spec: Spec | None,
    taken_in: str,
    holds: Callable[[str | None], Callable[[str], bool] | None],
) -> list[Outcome]:
    """A workbook of several forms: the file opened (its bytes kept), and a
    receipt of its own for each sheet's form, kept with the same bytes so
    that each can be marked and sent back."""
    receipt = node.receipt
    content = _content(node)
    outcomes = [_outcome(receipt, store.record(receipt, batch=taken_in, container=True, content=content), store)]
    for sheet in sheets:
        name = sheet["sheet"]
        part = dataclasses.replace(
            receipt,
            key=f"{receipt.key}#{name}",
            kind="sheet",
            name=f"{receipt.name}#{name}",
            sha256=hashlib.sha256(f"{receipt.sha256}#{name}".encode()).hexdigest(),
            parent_key=receipt.key,
        )
        outcomes.append(_record(store, Node(part, content=content), sheet, roster, spec, taken_in, holds))
    return outcomes


def _outcome(receipt: NewReceipt, done: Recorded, store: Store) -> Outcome:
    status = done.outcome if done.new else "known"
    out = Outcome(receipt, status, done.id, done.department or "", done.errors, done.warnings, form=done.form)
    if done.outcome == "refused":
        recorded = store.receipt(done.id)
        if recorded is not None:
            out.refusal, out.reason, out.reason_en = recorded.refusal or "", recorded.reason or "", recorded.reason_en or ""
    return out


def _content(node: Node) -> bytes | None:
    """The bytes to keep of a receipt: read only now, from its scratch copy, so that the batch never holds them all."""
    where = node.path or node.kept
    if where is None:
        return node.content
    try:
        if where.stat().st_size > Limits().max_file_size:
            return None
        return where.read_bytes()
    except OSError:
        return None


def _form_data(result: dict[str, Any], roster: Roster | None, spec: Spec | None) -> FormData:
    ident: dict[str, str] = result["identity"]
    name = ident.get("department") or result["department"] or ""
    entry = roster.find(name) if roster else None
    if entry is None and roster and ident.get("department") and result["department"]:
        entry = roster.find(result["department"])
    department = entry.name if entry else name
    year = result["year"]
    if year is None and ident.get("year", "").isdigit():
        year = int(ident["year"])
    return FormData(
        department=department,
        department_key=department_key(department),
        code=(entry.code if entry and entry.code else ident.get("department_code")) or None,
        year=year,
        form_id=ident.get("form_id"),
        template_id=result.get("template") or ident.get("template_id") or (spec.form.id if spec else DEFAULT_SPEC),
        template_version=ident.get("template_version") or (spec.form.version if spec else None),
        data=result["form"],
        problems=[StoredProblem(**p) for p in result["problems"]],
        scope=result.get("scope") or "",
    )


def _conflicts(store: Store, outcomes: list[Outcome]) -> list[Conflict]:
    """Departments that sent two or more different returns in this batch: which is kept, and why."""
    groups: dict[tuple[str, int | None, str | None, str], list[Outcome]] = {}
    for o in outcomes:
        if o.status in ("stored", "duplicate", "held") and o.form is not None and o.id is not None:
            recorded = store.receipt(o.id)
            if recorded is not None:
                groups.setdefault((recorded.department_key or "", recorded.year, recorded.template_id, store.scope_of(recorded.form)), []).append(o)
    conflicts = []
    for (key, year, template, scope), members in groups.items():
        if len({o.form for o in members}) < 2:
            continue
        receipts = [r for r in (store.receipt(o.id) for o in members if o.id is not None) if r is not None]
        receipts.sort(key=lambda r: (r.sent_at, r.id))
        kept = store.current_receipt(key, year, template, scope)
        chosen = next((r for r in receipts if r.id == kept), None)
        if chosen is None:
            why = "held" if kept is None else "earlier"
        elif chosen.accepted_at:
            why = "accepted"
        elif any(r.outcome == "held" and (r.sent_at, r.id) > (chosen.sent_at, chosen.id) for r in receipts):
            why = "latest-not-held"
        elif sum(r.sent_at == chosen.sent_at for r in receipts) > 1:
            why = "taken-later"
        else:
            why = "latest"
        returns = [(r.id, r.name, r.sent_at) for r in receipts]
        conflicts.append(Conflict(receipts[0].department or key, year, returns, kept, why, len({r.form for r in receipts})))
    return conflicts


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
