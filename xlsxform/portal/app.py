"""The portal's ASGI application: settings, middleware, pages for errors, and
the helpers the pages share (templates, CSRF, sessions, audit, limits).

:func:`create_app` builds it; ``xlsxform serve`` runs it with uvicorn.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from xlsxform.errors import PortalError
from xlsxform.portal import security
from xlsxform.portal.tables import PortalTables

if TYPE_CHECKING:
    from xlsxform.portal.issuing import MailServer

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "xlsxform_session"
MiB = 1 << 20


@dataclass
class PortalSettings:
    """How one portal runs: its database, roster and limits."""

    db: Path
    roster: Path | None = None
    """A roster file to start from (``serve --roster``); one uploaded on the bureau's roster page replaces it."""
    max_upload: int = 10 * MiB
    """Largest workbook a department may upload (a filled form is about 30 KB)."""
    max_intake: int = 200 * MiB
    """Largest request of the bureau's intake page (several workbooks, e-mails, a mailbox)."""
    department_rate: tuple[int, float] = (30, 60.0)
    """Uploads and submits per department link: so many per so many seconds."""
    login_rate: tuple[int, float] = (5, 300.0)
    """Login attempts per account name, and (times four) per client address."""
    scratch: Path | None = None
    """Where uploads wait between check and submit, and downloads are made
    (default: the folder ``<db>.uploads`` beside the database); cleaned of
    whatever is older than ``check_hours``."""
    check_hours: float = 4.0
    """How long a checked upload can still be submitted."""
    smtp: MailServer | None = None
    """The mail server the issue page sends through, or None: drafts only."""
    sender: str = ""
    """The issue page's default sender address."""
    public_url: str = ""
    """The address departments reach the portal at (https://yjx.czj.example), for
    links issued on the web; default: the address the officer's request came to."""


class Portal:
    """What the pages share: settings, templates, limiters, the scratch folder."""

    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        self.db = Path(settings.db)
        PortalTables.ensure(self.db)
        self.scratch = Path(settings.scratch) if settings.scratch else self.db.with_name(self.db.name + ".uploads")
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._cleaned = time.monotonic()
        self.department_limiter = security.RateLimiter(*settings.department_rate)
        self.login_limiter = security.RateLimiter(*settings.login_rate)
        self.client_limiter = security.RateLimiter(settings.login_rate[0] * 4, settings.login_rate[1])
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        from xlsxform.collection.roster import department_key
        from xlsxform.collection.status import local_time
        from xlsxform.portal.checking import advice

        self.templates.filters["local"] = local_time
        self.templates.filters["advice"] = advice
        self.templates.filters["key"] = department_key

    def tables(self) -> PortalTables:
        return PortalTables(self.db)

    # -- pages ----------------------------------------------------------------

    def page(self, request: Request, name: str, context: Mapping[str, Any] | None = None, status: int = 200) -> HTMLResponse:
        """A page from a template, with its CSRF token (and cookie when new)."""
        token = request.cookies.get(security.CSRF_COOKIE) or ""
        fresh = not token or len(token) > 64
        if fresh:
            token = security.new_csrf()
        values = {"request": request, "csrf": token, "user": getattr(request.state, "user", None), "STATES": _states(), "form_names": _form_names()}
        values |= dict(context or {})
        response = HTMLResponse(self.templates.get_template(name).render(values), status_code=status)
        if fresh:
            self.cookie(request, response, security.CSRF_COOKIE, token)
        return response

    def cookie(self, request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")

    async def form(self, request: Request) -> FormData:
        """The POSTed form, its CSRF token and origin checked (403 otherwise)."""
        form = await request.form(max_files=200, max_fields=100)
        field = form.get(security.CSRF_FIELD)
        host = f"{request.url.scheme}://{request.url.netloc}"
        if not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), field if isinstance(field, str) else None) or not security.same_origin(
            request.headers, host
        ):
            raise HTTPException(403, "csrf")
        return form

    def audit(self, request: Request, actor: str, action: str, **detail: Any) -> None:
        client = request.client.host if request.client else ""
        with self.tables() as tables:
            tables.audit(actor, action, client, **detail)

    def clean_scratch_now_and_then(self) -> None:
        """Clean the scratch folder at most every ten minutes."""
        moment = time.monotonic()
        if moment - self._cleaned > 600:
            self._cleaned = moment
            self.clean_scratch()

    def clean_scratch(self) -> None:
        """Remove checked uploads older than ``check_hours``."""
        cutoff = time.time() - self.settings.check_hours * 3600
        for folder in self.scratch.iterdir():
            with contextlib.suppress(OSError):
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)


