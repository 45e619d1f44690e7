"""The bureau's pages: login, the dashboard, each department, who is
missing, intake, roster and issue, exports and the audit log.

Every page but the login needs a signed-in account (``xlsxform user add``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from xlsxform.errors import XlsxformError
from xlsxform.portal import family, issuing, progress, receiving, reports, security
from xlsxform.portal.app import SESSION_COOKIE, Portal, portal_of
from xlsxform.portal.tables import SESSION_HOURS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def routes() -> list[Route]:
    return [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/bureau", dashboard),
        Route("/bureau/departments/{key}", department),
        Route("/bureau/departments/{key}/revoke", revoke, methods=["POST"]),
        Route("/bureau/forms/{form:int}/marked.xlsx", form_marked),
        Route("/bureau/forms/{form:int}/original", form_original),
        Route("/bureau/missing", missing),
        Route("/bureau/held", held, methods=["GET", "POST"]),
        Route("/bureau/intake", intake, methods=["GET", "POST"]),
        Route("/bureau/roster", roster_page, methods=["GET", "POST"]),
        Route("/bureau/issue", issue_page, methods=["GET", "POST"]),
        Route("/bureau/exports/{name}", exports),
        Route("/bureau/audit", audit),
    ]


def _signed_in(request: Request) -> Portal:
    """The portal, with the signed-in account on ``request.state.user``; else to the login page."""
    portal = portal_of(request)
    session = request.cookies.get(SESSION_COOKIE)
    user = None
    if session and len(session) < 100:
        with portal.tables() as tables:
            user = tables.session_user(session)
    if user is None:
        raise HTTPException(303, headers={"location": "/login"})
    request.state.user = user
    return portal


def _form_id(request: Request) -> str:
    """The form a page is about (?form=ID), the first form by default."""
    return family.chosen_form(request.query_params.get("form"))


def _year(request: Request) -> int | None:
    text = request.query_params.get("year", "")
    return int(text) if text.isdigit() and 1900 < int(text) < 3000 else None


async def _roster(portal: Portal) -> Any:
    return await run_in_threadpool(issuing.current_roster, portal.db, portal.settings.roster)


# -- signing in -------------------------------------------------------------------------


async def login(request: Request) -> Response:
    portal = portal_of(request)
    if request.method == "GET":
        return portal.page(request, "login.html", {"failed": False, "name": ""})
    form = await portal.form(request)
    name = str(form.get("name") or "").strip()[:100]
    password = str(form.get("password") or "")[:1000]
    client = request.client.host if request.client else ""
    if not portal.login_limiter.allow(f"name:{name}") or not portal.client_limiter.allow(f"client:{client}"):
        portal.audit(request, name or "-", "login-limited")
        raise HTTPException(429)
    with portal.tables() as tables:
        stored = tables.password_hash(name)
    ok = await run_in_threadpool(security.verify_password, password, stored)
    portal.audit(request, name or "-", "login" if ok else "login-failed")
    if not ok:
        return portal.page(request, "login.html", {"failed": True, "name": name}, status=401)
    with portal.tables() as tables:
        session = tables.open_session(name)
    response = RedirectResponse("/bureau", status_code=303)
    portal.cookie(request, response, SESSION_COOKIE, session, max_age=SESSION_HOURS * 3600)
    return response


async def logout(request: Request) -> Response:
    portal = _signed_in(request)
    await portal.form(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    with portal.tables() as tables:
        tables.close_session(session)
    portal.audit(request, request.state.user, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- following the collection -------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    portal = _signed_in(request)
    roster = await _roster(portal)
    standing = await run_in_threadpool(progress.standing, portal.db, roster, _year(request), _form_id(request))
    return portal.page(
        request,
        "dashboard.html",
        {"standing": standing, "roster": roster, "forms": family.forms(), "row_keys": [progress.row_key(r) for r in standing.rows]},
    )


async def department(request: Request) -> Response:
    portal = _signed_in(request)
    key = request.path_params["key"]
    year = _year(request)
    form = _form_id(request)
    roster = await _roster(portal)
    standing = await run_in_threadpool(progress.standing, portal.db, roster, year, form)
    mine = progress.department_rows(standing.rows, key)
    if not mine:
        raise HTTPException(404)
    row = mine[0]
    returns = await run_in_threadpool(progress.history, portal.db, key, standing.year, form)
    problems = [p for r in mine if r.form for p in await run_in_threadpool(progress.stored_problems, portal.db, r.form.id)]
    with portal.tables() as tables:
        links = [link for link in tables.links(key) if standing.year is None or link.year == standing.year]
    waiting = [h for h in await run_in_threadpool(receiving.held, portal.db, standing.year, key) if any(h.receipt in {r.id for r in m.held} for m in mine)]
    scratch = str(portal.scratch)
    came_from = {f.id: _came_from(f.source, scratch) for f in returns}
    names = {f.id: f.name for f in family.forms()}
    return portal.page(
        request,
        "bureau_department.html",
        {
            "row": row,
            "rows": mine,
            "key": key,
            "returns": returns,
            "problems": problems,
            "links": links,
            "names": names,
            "year": standing.year,
            "form": standing.form,
            "held": waiting,
            "came_from": came_from,
        },
    )


def _came_from(source: str, scratch: str) -> str:
    """Where a return came from, as the officer reads it: the portal's own
    temporary paths are not shown."""
    if source.startswith(scratch):
        return "部门网上提交" if "/submit/" in source.replace("\\", "/") else "财政局网上收取"
    return source


async def revoke(request: Request) -> Response:
    portal = _signed_in(request)
    await portal.form(request)
    key = request.path_params["key"]
    with portal.tables() as tables:
        count = tables.revoke(key)
    portal.audit(request, request.state.user, "revoke", department_key=key, links=count)
    return RedirectResponse(f"/bureau/departments/{key}", status_code=303)


async def _form(portal: Portal, request: Request) -> Any:
    record = await run_in_threadpool(progress.stored_form, portal.db, request.path_params["form"])
    if record is None:
        raise HTTPException(404)
    return record


async def form_marked(request: Request) -> Response:
    portal = _signed_in(request)
    record = await _form(portal, request)
    target = Path(tempfile.mkdtemp(dir=portal.scratch, prefix="marked-")) / "marked.xlsx"
    if not await run_in_threadpool(progress.stored_marked_copy, portal.db, record, target):
        raise HTTPException(404)
    return FileResponse(target, filename=f"{family.safe_name(record.department)}-需修改.xlsx", media_type=XLSX)


async def form_original(request: Request) -> Response:
    portal = _signed_in(request)
    record = await _form(portal, request)
    data = await run_in_threadpool(progress.stored_file, portal.db, record)
    if data is None:
        raise HTTPException(404)
    name = family.safe_name(Path(record.file_name).stem) + (Path(record.file_name).suffix.lower() or ".xlsx")
    return Response(data, media_type="application/octet-stream", headers={"content-disposition": _attachment(name)})


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"form{Path(name).suffix}\"; filename*=UTF-8''{quote(name)}"


async def missing(request: Request) -> Response:
    portal = _signed_in(request)
    roster = await _roster(portal)
    standing = await run_in_threadpool(progress.standing, portal.db, roster, _year(request), _form_id(request))
    rows = [r for r in standing.rows if r.state == "missing"]
    return portal.page(
        request,
        "missing.html",
        {"standing": standing, "rows": rows, "roster": roster, "forms": family.forms(), "addresses": "; ".join(r.email for r in rows if r.email)},
    )


async def held(request: Request) -> Response:
    portal = _signed_in(request)
    if request.method == "POST":
        form = await portal.form(request)
        text = str(form.get("receipt") or "")
        if not text.isdigit():
            raise HTTPException(400)
        try:
            department = await run_in_threadpool(receiving.accept, portal.db, int(text))
        except XlsxformError as exc:
            return portal.page(request, "error.html", {"status": 400, "title": "无法采用", "text": exc.zh}, status=400)
        portal.audit(request, request.state.user, "accept", receipt=int(text), department=department)
        back = str(form.get("back") or "/bureau/held")
        return RedirectResponse(back if back.startswith("/bureau") else "/bureau/held", status_code=303)
    rows = await run_in_threadpool(receiving.held, portal.db, _year(request))
    return portal.page(request, "held.html", {"rows": rows})


# -- doing what the command line does ---------------------------------------------------------


async def intake(request: Request) -> Response:
    portal = _signed_in(request)
    if request.method == "GET":
        return portal.page(request, "intake.html", {"summary": None})
    form = await portal.form(request)
    uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]
    if not uploads:
        return portal.page(request, "intake.html", {"summary": None, "empty": True}, status=400)
    with tempfile.TemporaryDirectory(dir=portal.scratch, prefix="intake-") as scratch:
        paths = []
        for n, upload in enumerate(uploads):
            folder = Path(scratch) / str(n)
            folder.mkdir()
            path = folder / (family.safe_name(Path(upload.filename or "").stem) + Path(upload.filename or "").suffix.lower()[:10])
            path.write_bytes(await upload.read())
            paths.append(path)
        roster = await _roster(portal)
        summary = await run_in_threadpool(receiving.intake, paths, portal.db, roster)
    portal.audit(
        request,
        request.state.user,
        "intake",
        files=len(paths),
        stored=summary.count("stored"),
        refused=summary.count("refused"),
        known=summary.count("known"),
        duplicate=summary.count("duplicate"),
    )
    return portal.page(request, "intake.html", {"summary": summary})


async def roster_page(request: Request) -> Response:
    portal = _signed_in(request)
    error = ""
    if request.method == "POST":
        form = await portal.form(request)
        upload = form.get("roster")
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = "请选择名单文件（.csv 或 .xlsx）。"
        else:
            data = await upload.read()
            name = Path(upload.filename).name[:200]
            try:
                await run_in_threadpool(issuing.roster_from_bytes, name, data)
            except XlsxformError as exc:
                error = exc.zh
            else:
                with portal.tables() as tables:
                    tables.set_roster(name, data)
                portal.audit(request, request.state.user, "roster", file=name)
                return RedirectResponse("/bureau/roster", status_code=303)
    try:
        roster = await _roster(portal)
    except XlsxformError as exc:
        roster, error = None, error or exc.zh
    return portal.page(request, "roster.html", {"roster": roster, "error": error}, status=400 if error and request.method == "POST" else 200)


def _deadline(text: str) -> str:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        return text.strip()[:50]
    return f"{day.year}年{day.month}月{day.day}日"


async def issue_page(request: Request) -> Response:
    portal = _signed_in(request)
    roster = await _roster(portal)
    next_year = dt.date.today().year + 1
    defaults = {
        "year": next_year,
        "deadline": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        "sender": portal.settings.sender,
        "sender_name": "市财政局",
        "form": family.FIRST_FORM,
    }
    smtp = portal.settings.smtp
    context = {"roster": roster, "smtp": smtp, "sent": None, "forms": family.forms()}
    if request.method == "GET":
        return portal.page(request, "issue.html", context | {"values": defaults, "error": ""})
    form = await portal.form(request)
    values = {k: str(form.get(k) or "").strip()[:200] for k in defaults}
    values["form"] = values["form"] or family.FIRST_FORM
    error = ""
    if roster is None:
        error = "请先上传部门名单。"
    elif not values["year"].isdigit() or not 2000 <= int(values["year"]) <= 2100:
        error = "年度须为 2000 到 2100 之间的整数。"
    elif "@" not in values["sender"]:
        error = "请填写发件人邮箱。"
    elif values["form"] not in {f.id for f in family.forms()}:
        error = "请选择要发放的表格。"
    if error:
        return portal.page(request, "issue.html", context | {"values": values, "error": error}, status=400)
    base = portal.settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
    issue = issuing.IssueRequest(int(values["year"]), _deadline(values["deadline"]), values["sender"], values["sender_name"], base, values["form"])
    if form.get("action") == "send" and smtp is not None:
        try:
            sent = await run_in_threadpool(issuing.issue_and_send, roster, issue, portal.db, smtp)
        except XlsxformError as exc:
            return portal.page(request, "issue.html", context | {"values": values, "error": exc.zh}, status=502)
        portal.audit(request, request.state.user, "issue", year=issue.year, form=issue.form, departments=len(sent), sent=sum(s.ok for s in sent))
        return portal.page(request, "issue.html", context | {"values": values, "error": "", "sent": sent})
    target = Path(tempfile.mkdtemp(dir=portal.scratch, prefix="issue-")) / "issue.zip"
    issued = await run_in_threadpool(issuing.issue_bundle, roster, issue, portal.db, target)
    portal.audit(request, request.state.user, "issue", year=issue.year, form=issue.form, departments=len(issued))
    return FileResponse(target, filename=f"{issue.year}年{family.form_kind(issue.form).name}-发放.zip", media_type="application/zip")


EXPORTS = {
    "status.zip": ("返回情况", "application/zip"),
    "rollup.xlsx": ("汇总表", XLSX),
    "rollup.json": ("汇总表", "application/json"),
    "rollup.zip": ("汇总表-csv", "application/zip"),
}


async def exports(request: Request) -> Response:
    portal = _signed_in(request)
    name = request.path_params["name"]
    if name not in EXPORTS:
        raise HTTPException(404)
    year = _year(request)
    form = _form_id(request)
    folder = Path(tempfile.mkdtemp(dir=portal.scratch, prefix="export-"))
    if name == "status.zip":
        roster = await _roster(portal)
        path = await run_in_threadpool(reports.status_report, portal.db, roster, year, folder / "返回情况.xlsx", form)
    else:
        suffix = ".csv" if name == "rollup.zip" else Path(name).suffix
        path = await run_in_threadpool(reports.rollup, portal.db, year, folder / f"汇总表{suffix}", form)
    portal.audit(request, request.state.user, "export", file=name, year=year, form=form)
    title, media = EXPORTS[name]
    kind = family.form_kind(form).name
    return FileResponse(path, filename=f"{year or ''}{'年' if year else ''}{kind}{title}{Path(name).suffix}", media_type=media)


async def audit(request: Request) -> Response:
    portal = _signed_in(request)
    with portal.tables() as tables:
        entries = tables.audit_log(300)
    return portal.page(request, "audit.html", {"entries": entries})
