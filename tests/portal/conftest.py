"""A collection issued with the portal: a roster of two departments, their
workbooks and private links, a bureau account, and the app for it."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.departments import fill_in, write_roster
from xlsxform.cli.main import main
from xlsxform.portal.app import PortalSettings, create_app
from xlsxform.portal.security import hash_password
from xlsxform.portal.tables import PortalTables

YEAR = 2024
A, B = "湛江市信访局", "湛江市民政局"
USER, PASSWORD = "czj", "correct horse 8"
BASE = "http://testserver"


@dataclass
class Collection:
    folder: Path
    db: Path
    roster: Path
    outbox: Path
    links: dict[str, str]
    """Department to its link's path (/d/...)."""
    workbooks: dict[str, Path]

    def filled(self, department: str, name: str, *, fiscal: str | None = None) -> Path:
        """The department's issued workbook filled in (with R1 broken when ``fiscal`` is given)."""
        target = self.folder / name
        shutil.copy(self.workbooks[department], target)
        return fill_in(target, basic="776.8", project="356.69", fiscal=fiscal)


def issue_collection(folder: Path, base: str = BASE, departments: list[str] | None = None) -> Collection:
    """Issue the forms of a roster with ``xlsxform issue --portal``, and add a bureau account."""
    names = departments or [A, B]
    roster = write_roster(folder / "名单.csv", [[name, f"{n:03d}", f"d{n}@example.gov.cn", "776.8"] for n, name in enumerate(names, 1)])
    db, outbox = folder / "forms.sqlite", folder / "outbox"
    code = main(["issue", str(roster), "-o", str(outbox), "--year", str(YEAR), "--eml", "--from", "czj@example.gov.cn", "--portal", base, "--db", str(db)])
    assert code == 0
    with (outbox / "发放清单.csv").open(encoding="utf-8-sig") as manifest:
        issued = list(csv.DictReader(manifest))
    PortalTables.ensure(db)
    with PortalTables(db) as tables:
        tables.set_user(USER, hash_password(PASSWORD))
    return Collection(
        folder,
        db,
        roster,
        outbox,
        {row["部门名称"]: row["链接"].removeprefix(base) for row in issued},
        {row["部门名称"]: outbox / row["文件"] for row in issued},
    )


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return issue_collection(tmp_path)


def settings(collection: Collection, **changes: object) -> PortalSettings:
    return PortalSettings(db=collection.db, roster=collection.roster, scratch=collection.folder / "scratch", **changes)  # type: ignore[arg-type]


@pytest.fixture
def client(collection: Collection) -> Iterator[TestClient]:
    with TestClient(create_app(settings(collection)), raise_server_exceptions=False, follow_redirects=True) as client:
        yield client


def csrf(client: TestClient, url: str = "/login") -> str:
    """The CSRF token the page at ``url`` hands out (its cookie)."""
    client.get(url)
    return str(client.cookies["csrf"])


def sign_in(client: TestClient) -> None:
    response = client.post("/login", data={"csrf": csrf(client), "name": USER, "password": PASSWORD})
    assert response.status_code == 200 and response.url.path == "/bureau"


EVALUATION = "project-self-evaluation"
SAMPLE_EVALUATION = Path(__file__).resolve().parents[2] / "samples" / "zhanjiang-xinfang-2023-self-evaluation.xlsx"


def issue_form(collection: Collection, form: str, base: str = BASE) -> dict[str, str]:
    """Issue another form of the family to the same roster with ``xlsxform --form ID issue --portal``; department to its new link's path."""
    outbox = collection.folder / f"outbox-{form}"
    argv = [
        "--form",
        form,
        "issue",
        str(collection.roster),
        "-o",
        str(outbox),
        "--year",
        str(YEAR),
        "--portal",
        base,
        "--db",
        str(collection.db),
        "--overwrite",
    ]
    assert main(argv) == 0
    with (outbox / "发放清单.csv").open(encoding="utf-8-sig") as manifest:
        return {row["部门名称"]: row["链接"].removeprefix(base) for row in csv.DictReader(manifest)}


def self_evaluation(folder: Path, name: str, *, projects: tuple[str, ...] = (), year: int = YEAR, spent: str | None = None) -> Path:
    """A valid 自评表 of 湛江市信访局 for the year (the sample's figures); one
    sheet per project when ``projects`` are given; ``spent`` breaks its
    total 执行数."""
    import openpyxl

    from xlsxform import read, render
    from xlsxform.spec.loading import load_spec

    sample = read(SAMPLE_EVALUATION)
    target = folder / name
    render(sample.form.model_copy(update={"year": year}), target, spec=load_spec(EVALUATION))
    if not projects and spent is None:
        return target
    workbook = openpyxl.load_workbook(target)
    first = workbook.worksheets[0]
    if spent is not None:
        first[sample.cells["funds.total.spent"].rsplit("!", 1)[1]] = float(spent)
    project_cell = sample.cells["project"].rsplit("!", 1)[1]
    for n, project in enumerate(projects):
        sheet = first if n == 0 else workbook.copy_worksheet(first)
        if n:
            sheet.title = f"项目{n + 1}"
        sheet[project_cell] = project
    workbook.save(target)
    return target
