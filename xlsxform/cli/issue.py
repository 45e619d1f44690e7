"""The issue command: every department's pre-filled workbook, with its
e-mail as a draft (--eml) or sent (--smtp), and its portal link (--portal)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from xlsxform.cli.common import (
    OK,
    PROBLEMS,
    ParserLanguage,
    Say,
    _readable,
    _say,
    _spec,
    _year,
    add_smtp_login,
)
from xlsxform.errors import FormDataError, RosterError


def _address(text: str) -> str:
    """An e-mail address as the sender: name@domain, nothing else."""
    from email.utils import parseaddr

    _name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(ch.isspace() for ch in address) or address != text.strip():
        raise argparse.ArgumentTypeError(f"的值“{text}”无效：不是邮箱地址" if ParserLanguage.lang == "zh" else f"invalid value {text!r}: not an e-mail address")
    return address


def _issue_args(commands: Any, t: Say) -> None:
    issue = commands.add_parser(
        "issue",
        help=t(
            "按部门名单为每个部门生成预填的表格（可生成邮件草稿或直接发送）",
            "write one pre-filled workbook per department of a roster (and e-mail drafts, or send them)",
        ),
    )
    issue.add_argument(
        "roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单 .csv 或 .xlsx（至少有“部门名称”“邮箱”两列）", "roster .csv or .xlsx (columns 部门名称 and 邮箱 at least)"),
    )
    issue.add_argument(
        "-o", "--output", required=True, type=Path, metavar=t("文件夹", "OUTBOX"), help=t("输出文件夹（不存在则新建）", "output folder (created if missing)")
    )
    issue.add_argument(
        "--year", type=_year, metavar=t("年度", "YEAR"), default=dt.date.today().year + 1, help=t("年度（默认下一年度）", "year (default: next year)")
    )
    issue.add_argument(
        "--deadline",
        metavar=t("日期", "DATE"),
        help=t("邮件中的截止日期，如 2024-03-31（默认两周后）", "deadline named in the e-mail, e.g. 2024-03-31 (default: in two weeks)"),
    )
    sending = issue.add_mutually_exclusive_group()
    sending.add_argument(
        "--eml",
        action="store_true",
        help=t("同时为每个部门生成邮件草稿 .eml（附带表格）", "also write an e-mail draft (.eml) per department with its workbook attached"),
    )
    sending.add_argument("--smtp", metavar=t("主机:端口", "HOST:PORT"), help=t("通过此邮件服务器直接发送", "send the e-mails through this SMTP server"))
    issue.add_argument(
        "--from",
        dest="sender",
        type=_address,
        metavar=t("邮箱", "ADDRESS"),
        help=t("发件人邮箱（用 --eml 或 --smtp 时必填）", "sender address (needed with --eml or --smtp)"),
    )
    issue.add_argument("--from-name", default="", metavar=t("名称", "NAME"), help=t("发件人名称，如 市财政局", "sender's display name"))
    issue.add_argument(
        "--email-template",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t("邮件模板 .toml（默认使用内置模板 templates/email.toml）", "e-mail template .toml (default: the bundled templates/email.toml)"),
    )
    add_smtp_login(issue, t)
    issue.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))
    issue.add_argument(
        "--overwrite",
        action="store_true",
        help=t(
            "输出文件夹中已有上次发放的文件时，全部删除后重新生成（含旧邮件草稿）",
            "when the folder holds an earlier issue, replace all of its files (old drafts included)",
        ),
    )
    issue.add_argument(
        "--portal",
        metavar=t("地址", "URL"),
        help=t(
            "门户地址（如 https://yjx.czj.example）：为每个部门生成专用链接，写入邮件和发放清单的“链接”列（须同时给 --db）",
            "the portal's address: a private link per department, in its e-mail and in the list's 链接 column (needs --db)",
        ),
    )
    issue.add_argument("--db", type=Path, metavar=t("数据库", "DB"), help=t("门户使用的数据库（与 --portal 一起用）", "the portal's database (with --portal)"))


def _issue(args: argparse.Namespace) -> int:
    import dataclasses

    from xlsxform.collection.mail import (
        PASSWORD_VARIABLE,
        issued_message,
        load_template,
        parse_server,
        send,
        write_eml,
    )
    from xlsxform.collection.outbox import issue, write_manifest
    from xlsxform.collection.roster import read_roster
    from xlsxform.errors import MailError

    roster = read_roster(_readable(args.roster, RosterError))
    spec = _spec(args)
    mailing = args.eml or args.smtp
    template = password = server = None
    if mailing:
        if not args.sender:
            raise MailError("用 --eml 或 --smtp 时须以 --from 指定发件人邮箱", "--eml and --smtp need the sender's address: --from ADDRESS")
        template = load_template(_readable(args.email_template, MailError) if args.email_template else None)
    if args.smtp:
        server = parse_server(args.smtp)
        if args.smtp_user:
            password = os.environ.get(PASSWORD_VARIABLE)
            if password is None:
                raise MailError(
                    f"请在环境变量 {PASSWORD_VARIABLE} 中提供邮件服务器密码", f"set the mail server password in the environment variable {PASSWORD_VARIABLE}"
                )
    if args.output.exists() and not args.output.is_dir():
        raise FormDataError("输出位置已存在且不是文件夹", "the output exists and is not a folder", path=args.output)
    if args.portal and args.db is None:
        raise FormDataError("用 --portal 时须以 --db 指定门户的数据库", "--portal needs the portal's database: --db DB")
    issued = issue(roster, args.output, year=args.year, spec=spec, fallback_fonts=args.fallback_fonts, overwrite=args.overwrite)
    links = _portal_links(args, issued, spec.form.id) if args.portal else None
    if template is not None and links is not None:
        from xlsxform.portal.links import with_link

        template = with_link(template)
    deliveries: dict[str, str] = {}
    failures: list[tuple[str, str, str]] = []
    if template is not None:
        deadline = _deadline(args.deadline, args.lang)
        messages = []
        for n, item in enumerate(issued):
            link = (links or {}).get(item.form_id, "")
            message = issued_message(template, item, year=args.year, deadline=deadline, sender=args.sender, sender_name=args.from_name, link=link)
            if args.eml:
                draft = item.workbook.with_suffix(".eml")
                write_eml(message, draft)
                issued[n] = dataclasses.replace(item, draft=draft)
            else:
                messages.append((item.form_id, message))
        if server is not None:
            write_manifest(args.output, issued, links=links)  # what was written, even if the server cannot be reached
            by_id = {item.form_id: item for item in issued}
            for delivery in send(messages, *server, starttls=args.starttls, user=args.smtp_user, password=password):
                deliveries[delivery.key] = "已发送" if delivery.ok else f"发送失败：{delivery.reason}"
                if not delivery.ok:
                    failures.append((by_id[delivery.key].department.name, by_id[delivery.key].department.email, delivery.reason))
    manifest = write_manifest(args.output, issued, deliveries, links=links)
    _say(
        args,
        f"已为 {len(issued)} 个部门生成 {args.year} 年表格：{args.output}（发放清单：{manifest.name}）",
        f"wrote {len(issued)} workbooks for {args.year}: {args.output} (list: {manifest.name})",
    )
    if args.eml:
        _say(args, f"邮件草稿 {len(issued)} 封（.eml，与表格同名，可用邮件程序打开后发送）", f"{len(issued)} e-mail drafts (.eml beside each workbook)")
    if args.smtp:
        sent = len(issued) - len(failures)
        _say(args, f"已发送 {sent} 封，失败 {len(failures)} 封", f"sent {sent}, failed {len(failures)}")
        for name, address, reason in failures:
            print(f"  {name}  {address}  {reason}")
    return PROBLEMS if failures else OK


def _portal_links(args: argparse.Namespace, issued: list[Any], form: str) -> dict[str, str]:
    """A private link per department (``--portal``), stored hashed in the portal's database with the form issued."""
    from xlsxform.portal.links import base_url, issue_links

    return issue_links(args.db, issued, year=args.year, deadline=_deadline(args.deadline, "zh"), base=base_url(args.portal), form=form)


def _deadline(text: str | None, lang: str) -> str:
    """A deadline for the e-mail: a date (2024-03-31) written out, or the text as given."""
    if text is None:
        day = dt.date.today() + dt.timedelta(days=14)
    else:
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError:
            return text.strip()
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"
