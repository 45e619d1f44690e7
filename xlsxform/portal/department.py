"""The department's pages, reached only through its private link /d/{token}.

A link shows one department's forms and returns, nothing else: every page
looks the link up again, and a checked upload belongs to the link that
uploaded it.  The page lists every form issued to the department for the
link's year (any of its live links opens the same page), and a department
may submit only those.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from xlsxform.portal import checking, family, issuing, progress, receiving
from xlsxform.portal.app import Portal, portal_of
from xlsxform.portal.tables import Link
from xlsxform.workbook.grid import range_box
from xlsxform.workbook.text import column_letter
from xlsxform.workbook.view import SheetView

CHECK_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
UPLOAD_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


def routes() -> list[Route]:
    return [
        Route("/d/{token}", home),
        Route("/d/{token}/template.xlsx", template),
        Route("/d/{token}/forms/{form}/template.xlsx", template),
        Route("/d/{token}/check", check, methods=["POST"]),
        Route("/d/{token}/checks/{check_id}", checked),
        Route("/d/{token}/checks/{check_id}/marked.xlsx", checked_marked),
        Route("/d/{token}/checks/{check_id}/submit", submit, methods=["POST"]),
        Route("/d/{token}/returns/{form:int}/marked.xlsx", return_marked),
    ]


def _link(request: Request) -> tuple[Portal, Link, str]:
    portal = portal_of(request)
    token = request.path_params["token"]
    if len(token) > 100:
        raise HTTPException(404)
    with portal.tables() as tables:
        link = tables.link(token)
    if link is None:
        raise HTTPException(404)
    return portal, link, token


def _limit(portal: Portal, link: Link) -> None:
    if not portal.department_limiter.allow(link.hash):
        raise HTTPException(429)


async def _owed(portal: Portal, link: Link) -> list[progress.Owed]:
    roster = await run_in_threadpool(issuing.current_roster, portal.db, portal.settings.roster)
    return await run_in_threadpool(progress.owed, portal.db, roster, link.department_key, link.year)


async def home(request: Request) -> Response:
    portal, link, token = _link(request)
    owed = await _owed(portal, link)
    returns = await run_in_threadpool(progress.history, portal.db, link.department_key, link.year)
    names = {f.id: f.name for f in family.forms()}
    done = request.query_params.get("submitted")
    return portal.page(
        request,
        "department.html",
        {"link": link, "token": token, "owed": owed, "returns": returns, "names": names, "submitted": done, "first": family.FIRST_FORM},
    )


async def template(request: Request) -> Response:
    portal, link, _ = _link(request)
    _limit(portal, link)
    form = request.path_params.get("form", link.form)
    with portal.tables() as tables:
        issued = {each.form for each in tables.issued_forms(link.department_key, link.year)} or {family.FIRST_FORM}
    if form not in issued:
        raise HTTPException(404)
    roster = await run_in_threadpool(issuing.current_roster, portal.db, portal.settings.roster)
    department = issuing.find(roster, link.department_key)
    folder = Path(tempfile.mkdtemp(dir=portal.scratch, prefix="template-"))
    target = folder / f"{family.safe_name(link.department)}.xlsx"
    await run_in_threadpool(issuing.template_for, department, link.department, link.year, target, form)
    name = family.form_kind(form).name
    return FileResponse(target, filename=f"{link.year}年{name}-{family.safe_name(link.department)}.xlsx", media_type=XLSX)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def check(request: Request) -> Response:
    portal, link, token = _link(request)
    _limit(portal, link)
    form = await portal.form(request)
    upload = form.get("workbook")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return portal.page(request, "error.html", {"status": 400, "title": "没有选择文件", "text": "请先选择要检查的表格文件（.xlsx）再点“检查”。"}, status=400)
    suffix = Path(upload.filename).suffix.lower()
    data = await upload.read(portal.settings.max_upload + 1)
    if len(data) > portal.settings.max_upload:
        raise HTTPException(413)
    await run_in_threadpool(portal.clean_scratch_now_and_then)
    check_id = secrets.token_urlsafe(18)
    folder = portal.scratch / check_id
    folder.mkdir()
    source = folder / f"upload{suffix if suffix in UPLOAD_SUFFIXES else '.xlsx'}"
    source.write_bytes(data)
    result, _ = await run_in_threadpool(checking.check, source)
    meta = {
        "link": link.hash,
        "file_name": Path(upload.filename).name[:200],
        "source": source.name,
        "readable": result.readable,
        "errors": result.errors,
        "warnings": result.warnings,
        "owner": result.owner,
        "year": result.year,
        "forms": [sheet.form.id for sheet in result.sheets],
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    portal.audit(
        request,
        f"link:{link.department}",
        "upload",
        file=meta["file_name"],
        size=len(data),
        readable=result.readable,
        errors=result.errors,
        forms=meta["forms"],
    )
    return RedirectResponse(f"/d/{token}/checks/{check_id}", status_code=303)


@dataclass
class _Check:
    folder: Path
    source: Path
    meta: dict[str, Any]


def _own_check(portal: Portal, link: Link, check_id: str) -> _Check:
    """The checked upload, if this link uploaded it and it is still kept."""
    if not CHECK_ID.match(check_id):
        raise HTTPException(404)
    folder = portal.scratch / check_id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise HTTPException(404) from None
    if not secrets.compare_digest(meta.get("link", ""), link.hash):
        raise HTTPException(404)
    return _Check(folder, folder / meta["source"], meta)


async def checked(request: Request) -> Response:
    portal, link, token = _link(request)
    own = _own_check(portal, link, request.path_params["check_id"])
    result, reading = await run_in_threadpool(checking.check, own.source)
    sheet = await run_in_threadpool(checking.view, own.source, reading) if result.readable else None
    marked = own.folder / "marked.xlsx"
    if result.readable and not marked.exists():
        await run_in_threadpool(checking.marked_copy, own.source, result.problems, marked)
    blocker = _blocker(result, link, _issued(portal, link))
    return portal.page(
        request,
        "check.html",
        {
            "link": link,
            "token": token,
            "check_id": request.path_params["check_id"],
            "file_name": own.meta["file_name"],
            "result": result,
            "grid": draw(sheet, result.problems) if sheet else None,
            "marked": marked.exists(),
            "blocker": blocker,
        },
    )


def _issued(portal: Portal, link: Link) -> set[str]:
    """The forms issued to the link's department for its year (the first form when none was recorded)."""
    with portal.tables() as tables:
        return {each.form for each in tables.issued_forms(link.department_key, link.year)} or {family.FIRST_FORM}


