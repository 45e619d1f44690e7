"""Receipts: every file, e-mail, attachment and archive member is recorded
with its outcome, whatever mail program or archive it came through, and no
input stops the batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlsxform import Form
from xlsxform.cli.main import main
from xlsxform.collection.ingest import ingest
from xlsxform.collection.receipts import MAX_NAME_BYTES, safe_name
from xlsxform.collection.store import Store
from xlsxform.safety.gate import Limits

from . import inboxes
from .inboxes import FIXTURES, form_of, workbook_bytes


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "forms.sqlite") as opened:
        yield opened


@pytest.fixture(scope="module")
def book(request: pytest.FixtureRequest) -> bytes:
    from .conftest import SAMPLE_JSON

    return workbook_bytes(form_of(Form.model_validate_json(SAMPLE_JSON.read_bytes())))


def leaves(store: Store) -> list[tuple[str, str, str | None]]:
    """(name, outcome, reason code) of every receipt that is not an opened e-mail or archive."""
    return [(r.name, r.outcome, r.refusal) for r in store.receipts() if r.outcome != "opened"]


def take(tmp_path: Path, store: Store, name: str, data: bytes) -> list[tuple[str, str, str | None]]:
    inbox = tmp_path / "in"
    inbox.mkdir(exist_ok=True)
    (inbox / name).write_bytes(data)
    ingest([inbox], store)
    return leaves(store)


NAME = "信访局绩效目标表.xlsx"


@pytest.mark.parametrize(
    "layout",
    [
        "apple-mail",
        "forwarded",
        "forwarded-twice",
        "inline",
        "wrong-content-type",
        "text-plain-without-a-name",
        "no-name",
        "rfc2047-gbk",
        "rfc2047-gb2312-quoted",
        "rfc2047-gb18030",
        "rfc2047-utf8",
        "rfc2231-gbk",
        "rfc2231-gb18030",
        "rfc2231-continued",
        "raw-gbk",
    ],
)
def test_every_mail_layout_yields_its_workbook(tmp_path: Path, store: Store, book: bytes, layout: str) -> None:
    """However the mail program nested, marked or named the workbook, it is found by its content and stored under its decoded name."""
    name = NAME
    if layout == "apple-mail":
        message = inboxes.apple_mail(name, book)
    elif layout == "forwarded":
        message = inboxes.forwarded(inboxes.plain([(name, book)]))
    elif layout == "forwarded-twice":
        message = inboxes.forwarded(inboxes.forwarded(inboxes.plain([(name, book)])))
    elif layout == "inline":
        message = inboxes.raw(f'inline; filename="{inboxes.rfc2047(name, "utf-8")}"', book, content_type=inboxes.XLSX)
    elif layout == "wrong-content-type":
        message = inboxes.raw(f"attachment; filename*=utf-8''{inboxes.rfc2231(name, 'utf-8').split(chr(39))[-1]}", book, content_type="text/plain")
    elif layout == "text-plain-without-a-name":
        message, name = inboxes.raw("inline", book, content_type="text/plain; charset=utf-8"), "reply.eml-附件1"
    elif layout == "no-name":
        message, name = inboxes.raw("attachment", book), "reply.eml-附件1"
    elif layout == "rfc2047-gbk":
        message = inboxes.raw(f'attachment; filename="{inboxes.rfc2047(name, "gbk")}"', book)
    elif layout == "rfc2047-gb2312-quoted":
        message = inboxes.raw(
            f'attachment; filename="{inboxes.rfc2047(name, "gb2312")}"',
            book,
            content_type=f'application/octet-stream; name="{inboxes.rfc2047(name, "gb2312")}"',
        )
    elif layout == "rfc2047-gb18030":
        name = "䶮信访局.xlsx"  # a character outside GBK
        message = inboxes.raw(f'attachment; filename="{inboxes.rfc2047(name, "gb18030")}"', book)
    elif layout == "rfc2047-utf8":
        message = inboxes.raw(f'attachment; filename="{inboxes.rfc2047(name, "utf-8")}"', book)
    elif layout == "rfc2231-gbk":
        message = inboxes.raw(f"attachment; filename*={inboxes.rfc2231(name, 'gbk')}", book)
    elif layout == "rfc2231-gb18030":
        message = inboxes.raw(f"attachment; filename*={inboxes.rfc2231(name, 'gb18030')}", book)
    elif layout == "rfc2231-continued":
        encoded = inboxes.rfc2231(name, "gbk")
        first, second = encoded[:20], encoded[20:]
        message = inboxes.raw(f"attachment;\r\n filename*0*={first};\r\n filename*1*={second}", book)
    else:
        message = inboxes.raw_bytes_name(name.encode("gbk"), book)
    assert take(tmp_path, store, "reply.eml", message) == [(name, "stored", None)]


def test_a_malformed_rfc2231_name_is_not_fatal(tmp_path: Path, store: Store, book: bytes) -> None:
    """A lone `filename*0*` parameter gets a name of our own; the workbook is stored and the rest of the folder too."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(inboxes.raw("attachment; filename*0*", book))
    (inbox / "b.eml").write_bytes(inboxes.raw("attachment; filename*0*=gbk''%D0%C5; filename*1*=%FF%FF%ZZ", b"PK\x03\x04broken"))
    (inbox / "c.xlsx").write_bytes(book.replace(b"docProps", b"docProps", 1))
    summary = ingest([inbox], store)
    assert [(o.status, o.refusal) for o in summary.outcomes if o.status != "opened"] == [("stored", ""), ("refused", "unreadable"), ("duplicate", "")]
    assert ingest([inbox], store).count("known") == len(summary.outcomes)


