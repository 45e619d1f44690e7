"""The ``xlsxform`` command: a thin layer over the library for finance officers.

This module parses the command line and dispatches; the commands live by
stage in :mod:`xlsxform.cli.forms` (one form: template, render, read,
check, schema, forms, demo), :mod:`xlsxform.cli.collect` (the collection
loop: issue, ingest, receipts, accept, status, export) and
:mod:`xlsxform.cli.serve` (the portal: serve, user).

Everything a person reads is Chinese by default (``--lang en`` or
XLSXFORM_LANG=en for English).  Exit codes: 0 valid, 1 problems found,
2 unreadable input or bad usage.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform._plugins import switch_off
from xlsxform.cli.collect import _accept, _export, _ingest, _issue, _receipts, _status
from xlsxform.cli.common import FAILED, Say, _err, add_collected_db, add_smtp_login, add_table_format
from xlsxform.cli.forms import _check, _demo, _forms, _read, _render, _schema, _template
from xlsxform.cli.serve import _serve, _serve_parser, _user, _user_parser
from xlsxform.errors import RosterError, XlsxformError, os_reason

if TYPE_CHECKING:
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, and the help
    speaks the user's language."""

    lang = "zh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        zh = self.lang == "zh"
        raw = kwargs.pop("raw_epilog", False)  # an epilog laid out by hand (serve's proxy example)
        formatter = (_RawFormatter if raw else _Formatter) if zh else (argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter)
        kwargs |= {"add_help": False, "formatter_class": formatter}
        super().__init__(*args, **kwargs)
        if zh:
            self._positionals.title, self._optionals.title = "参数", "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出" if zh else "show this help and exit")

    def error(self, message: str) -> Any:
        if self.lang == "zh":
            for pattern, zh in _USAGE_ZH:
                message = re.sub(pattern, zh, message)
        raise _Usage(message)


