"""The portal's commands: serve and user add (the portal itself is :mod:`xlsxform.portal`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform.cli.common import OK, Say, _say, add_smtp_login
from xlsxform.errors import os_reason

if TYPE_CHECKING:
    pass


SERVE_EPILOG_ZH = """\
在财政局的 HTTPS 反向代理（如 nginx）之后运行：
  xlsxform serve --db forms.sqlite --host 127.0.0.1 --port 8000 --proxy-headers --forwarded-allow-ips 127.0.0.1
代理须把 https 请求转发到 http://127.0.0.1:8000，并设置 Host、X-Forwarded-Proto 和 X-Forwarded-For；
网上发放的链接以 --public-url 为准（如 https://yjx.czj.example）。
这样本程序知道访问是 HTTPS：Cookie 带 Secure 标记，并发送 HSTS。不要让外部直接访问 8000 端口。
代理的上传上限（nginx 的 client_max_body_size）须不小于 --max-intake-mb。
账号：xlsxform user add 用户名 --db forms.sqlite（密码从提示输入，或取自环境变量 XLSXFORM_PASSWORD）。"""
SERVE_EPILOG_EN = """\
Behind the bureau's HTTPS reverse proxy (nginx, say):
  xlsxform serve --db forms.sqlite --host 127.0.0.1 --port 8000 --proxy-headers --forwarded-allow-ips 127.0.0.1
