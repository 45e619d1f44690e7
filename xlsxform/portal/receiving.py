"""Taking returns in through ``ingest``: a department's submit is a receipt
with origin ``web``, what the bureau uploads keeps the origin of what it is
(file, eml, mbox...); each return is stored under the form ``ingest``
recognises, one per sheet of a workbook that holds several projects.  Held
returns and accepting one are ``store.pending`` and ``xlsxform accept``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from xlsxform.collection.ingest import Summary, ingest
from xlsxform.collection.records import FIRST_FORM
from xlsxform.collection.roster import Roster
from xlsxform.collection.store import Store

_write_lock = threading.Lock()
"""One writer at a time into the store: ingest forks its readers, and
SQLite has one writer anyway."""


@dataclass(frozen=True)
class Submitted:
    status: str
    """The receipt's outcome: 'stored', 'duplicate' (this content was received before), 'held' or 'refused'."""
    receipt: int | None
    form: int | None
    errors: int
    warnings: int
    reason: str = ""
    receipts: int = 1
    """Receipts made: one per sheet of a workbook of several forms."""


def submit(path: Path, db: Path, roster: Roster | None) -> Submitted:
    """A department's checked workbook into the store through ``ingest``: a
    receipt with origin ``web`` (one per sheet of a workbook of several forms)."""
    summary = intake([path], db, roster, origin="web")
    outcomes = [o for o in summary.outcomes if o.status != "opened"] or summary.outcomes
    worst = next((o for status in ("refused", "held", "stored", "duplicate") for o in outcomes if o.status == status), outcomes[0])
    return Submitted(worst.status, worst.id, worst.form, sum(o.errors for o in outcomes), sum(o.warnings for o in outcomes), worst.reason, len(outcomes))


def intake(paths: list[Path], db: Path, roster: Roster | None, origin: str = "file") -> Summary:
    """Workbooks, e-mails, mailboxes and archives into the store: ``xlsxform ingest``."""
    with _write_lock, Store(db) as store:
        return ingest(paths, store, roster=roster, jobs=1 if len(paths) < 4 else None, origin=origin)


@dataclass(frozen=True)
class Held:
    """A return kept aside until the bureau accepts it (a receipt with outcome 'held')."""

    receipt: int
    department: str
    department_key: str
    file_name: str
    sender: str
    sent_at: str
    form: str = FIRST_FORM
    """The form it was recognised as."""


def held(db: Path, year: int | None = None, key: str | None = None) -> list[Held]:
    """Held returns awaiting the bureau (of one department if ``key``): ``store.pending``."""
    with Store(db) as store:
        pending = store.pending(year)
    return [
        Held(r.id, r.department or "", r.department_key or "", r.name, r.sender or "", r.sent_at, r.template_id or FIRST_FORM)
        for r in pending
        if key is None or r.department_key == key
    ]


def accept(db: Path, receipt: int) -> str:
    """Make a held (or any) return its department's current one: ``xlsxform accept RECEIPT``;
    returns the department's name."""
    with _write_lock, Store(db) as store:
        return store.accept(receipt).department or ""
