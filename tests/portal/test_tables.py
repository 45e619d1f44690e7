"""The portal's tables and limiter: created once however many processes
start together, beside the store's schema, and bounded in memory."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from xlsxform.collection.store import SCHEMA_VERSION, Store
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