def _states() -> dict[str, str]:
    from xlsxform.portal.progress import STATES

    return STATES


def _form_names() -> dict[str, str]:
    """Each built-in form's name by its id, for every page."""
    from xlsxform.portal.family import forms

    return {form.id: form.name for form in forms()}


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


# -- errors ---------------------------------------------------------------------------

ERRORS = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页重新操作。"),
    403: ("无法提交", "页面已过期或来源不明（为防止伪造提交），请刷新页面后重新操作。"),
    404: ("找不到此页面", "链接不存在或已作废。请使用财政局最新发来的链接，或与财政局联系。"),
    405: ("不支持此操作", "请从页面上的按钮进行操作。"),
    413: ("文件过大", "上传的文件超过大小上限。一份填好的表格通常只有几十 KB，请确认选择的是正确的文件。"),
    429: ("操作过于频繁", "请稍等几分钟再试。"),
    500: ("系统出错", "服务器处理时出现意外错误，已记录。请稍后再试，或与财政局联系。"),
}


def error_page(request: Request, status: int, detail: str = "") -> Response:
    portal = portal_of(request)
    title, text = ERRORS.get(status, ERRORS[400])
    if status == 403 and detail not in ("", "csrf"):
        text = detail
    response = portal.page(request, "error.html", {"status": status, "title": title, "text": text}, status=status)
    if status == 429:
        response.headers["retry-after"] = "60"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307) and exc.headers:
        return RedirectResponse(exc.headers["location"], status_code=303)
    return error_page(request, exc.status_code, str(exc.detail or ""))


async def _too_large(request: Request, exc: Exception) -> Response:
    return error_page(request, 413)


async def _portal_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PortalError)
    status = {"rate-limited": 429, "too-large": 413, "bad-token": 404, "csrf": 403}.get(exc.code, 400)
    response = error_page(request, status)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500)


class _Limited:
    """The upload limit around the whole application: the department's pages
    take one workbook, the bureau's intake several files."""

    def __init__(self, app: Starlette, settings: PortalSettings) -> None:
        self.app = app
        self.small = security.BodyLimit(app, settings.max_upload + MiB, self._refuse)
        self.large = security.BodyLimit(app, settings.max_intake, self._refuse)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        chosen = self.large if path.startswith("/bureau/") else self.small
        await chosen(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_page(request, 413)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


class PortalApp:
    """The ASGI application: security headers outside, the upload limit, then Starlette."""

    def __init__(self, app: Starlette, settings: PortalSettings) -> None:
        self.starlette = app
        self.state = app.state
        self._app = security.SecurityHeaders(_Limited(app, settings))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self.starlette
        await self._app(scope, receive, send)


def create_app(settings: PortalSettings) -> PortalApp:
    """The portal for one database."""
    from xlsxform.portal import bureau, department

    portal = Portal(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(portal.clean_scratch)
        yield

    routes = [
        Route("/", lambda request: RedirectResponse("/bureau", status_code=303)),
        Route("/healthz", lambda request: Response("ok", media_type="text/plain")),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *department.routes(),
        *bureau.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            security.BodyTooLarge: _too_large,
            PortalError: _portal_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.portal = portal
    return PortalApp(app, settings)
