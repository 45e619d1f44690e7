"""Which return is current: for a department, form and year, the one sent
last (an e-mail's Date, never later than when it was taken in; a file's
modification time; then the order taken in); a resend makes its content
current again; a return from an address that is not the department's is
held until the officer accepts it."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from xlsxform import Form
from xlsxform.cli.main import main
from xlsxform.collection.ingest import ingest
from xlsxform.collection.roster import Department, Roster
from xlsxform.collection.status import department_status
from xlsxform.collection.store import Store

from . import inboxes
from .inboxes import form_of, when, workbook_bytes

ROSTER = Roster("r", [Department("湛江市信访局", "xinfang@zj.gov.cn"), Department("湛江市教育局", "jyj@zj.gov.cn")])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "forms.sqlite") as opened:
        yield opened


def current_name(store: Store, department: str = "湛江市信访局") -> str:
    (form,) = [f for f in store.forms() if f.department == department]
    return form.file_name


def versions(sample: Form, n: int) -> list[bytes]:
    """n different returns of one department (staff 1..n), the second with an error."""
    return [workbook_bytes(form_of(sample, staff=k, valid=k != 2)) for k in range(1, n + 1)]


def test_file_names_do_not_decide_which_return_is_current(tmp_path: Path, store: Store, sample: Form) -> None:
    """Of 信访局.xlsx, 信访局(1).xlsx, 信访局 2.xlsx and 信访局-更正.xlsx in one batch, the one modified last (信访局-更正.xlsx) is current, though 信访局.xlsx comes last by name; the summary names all and says why."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    names = ["信访局.xlsx", "信访局(1).xlsx", "信访局 2.xlsx", "信访局-更正.xlsx"]  # oldest first; by name 信访局.xlsx is last
    for n, (name, data) in enumerate(zip(names, versions(sample, 4), strict=True)):
        (inbox / name).write_bytes(data)
        moment = dt.datetime(2024, 12, 1 + n, tzinfo=dt.UTC).timestamp()
        os.utime(inbox / name, (moment, moment))
    summary = ingest([inbox], store)
    assert current_name(store) == "信访局-更正.xlsx"
    (conflict,) = summary.conflicts
    assert (sorted(name for _, name, _ in conflict.returns), conflict.why) == (sorted(names), "latest")
    assert next(name for receipt, name, _ in conflict.returns if receipt == conflict.kept) == "信访局-更正.xlsx"


@pytest.mark.parametrize("one_batch", [True, False])
def test_a_resend_of_earlier_bytes_makes_them_current_again(tmp_path: Path, store: Store, sample: Form, one_batch: bool) -> None:
    """A, then B with errors, then A again ("以此为准"): A is current, and the resend is a receipt of its own."""
    a, b = versions(sample, 2)
    mails = [
        ("1.eml", inboxes.plain([("A.xlsx", a)], date=when(1), message_id="<1@zj>")),
        ("2.eml", inboxes.plain([("B.xlsx", b)], date=when(2), message_id="<2@zj>")),
        ("3.eml", inboxes.plain([("A.xlsx", a)], date=when(3), subject="以此为准", message_id="<3@zj>")),
    ]
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name, data in mails:
        (inbox / name).write_bytes(data)
        if not one_batch:
            ingest([inbox / name], store)
    if one_batch:
        ingest([inbox], store)
    assert [(r.name, r.outcome) for r in store.receipts() if r.kind == "attachment"] == [("A.xlsx", "stored"), ("B.xlsx", "stored"), ("A.xlsx", "duplicate")]
    (form,) = store.forms()
    assert (form.errors, form.receipt) == (0, store.receipts()[-1].id)
    rerun = ingest([inbox], store)
    assert (rerun.count("known"), store.forms()[0].receipt) == (len(rerun.outcomes), form.receipt)


def test_a_future_date_counts_as_the_time_taken_in(tmp_path: Path, store: Store, sample: Form) -> None:
    """An e-mail dated 2099 is current only until a return sent later arrives; a missing date also counts as the time taken in."""
    a, b, c = versions(sample, 3)
    (tmp_path / "future.eml").write_bytes(inboxes.plain([("future.xlsx", a)], date=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)))
    first = ingest([tmp_path / "future.eml"], store)
    assert store.receipts()[-1].sent_at == first.batch
    (tmp_path / "now.eml").write_bytes(inboxes.plain([("now.xlsx", b)], date=dt.datetime.now(dt.UTC)))
    ingest([tmp_path / "now.eml"], store)
    assert current_name(store) == "now.xlsx"
    undated = inboxes.plain([("undated.xlsx", c)]).replace(b"Date: ", b"X-Old-Date: ")
    (tmp_path / "undated.eml").write_bytes(undated)
    summary = ingest([tmp_path / "undated.eml"], store)
    assert (current_name(store), store.receipts()[-1].sent_at) == ("undated.xlsx", summary.batch)


