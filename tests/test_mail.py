"""E-mail to departments: drafts from a template the bureau can change, and
sending over SMTP (STARTTLS and login when asked) to a local server the
tests start on 127.0.0.1 and always stop."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from xlsxform.cli.main import main
from xlsxform.collection.mail import (
    compose,
    load_template,
    parse_server,
    send,
)
from xlsxform.errors import MailError

from .departments import write_roster

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

SERVER_LIFETIME = 60.0
"""Seconds after which a test server stops by itself, whatever the test does."""
ROWS = [["湛江市信访局", "101", "xinfang@zj.gov.cn", ""], ["湛江市教育局", "103", "jyj@zj.gov.cn", "1200"], ["CON", "", "con@zj.gov.cn", ""]]


@dataclass
class Inbox:
    """What the local server received."""

    port: int
    messages: list[tuple[list[str], Any]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(inbox: Inbox, **kwargs: Any) -> Iterator[Inbox]:
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, ready_timeout=10, **kwargs)
    controller.start()
    lock = threading.Lock()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        with lock:
            if not stopped:
                stopped = True
                controller.stop()

    timer = threading.Timer(SERVER_LIFETIME, stop)
    timer.daemon = True
    timer.start()
    try:
        yield inbox
    finally:
        timer.cancel()
        stop()


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    """A plain SMTP server on a random local port."""
    yield from start(Inbox(free_port()))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def login_checker(user: bytes, password: bytes) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (user, password), handled=False)

    return check


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Inbox]:
    """A server that requires STARTTLS and a login (czj / s3cret)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    yield from start(Inbox(free_port()), tls_context=context, require_starttls=True, auth_required=True, authenticator=login_checker(b"czj", b"s3cret"))


def run_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, list[list[str]]]:
    roster = write_roster(tmp_path / "名单.csv", ROWS)
    code = main(["issue", str(roster), "-o", str(tmp_path / "outbox"), "--year", "2025", "--from", "czj@zj.gov.cn", *extra])
    _, err = capsys.readouterr()
    manifest = tmp_path / "outbox" / "发放清单.csv"
    rows = list(csv.reader(manifest.open(encoding="utf-8-sig")))[1:] if manifest.exists() else []
    return code, err, rows


# -- templates and drafts -------------------------------------------------------


def test_the_bundled_template_names_the_department_year_and_deadline() -> None:
    """The default subject names the department and year; the body also the deadline, file and form id."""
    template = load_template()
    used = {part: {name for _, name, _, _ in string.Formatter().parse(getattr(template, part)) if name} for part in ("subject", "body")}
    assert used == {"subject": {"department", "year"}, "body": {"department", "year", "deadline", "file", "form_id", "sender_name"}}
    context = {"department": "甲局", "year": 2025, "deadline": "2024年12月31日", "file": "甲局.xlsx", "form_id": "F-1", "sender_name": "市财政局"}
    assert template.fill(context) == (" ".join(template.subject.format(**context).split()), template.body.format(**context).strip("\n") + "\n")


def test_the_sign_off_is_the_senders_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled body is signed with --from-name, and with 市财政局 when no name is given."""
    signed = {}
    for name in ("遂溪县财政局", ""):
        code, _, _ = run_issue(tmp_path, capsys, "--eml", "--overwrite", *(["--from-name", name] if name else []))
        draft = email.message_from_bytes((tmp_path / "outbox" / "湛江市教育局.eml").read_bytes(), policy=email.policy.default)
        signed[name] = (code, draft.get_body().get_content().rstrip("\n").rsplit("\n", 1)[-1])
    assert signed == {"遂溪县财政局": (0, "遂溪县财政局"), "": (0, "市财政局")}


def test_a_changed_template_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--email-template replaces subject and body; the drafts carry exactly them."""
    (tmp_path / "mail.toml").write_text('subject = "{year} {department}"\nbody = "请于{deadline}前回复。{code}"\n', encoding="utf-8")
    code, _, _ = run_issue(tmp_path, capsys, "--eml", "--email-template", str(tmp_path / "mail.toml"), "--deadline", "2024-12-31")
    assert code == 0
    draft = email.message_from_bytes((tmp_path / "outbox" / "湛江市教育局.eml").read_bytes(), policy=email.policy.default)
    assert (draft["Subject"], draft.get_body().get_content()) == ("2025 湛江市教育局", "请于2024年12月31日前回复。103\n")


@pytest.mark.parametrize("text", ['subject = "{dept}"\nbody = "x"\n', 'subject = "x"\n', 'subject = "{"\nbody = "x"\n', "not toml ="])
def test_a_bad_template_is_refused_before_anything_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    """An unknown placeholder, a missing body, unbalanced braces or bad TOML: one line, exit 2, no outbox."""
    (tmp_path / "mail.toml").write_text(text, encoding="utf-8")
    with pytest.raises(MailError):
        load_template(tmp_path / "mail.toml")
    code, err, _ = run_issue(tmp_path, capsys, "--eml", "--email-template", str(tmp_path / "mail.toml"))
    assert (code, len(err.strip().splitlines())) == (2, 1)
    assert not (tmp_path / "outbox").exists()


