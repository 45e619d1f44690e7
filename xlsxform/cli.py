"""The ``xlsxform`` command: a thin layer over the library for finance officers.

Everything a person reads is Chinese by default (``--lang en`` or
XLSXFORM_LANG=en for English).  Exit codes: 0 valid, 1 problems found,
2 unreadable input or bad usage.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FormDataError, XlsxformError, form_data_error

if TYPE_CHECKING:
    from .reader import ReadResult

OK, PROBLEMS, FAILED = 0, 1, 2
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
]


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：")


class _Usage(Exception):
    pass


def _lang(argv: Sequence[str]) -> str:
    if "--lang" in argv:
        i = list(argv).index("--lang")
        if i + 1 < len(argv):
            return argv[i + 1]
    return os.environ.get("XLSXFORM_LANG", "zh")


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
    parser.add_argument("--lang", choices=["zh", "en"], default=_lang(sys.argv), help=t("提示语言（默认中文）", "language of messages"))
    parser.add_argument("--spec", metavar=t("版式文件", "SPEC"), help=t("版式文件（默认使用内置的表样）", "layout spec file (default: the bundled form)"))
    commands = parser.add_subparsers(dest="command", metavar=t("命令", "COMMAND"), required=True, prog="xlsxform")

    template = commands.add_parser("template", help=t("生成空白模板（可预填部门名称和金额）", "write a blank template"))
    template.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    template.add_argument("--year", type=int, metavar=t("年度", "YEAR"), default=dt.date.today().year + 1, help=t("年度（默认下一年度）", "year (default: next year)"))
    template.add_argument("--department", default="", metavar=t("部门名称", "NAME"), help=t("预填的部门名称", "department name to pre-fill"))
    template.add_argument(
        "--amount",
        action="append",
        default=[],
        metavar=t("项目=金额", "ITEM=AMOUNT"),
        help=t("预填金额（万元），如 基本支出=776.8，可重复", "pre-filled amount in 万元, e.g. 基本支出=776.8; repeatable"),
    )
    template.add_argument("--key-tasks", type=_positive, metavar=t("行数", "N"), help=t("年度重点工作任务空行数（默认5）", "blank key-task rows (default 5)"))
    template.add_argument("--other-tasks", type=_positive, metavar=t("行数", "N"), help=t("其他需完成的任务空行数（默认2）", "blank other-task rows (default 2)"))
    template.add_argument("--indicator-rows", type=_positive, metavar=t("行数", "N"), help=t("每个二级指标下的空行数（默认3）", "blank rows per 二级指标 (default 3)"))
    template.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体（宋体、仿宋）代替公文字体", "use common fonts instead of the official ones"))

    render = commands.add_parser("render", help=t("由 JSON 数据生成已填写的表格", "render a filled workbook from JSON"))
    render.add_argument("form", type=Path, help=t("表格数据 JSON 文件", "form data as JSON"))
    render.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    render.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))

    read = commands.add_parser("read", help=t("读取已填写的表格，以 JSON 输出数据", "read a filled workbook, print its data as JSON"))
    read.add_argument("workbook", type=Path, help=t("已填写的 .xlsx 文件", "filled .xlsx file"))

    check = commands.add_parser("check", help=t("校验已填写的表格，列出需修改的单元格", "check a filled workbook and list what to fix"))
    check.add_argument("workbook", type=Path, help=t("已填写的 .xlsx 文件", "filled .xlsx file"))
    check.add_argument("--format", choices=["text", "json"], default="text", help=t("报告格式", "report format"))

    commands.add_parser("schema", help=t("输出表格数据的 JSON Schema", "print the form's JSON Schema"))

    demo = commands.add_parser("demo", help=t("演示：生成空白模板和示例表格，并读回示例", "demo: write a template and the sample, read the sample back"))
    demo.add_argument("directory", nargs="?", type=Path, default=Path("xlsxform-demo"), help=t("输出目录（默认 xlsxform-demo）", "output folder"))
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def entry() -> None:
    """The console script: ``main`` for a short-lived process.

    The cyclic garbage collector is switched off for the run and the heap
    frozen before exit: a single command allocates little, and collecting
    pydantic's and openpyxl's objects at shutdown costs more than the work.
    """
    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang(argv)
    try:
        args = _parser(lang).parse_args(argv)
        return _COMMANDS[args.command](args)
    except _Usage as exc:
        _err(f"xlsxform: {exc}（xlsxform --help 查看用法）" if lang == "zh" else f"xlsxform: {exc} (see xlsxform --help)")
    except XlsxformError as exc:
        _err(exc.message(lang))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        return 130
    return FAILED


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _spec(args: argparse.Namespace) -> Any:
    from .spec import load_spec

    return load_spec(args.spec) if args.spec else load_spec()


def _say(args: argparse.Namespace, zh: str, en: str) -> None:
    print(en if args.lang == "en" else zh)


def _template(args: argparse.Namespace) -> int:
    from .renderer import render_template

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
    )
    _say(args, f"已生成 {args.year} 年空白模板：{args.output}", f"wrote the {args.year} template: {args.output}")
    return OK


def _amounts(pairs: list[str]) -> dict[str, Decimal]:
    """'基本支出=776.8' or 'basic=776.8' to {'basic': Decimal('776.8')}."""
    from . import amounts
    from .model import Budget

    by_label = {info.title: name for name, info in Budget.model_fields.items()}
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        name = by_label.get(key.strip(), key.strip())
        if not sep or name not in Budget.model_fields:
            known = "、".join(by_label)
            raise FormDataError(f"无法识别的预填金额“{pair}”，可用项目：{known}", f"unknown amount {pair!r}; use one of: {known}")
        try:
            result[name] = amounts.parse(value)
        except ValueError:
            raise FormDataError(f"预填金额“{pair}”不是数字", f"the amount in {pair!r} is not a number") from None
    return result


def _render(args: argparse.Namespace) -> int:
    from .renderer import render

    form = _load_form(args.form)
    render(form, _output(args.output), spec=_spec(args), fallback_fonts=args.fallback_fonts)
    _say(args, f"已生成：{args.output}", f"wrote {args.output}")
    return OK


def _load_form(path: Path) -> Any:
    from pydantic import ValidationError

    from .model import Form

    try:
        return Form.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise form_data_error(exc, "表格数据", "form data", path) from None


def _output(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise FormDataError("输出文件名须以 .xlsx 结尾", "the output file name must end in .xlsx", path=path)
    if not path.parent.is_dir():
        raise FormDataError("输出目录不存在", "the output folder does not exist", path=path)
    return path


def _read(args: argparse.Namespace) -> int:
    result = _read_checked(args)
    sys.stdout.write(result.form.model_dump_json(indent=2) + "\n")
    for problem in result.problems:
        _err(_problem_line(problem, args.lang))
    return OK if result.ok else PROBLEMS


def _read_checked(args: argparse.Namespace) -> ReadResult:
    from .reader import read

    return read(args.workbook, spec=_spec(args))


def _problem_line(problem: Any, lang: str) -> str:
    level = {"error": ("错误", "error"), "warning": ("警告", "warning")}[problem.severity][lang == "en"]
    return f"{problem.cell or '-'}  {level}  {problem.message(lang)}  [{problem.code}]"


def _check(args: argparse.Namespace) -> int:
    result = _read_checked(args)
    if args.format == "json":
        report = {"file": str(args.workbook), "ok": result.ok, "problems": [p.to_dict(args.lang) for p in result.problems]}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_report(result, args.lang))
    return OK if result.ok else PROBLEMS


def _report(result: ReadResult, lang: str) -> str:
    form = result.form
    errors = sum(p.severity == "error" for p in result.problems)
    warnings = len(result.problems) - errors
    if lang == "en":
        lines = [f"File: {result.path}", f"Department: {form.department or '(none)'}  Year: {form.year or '(none)'}"]
        verdict = "Passed: no problems." if not result.problems else f"Found {errors} error(s) and {warnings} warning(s):"
    else:
        lines = [f"文件：{result.path}", f"部门：{form.department or '（未填写）'}　年度：{form.year or '（未填写）'}"]
        verdict = "校验通过，未发现问题。" if not result.problems else f"发现 {errors} 个错误、{warnings} 个警告，请逐项修改："
    lines.append(verdict)
    lines += [f"  {n}. {_problem_line(p, lang)}" for n, p in enumerate(result.problems, 1)]
    return "\n".join(lines)


def _schema(args: argparse.Namespace) -> int:
    from .model import Form

    print(json.dumps(Form.model_json_schema(mode="validation"), ensure_ascii=False, indent=2))
    return OK


def _demo(args: argparse.Namespace) -> int:
    from .reader import read
    from .renderer import render, render_template
    from .spec import resource_dir

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


_COMMANDS = {"template": _template, "render": _render, "read": _read, "check": _check, "schema": _schema, "demo": _demo}
