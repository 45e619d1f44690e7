"""A database safe to share and to lose power on: created race-free,
another program's file refused and left untouched, a read-only database, a
full disk or a lock reported in one line (exit 2) with nothing half-written,
and a kill -9 at any moment followed by a rerun that completes the batch.

Real processes, real SQLite, real file systems: the full and read-only
disks are small tmpfs mounts the test makes (as root; skipped elsewhere).
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from xlsxform import Form
from xlsxform.cli.main import main
from xlsxform.collection.ingest import ingest
from xlsxform.collection.store import Store
from xlsxform.errors import StoreError

from . import inboxes
from .inboxes import form_of, workbook_bytes

COMMAND = [sys.executable, "-c", "from xlsxform.cli.main import entry; entry()"]


def variants(book: bytes, count: int) -> Iterator[bytes]:
    """``count`` workbooks of the same form with different bytes (another modification time inside), made without rendering each."""
    source = zipfile.ZipFile(io.BytesIO(book))
    for n in range(count):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == "docProps/core.xml":
                    data = data.replace(b"</cp:coreProperties>", f"<dc:description>{n}</dc:description></cp:coreProperties>".encode())
                target.writestr(zipfile.ZipInfo(info.filename, info.date_time), data, zipfile.ZIP_DEFLATED)
        yield out.getvalue()


def an_inbox(folder: Path, book: bytes, files: int, every: int) -> int:
    """``files`` files, one in ``every`` a workbook (the rest e-mails without one); returns how many workbooks."""
    folder.mkdir(parents=True, exist_ok=True)
    books = variants(book, files // every + 1)
    count = 0
    for n in range(files):
        if n % every == 0:
            (folder / f"{n:04d}.xlsx").write_bytes(next(books))
            count += 1
        else:
            (folder / f"{n:04d}.eml").write_bytes(inboxes.plain([], message_id=f"<{n}@zj.gov.cn>"))
    return count


@pytest.fixture(scope="module")
def book() -> bytes:
    from .conftest import SAMPLE_JSON

    return workbook_bytes(form_of(Form.model_validate_json(SAMPLE_JSON.read_bytes())))


def receipts_in(db: Path) -> int:
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5) as reader:
            return int(reader.execute("SELECT count(*) FROM receipts").fetchone()[0])
    except sqlite3.Error:
        return 0


def check_complete(db: Path, inbox: Path, workbooks: int) -> None:
    """Every file of the inbox has exactly one receipt, every workbook its form, and SQLite finds the file sound."""
    with Store(db) as store:
        assert store.integrity() == "ok"
        sources = sorted(r.source for r in store.receipts())
        assert sources == sorted(str(p) for p in inbox.iterdir())
        assert store.counts()["forms"] == workbooks


def test_a_kill_9_mid_batch_leaves_a_sound_database_and_the_rerun_completes_it(tmp_path: Path, book: bytes) -> None:
    """kill -9 of a real ingest of 500 files half-way, then a rerun: each file recorded once, each workbook stored once, nothing broken."""
    inbox, db = tmp_path / "in", tmp_path / "forms.sqlite"
    workbooks = an_inbox(inbox, book, 500, 5)
    process = subprocess.Popen(
        [*COMMAND, "ingest", str(inbox), "--db", str(db), "--jobs", "2"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while receipts_in(db) < 150 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = receipts_in(db)
    assert process.returncode == -signal.SIGKILL and 150 <= done < 500
    with Store(db) as store:
        assert store.integrity() == "ok"
    rerun = subprocess.run([*COMMAND, "ingest", str(inbox), "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert (rerun.returncode, "Traceback" in rerun.stderr) == (1, False)  # 1: the e-mails without a workbook are refused
    check_complete(db, inbox, workbooks)


def test_two_ingests_racing_on_a_new_database(tmp_path: Path, book: bytes) -> None:
    """Two real ingest processes started together on a database that does not exist yet both finish, and each file is recorded once."""
    inbox, db = tmp_path / "in", tmp_path / "forms.sqlite"
    workbooks = an_inbox(inbox, book, 40, 4)
    runs = [
        subprocess.Popen([*COMMAND, "ingest", str(inbox), "--db", str(db), "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)
    ]
    results = [(run.wait(timeout=300), run.stderr.read().decode() if run.stderr else "") for run in runs]
    assert [(code in (0, 1), "Traceback" in err) for code, err in results] == [(True, False), (True, False)]
    check_complete(db, inbox, workbooks)


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A SQLite file of another program, and a file that is not SQLite, are refused in one line (exit 2) and left byte for byte as they were, not switched to WAL."""
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE people (name TEXT)")
        connection.execute("INSERT INTO people VALUES ('张三')")
    connection.close()
    text = tmp_path / "notes.sqlite"
    text.write_bytes("预算说明".encode() * 100)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (other, text)}
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    for path in (other, text):
        assert main(["ingest", str(tmp_path / "a.txt"), "--db", str(path)]) == 2
        assert main(["status", "--db", str(path)]) == 2
        with pytest.raises(StoreError) as refused:
            Store(path)
        assert refused.value.code == "not-ours"
    assert len(capsys.readouterr().err.strip().splitlines()) == 4
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (other, text)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "notes.sqlite", "other.sqlite"]