def test_an_outlook_msg_is_taken_like_an_eml(tmp_path: Path, store: Store) -> None:
    """An Outlook saved message gives its sender, date, Message-ID and workbook, like an .eml."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "回复.msg").write_bytes((FIXTURES / "outlook-reply.msg").read_bytes())
    ingest([inbox], store)
    message, attachment = store.receipts()
    assert (message.kind, message.origin, message.outcome, message.sender, message.date, message.message_id) == (
        "message",
        "msg",
        "opened",
        "xinfang@zj.gov.cn",
        "2024-12-02T01:30:00+00:00",
        "<outlook-reply-1@zj.gov.cn>",
    )
    assert (attachment.name, attachment.outcome, attachment.department, attachment.sender, attachment.parent) == (
        "信访局绩效目标表.xlsx",
        "stored",
        "湛江市信访局",
        "xinfang@zj.gov.cn",
        message.id,
    )


def test_workbooks_inside_a_zip_are_taken_one_level_deep(tmp_path: Path, store: Store, sample: Form) -> None:
    """A .zip (GBK names from Windows) gives each workbook; a zip inside it too; a third level, a .rar, a .7z and winmail.dat are refused with their bytes kept."""
    first = workbook_bytes(form_of(sample, "湛江市教育局"))
    second = workbook_bytes(form_of(sample, "湛江市民政局"))
    third = workbook_bytes(form_of(sample, "湛江市水务局"))
    innermost = inboxes.zip_of([("水务局.xlsx", third)])
    inner = inboxes.zip_of([("民政局.xlsx", second), ("更深.zip", innermost)])
    archive = inboxes.zip_of([("教育局.xlsx", first), ("说明.txt", "见附件".encode()), ("内层.zip", inner)], gbk_names=True)
    message = inboxes.plain(
        [("两个局.zip", archive), ("表格.rar", inboxes.RAR), ("表格.7z", inboxes.SEVEN_ZIP), ("winmail.dat", inboxes.WINMAIL)], content_type="application/zip"
    )
    assert take(tmp_path, store, "reply.eml", message) == [
        ("教育局.xlsx", "stored", None),
        ("说明.txt", "refused", "unsupported-file"),
        ("民政局.xlsx", "stored", None),
        ("更深.zip", "refused", "nested-archive"),
        ("表格.rar", "refused", "rar"),
        ("表格.7z", "refused", "7z"),
        ("winmail.dat", "refused", "tnef"),
    ]
    by_name = {r.name: r for r in store.receipts()}
    assert [by_name[n].origin for n in ("两个局.zip", "教育局.xlsx", "表格.rar")] == ["eml", "zip", "eml"]
    assert by_name["教育局.xlsx"].parent == by_name["两个局.zip"].id
    assert all(store.content(by_name[n].sha256) for n in ("表格.rar", "表格.7z", "winmail.dat", "更深.zip", "说明.txt"))


def test_a_zip_over_the_limits_is_refused_unopened(tmp_path: Path, store: Store, book: bytes) -> None:
    """A .zip with more members than the gate allows is refused as a whole, its bytes kept."""
    archive = inboxes.zip_of([(f"{n}.xlsx", book) for n in range(5)])
    (tmp_path / "many.zip").write_bytes(archive)
    ingest([tmp_path / "many.zip"], store, limits=Limits(max_archive_members=3))
    assert leaves(store) == [("many.zip", "refused", "archive-too-many-members")]


def test_an_mbox_message_split_by_an_unescaped_from_line_is_joined(tmp_path: Path, store: Store, book: bytes) -> None:
    """A "From " line in a message's text does not cut the message: its workbook is found, and the next message is its own."""
    box = inboxes.mbox([inboxes.split_by_from(NAME, book), inboxes.plain([], sender="jyj@zj.gov.cn")])
    assert box.count(b"\nFrom ") == 2  # the unescaped line and the next message
    assert take(tmp_path, store, "Inbox", box) == [(NAME, "stored", None), ("Inbox#2", "refused", "mail-without-workbook")]