def test_an_older_return_arriving_later_does_not_replace_a_newer_one(tmp_path: Path, store: Store, sample: Form) -> None:
    """A return sent on the 5th stays current when one sent on the 1st is taken in afterwards."""
    old, new = versions(sample, 2)
    (tmp_path / "new.eml").write_bytes(inboxes.plain([("new.xlsx", new)], date=when(5)))
    (tmp_path / "old.eml").write_bytes(inboxes.plain([("old.xlsx", old)], date=when(1)))
    ingest([tmp_path / "new.eml"], store)
    ingest([tmp_path / "old.eml"], store)
    assert current_name(store) == "new.xlsx"


def test_a_return_from_a_stranger_is_held_until_accepted(tmp_path: Path, sample: Form, capsys: pytest.CaptureFixture[str]) -> None:
    """With a roster, a return from an address that is not the department's is held (待确认): not current, listed by status; `accept` makes it current, recorded and shown."""
    roster = tmp_path / "名单.csv"
    roster.write_text("部门名称,邮箱\n湛江市信访局,xinfang@zj.gov.cn\n湛江市教育局,jyj@zj.gov.cn\n", encoding="utf-8-sig")
    own, stranger = versions(sample, 2)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(inboxes.plain([("信访局.xlsx", own)], date=when(1)))
    (inbox / "2.eml").write_bytes(inboxes.plain([("冒名.xlsx", stranger)], sender="Someone <SomeOne@QQ.com>", date=when(2)))
    (inbox / "教育局.xlsx").write_bytes(workbook_bytes(form_of(sample, "湛江市教育局")))
    db = str(tmp_path / "f.sqlite")
    assert main(["ingest", str(inbox), "--db", db, "--roster", str(roster)]) == 1
    with Store(db) as store:
        held = store.receipts(outcome="held")
        assert [(r.name, r.sender, r.department) for r in held] == [("冒名.xlsx", "someone@qq.com", "湛江市信访局")]
        assert current_name(store) == "信访局.xlsx"
        assert current_name(store, "湛江市教育局") == "教育局.xlsx"
    capsys.readouterr()
    assert main(["status", "--db", db, "--roster", str(roster), "--format", "json"]) == 1
    rows = {r["department"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["湛江市信访局"]["state"], [h["receipt"] for h in rows["湛江市信访局"]["held"]]) == ("held", [held[0].id])
    assert rows["湛江市教育局"]["state"] == "valid" and len(rows["湛江市教育局"]["sha256"]) == 64
    assert main(["accept", str(held[0].id), "--db", db]) == 0
    capsys.readouterr()
    assert main(["status", "--db", db, "--roster", str(roster), "--format", "json"]) == 1
    rows = {r["department"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["湛江市信访局"]["state"], rows["湛江市信访局"]["receipt"], rows["湛江市信访局"]["held"]) == ("errors", held[0].id, [])
    assert rows["湛江市信访局"]["accepted_at"] is not None
    with Store(db) as store:
        assert store.receipt(held[0].id).accepted_at is not None


def test_an_accepted_return_gives_way_to_one_sent_after_the_accept(tmp_path: Path, store: Store, sample: Form) -> None:
    """The officer may choose an older return; a return sent after that choice is current again."""
    a, b, c = versions(sample, 3)
    (tmp_path / "a.eml").write_bytes(inboxes.plain([("a.xlsx", a)], date=when(1)))
    (tmp_path / "b.eml").write_bytes(inboxes.plain([("b.xlsx", b)], date=when(2)))
    ingest([tmp_path / "a.eml", tmp_path / "b.eml"], store)
    first = next(r for r in store.receipts() if r.name == "a.xlsx")
    store.accept(first.id)
    assert current_name(store) == "a.xlsx"
    (tmp_path / "c.eml").write_bytes(inboxes.plain([("c.xlsx", c)], date=dt.datetime.now(dt.UTC)))
    ingest([tmp_path / "c.eml"], store)
    assert current_name(store) == "c.xlsx"


def test_accept_refuses_a_receipt_without_a_form(tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """Accepting an unknown receipt or a refused file is one line and exit 2."""
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    ingest([tmp_path / "x.txt"], store)
    assert main(["accept", "1", "--db", str(store.path)]) == 2
    assert main(["accept", "99", "--db", str(store.path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_files_put_in_by_hand_are_taken_as_before(tmp_path: Path, store: Store, sample: Form) -> None:
    """A file in the inbox folder has no sender and is never held, roster or not."""
    (tmp_path / "信访局.xlsx").write_bytes(versions(sample, 1)[0])
    ingest([tmp_path / "信访局.xlsx"], store, roster=ROSTER)
    (row, _) = department_status(store, ROSTER, 2023)
    assert (row.state, row.held) == ("valid", ())