def test_a_draft_carries_the_workbook(tmp_path: Path) -> None:
    """A composed message is addressed to the department and carries its workbook byte for byte under its own name."""
    workbook = tmp_path / "湛江市信访局.xlsx"
    workbook.write_bytes(b"PK\x03\x04 workbook bytes")
    message = compose(load_template(), sender="czj@zj.gov.cn", to="xinfang@zj.gov.cn", context={"department": "湛江市信访局"}, attachment=workbook)
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    attachment = next(parsed.iter_attachments())
    assert (parsed["To"].addresses[0].addr_spec, parsed["To"].addresses[0].display_name) == ("xinfang@zj.gov.cn", "湛江市信访局")
    assert (attachment.get_filename(), attachment.get_content()) == ("湛江市信访局.xlsx", workbook.read_bytes())


@pytest.mark.parametrize(
    ("text", "expected"), [("smtp.zj.gov.cn:587", ("smtp.zj.gov.cn", 587)), ("smtp.zj.gov.cn", ("smtp.zj.gov.cn", 25)), ("[::1]:25", ("::1", 25))]
)
def test_server_addresses(text: str, expected: tuple[str, int]) -> None:
    """HOST:PORT, a host alone (port 25), or a bracketed IPv6 address."""
    assert parse_server(text) == expected


# -- sending ------------------------------------------------------------------------


def test_smtp_sends_one_message_per_department(tmp_path: Path, capsys: pytest.CaptureFixture[str], smtp_server: Inbox) -> None:
    """--smtp sends each department its own workbook, and the manifest says so."""
    code, _, manifest = run_issue(tmp_path, capsys, "--smtp", f"127.0.0.1:{smtp_server.port}")
    assert code == 0
    received = {tuple(to): message for to, message in smtp_server.messages}
    assert set(received) == {("xinfang@zj.gov.cn",), ("jyj@zj.gov.cn",), ("con@zj.gov.cn",)}
    attachment = next(received[("jyj@zj.gov.cn",)].iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("湛江市教育局.xlsx", (tmp_path / "outbox" / "湛江市教育局.xlsx").read_bytes())
    assert [row[-1] for row in manifest] == ["已发送"] * 3
    assert not list((tmp_path / "outbox").glob("*.eml"))


def test_starttls_and_login(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tls_server: Inbox, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --starttls and --smtp-user, the password comes from the environment and the mail goes over TLS."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("XLSXFORM_SMTP_PASSWORD", "s3cret")
    code, _, _ = run_issue(tmp_path, capsys, "--smtp", f"127.0.0.1:{tls_server.port}", "--starttls", "--smtp-user", "czj")
    assert (code, len(tls_server.messages)) == (0, 3)


def test_a_wrong_password_sends_nothing(tls_server: Inbox, certificate: tuple[Path, Path], tmp_path: Path) -> None:
    """A refused login is one MailError before any message goes."""
    workbook = tmp_path / "a.xlsx"
    workbook.write_bytes(b"x")
    message = compose(load_template(), sender="czj@zj.gov.cn", to="a@zj.gov.cn", context={}, attachment=workbook)
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with pytest.raises(MailError):
        send([("a", message)], "127.0.0.1", tls_server.port, starttls=True, user="czj", password="wrong", context=context)
    assert tls_server.messages == []


def test_login_needs_the_password_in_the_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--smtp-user without XLSXFORM_SMTP_PASSWORD stops before anything is written: exit 2, one line."""
    monkeypatch.delenv("XLSXFORM_SMTP_PASSWORD", raising=False)
    code, err, _ = run_issue(tmp_path, capsys, "--smtp", "127.0.0.1:1", "--smtp-user", "czj")
    assert (code, len(err.strip().splitlines())) == (2, 1)
    assert not (tmp_path / "outbox").exists()


def test_a_refused_recipient_does_not_stop_the_others(tmp_path: Path, capsys: pytest.CaptureFixture[str], smtp_server: Inbox) -> None:
    """A department's address the server refuses is reported (exit 1); the others are sent."""
    smtp_server.refuse.add("jyj@zj.gov.cn")
    code, _, manifest = run_issue(tmp_path, capsys, "--smtp", f"127.0.0.1:{smtp_server.port}")
    assert code == 1
    assert sorted(to for to, _ in smtp_server.messages) == [["con@zj.gov.cn"], ["xinfang@zj.gov.cn"]]
    assert [(row[0], row[-1] == "已发送") for row in manifest] == [("湛江市信访局", True), ("湛江市教育局", False), ("CON", True)]


def test_an_unreachable_server_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No server listening: exit 2 and one line."""
    code, err, _ = run_issue(tmp_path, capsys, "--smtp", f"127.0.0.1:{free_port()}")
    assert (code, len(err.strip().splitlines())) == (2, 1)