def _blocker(result: checking.Checked, link: Link, issued: set[str]) -> str:
    """Why this upload cannot be submitted through this link, or '' (every
    sheet of a workbook of several forms is looked at)."""
    if not result.readable:
        return "文件无法读取，不能提交。"
    for sheet in result.sheets:
        if sheet.owner and family.key_of(sheet.owner) != link.department_key:
            return f"这份表格属于“{sheet.owner}”，不是“{link.department}”的表格，不能通过本单位的链接提交。"
        if sheet.year is not None and sheet.year != link.year:
            return f"这份表格是 {sheet.year} 年的，本链接收取 {link.year} 年的表格。"
        if sheet.form.id not in issued:
            return f"这份表格是“{sheet.form.name}”，财政局没有向本单位发放 {link.year} 年的这种表格，不能提交。"
    return ""


async def checked_marked(request: Request) -> Response:
    portal, link, _ = _link(request)
    own = _own_check(portal, link, request.path_params["check_id"])
    marked = own.folder / "marked.xlsx"
    if not marked.exists():
        raise HTTPException(404)
    stem = Path(own.meta["file_name"]).stem or "表格"
    return FileResponse(marked, filename=f"{family.safe_name(stem)}-需修改.xlsx", media_type=XLSX)


async def submit(request: Request) -> Response:
    portal, link, token = _link(request)
    _limit(portal, link)
    await portal.form(request)
    own = _own_check(portal, link, request.path_params["check_id"])
    result, _ = await run_in_threadpool(checking.check, own.source)
    blocker = _blocker(result, link, _issued(portal, link))
    if blocker:
        raise HTTPException(403, blocker)
    named = own.folder / "submit" / family.safe_name(Path(own.meta["file_name"]).stem or "表格")
    named = named.with_suffix(own.source.suffix)
    named.parent.mkdir(exist_ok=True)
    named.write_bytes(own.source.read_bytes())
    roster = await run_in_threadpool(issuing.current_roster, portal.db, portal.settings.roster)
    outcome = await run_in_threadpool(receiving.submit, named, portal.db, roster)
    portal.audit(
        request,
        f"link:{link.department}",
        "submit",
        file=own.meta["file_name"],
        outcome=outcome.status,
        form=outcome.form,
        errors=outcome.errors,
        kinds=[sheet.form.id for sheet in result.sheets],
        receipts=outcome.receipts,
    )
    return RedirectResponse(f"/d/{token}?submitted={outcome.status}", status_code=303)


