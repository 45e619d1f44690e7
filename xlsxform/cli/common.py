"""What every stage of the command shares: exit codes, the form a run works
on, files checked before they are opened, one-line output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xlsxform.errors import FormDataError, XlsxformError

OK, PROBLEMS, FAILED = 0, 1, 2
MAX_JSON = 20 * 2**20
"""One form's data is a few kilobytes; anything this large is not one."""


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _spec(args: argparse.Namespace) -> Any:
    """The form a command works on: --form, else --spec, else the first form."""
    from xlsxform.errors import SpecError
    from xlsxform.spec.loading import load_spec

    if args.form:
        return _chosen(args)
    return load_spec(_readable(Path(args.spec), SpecError)) if args.spec else load_spec()


def _known(args: argparse.Namespace) -> Sequence[Any]:
    """Every form known to this run: --spec's first, then the built-in ones."""
    from xlsxform.reading.reader import known_specs
    from xlsxform.spec.loading import load_spec

    return known_specs([load_spec(args.spec)] if args.spec else [])


def _chosen(args: argparse.Namespace) -> Any:
    """The form --form names, or None (read and check then recognise it)."""
    if not args.form:
        return None
    known = _known(args)
    found = next((s for s in known if s.form.id == args.form), None)
    if found is None:
        ids = "、".join(s.form.id for s in known)
        raise FormDataError(f"没有编号为“{args.form}”的表格，可用：{ids}", f"no form {args.form!r}; known: {', '.join(s.form.id for s in known)}")
    return found


def _say(args: argparse.Namespace, zh: str, en: str) -> None:
    print(en if args.lang == "en" else zh)


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


Say = Callable[[str, str], str]
"""The parser's text in the chosen language: t(zh, en)."""


class ParserLanguage:
    """The language the command line's parser speaks this run: its help, its
    usage errors and the argument types' messages (set by the parser)."""

    lang = "zh"


def _year(text: str) -> int:
    """A year the form can be for."""
    if not text.strip().isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(
            f"的值“{text}”无效：年度须为 2000 到 2100 之间的整数" if ParserLanguage.lang == "zh" else f"invalid value {text!r}: a year from 2000 to 2100"
        )
    return int(text)


def _positive(text: str) -> int:
    """A number of blank rows: 1 to MAX_BLANK_ROWS."""
    from xlsxform.rendering.renderer import MAX_BLANK_ROWS

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_BLANK_ROWS:
        raise argparse.ArgumentTypeError(
            f"须为 1 到 {MAX_BLANK_ROWS} 之间的整数（实际为“{text}”）"
            if ParserLanguage.lang == "zh"
            else f"must be a whole number from 1 to {MAX_BLANK_ROWS}, not {text!r}"
        )
    return int(text)


def add_collected_db(parser: argparse.ArgumentParser, t: Say) -> None:
    """--db of a command that works on what ingest stored."""
    parser.add_argument("--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("ingest 写入的数据库文件", "the database ingest wrote"))


def add_collected_year(parser: argparse.ArgumentParser, t: Say) -> None:
    """--year of a command that works on one form's stored returns."""
    parser.add_argument(
        "--year",
        type=_year,
        metavar=t("年度", "YEAR"),
        help=t("年度（默认为数据库中这张表格最近的年度）", "year (default: the latest year of the form in the database)"),
    )


def add_table_format(parser: argparse.ArgumentParser, t: Say) -> None:
    """--format of a command that lists rows: a table, or JSON for programs."""
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help=t("输出格式：text（表格，默认）或 json", "output: text (a table, the default) or json")
    )


def add_smtp_login(parser: argparse.ArgumentParser, t: Say) -> None:
    """--starttls and --smtp-user of a command that sends mail (the password comes from the environment)."""
    parser.add_argument("--starttls", action="store_true", help=t("发送前启用 STARTTLS 加密", "use STARTTLS before sending"))
    parser.add_argument(
        "--smtp-user",
        metavar=t("用户名", "USER"),
        help=t("登录邮件服务器的用户名；密码从环境变量 XLSXFORM_SMTP_PASSWORD 读取", "login user; the password is read from XLSXFORM_SMTP_PASSWORD"),
    )