The proxy forwards https to http://127.0.0.1:8000 and sets Host, X-Forwarded-Proto and X-Forwarded-For
(links issued on the web start with --public-url, e.g. https://yjx.czj.example),
so the portal knows it is reached over HTTPS: cookies are marked Secure and HSTS is sent.
Keep port 8000 closed to everyone else. The proxy's upload limit (client_max_body_size) must be at least --max-intake-mb.
Accounts: xlsxform user add NAME --db forms.sqlite (password at a prompt, or from XLSXFORM_PASSWORD)."""


def _serve_parser(commands: Any, t: Say) -> None:
    serve = commands.add_parser(
        "serve",
        help=t("运行网上门户：各部门自查并提交表格，财政局查看返回情况", "run the web portal: departments check and return forms, the bureau follows up"),
        epilog=t(SERVE_EPILOG_ZH, SERVE_EPILOG_EN),
        raw_epilog=True,
    )
    serve.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("数据库文件（不存在则新建）", "database file (created if missing)"))
    serve.add_argument("--roster", type=Path, metavar=t("名单", "ROSTER"), help=t("部门名单（也可在网页上上传）", "roster (can also be uploaded on the web)"))
    serve.add_argument("--host", default="127.0.0.1", help=t("监听地址（默认 127.0.0.1，仅本机）", "address to listen on (default 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=t("端口（默认 8000）", "port (default 8000)"))
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help=t("信任代理的 X-Forwarded-Proto/For（在 HTTPS 代理之后时使用）", "trust X-Forwarded-Proto/For from the proxy"),
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar=t("地址", "IPS"),
        help=t("可信代理的地址，逗号分隔（默认 127.0.0.1）", "trusted proxy addresses, comma-separated"),
    )
    serve.add_argument(
        "--smtp",
        metavar=t("主机:端口", "HOST:PORT"),
        help=t("发放页面可经此邮件服务器直接发送（不给则只生成邮件草稿）", "the issue page may send through this SMTP server (else drafts only)"),
    )
    add_smtp_login(serve, t)
    serve.add_argument("--from", dest="sender", default="", metavar=t("邮箱", "ADDRESS"), help=t("发放页面默认的发件人邮箱", "the issue page's sender address"))
    serve.add_argument(
        "--public-url",
        metavar=t("地址", "URL"),
        help=t(
            "各部门访问门户的地址（如 https://yjx.czj.example），用于网上发放时生成的链接（默认取自访问时的地址）",
            "the address departments reach the portal at, for links issued on the web (default: as requested)",
        ),
    )
    serve.add_argument("--max-upload-mb", type=int, default=10, metavar="MB", help=t("部门上传一个文件的上限（默认 10 MB）", "largest department upload"))
    serve.add_argument("--max-intake-mb", type=int, default=200, metavar="MB", help=t("财政局一次收取的上限（默认 200 MB）", "largest bureau intake"))


def _user_parser(commands: Any, t: Say) -> None:
    user = commands.add_parser("user", help=t("管理门户的财政局账号", "manage the portal's bureau accounts"))
    actions = user.add_subparsers(dest="action", metavar=t("操作", "ACTION"), required=True, prog="xlsxform user")
    add = actions.add_parser(
        "add",
        help=t(
            "新建账号或修改密码（密码从提示输入，或取自环境变量 XLSXFORM_PASSWORD）",
            "add an account or change its password (prompted, or from XLSXFORM_PASSWORD)",
        ),
    )
    add.add_argument("name", metavar=t("用户名", "NAME"))
    add.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("门户的数据库文件", "the portal's database"))


def _serve(args: argparse.Namespace) -> int:
    from xlsxform.errors import PortalError

    try:
        import uvicorn

        from xlsxform.portal.app import MiB, PortalSettings, create_app
        from xlsxform.portal.links import base_url
    except ImportError as exc:
        raise PortalError(
            f"门户所需的软件包未安装（{exc.name}）：请安装 xlsxform[portal]",
            f"the portal's packages are not installed ({exc.name}): install xlsxform[portal]",
            code="not-installed",
        ) from None

    if args.roster is not None:
        from xlsxform.collection.roster import read_roster

        read_roster(args.roster)  # a bad roster is one line now, not a page later
    app = create_app(
        PortalSettings(
            db=args.db,
            roster=args.roster,
            max_upload=args.max_upload_mb * MiB,
            max_intake=args.max_intake_mb * MiB,
            smtp=_mail_server(args),
            sender=args.sender,
            public_url=base_url(args.public_url) if args.public_url else "",
        )
    )
    _free(args.host, args.port)
    _say(args, f"门户已启动：http://{args.host}:{args.port}/login（Ctrl+C 停止）", f"portal running: http://{args.host}:{args.port}/login (Ctrl+C to stop)")
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        log_level="warning",
    )
    return OK


def _free(host: str, port: int) -> None:
    """The address can be listened on: else one line in Chinese, not uvicorn's."""
    import socket

    from xlsxform.errors import PortalError

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise PortalError(f"端口 {port} 已被占用，请换一个 --port", f"port {port} is in use; try another --port", code="address-in-use") from None
        raise PortalError(
            f"无法在 {host}:{port} 上监听（{os_reason(exc)}）", f"cannot listen on {host}:{port} ({os_reason(exc, 'en')})", code="cannot-listen"
        ) from None


def _mail_server(args: argparse.Namespace) -> Any:
    """``serve --smtp``: the server the issue page sends through, or None."""
    if not args.smtp:
        return None
    from xlsxform.collection.mail import PASSWORD_VARIABLE, parse_server
    from xlsxform.errors import MailError
    from xlsxform.portal.issuing import MailServer

    host, port = parse_server(args.smtp)
    password = os.environ.get(PASSWORD_VARIABLE) if args.smtp_user else None
    if args.smtp_user and password is None:
        raise MailError(
            f"请在环境变量 {PASSWORD_VARIABLE} 中提供邮件服务器密码", f"set the mail server password in the environment variable {PASSWORD_VARIABLE}"
        )
    return MailServer(host, port, args.starttls, args.smtp_user, password)


PASSWORD_ENV = "XLSXFORM_PASSWORD"


def _user(args: argparse.Namespace) -> int:
    from xlsxform.errors import PortalError
    from xlsxform.portal.security import MIN_PASSWORD, hash_password
    from xlsxform.portal.tables import PortalTables

    name = args.name.strip()
    if not name or len(name) > 64 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise PortalError("用户名不能为空，不能含空格，最长 64 个字符", "the name must be 1 to 64 characters without spaces", code="bad-name")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        import getpass

        password = getpass.getpass("密码：" if args.lang != "en" else "Password: ")
        if getpass.getpass("再次输入：" if args.lang != "en" else "Again: ") != password:
            raise PortalError("两次输入的密码不一致", "the passwords differ", code="password-mismatch")
    if len(password) < MIN_PASSWORD:
        raise PortalError(f"密码至少 {MIN_PASSWORD} 个字符", f"the password needs at least {MIN_PASSWORD} characters", code="weak-password")
    PortalTables.ensure(args.db)
    with PortalTables(args.db) as tables:
        new = tables.set_user(name, hash_password(password))
    _say(args, f"已{'新建账号' if new else '修改密码'}：{name}", f"{'added' if new else 'changed the password of'} {name}")
    return OK