_USAGE_ZH = [
    (r"^the following arguments are required: (.*)$", r"缺少必需的参数：\1"),
    (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1"),
    (r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$", r"参数 \1 的取值 \2 无效，可选：\3"),
    (r"^argument (\S+): invalid \S+ value: (.*)$", r"参数 \1 的值 \2 无效"),
    (r"^argument (\S+): expected one argument$", r"参数 \1 后面需要一个值"),
    (r"^argument (\S+): (.*)$", r"参数 \1 \2"),
]


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：")


class _RawFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    pass


class _Usage(Exception):
    pass


LANGS = ("zh", "en")
"""Text in the user's language: t(zh, en)."""


def _take_lang(argv: Sequence[str]) -> tuple[str, list[str], tuple[str, str] | None]:
    """The language, the arguments without ``--lang``, and what is wrong
    with the language asked for (in Chinese and English), if anything."""
    rest: list[str] = []
    chosen: str | None = None
    problem: tuple[str, str] | None = None
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--lang" or arg.startswith("--lang="):
            value = arg.partition("=")[2] if "=" in arg else (args[i + 1] if i + 1 < len(args) else None)
            i += 1 if "=" in arg or value is None else 2
            if value is None:
                problem = ("参数 --lang 后面需要一个值（zh 或 en）", "argument --lang: expected one argument (zh or en)")
            else:
                chosen = value
            continue
        rest.append(arg)
        i += 1
    if chosen is None:
        chosen = os.environ.get("XLSXFORM_LANG", "").strip() or "zh"
        if chosen not in LANGS and problem is None:
            problem = (f"环境变量 XLSXFORM_LANG 的值“{chosen}”无效，可选：zh、en", f"the environment variable XLSXFORM_LANG is '{chosen}', not zh or en")
    elif chosen not in LANGS and problem is None:
        problem = (f"参数 --lang 的取值“{chosen}”无效，可选：zh、en", f"argument --lang: invalid choice '{chosen}' (choose from zh, en)")
    return chosen, rest, problem


def _command(argv: Sequence[str]) -> str | None:
    """The command a line runs when that is plain to see: the first argument
    after any --spec or --form with its value.  Any other line (help, a
    mistake, an abbreviated option) is left to the parser of every command."""
    rest = list(argv)
    while rest and rest[0].startswith(("--spec", "--form")):
        if rest[0] in ("--spec", "--form"):
            rest = rest[2:]
        elif rest[0].startswith(("--spec=", "--form=")):
            rest = rest[1:]
        else:
            return None
    return rest[0] if rest and rest[0] in _COMMANDS else None


def _parser(lang: str, command: str | None = None) -> _Parser:
    """The command line's parser: every command, or only ``command``'s
    arguments when the line plainly runs that one (see :func:`_command`)."""

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    _Parser.lang = lang
    parser = _Parser(
        prog="xlsxform",
        description=t(
            "预算绩效表格（部门整体绩效目标表、项目支出绩效目标申报表、项目支出绩效自评表）：生成模板、读取并校验各部门填报的表格，收取和汇总。",
            "The budget performance forms (department targets, project target declaration, project self-evaluation): make templates, read and check filled workbooks, collect and add up.",
        ),
        epilog=t("先试试：xlsxform demo", "Start with: xlsxform demo"),
    )
    lang_help = t(
        "提示语言：zh 中文（默认）或 en 英文；可写在命令行任何位置，也可用环境变量 XLSXFORM_LANG",
        "language of messages: zh (default) or en; anywhere on the line, or XLSXFORM_LANG",
    )
    parser.add_argument("--lang", choices=LANGS, default=lang, help=lang_help)
    parser.add_argument("--spec", metavar=t("版式文件", "SPEC"), help=t("版式文件（默认使用内置的表样）", "layout spec file (default: the bundled form)"))
    parser.add_argument(
        "--form",
        metavar=t("表格编号", "FORM"),
        help=t(
            "使用哪一种表格（编号见 xlsxform forms；默认部门整体绩效目标表，读取时自动识别）", "which form (ids: xlsxform forms; read and check recognise it)"
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar=t("命令", "COMMAND"), required=True, prog="xlsxform")

    for name, declare in _DECLARE.items():
        if command in (None, name):
            declare(commands, t)
    for subparser in commands.choices.values():
        subparser.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=lang_help)
    return parser


def _template_args(commands: Any, t: Say) -> None:
    template = commands.add_parser("template", help=t("生成空白模板（可预填部门名称和金额）", "write a blank template"))
    template.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    template.add_argument(
        "--year", type=_year, metavar=t("年度", "YEAR"), default=dt.date.today().year + 1, help=t("年度（默认下一年度）", "year (default: next year)")
    )
    template.add_argument("--department", default="", metavar=t("部门名称", "NAME"), help=t("预填的部门名称", "department name to pre-fill"))
    template.add_argument(
        "--amount",
        action="append",
        default=[],
        metavar=t("项目=金额", "ITEM=AMOUNT"),
        help=t("预填金额（万元），如 基本支出=776.8，可重复", "pre-filled amount in 万元, e.g. 基本支出=776.8; repeatable"),
    )
    template.add_argument("--key-tasks", type=_positive, metavar=t("行数", "N"), help=t("年度重点工作任务空行数（默认5）", "blank key-task rows (default 5)"))
    template.add_argument(
        "--other-tasks", type=_positive, metavar=t("行数", "N"), help=t("其他需完成的任务空行数（默认2）", "blank other-task rows (default 2)")
    )
    template.add_argument(
        "--indicator-rows", type=_positive, metavar=t("行数", "N"), help=t("每个二级指标下的空行数（默认3）", "blank rows per 二级指标 (default 3)")
    )
    template.add_argument(
        "--fallback-fonts", action="store_true", help=t("使用常见字体（宋体、仿宋）代替公文字体", "use common fonts instead of the official ones")
    )
    template.add_argument("--password", metavar=t("密码", "PASSWORD"), help=t("工作表保护密码（默认不设密码）", "sheet protection password (default: none)"))


def _render_args(commands: Any, t: Say) -> None:
    render = commands.add_parser("render", help=t("由 JSON 数据生成已填写的表格", "render a filled workbook from JSON"))
    render.add_argument("data", type=Path, metavar=t("数据", "DATA"), help=t("表格数据 JSON 文件", "form data as JSON"))
    render.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    render.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))


def _read_args(commands: Any, t: Say) -> None:
    read = commands.add_parser("read", help=t("读取已填写的表格，以 JSON 输出数据", "read a filled workbook, print its data as JSON"))
    read.add_argument("workbook", type=Path, help=t("已填写的 .xlsx 文件", "filled .xlsx file"))


def _check_args(commands: Any, t: Say) -> None:
    check = commands.add_parser("check", help=t("校验已填写的表格，列出需修改的单元格", "check a filled workbook and list what to fix"))
    check.add_argument(
        "workbooks", nargs="+", type=Path, metavar=t("文件", "FILE"), help=t("已填写的 .xlsx 或 .xls 文件，可以多个", "filled .xlsx or .xls files, one or more")
    )
    check.add_argument("--format", choices=["text", "json"], default="text", help=t("报告格式", "report format"))
    check.add_argument(
        "--annotate",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t(
            "另存一份批注副本 .xlsx：问题单元格加批注和底色，并附“校验结果”表",
            "also write a copy .xlsx with each problem marked on its cell and a sheet listing them",
        ),
    )


