"""The portal's own tables, in the collection's SQLite file beside the store's.

- ``portal_users``: bureau accounts, each with its scrypt hash;
- ``portal_tokens``: one row per department link issued: the sha256 of the
  token (never the token itself), the department, year, form and deadline,
  and when it was revoked; which forms a department was issued for a year
  is read from here (every form a link was issued with);
- ``portal_sessions``: signed-in bureau users, by the sha256 of the cookie;
- ``portal_audit``: logins, uploads, submits, intakes, issues, revocations;
- ``portal_settings``: the roster the bureau uploaded (its name and bytes).

The tables are created, if missing, in one IMMEDIATE transaction, after the
store has created its own, so any number of processes may start at once.
The store's schema is not touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxform.collection.database import Connected
from xlsxform.collection.records import FIRST_FORM, now
from xlsxform.collection.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS portal_users (
    name       TEXT PRIMARY KEY,
    password   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS portal_tokens (
    hash           TEXT PRIMARY KEY,
    department     TEXT NOT NULL,
    department_key TEXT NOT NULL,
    year           INTEGER NOT NULL,
    deadline       TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    revoked_at     TEXT,
    form           TEXT NOT NULL DEFAULT 'city-department-performance'
);
CREATE INDEX IF NOT EXISTS portal_tokens_department ON portal_tokens(department_key, year);
CREATE TABLE IF NOT EXISTS portal_sessions (
    hash       TEXT PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES portal_users(name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS portal_audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    client TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS portal_settings (
    key   TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    value BLOB NOT NULL
);
"""

SESSION_HOURS = 8
"""A bureau session lasts a working day."""


def digest(token: str) -> str:
    """How a token or session id is stored: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Link:
    """One department's private link, as stored."""

    hash: str
    department: str
    department_key: str
    year: int
    deadline: str
    created_at: str
    revoked_at: str | None
    form: str = FIRST_FORM
    """The form (its spec id) the link was issued with."""


_LINK_COLUMNS = "hash, department, department_key, year, deadline, created_at, revoked_at, form"


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    action: str
    detail: dict[str, Any]
    client: str


