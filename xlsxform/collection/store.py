"""The collection's database: every file received, every form read from one,
every problem found, in one SQLite file (the embedded default: no server).

Tables:

- ``inputs``: one row per distinct file (by sha256) ever offered: its name,
  where it came from (the path given, and for e-mail the sender, date,
  subject and Message-ID), when it was ingested, and whether it was
  ``stored`` as a form or ``refused`` (with a code and the reason);
- ``contents``: the bytes of each input, so that nothing received is lost
  and a department's own file can be annotated and sent back later;
- ``forms``: one row per stored form: the department, year, form id and
  template it names, its data as JSON, its counts of errors and warnings,
  when it was received, and ``superseded_by``: the newer return from the
  same department and year that replaced it (NULL for the current one);
- ``problems``: every problem of every form, located on its cell.

Each input is written in one transaction, so a crash leaves whole inputs or
none; an input already known by its sha256 is never written again, so
ingesting the same files twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxform.errors import StoreError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE inputs (
    sha256      TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('file', 'eml', 'mbox')),
    size        INTEGER NOT NULL,
    sender      TEXT,
    date        TEXT,
    subject     TEXT,
    message_id  TEXT,
    ingested_at TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('stored', 'refused')),
    refusal     TEXT,
    reason      TEXT,
    reason_en   TEXT
);
CREATE TABLE contents (
    sha256 TEXT PRIMARY KEY REFERENCES inputs(sha256),
    data   BLOB NOT NULL
);
CREATE TABLE forms (
    id               INTEGER PRIMARY KEY,
    sha256           TEXT NOT NULL UNIQUE REFERENCES inputs(sha256),
    department       TEXT NOT NULL,
    department_key   TEXT NOT NULL,
    code             TEXT,
    year             INTEGER,
    form_id          TEXT,
    template_id      TEXT,
    template_version TEXT,
    data             TEXT NOT NULL,
    errors           INTEGER NOT NULL,
    warnings         INTEGER NOT NULL,
    superseded_by    INTEGER REFERENCES forms(id),
    received_at      TEXT NOT NULL
);
CREATE INDEX forms_current ON forms(department_key, year, superseded_by);
CREATE TABLE problems (
    form       INTEGER NOT NULL REFERENCES forms(id),
    seq        INTEGER NOT NULL,
    severity   TEXT NOT NULL,
    code       TEXT NOT NULL,
    cell       TEXT,
    field      TEXT,
    value      TEXT,
    params     TEXT NOT NULL,
    message    TEXT NOT NULL,
    message_en TEXT NOT NULL,
    PRIMARY KEY (form, seq)
);
"""


@dataclass(frozen=True)
class Input:
    """One file offered for ingestion, as it came."""

    sha256: str
    file_name: str
    source: str
    origin: str = "file"
    size: int = 0
    sender: str | None = None
    date: str | None = None
    """The e-mail's Date, ISO 8601 in UTC."""
    subject: str | None = None
    message_id: str | None = None


FIRST_FORM = "city-department-performance"
"""The form of returns stored before forms had ids."""


@dataclass(frozen=True)
class StoredProblem:
    severity: str
    code: str
    cell: str | None
    field: str | None
    value: str | None
    params: dict[str, Any]
    message: str
    message_en: str

    def problem(self) -> Any:
        """The :class:`~xlsxform.form.problems.Problem` again, or None for a code this version does not know."""
        from xlsxform.form.problems import CATALOGUE, Problem, Severity

        if self.code in CATALOGUE:
            return Problem(self.code, self.cell, self.field, self.value, self.params)
        if self.severity not in {"error", "warning"}:
            return None
        # A form's own rule: its messages as they were stored.
        zh, en = (text.replace("{", "{{").replace("}", "}}") for text in (self.message, self.message_en))
        return Problem(self.code, self.cell, self.field, self.value, self.params, defined=(Severity(self.severity), zh, en))


