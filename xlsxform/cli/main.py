"""The ``xlsxform`` command: a thin layer over the library for finance officers.

This module parses the command line and dispatches; the commands, each
next to the declaration of its arguments, live by stage in
:mod:`xlsxform.cli.forms` (one form: template, render, read, check, schema,
forms, demo), :mod:`xlsxform.cli.collect` (the collection loop: issue,
ingest, receipts, accept, status, export) and :mod:`xlsxform.cli.serve`
(the portal: serve, user).

Everything a person reads is Chinese by default (``--lang en`` or
XLSXFORM_LANG=en for English).  Exit codes: 0 valid, 1 problems found,
2 unreadable input or bad usage.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from xlsxform._plugins import switch_off
from xlsxform.cli.collect import (
    _accept,
    _accept_args,
    _export,
    _export_args,
    _ingest,
    _ingest_args,
    _receipts,
    _receipts_args,
    _status,
    _status_args,
)
from xlsxform.cli.common import FAILED, ParserLanguage, Say, _err
from xlsxform.cli.forms import (
    _check,
    _check_args,
    _demo,
    _demo_args,
    _forms,
    _forms_args,
    _read,
    _read_args,
    _render,
    _render_args,
    _schema,
    _schema_args,
    _template,
    _template_args,
)
from xlsxform.cli.issue import _issue, _issue_args
from xlsxform.cli.serve import _serve, _serve_parser, _user, _user_parser
from xlsxform.errors import RosterError, XlsxformError, os_reason

if TYPE_CHECKING:
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, and the help
    speaks the user's language (:class:`ParserLanguage`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        zh = ParserLanguage.lang == "zh"
        raw = kwargs.pop("raw_epilog", False)  # an epilog laid out by hand (serve's proxy example)
        formatter = (_RawFormatter if raw else _Formatter) if zh else (argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter)
        kwargs |= {"add_help": False, "formatter_class": formatter}
        super().__init__(*args, **kwargs)
        if zh:
            self._positionals.title, self._optionals.title = "参数", "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出" if zh else "show this help and exit")

    def error(self, message: str) -> Any:
        if ParserLanguage.lang == "zh":
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

    ParserLanguage.lang = lang
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
