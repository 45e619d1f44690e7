"""The ``xlsxform`` command: a thin layer over the library for finance officers.

Everything a person reads is Chinese by default (``--lang en`` or
XLSXFORM_LANG=en for English).  Exit codes: 0 valid, 1 problems found,
2 unreadable input or bad usage.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform.errors import FormDataError, RosterError, XlsxformError, os_reason
from xlsxform.form.invalid import form_data_error

if TYPE_CHECKING:
    from xlsxform.reading.reader import ReadResult

OK, PROBLEMS, FAILED = 0, 1, 2
MAX_JSON = 20 * 2**20
"""One form's data is a few kilobytes; anything this large is not one."""
SAMPLE = "zhanjiang-xinfang-2023.json"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, and the help
    speaks the user's language."""

    lang = "zh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        zh = self.lang == "zh"
        super().__init__(*args, add_help=False, formatter_class=_Formatter if zh else argparse.HelpFormatter, **kwargs)
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


class _Usage(Exception):
    pass


LANGS = ("zh", "en")


def _lang(argv: Sequence[str]) -> str:
    """The language asked for: ``--lang X`` (or ``--lang=X``) anywhere on the
    line before a ``--``, else XLSXFORM_LANG, else Chinese; an unknown one
    is refused by :func:`_take_lang`, so this only picks what to say it in."""
    found, _rest, _problem = _take_lang(argv)
    return found if found in LANGS else "zh"


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