@dataclass(frozen=True)
class FormRecord:
    """One stored form."""

    id: int
    sha256: str
    department: str
    department_key: str
    code: str | None
    year: int | None
    form_id: str | None
    template_id: str | None
    template_version: str | None
    data: dict[str, Any] = field(repr=False)
    errors: int
    warnings: int
    superseded_by: int | None
    received_at: str
    file_name: str = ""
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class Refusal:
    sha256: str
    file_name: str
    source: str
    origin: str
    sender: str | None
    date: str | None
    ingested_at: str
    refusal: str
    reason: str
    reason_en: str


def now() -> str:
    """The current time as stored: ISO 8601, UTC, seconds."""
    return iso(dt.datetime.now(dt.UTC))


def iso(moment: dt.datetime) -> str:
    """A time as stored and compared: UTC, ISO 8601 to the second (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class Store:
    """An open collection database; create it with ``Store(path)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError("数据库路径是一个文件夹", "the database path is a folder", path=path)
        if not self.path.parent.is_dir():
            raise StoreError("数据库所在的文件夹不存在", "the database's folder does not exist", path=path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise StoreError("这不是 xlsxform 的数据库", "this is not an xlsxform database", path=path)
                self.db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"数据库版本 {version} 较新，请升级 xlsxform", f"database version {version} is newer than this xlsxform; upgrade it", path=path
                )
            # WAL: readers never block the writer, and a commit need not wait for the disk twice.
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"无法打开数据库：{exc}", f"cannot open the database: {exc}", path=path) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Transaction:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            if not self.db.in_transaction:
                self.db.execute("BEGIN IMMEDIATE")
                self.owner = True
            else:
                self.owner = False
            return self.db

        def __exit__(self, kind: object, *_: object) -> None:
            if self.owner:
                self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def transaction(self) -> _Transaction:
        return Store._Transaction(self.db)

    # -- writing ------------------------------------------------------------

    def known(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM inputs WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def refuse(self, item: Input, code: str, reason: str, reason_en: str, content: bytes | None, ingested_at: str) -> bool:
        """Record a refused input; False when it was already known."""
        with self.transaction() as db:
            if self.known(item.sha256):
                return False
            self._input(db, item, ingested_at, "refused", code, reason, reason_en)
            if content is not None:
                db.execute("INSERT INTO contents VALUES (?, ?)", (item.sha256, content))
        return True

    def add_form(
        self,
        item: Input,
        *,
        department: str,
        department_key: str,
        code: str | None,
        year: int | None,
        form_id: str | None,
        template_id: str | None,
        template_version: str | None,
        data: str,
        problems: Sequence[StoredProblem],
        received_at: str,
        ingested_at: str,
        content: bytes | None,
        subject: tuple[str, str] | None = None,
    ) -> tuple[int, list[int]] | None:
        """Store a form read from ``item`` and settle which return of its
        department is current; None when the input was already known.

        Returns the new form's id and the ids of the forms it superseded.
        """
        errors = sum(p.severity == "error" for p in problems)
        with self.transaction() as db:
            if self.known(item.sha256):
                return None
            self._input(db, item, ingested_at, "stored", None, None, None)
            if content is not None:
                db.execute("INSERT INTO contents VALUES (?, ?)", (item.sha256, content))
            cursor = db.execute(
                "INSERT INTO forms (sha256, department, department_key, code, year, form_id, template_id, template_version,"
                " data, errors, warnings, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.sha256,
                    department,
                    department_key,
                    code,
                    year,
                    form_id,
                    template_id,
                    template_version,
                    data,
                    errors,
                    len(problems) - errors,
                    received_at,
                ),
            )
            new = cursor.lastrowid
            assert new is not None
            db.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (new, n, p.severity, p.code, p.cell, p.field, p.value, json.dumps(p.params, ensure_ascii=False, default=str), p.message, p.message_en)
                    for n, p in enumerate(problems, 1)
                ],
            )
            superseded = self._settle(db, new, department_key, year, received_at, template_id, subject)
        return new, superseded

    def _settle(
        self,
        db: sqlite3.Connection,
        new: int,
        key: str,
        year: int | None,
        received_at: str,
        template: str | None = None,
        subject: tuple[str, str] | None = None,
    ) -> list[int]:
        """Leave one current return per department, year and form (and
        subject: a project's name, for forms sent one per project): the
        newest by receipt time, then by order of ingestion."""
        sql = (
            "SELECT id, received_at FROM forms WHERE department_key = ? AND year IS ? AND superseded_by IS NULL AND id != ?"
            " AND COALESCE(template_id, ?) = COALESCE(?, ?)"
        )
        args: list[Any] = [key, year, new, FIRST_FORM, template, FIRST_FORM]
        if subject is not None:
            sql += " AND COALESCE(json_extract(data, ?), '') = ?"
            args += list(subject)
        others = db.execute(sql, args).fetchall()
        superseded: list[int] = []
        for other, other_received in others:
            if (received_at, new) > (other_received, other):
                db.execute("UPDATE forms SET superseded_by = ? WHERE id = ?", (new, other))
                superseded.append(other)
            else:
                db.execute("UPDATE forms SET superseded_by = ? WHERE id = ?", (other, new))
        return superseded

    def _input(self, db: sqlite3.Connection, item: Input, ingested_at: str, status: str, code: str | None, reason: str | None, reason_en: str | None) -> None:
        db.execute(
            "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.sha256,
                item.file_name,
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
        " f.data, f.errors, f.warnings, f.superseded_by, f.received_at, i.file_name, i.source FROM forms f JOIN inputs i USING (sha256)"
    )

    def forms(self, *, current: bool = True, year: int | None = None) -> list[FormRecord]:
        """Stored forms in order of ingestion: only the current return of each
        department unless ``current`` is False; only one year if given."""
        where, args = [], []
        if current:
            where.append("f.superseded_by IS NULL")
        if year is not None:
            where.append("f.year = ?")
            args.append(year)
        sql = self._FORM + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY f.id"
        return [self._record(row) for row in self.db.execute(sql, args)]

    def history(self, department_key: str) -> list[FormRecord]:
        """Every return of one department, oldest first."""
        rows = self.db.execute(self._FORM + " WHERE f.department_key = ? ORDER BY f.received_at, f.id", (department_key,))
        return [self._record(row) for row in rows]

    def problems(self, form: int) -> list[StoredProblem]:
        rows = self.db.execute("SELECT severity, code, cell, field, value, params, message, message_en FROM problems WHERE form = ? ORDER BY seq", (form,))
        return [StoredProblem(s, c, cell, f, v, json.loads(params), m, m_en) for s, c, cell, f, v, params, m, m_en in rows]

    def refusals(self) -> list[Refusal]:
        rows = self.db.execute(
            "SELECT sha256, file_name, source, origin, sender, date, ingested_at, refusal, reason, reason_en FROM inputs WHERE status = 'refused' ORDER BY ingested_at, rowid"
        )
        return [Refusal(*row) for row in rows]

    def content(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def years(self) -> list[int]:
        return [y for (y,) in self.db.execute("SELECT DISTINCT year FROM forms WHERE year IS NOT NULL ORDER BY year")]

    def counts(self) -> dict[str, int]:
        """How many inputs, stored, refused, forms, current forms and problems the database holds."""

        def one(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return {
            "inputs": one("SELECT count(*) FROM inputs"),
            "stored": one("SELECT count(*) FROM inputs WHERE status = 'stored'"),
            "refused": one("SELECT count(*) FROM inputs WHERE status = 'refused'"),
            "forms": one("SELECT count(*) FROM forms"),
            "current": one("SELECT count(*) FROM forms WHERE superseded_by IS NULL"),
            "problems": one("SELECT count(*) FROM problems"),
        }

    def dump(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Every row of every table, in a stable order (for comparisons)."""
        for table, order in (("inputs", "sha256"), ("contents", "sha256"), ("forms", "id"), ("problems", "form, seq")):
            for row in self.db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                yield table, tuple(row)

    @staticmethod
    def _record(row: Sequence[Any]) -> FormRecord:
        values = list(row)
        values[9] = json.loads(values[9])
        return FormRecord(*values)