class PortalTables(Connected):
    """The portal tables of one database file; open per request, close after."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA foreign_keys = ON")

    @classmethod
    def ensure(cls, path: str | Path) -> None:
        """Create the store's schema (through :class:`Store`) and the portal's, if missing."""
        Store(path).close()
        tables = cls(path)
        try:
            tables.db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
            tables._add_form_column()
        finally:
            tables.close()

    def _add_form_column(self) -> None:
        """Links issued before the family of forms were all of the first form."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(portal_tokens)")}
        if "form" in columns:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if "form" not in {row[1] for row in self.db.execute("PRAGMA table_info(portal_tokens)")}:
                self.db.execute(f"ALTER TABLE portal_tokens ADD COLUMN form TEXT NOT NULL DEFAULT '{FIRST_FORM}'")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # -- accounts -------------------------------------------------------------

    def set_user(self, name: str, password_hash: str) -> bool:
        """Add an account or change its password; True when it is new."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            new = self.db.execute("SELECT 1 FROM portal_users WHERE name = ?", (name,)).fetchone() is None
            self.db.execute(
                "INSERT INTO portal_users VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET password = excluded.password", (name, password_hash, now())
            )
            if not new:
                self.db.execute("DELETE FROM portal_sessions WHERE user = ?", (name,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return new

    def password_hash(self, name: str) -> str | None:
        row = self.db.execute("SELECT password FROM portal_users WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def users(self) -> list[str]:
        return [name for (name,) in self.db.execute("SELECT name FROM portal_users ORDER BY name")]

    # -- department links -----------------------------------------------------

    def add_link(self, department: str, department_key: str, year: int, deadline: str = "", form: str = FIRST_FORM) -> str:
        """A new private link's token for a department, year and form; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        self.db.execute(
            "INSERT INTO portal_tokens (hash, department, department_key, year, deadline, created_at, form) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (digest(token), department, department_key, year, deadline, now(), form),
        )
        return token

    def link(self, token: str) -> Link | None:
        """The live (not revoked) link of a token, or None."""
        row = self.db.execute(f"SELECT {_LINK_COLUMNS} FROM portal_tokens WHERE hash = ? AND revoked_at IS NULL", (digest(token),)).fetchone()
        return Link(*row) if row else None

    def links(self, department_key: str | None = None) -> list[Link]:
        """Every link issued (revoked ones too), newest first."""
        sql = f"SELECT {_LINK_COLUMNS} FROM portal_tokens" + (" WHERE department_key = ?" if department_key else "") + " ORDER BY created_at DESC, rowid DESC"
        return [Link(*row) for row in self.db.execute(sql, (department_key,) if department_key else ())]

    def issued_forms(self, department_key: str, year: int) -> list[Link]:
        """The forms issued to a department for a year, in the order they were
        first issued: for each, its latest link (whose deadline holds)."""
        oldest_first = [link for link in reversed(self.links(department_key)) if link.year == year]
        latest = {link.form: link for link in oldest_first}
        return [latest[form] for form in dict.fromkeys(link.form for link in oldest_first)]

    def revoke(self, department_key: str, year: int | None = None, form: str | None = None) -> int:
        """Revoke a department's live links (of one year, and one form, if given); how many."""
        sql = "UPDATE portal_tokens SET revoked_at = ? WHERE department_key = ? AND revoked_at IS NULL"
        args: list[Any] = [now(), department_key]
        if year is not None:
            sql += " AND year = ?"
            args.append(year)
        if form is not None:
            sql += " AND form = ?"
            args.append(form)
        return self.db.execute(sql, args).rowcount

    # -- sessions -------------------------------------------------------------

    def open_session(self, user: str) -> str:
        session = secrets.token_urlsafe(32)
        start = dt.datetime.now(dt.UTC)
        ends = (start + dt.timedelta(hours=SESSION_HOURS)).isoformat(timespec="seconds")
        self.db.execute("DELETE FROM portal_sessions WHERE expires_at < ?", (start.isoformat(timespec="seconds"),))
        self.db.execute("INSERT INTO portal_sessions VALUES (?, ?, ?, ?)", (digest(session), user, start.isoformat(timespec="seconds"), ends))
        return session

    def session_user(self, session: str) -> str | None:
        row = self.db.execute("SELECT user FROM portal_sessions WHERE hash = ? AND expires_at >= ?", (digest(session), now())).fetchone()
        return row[0] if row else None

    def close_session(self, session: str) -> None:
        self.db.execute("DELETE FROM portal_sessions WHERE hash = ?", (digest(session),))

    # -- audit ----------------------------------------------------------------

    def audit(self, actor: str, action: str, client: str = "", **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO portal_audit (at, actor, action, detail, client) VALUES (?, ?, ?, ?, ?)",
            (now(), actor, action, json.dumps(detail, ensure_ascii=False, default=str), client),
        )

    def audit_log(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        sql = "SELECT at, actor, action, detail, client FROM portal_audit" + (" WHERE action = ?" if action else "") + " ORDER BY id DESC LIMIT ?"
        args: tuple[Any, ...] = (action, limit) if action else (limit,)
        return [AuditEntry(at, actor, act, json.loads(detail), client) for at, actor, act, detail, client in self.db.execute(sql, args)]

    # -- settings -------------------------------------------------------------

    def set_roster(self, name: str, data: bytes) -> None:
        self.db.execute(
            "INSERT INTO portal_settings VALUES ('roster', ?, ?) ON CONFLICT(key) DO UPDATE SET name = excluded.name, value = excluded.value", (name, data)
        )

    def roster(self) -> tuple[str, bytes] | None:
        row = self.db.execute("SELECT name, value FROM portal_settings WHERE key = 'roster'").fetchone()
        return (row[0], bytes(row[1])) if row else None