def _parser(lang: str) -> _Parser:
    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    _Parser.lang = lang
    parser = _Parser(
        prog="xlsxform",
        description=t(
            "市级部门整体预算绩效目标表：生成模板、读取并校验各部门填报的表格。",
            "The department budget performance target table: make templates, read and check filled workbooks.",
        ),
        epilog=t("先试试：xlsxform demo", "Start with: xlsxform demo"),
    )
    lang_help = t(
        "提示语言：zh 中文（默认）或 en 英文；可写在命令行任何位置，也可用环境变量 XLSXFORM_LANG",
        "language of messages: zh (default) or en; anywhere on the line, or XLSXFORM_LANG",
    )
    parser.add_argument("--lang", choices=LANGS, default=lang, help=lang_help)
    parser.add_argument("--spec", metavar=t("版式文件", "SPEC"), help=t("版式文件（默认使用内置的表样）", "layout spec file (default: the bundled form)"))
    commands = parser.add_subparsers(dest="command", metavar=t("命令", "COMMAND"), required=True, prog="xlsxform")

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

    render = commands.add_parser("render", help=t("由 JSON 数据生成已填写的表格", "render a filled workbook from JSON"))
    render.add_argument("form", type=Path, help=t("表格数据 JSON 文件", "form data as JSON"))
    render.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    render.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))

    read = commands.add_parser("read", help=t("读取已填写的表格，以 JSON 输出数据", "read a filled workbook, print its data as JSON"))
    read.add_argument("workbook", type=Path, help=t("已填写的 .xlsx 文件", "filled .xlsx file"))

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

    commands.add_parser("schema", help=t("输出表格数据的 JSON Schema", "print the form's JSON Schema"))

    demo = commands.add_parser("demo", help=t("演示：生成空白模板和示例表格，并读回示例", "demo: write a template and the sample, read the sample back"))
    demo.add_argument("directory", nargs="?", type=Path, default=Path("xlsxform-demo"), help=t("输出目录（默认 xlsxform-demo）", "output folder"))

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
    issue.add_argument("--starttls", action="store_true", help=t("发送前启用 STARTTLS 加密", "use STARTTLS before sending"))
    issue.add_argument(
        "--smtp-user",
        metavar=t("用户名", "USER"),
        help=t("登录邮件服务器的用户名；密码从环境变量 XLSXFORM_SMTP_PASSWORD 读取", "login user; the password is read from XLSXFORM_SMTP_PASSWORD"),
    )
    issue.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))
    issue.add_argument(
        "--overwrite",
        action="store_true",
        help=t(
            "输出文件夹中已有上次发放的文件时，全部删除后重新生成（含旧邮件草稿）",
            "when the folder holds an earlier issue, replace all of its files (old drafts included)",
        ),
    )

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

    status = commands.add_parser(
        "status", help=t("对照名单列出各部门：未返回、有错误、已通过", "each department of the roster: missing, with errors, or valid")
    )
    status.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("ingest 写入的数据库文件", "the database ingest wrote"))
    status.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单（不给则只列出已返回的部门）", "roster (without it only departments that returned a form are listed)"),
    )
    status.add_argument("--report", type=Path, metavar=t("文件", "FILE"), help=t("另存为返回情况表 .xlsx", "also write the status workbook .xlsx"))
    status.add_argument("--year", type=_year, metavar=t("年度", "YEAR"), help=t("年度（默认数据库中最近的年度）", "year (default: the latest in the database)"))
    status.add_argument(
        "--format", choices=("text", "json"), default="text", help=t("输出格式：text（表格，默认）或 json", "output: text (a table, the default) or json")
    )

    receipts = commands.add_parser(
        "receipts",
        help=t(
            "列出收到的每一件：文件、邮件、附件、压缩包内文件，及其结果（已入库、重复、拒收、待确认）",
            "list every receipt: files, e-mails, attachments, archive members, with their outcome",
        ),
    )
    receipts.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("ingest 写入的数据库文件", "the database ingest wrote"))
    receipts.add_argument(
        "--format", choices=("text", "json"), default="text", help=t("输出格式：text（表格，默认）或 json", "output: text (a table, the default) or json")
    )
    receipts.add_argument(
        "--outcome",
        choices=("stored", "duplicate", "refused", "held", "opened"),
        help=t("只列出这种结果：stored 已入库、duplicate 重复、refused 拒收、held 待确认、opened 已拆开", "only this outcome"),
    )

    accept = commands.add_parser(
        "accept",
        help=t(
            "采用某一件收到的表格作为该部门的当前版本（包括待确认的）",
            "make one received return its department's current one (a held one included)",
        ),
    )
    accept.add_argument("receipt", type=int, metavar=t("收件编号", "RECEIPT"), help=t("receipts 列出的收件编号", "the receipt number receipts lists"))
    accept.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("ingest 写入的数据库文件", "the database ingest wrote"))

    export = commands.add_parser(
        "export",
        help=t(
            "导出汇总表：各部门主要数据及全市合计、全部重点任务、全部绩效指标", "export the roll-up: key figures and city totals, all key tasks, all indicators"
        ),
    )
    export.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("ingest 写入的数据库文件", "the database ingest wrote"))
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
    for command in commands.choices.values():
        command.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=lang_help)
    return parser


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
    """
    gc.disable()
    # pydantic otherwise scans every installed package for plugins at import.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for stream in (sys.stdout, sys.stderr):
        # A Chinese Windows console or a redirected file may be GBK: never
        # fail on a character it lacks.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang, argv, problem = _take_lang(argv)
    if lang not in LANGS:
        lang = "zh"
    try:
        if problem is not None:
            raise _Usage(problem[lang == "en"])
        args = _parser(lang).parse_args(argv)
        args.lang = lang
        return _COMMANDS[args.command](args)
    except _Usage as exc:
        _err(f"xlsxform: {exc}（xlsxform --help 查看用法）" if lang == "zh" else f"xlsxform: {exc} (see xlsxform --help)")
    except XlsxformError as exc:
        _err(exc.message(lang))
        faults = getattr(exc, "faults", [exc])
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


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _spec(args: argparse.Namespace) -> Any:
    from xlsxform.errors import SpecError
    from xlsxform.spec.layout import load_spec

    return load_spec(_readable(Path(args.spec), SpecError)) if args.spec else load_spec()


def _say(args: argparse.Namespace, zh: str, en: str) -> None:
    print(en if args.lang == "en" else zh)


def _template(args: argparse.Namespace) -> int:
    from xlsxform.rendering.renderer import render_template

    spec = _spec(args)
    rows = {"key_tasks": args.key_tasks, "other_tasks": args.other_tasks, "indicators": args.indicator_rows}
    render_template(
        _output(args.output),
        year=args.year,
        department=args.department,
        budget=_amounts(args.amount),
        blank_rows={k: v for k, v in rows.items() if v},
        spec=spec,
        fallback_fonts=args.fallback_fonts,
        password=args.password,
    )
    _say(args, f"已生成 {args.year} 年空白模板：{args.output}", f"wrote the {args.year} template: {args.output}")
    return OK


def _amounts(pairs: list[str]) -> dict[str, Decimal]:
    """'基本支出=776.8' or 'basic=776.8' to {'basic': Decimal('776.8')}."""
    from xlsxform.form import amounts
    from xlsxform.form.model import Budget

    by_label = {info.title: name for name, info in Budget.model_fields.items()}
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        name = by_label.get(key.strip(), key.strip())
        if not sep or name not in Budget.model_fields:
            known = "、".join(str(label) for label in by_label)
            raise FormDataError(f"无法识别的预填金额“{pair}”，可用项目：{known}", f"unknown amount {pair!r}; use one of: {known}")
        try:
            result[name] = amounts.parse(value)
        except ValueError:
            raise FormDataError(f"预填金额“{pair}”不是数字", f"the amount in {pair!r} is not a number") from None
    return result


def _render(args: argparse.Namespace) -> int:
    from xlsxform.rendering.renderer import render

    form = _load_form(args.form)
    try:
        render(form, _output(args.output), spec=_spec(args), fallback_fonts=args.fallback_fonts)
    except FormDataError as exc:
        exc.path = exc.path or str(args.form)
        raise
    _say(args, f"已生成：{args.output}", f"wrote {args.output}")
    return OK


def _load_form(path: Path) -> Any:
    from pydantic import ValidationError

    from xlsxform.form.model import Form

    with _readable(path).open("rb") as source:
        data = source.read(MAX_JSON + 1)
    if len(data) > MAX_JSON:
        raise FormDataError(
            f"文件过大（超过 {MAX_JSON // 2**20} MB），不是一张表的数据", f"too large for one form's data (over {MAX_JSON // 2**20} MB)", path=path
        )
    try:
        # Notepad on Windows saves UTF-8 with a byte-order mark.
        return Form.model_validate_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ValidationError as exc:
        raise form_data_error(exc, "表格数据", "form data", path) from None


def _readable(path: Path, error: type[XlsxformError] = FormDataError) -> Path:
    """An input file, or one line saying why it cannot be read: missing, a
    folder, not a regular file, or not readable by this user."""
    if not path.exists():
        raise error("找不到这个文件", "no such file", path=path, code="not-found")
    if path.is_dir():
        raise error("这是一个文件夹，不是文件", "this is a folder, not a file", path=path, code="is-a-folder")
    if not path.is_file():
        raise error("不是普通文件", "not a regular file", path=path, code="not-a-file")
    try:
        with path.open("rb"):
            pass
    except PermissionError:
        raise error("没有读取这个文件的权限", "no permission to read this file", path=path, code="no-permission") from None
    return path


def _output(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise FormDataError("输出文件名须以 .xlsx 结尾", "the output file name must end in .xlsx", path=path)
    if not path.parent.is_dir():
        raise FormDataError("输出目录不存在", "the output folder does not exist", path=path)
    return path


def _print_json(data: Any) -> None:
    """JSON on stdout; non-ASCII escaped where stdout cannot encode it."""
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") in {"utf8", "utf8sig"}
    print(json.dumps(data, ensure_ascii=not utf8, indent=2))


def _read(args: argparse.Namespace) -> int:
    from xlsxform.errors import UnreadableWorkbookError
    from xlsxform.reading.reader import read

    result = read(_readable(args.workbook, UnreadableWorkbookError), spec=_spec(args))
    _print_json(result.form.model_dump(mode="json"))
    for problem in result.problems:
        _err(_problem_line(problem, args.lang))
    return OK if result.ok else PROBLEMS


def _problem_line(problem: Any, lang: str) -> str:
    level = {"error": ("错误", "error"), "warning": ("警告", "warning")}[problem.severity][lang == "en"]
    return f"{problem.cell or '-'}  {level}  {problem.message(lang)}  [{problem.code}]"


def _check(args: argparse.Namespace) -> int:
    if args.annotate and len(args.workbooks) > 1:
        raise FormDataError("--annotate 一次只能用于一个文件", "--annotate takes one file at a time")
    reports, codes = [], []
    for path in args.workbooks:
        try:
            report, code = _check_one(args, path)
        except XlsxformError as exc:
            if len(args.workbooks) == 1:
                raise
            _err(exc.message(args.lang))  # a batch goes on to the next file
            report, code = {"file": str(path), "error": exc.message(args.lang), "code": exc.code}, FAILED
        reports.append(report)
        codes.append(code)
    if args.format == "json":
        _print_json(reports[0] if len(reports) == 1 else reports)
    return max(codes)


def _check_one(args: argparse.Namespace, path: Path) -> tuple[dict[str, Any], int]:
    """Check one workbook: print its report (text) or return it (JSON)."""
    from xlsxform.errors import UnreadableWorkbookError
    from xlsxform.reading.reader import read

    result = read(_readable(path, UnreadableWorkbookError), spec=_spec(args))
    if args.annotate:
        from xlsxform.reading.annotate import annotate

        annotate(path, result.problems, _output(args.annotate), args.lang, reading=result, spec=_spec(args))
    report: dict[str, Any] = {"file": str(path), "ok": result.ok, "problems": [p.to_dict(args.lang) for p in result.problems]}
    if args.annotate:
        report["annotated"] = str(args.annotate)
    if args.format == "text":
        print(_report(result, args.lang))
        if args.annotate:
            _say(args, f"已生成批注副本（问题已标在单元格上）：{args.annotate}", f"wrote the annotated copy (problems marked on their cells): {args.annotate}")
        if len(args.workbooks) > 1:
            print()
    return report, OK if result.ok else PROBLEMS


def _report(result: ReadResult, lang: str) -> str:
    form = result.form
    errors = sum(p.severity == "error" for p in result.problems)
    warnings = len(result.problems) - errors
    if lang == "en":
        lines = [f"File: {result.path}", f"Department: {form.department or '(none)'}  Year: {form.year or '(none)'}"]
        verdict = (
            "Passed: no problems."
            if not result.problems
            else f"Passed, with {warnings} warning(s) to confirm:"
            if not errors
            else f"Found {errors} error(s) and {warnings} warning(s):"
        )
    else:
        lines = [f"文件：{result.path}", f"部门：{form.department or '（未填写）'}　年度：{form.year or '（未填写）'}"]
        verdict = (
            "校验通过，未发现问题。"
            if not result.problems
            else f"校验通过，但有 {warnings} 个警告，请逐项核实："
            if not errors
            else f"发现 {errors} 个错误、{warnings} 个警告，请逐项修改："
        )
    lines.append(verdict)
    lines += [f"  {n}. {_problem_line(p, lang)}" for n, p in enumerate(result.problems, 1)]
    return "\n".join(lines)


def _schema(args: argparse.Namespace) -> int:
    from xlsxform.form.model import Form

    _print_json(Form.model_json_schema(mode="validation"))
    return OK


def _demo(args: argparse.Namespace) -> int:
    from xlsxform.reading.reader import read
    from xlsxform.rendering.renderer import render, render_template
    from xlsxform.spec.layout import resource_dir

    spec = _spec(args)
    out: Path = args.directory
    out.mkdir(parents=True, exist_ok=True)
    sample = _load_form(resource_dir("samples") / SAMPLE)
    blank, filled = out / "blank-template.xlsx", out / "sample-filled.xlsx"
    render_template(blank, year=sample.year, spec=spec)
    render(sample, filled, spec=spec)
    result = read(filled, spec=spec)
    same = result.form == sample
    if args.lang == "en":
        print(f"1. Blank {sample.year} template: {blank}")
        print(f"2. The sample department's filled form: {filled}")
        print(f"3. Read back: {len(result.form.key_tasks)} key tasks, {len(result.form.indicators)} indicators; same as the sample: {'yes' if same else 'NO'}")
    else:
        print(f"1. 空白模板（{sample.year}年）：{blank}")
        print(f"2. 示例部门（{sample.department}）已填写的表格：{filled}")
        print(f"3. 读回示例：{len(result.form.key_tasks)} 项重点工作任务，{len(result.form.indicators)} 个三级指标；与示例数据{'一致' if same else '不一致'}")
    print(_report(result, args.lang))
    return OK if result.ok and same else PROBLEMS


# -- the collection loop: issue, ingest, status, export --------------------------


def _issue(args: argparse.Namespace) -> int:
    import dataclasses

    from xlsxform.collection.mail import (
        PASSWORD_VARIABLE,
        compose,
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
    issued = issue(roster, args.output, year=args.year, spec=spec, fallback_fonts=args.fallback_fonts, overwrite=args.overwrite)
    deliveries: dict[str, str] = {}
    failures: list[tuple[str, str, str]] = []
    if template is not None:
        deadline = _deadline(args.deadline, args.lang)
        messages = []
        for n, item in enumerate(issued):
            context = {
                "department": item.department.name,
                "year": args.year,
                "deadline": deadline,
                "file": item.workbook.name,
                "form_id": item.form_id,
                "code": item.department.code,
            }
            message = compose(template, sender=args.sender, sender_name=args.from_name, to=item.department.email, context=context, attachment=item.workbook)
            if args.eml:
                draft = item.workbook.with_suffix(".eml")
                write_eml(message, draft)
                issued[n] = dataclasses.replace(item, draft=draft)
            else:
                messages.append((item.form_id, message))
        if server is not None:
            write_manifest(args.output, issued)  # what was written, even if the server cannot be reached
            by_id = {item.form_id: item for item in issued}
            for delivery in send(messages, *server, starttls=args.starttls, user=args.smtp_user, password=password):
                deliveries[delivery.key] = "已发送" if delivery.ok else f"发送失败：{delivery.reason}"
                if not delivery.ok:
                    failures.append((by_id[delivery.key].department.name, by_id[delivery.key].department.email, delivery.reason))
    manifest = write_manifest(args.output, issued, deliveries)
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


def _existing_db(path: Path, *, write: bool = True) -> Any:
    from xlsxform.collection.store import Store
    from xlsxform.errors import StoreError

    if not path.is_file():
        raise StoreError("数据库不存在（请先用 ingest 收取表格）", "no such database (run ingest first)", path=path)
    return Store(path, write=write)


def _ingest(args: argparse.Namespace) -> int:
    from xlsxform.collection.ingest import Progress, ingest
    from xlsxform.collection.roster import read_roster
    from xlsxform.collection.store import Store

    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        raise FormDataError("找不到这个文件或文件夹", "no such file or folder", path=missing[0])
    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    if args.report is not None:
        _output(args.report)
    spec = _spec(args)
    with Store(args.db) as store:
        progress = Progress("读取" if args.lang != "en" else "reading")
        try:
            summary = ingest(args.inputs, store, roster=roster, spec=spec, jobs=args.jobs, progress=progress)
        finally:
            progress.close()
        print(_ingest_table(summary, args.lang))
        if roster is not None or args.report is not None:
            _status_lines(args, store, roster, None, args.report, full=False)
    new_errors = any(o.errors for o in summary.stored)
    return PROBLEMS if summary.refused or summary.held or new_errors else OK


_WHY = {
    "latest": ("发送时间最晚", "sent last"),
    "taken-later": ("发送时间相同，收取在后", "sent at the same time, taken in later"),
    "accepted": ("经办人已确认采用", "chosen by the officer"),
    "earlier": ("此前收到的版本发送时间更晚", "a return taken in before was sent later"),
    "held": ("均待确认，暂无当前版本", "all are held; none is current"),
}


def _ingest_table(summary: Any, lang: str) -> str:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import local_time

    en = lang == "en"
    stored = summary.stored
    valid = sum(not o.errors for o in stored)
    rows = [
        ["", "items" if en else "件数"],
        ["stored as forms" if en else "新入库表格", str(len(stored))],
        ["  valid" if en else "  其中已通过", str(valid)],
        ["  with errors" if en else "  其中有错误", str(len(stored) - valid)],
        ["same content again" if en else "重复收到（内容已入库）", str(summary.count("duplicate"))],
        ["held (awaiting confirmation)" if en else "待确认（非部门邮箱发来）", str(len(summary.held))],
        ["refused" if en else "拒收", str(len(summary.refused))],
        ["e-mails and archives opened" if en else "拆开的邮件和压缩包", str(summary.count("opened"))],
        ["recorded before (skipped)" if en else "此前已记录（跳过）", str(summary.count("known"))],
        ["total" if en else "合计", str(len(summary.outcomes))],
    ]
    lines = [("Ingested:" if en else "收取结果："), text_table(rows, right={1})]
    if summary.refused:
        lines.append("Refused:" if en else "拒收的文件：")
        lines.append(text_table([[f"  {o.receipt.name}", (o.reason_en if en else o.reason)] for o in summary.refused]))
    if summary.held:
        lines.append(
            "Held (not the department's address; accept with: xlsxform accept RECEIPT --db DB):"
            if en
            else "待确认（不是名单中该部门的邮箱发来的；确认后用 xlsxform accept 收件编号 --db 数据库 采用）："
        )
        lines.append(text_table([[f"  {o.id}", o.department, o.receipt.name, o.receipt.sender or ""] for o in summary.held]))
    for conflict in summary.conflicts:
        names = ("、" if not en else ", ").join(
            f"{name}（{local_time(sent)}）" if not en else f"{name} ({local_time(sent)})" for _, name, sent in conflict.returns
        )
        kept = next((name for receipt, name, _ in conflict.returns if receipt == conflict.kept), "")
        zh, why_en = _WHY.get(conflict.why, (conflict.why, conflict.why))
        if en:
            lines.append(f"{conflict.department}: {len(conflict.returns)} different returns in this batch: {names}; kept {kept or '-'} ({why_en})")
        else:
            lines.append(f"{conflict.department}：本批收到 {len(conflict.returns)} 份不同的表格：{names}；采用 {kept or '—'}（{zh}）")
    return "\n".join(lines)


def _status_lines(args: argparse.Namespace, store: Any, roster: Any, year: int | None, report: Path | None, *, full: bool) -> list[Any]:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import (
        ORDER,
        counts,
        default_year,
        department_status,
        local_time,
        state_label,
        write_report,
    )

    en = args.lang == "en"
    year = year if year is not None else default_year(store)
    rows = department_status(store, roster, year)
    if full:
        table = [
            ["No.", "Department", "Status", "Errors", "Warnings", "Returns", "Latest"]
            if en
            else ["序号", "部门名称", "状态", "错误", "警告", "返回次数", "最近返回"]
        ]
        for n, row in enumerate(rows, 1):
            shown = (str(row.errors), str(row.warnings), str(row.versions), local_time(row.form.received_at)) if row.form else ("", "", str(row.versions), "")
            table.append([str(n), row.department or "-", state_label(row.state, args.lang), *shown])
        print(text_table(table, right={0, 3, 4, 5}))
        for row in rows:
            for held in row.held:
                _say(
                    args,
                    f"  待确认：{row.department} 收件 {held.id}（{held.name}）来自 {held.sender}，不是名单中的邮箱 {row.email or '（无）'}；采用请运行 xlsxform accept {held.id} --db {args.db}",
                    f"  held: {row.department} receipt {held.id} ({held.name}) from {held.sender}, not the roster's {row.email or '-'}; to take it: xlsxform accept {held.id} --db {args.db}",
                )
            if row.accepted_at and row.form is not None:
                _say(
                    args,
                    f"  {row.department}：当前版本为经办人于 {local_time(row.accepted_at)} 确认采用的收件 {row.form.receipt}",
                    f"  {row.department}: the current return is receipt {row.form.receipt}, chosen by the officer at {local_time(row.accepted_at)}",
                )
    tally = counts(rows)
    states = [s for s in dict.fromkeys(("valid", "errors", "missing", *ORDER)) if tally.get(s) or s not in ("unlisted", "held")]
    parts = ("，" if not en else ", ").join(f"{state_label(s, args.lang)} {tally[s]}" for s in states)
    where = f"{year}" if year else ""
    if roster is not None:
        _say(args, f"对照名单（{len(roster)} 个部门，{where}年）：{parts}", f"against the roster ({len(roster)} departments, {where}): {parts}")
    else:
        _say(args, f"已返回 {len(rows)} 个部门（{where}年）：{parts}", f"{len(rows)} departments returned a form ({where}): {parts}")
    if not full:
        for state in ("errors", "missing", "held"):
            names = [r.department for r in rows if r.state == state]
            if names:
                print(f"  {state_label(state, args.lang)}：{'、'.join(names)}" if not en else f"  {state_label(state, 'en')}: {', '.join(names)}")
    if report is not None:
        from xlsxform.collection.status import annotation_folder

        written = write_report(store, rows, report, lang=args.lang)
        marked = sum(r.annotated is not None for r in written.rows)
        if written.annotations and marked:
            folder = annotation_folder(report)
            _say(
                args,
                f"已生成返回情况表：{report}（退回修改表 {marked} 份：{folder}）",
                f"wrote the status workbook: {report} ({marked} marked workbooks in {folder})",
            )
        elif written.annotations:
            _say(args, f"已生成返回情况表：{report}（没有需要退回修改的表格）", f"wrote the status workbook: {report} (no workbook to send back)")
        else:
            _say(
                args,
                f"已生成返回情况表：{report}（未安装批注功能，未生成退回修改表）",
                f"wrote the status workbook: {report} (no annotate module: no marked workbooks)",
            )
        for name, reason in written.failed.items():
            _err(f"{name}: {'无法生成退回修改表' if not en else 'cannot mark the workbook'}：{reason}")
    return rows


def _status(args: argparse.Namespace) -> int:
    from xlsxform.collection.roster import read_roster

    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    if args.report is not None:
        _output(args.report)
    if args.format == "json":
        from xlsxform.collection.status import default_year, department_status

        with _existing_db(args.db, write=args.report is not None) as store:
            year = args.year if args.year is not None else default_year(store)
            rows = department_status(store, roster, year)
            if args.report is not None:
                from xlsxform.collection.status import write_report

                write_report(store, rows, args.report, lang=args.lang)
        _print_json([row.as_json() for row in rows])
    else:
        with _existing_db(args.db, write=args.report is not None) as store:
            rows = _status_lines(args, store, roster, args.year, args.report, full=True)
    return OK if all(r.state == "valid" for r in rows) else PROBLEMS


_OUTCOMES = {
    "stored": ("已入库", "stored"),
    "duplicate": ("重复", "duplicate"),
    "refused": ("拒收", "refused"),
    "held": ("待确认", "held"),
    "opened": ("已拆开", "opened"),
}


def _receipts(args: argparse.Namespace) -> int:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import local_time

    en = args.lang == "en"
    with _existing_db(args.db, write=False) as store:
        receipts = [r for r in store.iter_receipts() if args.outcome is None or r.outcome == args.outcome]
    if args.format == "json":
        _print_json([r.as_json() for r in receipts])
        return OK
    table = [
        ["No.", "Name", "From", "Sender", "Sent", "Department", "Outcome", "Reason"]
        if en
        else ["编号", "名称", "来源", "发件人", "发送时间", "部门", "结果", "原因"]
    ]
    for r in receipts:
        shown = _OUTCOMES[r.outcome][en]
        if r.accepted_at:
            shown += " (accepted)" if en else "（已确认采用）"
        table.append([str(r.id), r.name, r.origin, r.sender or "", local_time(r.sent_at), r.department or "", shown, (r.reason_en if en else r.reason) or ""])
    print(text_table(table, right={0}))
    return OK


def _accept(args: argparse.Namespace) -> int:
    from xlsxform.collection.status import local_time

    with _existing_db(args.db) as store:
        receipt = store.accept(args.receipt)
    _say(
        args,
        f"已采用收件 {receipt.id}（{receipt.name}，{receipt.sender or '文件'}，{local_time(receipt.sent_at)}）作为{receipt.department}的当前版本",
        f"receipt {receipt.id} ({receipt.name}, {receipt.sender or 'file'}, {local_time(receipt.sent_at)}) is now the current return of {receipt.department}",
    )
    return OK


def _export(args: argparse.Namespace) -> int:
    from xlsxform.collection.export import csv_paths, export
    from xlsxform.collection.roster import read_roster

    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    with _existing_db(args.db) as store:
        result = export(store, args.output, year=args.year, roster=roster, include_errors=args.include_errors)
    files = [p for target in args.output for p in (csv_paths(target) if target.suffix.lower() == ".csv" else [target])]
    _say(
        args,
        f"已导出{result.year or ''}年汇总（{len(result.departments)} 个部门）：{'、'.join(map(str, files))}",
        f"exported the {result.year or ''} roll-up ({len(result.departments)} departments): {', '.join(map(str, files))}",
    )
    print(result.scope(args.lang))
    return OK


_COMMANDS = {
    "template": _template,
    "render": _render,
    "read": _read,
    "check": _check,
    "schema": _schema,
    "demo": _demo,
    "issue": _issue,
    "ingest": _ingest,
    "status": _status,
    "receipts": _receipts,
    "accept": _accept,
    "export": _export,
}
