"""Opening the collection's database file (see :mod:`xlsxform.collection.store`
for what it holds): refusing a file that is not xlsxform's, creating the
schema, upgrading an older one (:mod:`xlsxform.collection.schema`), waiting
for another process that holds it, SQLite's errors as one
:class:`~xlsxform.errors.StoreError` naming the file, and transactions."""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, Self, TypeVar

from xlsxform.collection.schema import _MIGRATE_1_TO_2, _SCHEMA, _SCHEMA_2, APPLICATION_ID, SCHEMA_VERSION, SQLITE_MAGIC
from xlsxform.errors import StoreError

BUSY_SECONDS = 30.0
"""How long a write waits for another process holding the database
(XLSXFORM_DB_WAIT, in seconds, sets another)."""

_REASONS: list[tuple[tuple[str, ...], str, str, str]] = [
    (("readonly", "read-only"), "readonly", "数据库是只读的，无法写入（请检查文件权限或换一个位置）", "the database is read-only"),
    (("disk is full", "disk full", "no space"), "disk-full", "磁盘空间不足，无法写入数据库（已写入的记录完整，腾出空间后重新运行即可）", "the disk is full"),
    (("locked", "busy"), "locked", "数据库正被另一个程序使用（已锁定），请稍后再试", "the database is locked by another program"),
    (("not a database", "file is encrypted"), "not-ours", "这不是 xlsxform 的数据库，未作任何改动", "this is not an xlsxform database; it was left untouched"),
    (("malformed", "corrupt"), "corrupt", "数据库文件已损坏", "the database file is damaged"),
    (("unable to open",), "cannot-open", "无法打开数据库文件（文件夹不可写或不存在）", "cannot open the database file"),
]


def _store_error(exc: BaseException, path: str | Path) -> StoreError:
    """An SQLite or system error as one line naming the database."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno == 28:
        text = "disk is full"
    elif "unable to open" in text or "disk i/o" in text or "readonly" in text:
        where = Path(path)
        if not os.access(where.parent, os.W_OK) or (where.exists() and not os.access(where, os.W_OK)):
            text = "readonly"
    for needles, code, zh, en in _REASONS:
        if any(n in text for n in needles):
            return StoreError(zh, f"{en} ({exc})", path=path, code=code)
    return StoreError(f"数据库出错：{exc}", f"database error: {exc}", path=path)


P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """SQLite's errors from a database's method as a StoreError naming the database."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            store = args[0]
            assert isinstance(store, Database)
            raise _store_error(exc, store.path) from None

    return wrapper