def test_the_same_bytes_received_again_are_each_recorded(tmp_path: Path, store: Store, book: bytes) -> None:
    """The same workbook by another e-mail, from another sender, and dropped in the folder: one form, a receipt each, each with its sender."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(inboxes.plain([(NAME, book)], message_id="<1@zj.gov.cn>"))
    (inbox / "2.eml").write_bytes(inboxes.plain([(NAME, book)], sender="someone@qq.com", message_id="<2@qq.com>"))
    (inbox / "3.xlsx").write_bytes(book)
    ingest([inbox], store)
    assert [(r.name, r.outcome, r.sender) for r in store.receipts() if r.kind != "message"] == [
        (NAME, "stored", "xinfang@zj.gov.cn"),
        (NAME, "duplicate", "someone@qq.com"),
        ("3.xlsx", "duplicate", None),
    ]
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "again.xlsx").write_bytes(book)
    ingest([tmp_path / "later"], store)
    assert (store.counts()["forms"], store.receipts()[-1].outcome) == (1, "duplicate")


def test_a_long_attachment_name_becomes_a_safe_file_name(tmp_path: Path, store: Store, book: bytes) -> None:
    """A 120-character name (and one without a suffix) is shortened with a short hash; later reports still work."""
    long_name = "湛江市信访局" * 20 + ".xlsx"
    no_suffix = "湛江市信访局2024年度市级部门整体预算绩效目标表." + "很长" * 60
    assert len(safe_name(long_name).encode()) <= MAX_NAME_BYTES and safe_name(long_name).endswith(".xlsx")
    assert safe_name(long_name) != safe_name("湛江市信访局" * 21 + ".xlsx")
    broken = workbook_bytes(form_of(_sample(), valid=False))
    take(tmp_path, store, "reply.eml", inboxes.plain([(long_name, broken), (no_suffix, workbook_bytes(form_of(_sample(), "湛江市教育局", valid=False)))]))
    assert main(["status", "--db", str(store.path), "--report", str(tmp_path / "in" / "返回情况.xlsx")]) == 1
    assert main(["status", "--db", str(store.path), "--report", str(tmp_path / "in" / "返回情况.xlsx")]) == 1


def _sample() -> Form:
    from .conftest import SAMPLE_JSON

    return Form.model_validate_json(SAMPLE_JSON.read_bytes())


def test_reports_and_marked_copies_in_the_inbox_are_not_returns(tmp_path: Path, sample: Form) -> None:
    """With --report inside the inbox, the next ingest records the report and the marked copies as xlsxform's own files, and the current returns stay."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "教育局.xlsx").write_bytes(workbook_bytes(form_of(sample, "湛江市教育局", valid=False)))
    db = str(tmp_path / "forms.sqlite")
    assert main(["ingest", str(inbox), "--db", db, "--report", str(inbox / "返回情况.xlsx")]) == 1
    marked = list((inbox / "返回情况-退回修改").iterdir())
    assert len(marked) == 1
    main(["ingest", str(inbox), "--db", db])
    with Store(db) as store:
        own = [(r.name, r.outcome, r.refusal) for r in store.receipts() if r.refusal == "own-file"]
        assert sorted(own) == sorted([("返回情况.xlsx", "refused", "own-file"), (marked[0].name, "refused", "own-file")])
        (current,) = store.forms()
        assert current.file_name == "教育局.xlsx"


