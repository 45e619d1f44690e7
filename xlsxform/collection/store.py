"""The collection's database: every receipt, every content received, every
form read from one, every problem found, in one SQLite file (the embedded
default: no server).

Tables:

- ``receipts``: one row per thing received: each file found in the inbox,
  each e-mail (sender, date, subject, Message-ID), each attachment, each
  member of an archive; with its outcome: ``stored`` (its content was read
  as a form for the first time), ``duplicate`` (that content was already
  stored), ``refused`` (with a code and the reason), ``held`` (a return by
  e-mail from an address that is not the department's, awaiting the
  officer) or ``opened`` (an e-mail or archive whose parts are receipts of
  their own).  ``key`` names a receipt so that taking in the same inbox
  again records nothing twice.
- ``inputs``: one row per distinct content (by sha256): the first receipt
  that brought it, and whether the content is a form (``stored``), was
  ``refused``, or is an e-mail or archive that was ``opened``;
- ``contents``: the bytes of each content received, refused ones and whole
  e-mails and archives too (up to the gate's size limit), once per content;
- ``forms``: one row per stored form: the department, year, form id and
  template it names, its data as JSON, its counts of errors and warnings;
  ``current`` marks the department's current return, ``superseded_by`` the
  current form that replaced it;
- ``problems``: every problem of every form, located on its cell;
- ``accepts``: each time the officer chose a return (``xlsxform accept``);
- ``own_files``: files xlsxform wrote itself (status reports, marked
  copies), so that they are never taken in as returns.

Which return is current, for a department, form (template) and year: among
its receipts that carry a form and are not held, the one sent last; the
time a receipt was sent is the e-mail's Date, never later than when it was
taken in (a missing or future Date counts as the time it was taken in), and
for a file without a sender its modification time; ties go to the receipt
taken in later.  A return the officer accepts counts as sent at the moment
of the accept.

Each receipt is written in one transaction with its content and form, so a
crash (even kill -9) leaves whole receipts or none; the rerun records what
is missing and nothing twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from xlsxform.collection.database import Database, guarded
from xlsxform.collection.records import (
    FormData,
    FormRecord,
    KnownContent,
    NewReceipt,
    Receipt,
    Recorded,
    Refusal,
    StoredProblem,
    now,
)
from xlsxform.errors import StoreError

_BATCH = 500
"""Ids asked for in one query (well inside SQLite's limit on parameters)."""


class Store(Database):
    """An open collection database; create it with ``Store(path)`` (see
    :class:`~xlsxform.collection.database.Database` for what opening it refuses)."""

    # -- writing ------------------------------------------------------------

    @guarded
    def known_receipt(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM receipts WHERE key = ?", (key,)).fetchone() is not None

    @guarded
    def content_of(self, sha256: str) -> KnownContent | None:
        """What the database knows of a content: a form and its department, or a refusal."""
        row = self.db.execute(
            "SELECT i.status, f.id, f.department, f.department_key, i.refusal, i.reason, i.reason_en FROM inputs i LEFT JOIN forms f USING (sha256) WHERE i.sha256 = ?",
            (sha256,),
        ).fetchone()
        return KnownContent(*row) if row else None

    @guarded
    def own_file(self, sha256: str) -> str | None:
        """The kind of file xlsxform wrote with these bytes ('report', 'marked'), or None."""
        row = self.db.execute("SELECT kind FROM own_files WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    @guarded
    def add_own_file(self, sha256: str, kind: str, path: str | Path) -> None:
        """Remember a file xlsxform wrote, so that ingest never takes it in as a return."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO own_files VALUES (?, ?, ?, ?)", (sha256, kind, str(path), now()))

    @guarded
    def record(
        self,
        receipt: NewReceipt,
        *,
        batch: str,
        refusal: tuple[str, str, str] | None = None,
        form: FormData | None = None,
        content: bytes | None = None,
        held: Callable[[str], bool] | None = None,
        container: bool = False,
    ) -> Recorded:
        """Record one receipt in one transaction, with its content and the
        form read from it; settle which return of its department is current.

        ``refusal`` is (code, zh, en) for a receipt refused; ``form`` the form
        read from a content new to the database; ``held(department)`` says
        whether a return of that department by this sender is held;
        ``container`` marks an e-mail or archive whose parts are receipts of
        their own.  A receipt already recorded (by key) is left as it was.
        """
        with self.transaction() as db:
            row = db.execute("SELECT id, outcome, form, department FROM receipts WHERE key = ?", (receipt.key,)).fetchone()
            if row is not None:
                return Recorded(row[0], row[1], False, row[2], row[3])
            parent = None
            if receipt.parent_key is not None:
                found = db.execute("SELECT id FROM receipts WHERE key = ?", (receipt.parent_key,)).fetchone()
                parent = found[0] if found else None
            sha = receipt.sha256
            outcome, code, zh, en = "opened", None, None, None
            form_id: int | None = None
            department = department_key = template = None
            year: int | None = None
            errors = warnings = 0
            if container:
                if sha is not None and content is not None and self.content_of(sha) is None:
                    self._input(db, receipt, batch, "opened", None, None, None)
                    db.execute("INSERT INTO contents VALUES (?, ?)", (sha, content))
            elif refusal is not None:
                outcome, (code, zh, en) = "refused", refusal
                if sha is not None:
                    known = self.content_of(sha)
                    if known is None:
                        self._input(db, receipt, batch, "refused", code, zh, en)
                        if content is not None:
                            db.execute("INSERT INTO contents VALUES (?, ?)", (sha, content))
            else:
                assert sha is not None, "a receipt that is read has a content"
                known = self.content_of(sha)
                if known is not None and known.status == "refused":
                    outcome, code, zh, en = "refused", known.refusal, known.reason, known.reason_en
                elif known is not None and known.form is None:  # the same bytes were opened as an archive or e-mail before
                    outcome, code = "refused", "unsupported-file"
                    zh, en = "不是工作簿、邮件或邮箱文件", "not a workbook, an e-mail or a mailbox"
                else:
                    outcome = "duplicate"
                    if known is None:
                        if form is None:
                            raise ValueError("a new content needs its form or its refusal")
                        self._input(db, receipt, batch, "stored", None, None, None)
                        if content is not None:
                            db.execute("INSERT INTO contents VALUES (?, ?)", (sha, content))
                        form_id = self._add_form(db, sha, form, receipt.sent_at)
                        outcome = "stored"
                    else:
                        form_id = known.form
                    stored = db.execute(
                        "SELECT department, department_key, year, template_id, errors, warnings, scope FROM forms WHERE id = ?", (form_id,)
                    ).fetchone()
                    department, department_key, year, template, errors, warnings, scope = stored
                    if held is not None and held(department):
                        outcome = "held"
            cursor = db.execute(
                "INSERT INTO receipts (key, parent, batch, kind, name, origin, source, sender, date, subject, message_id, sent_at, sha256, size,"
                " department, department_key, year, template_id, form, outcome, refusal, reason, reason_en)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    receipt.key,
                    parent,
                    batch,
                    receipt.kind,
                    receipt.name,
                    receipt.origin,
                    receipt.source,
                    receipt.sender,
                    receipt.date,
                    receipt.subject,
                    receipt.message_id,
                    receipt.sent_at,
                    sha,
                    receipt.size,
                    department,
                    department_key,
                    year,
                    template,
                    form_id,
                    outcome,
                    code,
                    zh,
                    en,
                ),
            )
            new = cursor.lastrowid
            assert new is not None
            if form_id is not None:
                self._settle(db, department_key, year, template, scope)
        return Recorded(new, outcome, True, form_id, department, errors, warnings)

    def _add_form(self, db: sqlite3.Connection, sha: str, form: FormData, received_at: str) -> int:
        errors = sum(p.severity == "error" for p in form.problems)
        cursor = db.execute(
            "INSERT INTO forms (sha256, department, department_key, code, year, form_id, template_id, template_version,"
            " data, errors, warnings, received_at, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha,
                form.department,
                form.department_key,
                form.code,
                form.year,
                form.form_id,
                form.template_id,
                form.template_version,
                form.data,
                errors,
                len(form.problems) - errors,
                received_at,
                form.scope,
            ),
        )
        new = cursor.lastrowid
        assert new is not None
        db.executemany(
            "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (new, n, p.severity, p.code, p.cell, p.field, p.value, json.dumps(p.params, ensure_ascii=False, default=str), p.message, p.message_en)
                for n, p in enumerate(form.problems, 1)
            ],
        )
        return new

    _CANDIDATES = (
        "SELECT r.id, r.form, r.sent_at, r.outcome, (SELECT max(a.at) FROM accepts a WHERE a.receipt = r.id)"
        " FROM receipts r JOIN forms f ON f.id = r.form WHERE r.department_key = ? AND r.year IS ? AND r.template_id IS ? AND f.scope = ?"
    )

    @staticmethod
    def rank(sent_at: str, accepted_at: str | None, receipt: int) -> tuple[str, int]:
        """Which receipt is current: the greatest rank (see the module's doc)."""
        return (max(sent_at, accepted_at or ""), receipt)

    def _settle(self, db: sqlite3.Connection, key: str | None, year: int | None, template: str | None, scope: str) -> int | None:
        """Mark the current return of one department, form, year and scope
        (a project, for forms sent one per project); returns its receipt."""
        best: tuple[tuple[str, int], int, int] | None = None
        for receipt, form, sent_at, outcome, accepted in db.execute(self._CANDIDATES, (key, year, template, scope)).fetchall():
            if outcome not in ("stored", "duplicate") and accepted is None:
                continue
            rank = self.rank(sent_at, accepted, receipt)
            if best is None or rank > best[0]:
                best = (rank, receipt, form)
        if best is None:
            db.execute(
                "UPDATE forms SET current = 0, superseded_by = NULL WHERE department_key = ? AND year IS ? AND template_id IS ? AND scope = ?",
                (key, year, template, scope),
            )
            return None
        _, receipt, form = best
        db.execute(
            "UPDATE forms SET current = 0, superseded_by = ? WHERE department_key = ? AND year IS ? AND template_id IS ? AND scope = ? AND id != ?",
            (form, key, year, template, scope, form),
        )
        db.execute("UPDATE forms SET current = 1, superseded_by = NULL, receipt = ? WHERE id = ?", (receipt, form))
        return receipt

    @guarded
    def accept(self, receipt: int) -> Receipt:
        """The officer's choice: make this receipt's return current (a held one
        included); recorded with its time.  Raises StoreError for a receipt
        that does not exist or carries no form."""
        with self.transaction() as db:
            found = self.receipt(receipt)
            if found is None:
                raise StoreError(f"没有编号为 {receipt} 的收件记录", f"no receipt number {receipt}", path=self.path, code="no-such-receipt")
            if found.form is None:
                raise StoreError(
                    f"收件 {receipt}（{found.name}）不是一份表格，不能采用",
                    f"receipt {receipt} ({found.name}) carries no form",
                    path=self.path,
                    code="not-a-form",
                )
            db.execute("INSERT INTO accepts (receipt, at) VALUES (?, ?)", (receipt, max(now(), found.sent_at)))
            (scope,) = db.execute("SELECT scope FROM forms WHERE id = ?", (found.form,)).fetchone()
            self._settle(db, found.department_key, found.year, found.template_id, scope)
        accepted = self.receipt(receipt)
        assert accepted is not None
        return accepted

    def _input(
        self, db: sqlite3.Connection, item: NewReceipt, ingested_at: str, status: str, code: str | None, reason: str | None, reason_en: str | None
    ) -> None:
        db.execute(
            "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.sha256,
                item.name,
                item.source,
                item.origin,
                item.size,
                item.sender,
                item.date,
                item.subject,
                item.message_id,
                ingested_at,
                status,
                code,
                reason,
                reason_en,
            ),
        )

    # -- reading ------------------------------------------------------------

    _FORM = (
        "SELECT f.id, f.sha256, f.department, f.department_key, f.code, f.year, f.form_id, f.template_id, f.template_version,"
        " f.data, f.errors, f.warnings, f.superseded_by, coalesce(r.sent_at, f.received_at), f.current, f.receipt,"
        " coalesce(r.name, i.file_name), coalesce(r.source, i.source), f.scope"
        " FROM forms f JOIN inputs i USING (sha256) LEFT JOIN receipts r ON r.id = f.receipt"
    )

    @guarded
    def forms(self, *, current: bool = True, year: int | None = None) -> list[FormRecord]:
        """Stored forms in order of ingestion: only the current return of each
        department unless ``current`` is False; only one year if given."""
        where, args = [], []
        if current:
            where.append("f.current = 1")
        if year is not None:
            where.append("f.year = ?")
            args.append(year)
        sql = self._FORM + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY f.id"
        return [self._record(row) for row in self.db.execute(sql, args)]

    @guarded
    def form(self, form: int) -> FormRecord | None:
        row = self.db.execute(self._FORM + " WHERE f.id = ?", (form,)).fetchone()
        return self._record(row) if row else None

    @guarded
    def history(self, department_key: str) -> list[FormRecord]:
        """Every return of one department, oldest first."""
        rows = self.db.execute(self._FORM + " WHERE f.department_key = ? ORDER BY f.received_at, f.id", (department_key,))
        return [self._record(row) for row in rows]

    def problems(self, form: int) -> list[StoredProblem]:
        """A form's problems, in the order found."""
        return self.problems_of([form])[form]

    @guarded
    def problems_of(self, forms: Iterable[int]) -> dict[int, list[StoredProblem]]:
        """The problems of each of the forms, in the order found (an empty list for a form with none)."""
        found: dict[int, list[StoredProblem]] = {form: [] for form in forms}
        wanted = list(found)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            rows = self.db.execute(
                "SELECT form, severity, code, cell, field, value, params, message, message_en FROM problems"
                f" WHERE form IN ({', '.join('?' * len(batch))}) ORDER BY form, seq",
                batch,
            )
            for form, s, c, cell, f, v, params, m, m_en in rows:
                found[form].append(StoredProblem(s, c, cell, f, v, json.loads(params), m, m_en))
        return found

    @guarded
    def accepted_times(self) -> dict[int, str]:
        """When the officer last accepted each receipt they accepted (as :attr:`Receipt.accepted_at`)."""
        return {receipt: at for receipt, at in self.db.execute("SELECT receipt, max(at) FROM accepts GROUP BY receipt")}

    @guarded
    def refusals(self) -> list[Refusal]:
        """Every refused receipt (each content once: its first refusal)."""
        rows = self.db.execute(
            "SELECT sha256, file_name, source, origin, sender, date, ingested_at, refusal, reason, reason_en FROM inputs WHERE status = 'refused' ORDER BY ingested_at, rowid"
        )
        return [Refusal(*row) for row in rows]

    _RECEIPT = (
        "SELECT r.id, r.key, r.parent, r.batch, r.kind, r.name, r.origin, r.source, r.sender, r.date, r.subject, r.message_id, r.sent_at, r.sha256, r.size,"
        " r.department, r.department_key, r.year, r.template_id, r.form, r.outcome, r.refusal, r.reason, r.reason_en,"
        " (SELECT max(a.at) FROM accepts a WHERE a.receipt = r.id) FROM receipts r"
    )

    @guarded
    def receipts(self, *, outcome: str | None = None, batch: str | None = None) -> list[Receipt]:
        """Every receipt in the order taken in (only one outcome, or one batch, if given)."""
        where, args = [], []
        if outcome is not None:
            where.append("r.outcome = ?")
            args.append(outcome)
        if batch is not None:
            where.append("r.batch = ?")
            args.append(batch)
        sql = self._RECEIPT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.id"
        return [Receipt(*row) for row in self.db.execute(sql, args)]

    @guarded
    def receipt(self, receipt: int) -> Receipt | None:
        row = self.db.execute(self._RECEIPT + " WHERE r.id = ?", (receipt,)).fetchone()
        return Receipt(*row) if row else None

    @guarded
    def pending(self, year: int | None = None) -> list[Receipt]:
        """Held returns still awaiting the officer: not accepted, and sent
        after the department's current return (or with none current)."""
        scopes = dict(self.db.execute("SELECT id, scope FROM forms").fetchall())
        held = [
            (r, (r.department_key, r.year, r.template_id, scopes.get(r.form, "")))
            for r in self.receipts(outcome="held")
            if r.accepted_at is None and (year is None or r.year in (year, None))
        ]
        if not held:
            return []
        currents: dict[tuple[str | None, int | None, str | None, str], tuple[str, int]] = {}
        for key, form_year, template, scope, receipt, sent_at, accepted_at in self.db.execute(
            "SELECT f.department_key, f.year, f.template_id, f.scope, r.id, r.sent_at, (SELECT max(a.at) FROM accepts a WHERE a.receipt = r.id)"
            " FROM forms f JOIN receipts r ON r.id = f.receipt WHERE f.current = 1"
        ):
            currents.setdefault((key, form_year, template, scope), self.rank(sent_at, accepted_at, receipt))
        return [r for r, group in held if (best := currents.get(group)) is None or self.rank(r.sent_at, None, r.id) > best]

    @guarded
    def current_receipt(self, key: str | None, year: int | None, template: str | None, scope: str = "") -> int | None:
        """The receipt that made the current return of a department, form, year and scope (None when there is none)."""
        row = self.db.execute(
            "SELECT receipt FROM forms WHERE current = 1 AND department_key = ? AND year IS ? AND template_id IS ? AND scope = ?", (key, year, template, scope)
        ).fetchone()
        return row[0] if row else None

    @guarded
    def scope_of(self, form: int | None) -> str:
        """The scope (a project's name, or '') of a stored form."""
        row = self.db.execute("SELECT scope FROM forms WHERE id = ?", (form,)).fetchone()
        return row[0] if row else ""

    @guarded
    def content(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    @guarded
    def years(self, template_id: str | None = None) -> list[int]:
        """The years the database holds forms for, of one form (by its spec id) or of all."""
        sql = "SELECT DISTINCT year FROM forms WHERE year IS NOT NULL AND (? IS NULL OR template_id = ?) ORDER BY year"
        return [y for (y,) in self.db.execute(sql, (template_id, template_id))]

    @guarded
    def counts(self) -> dict[str, int]:
        """How many receipts, contents (inputs), stored, refused, forms, current forms and problems the database holds."""

        def one(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return {
            "receipts": one("SELECT count(*) FROM receipts"),
            "inputs": one("SELECT count(*) FROM inputs"),
            "stored": one("SELECT count(*) FROM inputs WHERE status = 'stored'"),
            "refused": one("SELECT count(*) FROM inputs WHERE status = 'refused'"),
            "forms": one("SELECT count(*) FROM forms"),
            "current": one("SELECT count(*) FROM forms WHERE current = 1"),
            "problems": one("SELECT count(*) FROM problems"),
        }

    @guarded
    def integrity(self) -> str:
        """SQLite's own check of the file ('ok' when sound) and of its foreign keys."""
        result = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
        return result if not broken else f"foreign keys: {broken[:3]}"

    def dump(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Every row of every table, in a stable order (for comparisons)."""
        for table, order in (("inputs", "sha256"), ("contents", "sha256"), ("forms", "id"), ("problems", "form, seq"), ("receipts", "id")):
            for row in self.db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                yield table, tuple(row)

    @staticmethod
    def _record(row: Sequence[Any]) -> FormRecord:
        values = list(row)
        values[9] = json.loads(values[9])
        values[14] = bool(values[14])
        return FormRecord(*values)