class Connected:
    """An open SQLite connection (``db``), closed by :meth:`close` or on leaving a ``with`` block."""

    db: sqlite3.Connection

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Database(Connected):
    """An open collection database file, at the current schema.

    A file that is not xlsxform's database is refused and left byte for byte
    as it was.  ``write=False`` opens an existing database for reading only
    (it is never created nor changed).
    """

    def __init__(self, path: str | Path, *, write: bool = True, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.write = write
        if timeout is None:
            try:
                timeout = float(os.environ.get("XLSXFORM_DB_WAIT", BUSY_SECONDS))
            except ValueError:
                timeout = BUSY_SECONDS
        self.timeout = timeout
        if self.path.is_dir():
            raise StoreError("数据库路径是一个文件夹", "the database path is a folder", path=path)
        if not self.path.parent.is_dir():
            raise StoreError("数据库所在的文件夹不存在", "the database's folder does not exist", path=path)
        self._refuse_foreign_bytes()
        if write:
            self._connect(str(self.path), uri=False)
            return
        try:
            self._connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except StoreError as exc:
            if exc.code in ("not-ours", "newer", "empty"):
                raise
            # A database on read-only media, with no -shm beside it: read as it is.
            self._connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True)

    def _connect(self, target: str, *, uri: bool) -> None:
        try:
            self.db = sqlite3.connect(target, uri=uri, isolation_level=None, timeout=self.timeout)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        try:
            self._open()
        except StoreError:
            self.db.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            self.db.close()
            raise _store_error(exc, self.path) from None

    def _refuse_foreign_bytes(self) -> None:
        try:
            with self.path.open("rb") as source:
                head = source.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _store_error(exc, self.path) from None
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                "这不是 xlsxform 的数据库，未作任何改动", "this is not an xlsxform database; it was left untouched", path=self.path, code="not-ours"
            )

    def _state(self) -> tuple[int, int, int]:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        application = self.db.execute("PRAGMA application_id").fetchone()[0]
        tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return version, application, tables

    def _check(self, version: int, application: int, tables: int) -> None:
        ours = (application == APPLICATION_ID and version >= 2) or (application == 0 and version == 1)
        if not ours:
            raise StoreError(
                "这不是 xlsxform 的数据库，未作任何改动", "this is not an xlsxform database; it was left untouched", path=self.path, code="not-ours"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"数据库版本 {version} 较新，请升级 xlsxform",
                f"database version {version} is newer than this xlsxform; upgrade it",
                path=self.path,
                code="newer",
            )

    def _open(self) -> None:
        self.db.execute("PRAGMA foreign_keys = ON")
        version, application, tables = self._state()
        if (version, tables) == (0, 0):
            if not self.write:
                raise StoreError("数据库是空的（请先用 ingest 收取表格）", "the database is empty (run ingest first)", path=self.path, code="empty")
            # Two processes may create the same new database: the write lock
            # is taken first and the state read again under it.
            self.db.execute("BEGIN IMMEDIATE")
            try:
                version, application, tables = self._state()
                if (version, tables) == (0, 0):
                    self._script(_SCHEMA + _SCHEMA_2)
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    version, application = SCHEMA_VERSION, APPLICATION_ID
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        self._check(version, application, tables)
        if version < SCHEMA_VERSION and self.write:
            self._migrate()
        if self.write:
            # WAL: readers never block the writer; only ever switched on for our own database.
            self._retry(lambda: self.db.execute("PRAGMA journal_mode = WAL"))
            self.db.execute("PRAGMA synchronous = NORMAL")
            # Fail now, not in the middle of a batch, when the file cannot be written.
            self._retry(lambda: self.db.execute("BEGIN IMMEDIATE"))
            self.db.execute("ROLLBACK")

    def _script(self, script: str) -> None:
        """Statements one by one, inside the open transaction (executescript would commit it)."""
        for statement in script.split(";"):
            if statement.strip():
                self.db.execute(statement)

    def _retry(self, step: Callable[[], Any]) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                step()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        self.db.execute("PRAGMA foreign_keys = OFF")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self.db.execute("PRAGMA user_version").fetchone()[0] == 1:
                self._script(_MIGRATE_1_TO_2 + _SCHEMA_2)
                self.db.execute(
                    "INSERT INTO receipts (key, batch, kind, name, origin, source, sender, date, subject, message_id, sent_at, sha256, size,"
                    " department, department_key, year, template_id, form, outcome, refusal, reason, reason_en)"
                    " SELECT 'v1:' || i.sha256, i.ingested_at, 'file', i.file_name, i.origin, i.source, i.sender, i.date, i.subject, i.message_id,"
                    " coalesce(f.received_at, i.ingested_at), i.sha256, i.size, f.department, f.department_key, f.year, f.template_id, f.id,"
                    " i.status, i.refusal, i.reason, i.reason_en FROM inputs i LEFT JOIN forms f USING (sha256) ORDER BY i.rowid"
                )
                self.db.execute("UPDATE forms SET receipt = (SELECT r.id FROM receipts r WHERE r.form = forms.id)")
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

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
                if kind is None:
                    self.db.execute("COMMIT")
                elif self.db.in_transaction:
                    self.db.execute("ROLLBACK")

    def transaction(self) -> _Transaction:
        return Database._Transaction(self.db)