def test_receipts_cli_lists_every_receipt_as_json(tmp_path: Path, book: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """`receipts --format json` lists each receipt with its name, origin, sender, date, sha256, department, outcome and reason."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(inboxes.plain([(NAME, book), ("说明.pdf", b"%PDF-1.4")]))
    db = str(tmp_path / "f.sqlite")
    main(["ingest", str(inbox), "--db", db])
    capsys.readouterr()
    assert main(["receipts", "--db", db, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["origin"], r["sender"], r["department"], r["outcome"], r["reason_code"]) for r in listed] == [
        ("a.eml", "eml", "xinfang@zj.gov.cn", None, "opened", None),
        (NAME, "eml", "xinfang@zj.gov.cn", "湛江市信访局", "stored", None),
        ("说明.pdf", "eml", "xinfang@zj.gov.cn", None, "refused", "attachment-not-workbook"),
    ]
    assert all({"date", "sha256", "reason"} <= set(r) for r in listed)
    assert main(["receipts", "--db", db]) == 0


def test_an_oversized_message_is_recorded_unparsed(tmp_path: Path, store: Store, book: bytes) -> None:
    """An e-mail over the gate's message limit, alone or in an mbox, is refused with its header, never parsed whole."""
    big = inboxes.plain([(NAME, book), ("big.bin", b"\x00" * 200_000)], message_id="<big@zj.gov.cn>")
    (tmp_path / "big.eml").write_bytes(big)
    (tmp_path / "box.mbox").write_bytes(inboxes.mbox([big, inboxes.plain([(NAME, book)])]))
    ingest([tmp_path / "big.eml", tmp_path / "box.mbox"], store, limits=Limits(max_message_size=100_000))
    assert leaves(store) == [("big.eml", "refused", "mail-too-large"), ("box.mbox#1", "refused", "mail-too-large"), (NAME, "stored", None)]
    assert store.receipts()[0].message_id == "<big@zj.gov.cn>"


def test_nothing_in_a_hostile_folder_stops_the_batch(tmp_path: Path, store: Store, book: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """Broken e-mails, archives and files each become a recorded refusal, the good workbook is stored, and the CLI prints no traceback."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "0.eml").write_bytes(b"From: x\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")
    (inbox / "1.eml").write_bytes(b"\xff\xfe" * 1000)
    (inbox / "2.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (inbox / "3.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (inbox / "4.mbox").write_bytes(b"From x\nnot a header\n")
    (inbox / "5.xlsx").write_bytes(book)
    (inbox / "6.eml").write_bytes(inboxes.raw('attachment; filename="=?x-unknown?B?////?="', b"\x00"))
    db = str(tmp_path / "f.sqlite")
    assert main(["ingest", str(inbox), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    with Store(db) as opened:
        outcomes = [(r.name, r.outcome) for r in opened.receipts()]
    assert ("5.xlsx", "stored") in outcomes
    names = {name for name, _ in outcomes}
    assert {"0.eml", "1.eml", "2.zip", "3.msg", "5.xlsx", "6.eml"} <= names and any(n.startswith("4.mbox") for n in names)


def test_an_outbox_in_the_inbox_is_not_taken_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issued workbooks and drafts of an outbox kept inside the inbox are recorded as not returns, now and when the same blank comes back by e-mail; a filled one is stored."""
    from .departments import fill_in, write_roster

    roster = write_roster(tmp_path / "名单.csv", [["湛江市信访局", "101", "xfj@zj.gov.cn", "776.8"], ["湛江市教育局", "103", "jyj@zj.gov.cn", ""]])
    inbox = tmp_path / "in"
    assert main(["issue", str(roster), "-o", str(inbox / "发出"), "--year", "2025", "--eml", "--from", "czj@zj.gov.cn"]) == 0
    filled = inbox / "信访局.xlsx"
    filled.write_bytes((inbox / "发出" / "湛江市信访局.xlsx").read_bytes())
    fill_in(filled, basic="776.8", project="356.69")
    db = str(tmp_path / "f.sqlite")
    main(["ingest", str(inbox), "--db", db])
    blank = (inbox / "发出" / "湛江市教育局.xlsx").read_bytes()
    (tmp_path / "later.eml").write_bytes(inboxes.plain([("教育局.xlsx", blank)], sender="jyj@zj.gov.cn"))
    main(["ingest", str(tmp_path / "later.eml"), "--db", db])
    with Store(db) as store:
        outcomes = sorted((r.name, r.outcome, r.refusal) for r in store.receipts() if r.kind != "message")
        assert [f.department for f in store.forms()] == ["湛江市信访局"]
    assert outcomes == sorted(
        [
            ("信访局.xlsx", "stored", None),
            ("发放清单.csv", "refused", "own-file"),
            ("湛江市信访局.xlsx", "refused", "issued-blank"),
            ("湛江市信访局.xlsx", "refused", "issued-blank"),  # the draft's attachment
            ("湛江市教育局.xlsx", "refused", "issued-blank"),
            ("湛江市教育局.xlsx", "refused", "issued-blank"),
            ("教育局.xlsx", "refused", "issued-blank"),
        ]
    )
