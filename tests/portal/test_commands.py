"""The portal's commands: ``user add``, ``serve --help`` and ``issue --portal``."""

from __future__ import annotations

import csv
import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest

from xlsxform.cli.main import main
from xlsxform.portal.security import verify_password
from xlsxform.portal.tables import PortalTables

from .conftest import Collection


def test_user_add_takes_the_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password comes from XLSXFORM_PASSWORD, never argv, and is stored as a salted scrypt hash."""
    monkeypatch.setenv("XLSXFORM_PASSWORD", "long enough 1")
    db = tmp_path / "forms.sqlite"
    assert main(["user", "add", "czj", "--db", str(db)]) == 0
    assert main(["user", "add", "czj2", "--db", str(db)]) == 0
    with PortalTables(db) as tables:
        first, second = tables.password_hash("czj"), tables.password_hash("czj2")
    assert first and second and first.startswith("scrypt$") and first != second
    assert verify_password("long enough 1", first) and not verify_password("wrong", first)


def test_user_add_refuses_a_short_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A password under 8 characters is refused with exit code 2 and no account."""
    monkeypatch.setenv("XLSXFORM_PASSWORD", "short")
    db = tmp_path / "forms.sqlite"
    assert main(["user", "add", "czj", "--db", str(db)]) == 2
    assert not db.exists() or PortalTables(db).users() == []


def test_user_add_prompts_when_no_password_is_set(tmp_path: Path) -> None:
    """Without the variable the password is read at a prompt (here: twice from stdin through getpass's fallback)."""
    db = tmp_path / "forms.sqlite"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run(
        [sys.executable, "-m", "xlsxform", "user", "add", "czj", "--db", str(db)],
        input="long enough 1\nlong enough 1\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    with PortalTables(db) as tables:
        assert verify_password("long enough 1", tables.password_hash("czj"))


def test_serve_help_explains_the_https_proxy(capsys: pytest.CaptureFixture[str]) -> None:
    """``serve --help`` names the proxy options uvicorn needs behind HTTPS."""
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--proxy-headers" in out and "--forwarded-allow-ips" in out and "X-Forwarded-Proto" in out


def test_issue_with_a_portal_puts_each_link_in_the_list_and_the_email(collection: Collection) -> None:
    """发放清单.csv has a 链接 column, and each department's draft carries its own link."""
    with (collection.outbox / "发放清单.csv").open(encoding="utf-8-sig") as manifest:
        rows = list(csv.DictReader(manifest))
    assert all(row["链接"].startswith("http://testserver/d/") for row in rows)
    assert len({row["链接"] for row in rows}) == 2
    for row in rows:
        draft = email.message_from_bytes((collection.outbox / row["邮件"]).read_bytes(), policy=email.policy.default)
        body = draft.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert row["链接"] in body.split()


def test_reissuing_revokes_the_older_links(collection: Collection) -> None:
    """Issuing again gives new links; the old ones stop working."""
    code = main(
        ["issue", str(collection.roster), "-o", str(collection.folder / "again"), "--year", "2024", "--portal", "http://testserver", "--db", str(collection.db)]
    )
    assert code == 0
    with PortalTables(collection.db) as tables:
        links = tables.links()
        assert [tables.link(p.rsplit("/", 1)[1]) for p in collection.links.values()] == [None, None]
    assert sum(link.revoked_at is None for link in links) == 2 and len(links) == 4


def test_issue_with_a_portal_needs_the_database(collection: Collection) -> None:
    """--portal without --db is a usage fault (exit code 2)."""
    assert main(["issue", str(collection.roster), "-o", str(collection.folder / "x"), "--portal", "http://testserver"]) == 2


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A port another program listens on gives exit code 2 and one line, before the server starts."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--db", str(tmp_path / "forms.sqlite"), "--port", str(port)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_behind_the_proxy_cookies_are_secure(tmp_path: Path) -> None:
    """``serve --proxy-headers``: a request the proxy marks X-Forwarded-Proto https gets Secure cookies and HSTS."""
    import os
    import time

    import httpx

    from .test_browser import _free_port

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "xlsxform", "serve", "--db", str(tmp_path / "forms.sqlite"), "--port", str(port), "--proxy-headers"],
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                plain = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        proxied = httpx.get(f"http://127.0.0.1:{port}/login", headers={"x-forwarded-proto": "https", "x-forwarded-for": "10.0.0.7"}, timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "secure" not in plain.headers["set-cookie"].lower() and "strict-transport-security" not in plain.headers
    assert "secure" in proxied.headers["set-cookie"].lower() and proxied.headers["strict-transport-security"].startswith("max-age=")
