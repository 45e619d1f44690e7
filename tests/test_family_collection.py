"""One collection loop for the whole family: each return is stored under its
form, and status and export work per form and year."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xlsxform.cli.main import main
from xlsxform.collection.store import Store

from .conftest import SAMPLE_XLSX

EVALUATION = SAMPLE_XLSX.parent / "zhanjiang-xinfang-2023-self-evaluation.xlsx"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database holding one department's 2023 target table and its 2023 self-evaluation."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE_XLSX, inbox / "目标表.xlsx")
    shutil.copy(EVALUATION, inbox / "自评表.xlsx")
    path = tmp_path / "city.db"
    assert run(capsys, "ingest", str(inbox), "--db", str(path), "--jobs", "1")[0] == 0
    return path


def test_ingest_stores_each_return_under_its_form_and_both_stay_current(db: Path) -> None:
    """Two forms of one department and year are two current returns, each with its form's id."""
    with Store(db) as store:
        forms = store.forms(current=True)
    assert sorted((f.department, f.year, f.template_id) for f in forms) == [
        ("湛江市信访局", 2023, "city-department-performance"),
        ("湛江市信访局", 2023, "project-self-evaluation"),
    ]


def test_status_and_export_work_per_form(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--form chooses the form whose returns status lists and export rolls up."""
    assert run(capsys, "--form", "project-self-evaluation", "status", "--db", str(db), "--year", "2023")[0] == 0
    code, out, _ = run(capsys, "--form", "project-self-evaluation", "status", "--db", str(db), "--format", "json")
    assert (code, [row["department"] for row in json.loads(out)]) == (0, ["湛江市信访局（信访事项复查复核专项经费）"])
    target = tmp_path / "evaluation.json"
    assert run(capsys, "--form", "project-self-evaluation", "export", "--db", str(db), "-o", str(target))[0] == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert (document["form"], document["year"], [d["department"] for d in document["departments"]]) == ("project-self-evaluation", 2023, ["湛江市信访局"])
    assert document["departments"][0]["form"]["total"]["score"] == "95.79"
    first = tmp_path / "first.json"
    assert run(capsys, "export", "--db", str(db), "-o", str(first))[0] == 0
    assert json.loads(first.read_text(encoding="utf-8"))["form"] == "city-department-performance"
    sheet = tmp_path / "evaluation.xlsx"
    assert run(capsys, "--form", "project-self-evaluation", "export", "--db", str(db), "-o", str(sheet))[0] == 0


def test_a_departments_projects_are_each_a_current_return(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two projects' self-evaluations from one department both stay current, and status and export list both."""
    import openpyxl

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EVALUATION, inbox / "项目1.xlsx")
    workbook = openpyxl.load_workbook(EVALUATION)
    workbook.worksheets[0]["B2"] = "信访信息系统运维"
    workbook.save(inbox / "项目2.xlsx")
    db = tmp_path / "city.db"
    assert run(capsys, "ingest", str(inbox), "--db", str(db), "--jobs", "1")[0] == 0
    with Store(db) as store:
        assert len(store.forms(current=True)) == 2
    code, out, _ = run(capsys, "--form", "project-self-evaluation", "status", "--db", str(db))
    assert code == 0 and "湛江市信访局（信访信息系统运维）" in out and "湛江市信访局（信访事项复查复核专项经费）" in out
    target = tmp_path / "projects.json"
    assert run(capsys, "--form", "project-self-evaluation", "export", "--db", str(db), "-o", str(target))[0] == 0
    projects = sorted(d["form"]["project"] for d in json.loads(target.read_text(encoding="utf-8"))["departments"])
    assert projects == ["信访事项复查复核专项经费", "信访信息系统运维"]


def test_a_workbook_of_several_projects_is_a_current_return_per_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each sheet of a workbook holding one project each is a receipt and a current return of its own; the same bytes again are duplicates, not losses."""
    import openpyxl

    workbook = openpyxl.load_workbook(EVALUATION)
    second = workbook.copy_worksheet(workbook.worksheets[0])
    second.title = "项目2"
    second["B2"] = "信访信息系统运维"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    workbook.save(inbox / "两个项目.xlsx")
    shutil.copy(inbox / "两个项目.xlsx", inbox / "两个项目(1).xlsx")
    db = tmp_path / "city.db"
    assert run(capsys, "ingest", str(inbox), "--db", str(db), "--jobs", "1")[0] == 0
    with Store(db) as store:
        projects = sorted(f.scope for f in store.forms(current=True))
        outcomes = sorted((r.kind, r.outcome) for r in store.receipts())
    assert projects == ["信访事项复查复核专项经费", "信访信息系统运维"]
    assert outcomes == [("file", "opened"), ("file", "opened"), ("sheet", "duplicate"), ("sheet", "duplicate"), ("sheet", "stored"), ("sheet", "stored")]
    (tmp_path / "later").mkdir()
    shutil.copy(inbox / "两个项目.xlsx", tmp_path / "later" / "重发.xlsx")
    assert run(capsys, "ingest", str(tmp_path / "later"), "--db", str(db), "--jobs", "1")[0] == 0
    with Store(db) as store:
        assert sorted(f.scope for f in store.forms(current=True)) == projects
        assert sorted(r.outcome for r in store.receipts() if r.kind == "sheet") == ["duplicate"] * 4 + ["stored"] * 2


def test_status_and_export_default_to_the_latest_year_of_their_own_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a 2023 target table and a 2024 project declaration stored, each form's status and roll-up default to that form's year."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE_XLSX, inbox / "目标表.xlsx")
    shutil.copy(SAMPLE_XLSX.parent / "zhanjiang-xinfang-2024-project-target.xlsx", inbox / "申报表.xlsx")
    db = tmp_path / "city.db"
    assert run(capsys, "ingest", str(inbox), "--db", str(db), "--jobs", "1")[0] == 0
    for form, year in [("city-department-performance", 2023), ("project-performance-target", 2024)]:
        code, out, _ = run(capsys, "--form", form, "status", "--db", str(db), "--format", "json")
        assert (code, [row["state"] for row in json.loads(out)]) == (0, ["valid"])
        target = tmp_path / f"{form}.json"
        assert run(capsys, "--form", form, "export", "--db", str(db), "-o", str(target))[0] == 0
        document = json.loads(target.read_text(encoding="utf-8"))
        assert (document["year"], len(document["departments"])) == (year, 1)
