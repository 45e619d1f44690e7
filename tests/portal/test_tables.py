"""The portal's tables and limiter: created once however many processes
start together, beside the store's schema, and bounded in memory."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from xlsxform.collection.schema import SCHEMA_VERSION
from xlsxform.collection.store import Store
from xlsxform.portal.security import RateLimiter
from xlsxform.portal.tables import PortalTables


def _ensure(path: str) -> None:
    PortalTables.ensure(path)


def test_tables_are_created_once_by_processes_starting_together(tmp_path: Path) -> None:
    """Six processes creating the portal's tables at once all succeed, and the store still opens at its own version."""
    db = tmp_path / "forms.sqlite"
    Store(db).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_ensure, args=(str(db),)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 6
    with PortalTables(db) as tables:
        names = {name for (name,) in tables.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = tables.db.execute("PRAGMA user_version").fetchone()[0]
    assert {"portal_users", "portal_tokens", "portal_sessions", "portal_audit", "portal_settings", "inputs", "forms"} <= names
    assert version == SCHEMA_VERSION
    with Store(db) as store:
        assert store.counts()["forms"] == 0


def test_the_rate_limiter_forgets_the_oldest_keys_beyond_its_bound() -> None:
    """A limiter bounded to 100 keys holds at most 100, however many clients come."""
    limiter = RateLimiter(2, 60.0, keys=100)
    for n in range(1000):
        assert limiter.allow(f"client-{n}")
    assert len(limiter) == 100
    assert limiter.allow("client-999") and not limiter.allow("client-999")


def test_links_issued_before_the_family_of_forms_are_of_the_first_form(tmp_path: Path) -> None:
    """A database whose link table has no form column gains one, and its links count as issued for the first form."""
    import sqlite3

    from xlsxform.collection.records import FIRST_FORM
    from xlsxform.portal.tables import digest

    db = tmp_path / "forms.sqlite"
    Store(db).close()
    old = sqlite3.connect(db)
    old.execute(
        "CREATE TABLE portal_tokens (hash TEXT PRIMARY KEY, department TEXT NOT NULL, department_key TEXT NOT NULL, year INTEGER NOT NULL,"
        " deadline TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, revoked_at TEXT)"
    )
    old.execute("INSERT INTO portal_tokens VALUES (?, '湛江市信访局', '湛江市信访局', 2024, '', '2024-01-01T00:00:00+00:00', NULL)", (digest("old-token"),))
    old.commit()
    old.close()
    PortalTables.ensure(db)
    PortalTables.ensure(db)
    with PortalTables(db) as tables:
        link = tables.link("old-token")
        tables.add_link("湛江市信访局", "湛江市信访局", 2024, form="project-self-evaluation")
        issued = [each.form for each in tables.issued_forms("湛江市信访局", 2024)]
    assert link is not None and link.form == FIRST_FORM
    assert issued == [FIRST_FORM, "project-self-evaluation"]