def test_a_locked_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """While another program holds the database, ingest waits a while, then says so in one line, exit 2."""
    db = tmp_path / "forms.sqlite"
    Store(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as locked:
            Store(db, timeout=0.2)
        assert locked.value.code == "locked"
        (tmp_path / "a.txt").write_text("x", encoding="utf-8")
        os.environ["XLSXFORM_DB_WAIT"] = "0.2"
        try:
            assert main(["ingest", str(tmp_path / "a.txt"), "--db", str(db)]) == 2
        finally:
            del os.environ["XLSXFORM_DB_WAIT"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs the test mounts (and may remount read-only or larger)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_disk_stops_in_one_line_and_the_rerun_completes(tmp_path: Path, small_disk: Path, book: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """On a disk that fills up, ingest stops with one line naming the database (exit 2); what it wrote is whole, and with space again the rerun completes the batch."""
    inbox, db = tmp_path / "in", small_disk / "forms.sqlite"
    workbooks = an_inbox(inbox, book, 200, 1)
    assert main(["ingest", str(inbox), "--db", str(db), "--jobs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(str(db))
    with Store(db, write=False) as store:
        assert store.integrity() == "ok" and 0 < store.counts()["receipts"] < 200
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    assert main(["ingest", str(inbox), "--db", str(db)]) == 0
    check_complete(db, inbox, workbooks)


def _remount_read_only(disk: Path) -> None:
    """Remount the test's file system read-only; the kernel refuses while a
    process that just ended still has a file open for writing there, so wait."""
    for _ in range(50):
        done = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
        if done.returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"cannot remount read-only: {done.stderr.decode().strip()}")


def test_a_read_only_database_is_one_line_and_still_readable(tmp_path: Path, small_disk: Path, book: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """On a read-only file system, ingest says so in one line (exit 2) and changes nothing; status and receipts still read it."""
    db = small_disk / "forms.sqlite"
    (tmp_path / "a.xlsx").write_bytes(book)
    with Store(db) as store:
        ingest([tmp_path / "a.xlsx"], store)
    _remount_read_only(small_disk)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    (tmp_path / "b.txt").write_text("x", encoding="utf-8")
    capsys.readouterr()
    assert main(["ingest", str(tmp_path / "b.txt"), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(str(db))
    with pytest.raises(StoreError) as refused:
        Store(db)
    assert refused.value.code == "readonly"
    assert main(["status", "--db", str(db)]) == 0
    assert main(["receipts", "--db", str(db)]) == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_version_1_database_is_migrated(tmp_path: Path, book: bytes) -> None:
    """A database written by the previous schema is upgraded in place: its inputs become receipts, its current forms stay current."""
    db = tmp_path / "old.sqlite"
    from xlsxform.collection import schema as module

    with sqlite3.connect(db, isolation_level=None) as old:
        for statement in (
            module._SCHEMA.replace(
                "    current          INTEGER NOT NULL DEFAULT 0,\n    receipt          INTEGER,\n    scope            TEXT NOT NULL DEFAULT ''\n", ""
            )
            .replace("received_at      TEXT NOT NULL,", "received_at      TEXT NOT NULL")
            .split(";")
        ):
            if statement.strip():
                old.execute(statement)
        old.execute(
            "INSERT INTO inputs VALUES ('ab', 'x.xlsx', '/in/x.xlsx', 'file', 10, NULL, NULL, NULL, NULL, '2024-01-01T00:00:00+00:00', 'stored', NULL, NULL, NULL)"
        )
        old.execute("INSERT INTO forms VALUES (1, 'ab', '甲局', '甲局', NULL, 2023, NULL, 't', '1', '{}', 0, 0, NULL, '2024-01-01T00:00:00+00:00')")
        old.execute("PRAGMA user_version = 1")
    old.close()
    with Store(db) as store:
        (form,) = store.forms()
        (receipt,) = store.receipts()
        assert (form.department, form.current, receipt.outcome, receipt.form) == ("甲局", True, "stored", 1)
        assert store.integrity() == "ok"