def _schema_args(commands: Any, t: Say) -> None:
    commands.add_parser("schema", help=t("输出表格数据的 JSON Schema", "print the form's JSON Schema"))


def _forms_args(commands: Any, t: Say) -> None:
    forms = commands.add_parser("forms", help=t("列出可用的表格（内置表格和 --spec 版式）", "list the forms: the built-in ones and --spec"))
    forms.add_argument("--format", choices=["text", "json"], default="text", help=t("输出格式", "output format"))


def _demo_args(commands: Any, t: Say) -> None:
    demo = commands.add_parser("demo", help=t("演示：生成空白模板和示例表格，并读回示例", "demo: write a template and the sample, read the sample back"))
    demo.add_argument("directory", nargs="?", type=Path, default=Path("xlsxform-demo"), help=t("输出目录（默认 xlsxform-demo）", "output folder"))


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


def _ingest_args(commands: Any, t: Say) -> None:
    ingest = commands.add_parser(
        "ingest", help=t("收取各部门返回的表格、邮件和邮箱，校验后存入数据库", "take in returned workbooks, e-mails and mailboxes, check them and store them")
    )
    ingest.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar=t("收件", "INBOX"),
        help=t("表格 .xlsx/.xls、邮件 .eml、邮箱 mbox，或存放它们的文件夹", "workbooks (.xlsx, .xls), e-mails (.eml), mailboxes (mbox), or folders of them"),
    )
    ingest.add_argument(
        "--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("数据库文件（SQLite，不存在则新建）", "database file (SQLite; created if missing)")
    )
    ingest.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单：对照名单给出各部门的返回情况", "roster: report each department's status against it"),
    )
    ingest.add_argument(
        "--report",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t("返回情况表 .xlsx（附各有错部门的退回修改表）", "status workbook .xlsx (with a marked workbook per department with errors)"),
    )
    ingest.add_argument(
        "--jobs", type=_positive, metavar=t("进程数", "N"), help=t("并行读取的进程数（默认为 CPU 核数）", "reading processes (default: one per core)")
    )


def _status_args(commands: Any, t: Say) -> None:
    status = commands.add_parser(
        "status", help=t("对照名单列出各部门：未返回、有错误、已通过", "each department of the roster: missing, with errors, or valid")
    )
    add_collected_db(status, t)
    status.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单（不给则只列出已返回的部门）", "roster (without it only departments that returned a form are listed)"),
    )
    status.add_argument("--report", type=Path, metavar=t("文件", "FILE"), help=t("另存为返回情况表 .xlsx", "also write the status workbook .xlsx"))
    status.add_argument("--year", type=_year, metavar=t("年度", "YEAR"), help=t("年度（默认数据库中最近的年度）", "year (default: the latest in the database)"))
    add_table_format(status, t)


def _receipts_args(commands: Any, t: Say) -> None:
    receipts = commands.add_parser(
        "receipts",
        help=t(
            "列出收到的每一件：文件、邮件、附件、压缩包内文件，及其结果（已入库、重复、拒收、待确认）",
            "list every receipt: files, e-mails, attachments, archive members, with their outcome",
        ),
    )
    add_collected_db(receipts, t)
    add_table_format(receipts, t)
    receipts.add_argument(
        "--outcome",
        choices=("stored", "duplicate", "refused", "held", "opened"),
        help=t("只列出这种结果：stored 已入库、duplicate 重复、refused 拒收、held 待确认、opened 已拆开", "only this outcome"),
    )


def _accept_args(commands: Any, t: Say) -> None:
    accept = commands.add_parser(
        "accept",
        help=t(
            "采用某一件收到的表格作为该部门的当前版本（包括待确认的）",
            "make one received return its department's current one (a held one included)",
        ),
    )
    accept.add_argument("receipt", type=int, metavar=t("收件编号", "RECEIPT"), help=t("receipts 列出的收件编号", "the receipt number receipts lists"))
    add_collected_db(accept, t)


def _export_args(commands: Any, t: Say) -> None:
    export = commands.add_parser(
        "export",
        help=t(
            "导出汇总表：各部门主要数据及全市合计、全部重点任务、全部绩效指标", "export the roll-up: key figures and city totals, all key tasks, all indicators"
        ),
    )
    add_collected_db(export, t)
    export.add_argument(
        "-o",
        "--output",
        required=True,
        action="append",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t("输出文件 .xlsx、.csv 或 .json，可重复", "output .xlsx, .csv or .json; repeatable"),
    )
    export.add_argument("--year", metavar=t("年度", "YEAR"), type=_year, help=t("年度（默认数据库中最近的年度）", "year (default: the latest in the database)"))
    export.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单：每个部门一行，按名单顺序（未返回的也列出）", "roster: a row per department in roster order, those not returned too"),
    )
    export.add_argument(
        "--include-errors",
        action="store_true",
        help=t("合计中也计入有错误的表格（默认只计已通过的）", "count returns with errors in the totals too (default: valid returns only)"),
    )