async def return_marked(request: Request) -> Response:
    portal, link, _ = _link(request)
    form_id = request.path_params["form"]
    record = await run_in_threadpool(progress.stored_form, portal.db, form_id)
    if record is None or record.department_key != link.department_key:
        raise HTTPException(404)
    folder = Path(tempfile.mkdtemp(dir=portal.scratch, prefix="marked-"))
    target = folder / "marked.xlsx"
    if not await run_in_threadpool(progress.stored_marked_copy, portal.db, record, target):
        raise HTTPException(404)
    return FileResponse(target, filename=f"{family.safe_name(link.department)}-需修改.xlsx", media_type=XLSX)


# -- the form as a table ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    ref: str
    text: str
    rowspan: int
    colspan: int
    level: str
    """'error', 'warning' or ''."""
    numbers: list[int]
    formula: bool


def _position(ref: str) -> tuple[int, int] | None:
    """The (row, col) of a problem's cell ('绩效目标表!C7'), or None."""
    try:
        row, col, _, _ = range_box(ref.rsplit("!", 1)[-1].upper())
    except ValueError:
        return None
    return row, col


def draw(sheet: SheetView, problems: list[Any]) -> dict[str, Any]:
    """The sheet as rows of cells to draw, each problem on its cell (the
    top-left cell of a merged range, as a person sees it)."""
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in sheet.merges:
        spans[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    covered[(r, c)] = (r1, c1)
    marks: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for number, problem in enumerate(problems, 1):
        if not problem.cell:
            continue
        where, bang, _ = str(problem.cell).rpartition("!")
        if bang and where.strip("'") != sheet.name:
            continue  # a problem of another sheet of the workbook
        place = _position(problem.cell)
        if place is None:
            continue
        place = covered.get(place, place)
        marks.setdefault(place, []).append((number, str(problem.severity)))
    rows = max(sheet.rows, *(r for r, _ in marks)) if marks else sheet.rows
    cols = max(sheet.cols, *(c for _, c in marks)) if marks else sheet.cols
    drawn = []
    for r in range(1, rows + 1):
        cells = []
        for c in range(1, cols + 1):
            if (r, c) in covered:
                continue
            rowspan, colspan = spans.get((r, c), (1, 1))
            found = marks.get((r, c), [])
            level = "error" if any(s == "error" for _, s in found) else "warning" if found else ""
            cells.append(Cell(f"{column_letter(c)}{r}", sheet.text.get((r, c), ""), rowspan, colspan, level, [n for n, _ in found], (r, c) in sheet.formulas))
        drawn.append((r, cells))
    return {"name": sheet.name, "columns": [column_letter(c) for c in range(1, cols + 1)], "rows": drawn}