_DECLARE: dict[str, Callable[[Any, Say], None]] = {
    "template": _template_args,
    "render": _render_args,
    "read": _read_args,
    "check": _check_args,
    "schema": _schema_args,
    "forms": _forms_args,
    "demo": _demo_args,
    "issue": _issue_args,
    "ingest": _ingest_args,
    "status": _status_args,
    "receipts": _receipts_args,
    "accept": _accept_args,
    "export": _export_args,
    "serve": _serve_parser,
    "user": _user_parser,
}
"""Each command's arguments, declared in the order the help lists them."""


def _address(text: str) -> str:
    """An e-mail address as the sender: name@domain, nothing else."""
    from email.utils import parseaddr

    _name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(ch.isspace() for ch in address) or address != text.strip():
        raise argparse.ArgumentTypeError(f"的值“{text}”无效：不是邮箱地址" if _Parser.lang == "zh" else f"invalid value {text!r}: not an e-mail address")
    return address


def _year(text: str) -> int:
    """A year the form can be for."""
    if not text.strip().isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(
            f"的值“{text}”无效：年度须为 2000 到 2100 之间的整数" if _Parser.lang == "zh" else f"invalid value {text!r}: a year from 2000 to 2100"
        )
    return int(text)


def _positive(text: str) -> int:
    """A number of blank rows: 1 to MAX_BLANK_ROWS."""
    from xlsxform.rendering.renderer import MAX_BLANK_ROWS

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_BLANK_ROWS:
        raise argparse.ArgumentTypeError(
            f"须为 1 到 {MAX_BLANK_ROWS} 之间的整数（实际为“{text}”）"
            if _Parser.lang == "zh"
            else f"must be a whole number from 1 to {MAX_BLANK_ROWS}, not {text!r}"
        )
    return int(text)


def entry() -> None:
    """The console script: ``main`` for a short-lived process.

    The cyclic garbage collector is switched off for the run and the heap
    frozen before exit: a single command allocates little, and collecting
    pydantic's and openpyxl's objects at shutdown costs more than the work.
    A command that only prints (read, schema, forms) then ends without
    tearing the interpreter down, once its output is flushed: it has written
    no file and started no thread, and freeing every object one by one takes
    about as long as the read.  Anything registered to run at exit (coverage,
    a site's hook) gets the usual exit.
    """
    gc.disable()
    # pydantic otherwise scans every installed package for plugins.
    switch_off()
    for stream in (sys.stdout, sys.stderr):
        # A Chinese Windows console or a redirected file may be GBK: never
        # fail on a character it lacks.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    code = main()
    gc.freeze()
    if _command(_take_lang(sys.argv[1:])[1]) in _PRINTS_ONLY and not atexit._ncallbacks():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            sys.exit(code)  # a stream that cannot be flushed: as a usual exit deals with it
        os._exit(code)
    sys.exit(code)


_PRINTS_ONLY = {"read", "schema", "forms"}
"""The commands that write no file: nothing is left to do at their exit."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang, argv, problem = _take_lang(argv)
    if lang not in LANGS:
        lang = "zh"
    try:
        if problem is not None:
            raise _Usage(problem[lang == "en"])
        args = _parser(lang, _command(argv)).parse_args(argv)
        args.lang = lang
        return _COMMANDS[args.command](args)
    except _Usage as exc:
        _err(f"xlsxform: {exc}（xlsxform --help 查看用法）" if lang == "zh" else f"xlsxform: {exc} (see xlsxform --help)")
    except XlsxformError as exc:
        _err(exc.message(lang))
        faults = exc.faults if isinstance(exc, RosterError) else [exc]
        if len(faults) > 1:  # a roster: every faulty row, one line each, to fix them all at once
            for fault in faults:
                _err(f"  {fault.zh if lang == 'zh' else fault.en}")
    except BrokenPipeError:
        # The reader of our output (| head) has gone: stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"{where}{os_reason(exc, lang)}")
    except KeyboardInterrupt:
        return 130
    return FAILED


_COMMANDS = {
    "template": _template,
    "render": _render,
    "read": _read,
    "check": _check,
    "schema": _schema,
    "forms": _forms,
    "demo": _demo,
    "issue": _issue,
    "ingest": _ingest,
    "status": _status,
    "receipts": _receipts,
    "accept": _accept,
    "export": _export,
    "serve": _serve,
    "user": _user,
}
