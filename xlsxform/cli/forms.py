"""The commands on one form: template, render, read, check, schema, forms, demo."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform.cli.common import FAILED, MAX_JSON, OK, PROBLEMS, _chosen, _err, _known, _output, _positive, _print_json, _readable, _say, _spec, _year
from xlsxform.errors import FormDataError, XlsxformError

if TYPE_CHECKING:
    from xlsxform.cli.common import Say
    from xlsxform.reading.result import ReadResult


SAMPLE = "zhanjiang-xinfang-2023.json"
SAMPLES = {
    "city-department-performance": SAMPLE,
    "project-performance-target": "zhanjiang-xinfang-2024-project-target.json",
    "project-self-evaluation": "zhanjiang-xinfang-2023-self-evaluation.json",
}
"""Each built-in form's sample department, for the demo."""


def _forms_args(commands: Any, t: Say) -> None:
    forms = commands.add_parser("forms", help=t("列出可用的表格（内置表格和 --spec 版式）", "list the forms: the built-in ones and --spec"))
    forms.add_argument("--format", choices=["text", "json"], default="text", help=t("输出格式", "output format"))


def _forms(args: argparse.Namespace) -> int:
    listing = [{"id": s.form.id, "name": s.form.name, "version": s.form.version} for s in _known(args)]
    if args.format == "json":
        _print_json(listing)
    else:
        for item in listing:
            print(f"{item['id']}\t{item['name']}\t{'version' if args.lang == 'en' else '版本'} {item['version']}")
    return OK


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


def _template(args: argparse.Namespace) -> int:
    from xlsxform.rendering.renderer import render_template

    spec = _spec(args)
    rows = {"key_tasks": args.key_tasks, "other_tasks": args.other_tasks, "indicators": args.indicator_rows}
    render_template(
        _output(args.output),
        year=args.year,
        department=args.department,
        values=_amounts(args.amount, spec),
        blank_rows={k: v for k, v in rows.items() if v},
        spec=spec,
        fallback_fonts=args.fallback_fonts,
        password=args.password,
    )
    _say(args, f"已生成 {args.year} 年空白模板：{args.output}", f"wrote the {args.year} template: {args.output}")
    return OK


def _amounts(pairs: list[str], spec: Any) -> dict[str, Decimal]:
    """'基本支出=776.8' or 'budget.basic=776.8' (or 'basic=776.8') to
    {'budget.basic': Decimal('776.8')}, for any amount of the form."""
    from xlsxform.form import amounts

    paths = [path for path, field in spec.fields.items() if field.type == "amount"]
    by_name = {spec.fields[p].label: p for p in paths} | {p: p for p in paths} | {p.rsplit(".", 1)[-1]: p for p in paths if p.startswith("budget.")}
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        path = by_name.get(key.strip())
        if not sep or path is None:
            known = "、".join(spec.fields[p].label for p in paths)
            raise FormDataError(f"无法识别的预填金额“{pair}”，可用项目：{known}", f"unknown amount {pair!r}; use one of: {known}")
        try:
            result[path] = amounts.parse(value)
        except ValueError:
            raise FormDataError(f"预填金额“{pair}”不是数字", f"the amount in {pair!r} is not a number") from None
    return result


def _render_args(commands: Any, t: Say) -> None:
    render = commands.add_parser("render", help=t("由 JSON 数据生成已填写的表格", "render a filled workbook from JSON"))
    render.add_argument("data", type=Path, metavar=t("数据", "DATA"), help=t("表格数据 JSON 文件", "form data as JSON"))
    render.add_argument("-o", "--output", required=True, type=Path, metavar=t("文件", "FILE"), help=t("输出文件 .xlsx", "output .xlsx file"))
    render.add_argument("--fallback-fonts", action="store_true", help=t("使用常见字体代替公文字体", "use common fonts"))


def _render(args: argparse.Namespace) -> int:
    from xlsxform.rendering.renderer import render

    form = _load_form(args.data, _spec(args))
    try:
        render(form, _output(args.output), spec=_spec(args), fallback_fonts=args.fallback_fonts)
    except FormDataError as exc:
        exc.path = exc.path or str(args.data)
        raise
    _say(args, f"已生成：{args.output}", f"wrote {args.output}")
    return OK


def _load_form(path: Path, spec: Any) -> Any:
    from pydantic import ValidationError

    from xlsxform.form.invalid import form_data_error
    from xlsxform.spec.generate import model_of

    with _readable(path).open("rb") as source:
        data = source.read(MAX_JSON + 1)
    if len(data) > MAX_JSON:
        raise FormDataError(
            f"文件过大（超过 {MAX_JSON // 2**20} MB），不是一张表的数据", f"too large for one form's data (over {MAX_JSON // 2**20} MB)", path=path
        )
    try:
        # Notepad on Windows saves UTF-8 with a byte-order mark.
        return model_of(spec).model_validate_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ValidationError as exc:
        raise form_data_error(exc, "表格数据", "form data", path, model_of(spec)) from None


def _read_all(args: argparse.Namespace, path: Path) -> list[ReadResult]:
    """The forms a workbook holds (one per sheet), recognised unless --form names one."""
    from xlsxform.errors import SpecError, UnreadableWorkbookError
    from xlsxform.reading.reader import read_workbook
    from xlsxform.spec.loading import load_spec

    specs = [load_spec(_readable(Path(args.spec), SpecError))] if args.spec else []
    return read_workbook(_readable(path, UnreadableWorkbookError), spec=_chosen(args), specs=specs)


def _which(args: argparse.Namespace, result: ReadResult) -> str:
    """Which form a workbook (sheet) was read as."""
    name = next((s.form.name for s in _known(args) if s.form.id == result.form_id), result.form_id)
    if args.lang == "en":
        return f"Form: {name} ({result.form_id}), sheet {result.sheet}"
    return f"表格：{name}（{result.form_id}），工作表“{result.sheet}”"


def _read_args(commands: Any, t: Say) -> None:
    read = commands.add_parser("read", help=t("读取已填写的表格，以 JSON 输出数据", "read a filled workbook, print its data as JSON"))
    read.add_argument("workbook", type=Path, help=t("已填写的 .xlsx 文件", "filled .xlsx file"))


def _read(args: argparse.Namespace) -> int:
    from xlsxform.spec.data import as_json

    results = _read_all(args, args.workbook)
    data = [as_json(r.data) for r in results]
    # One form prints its data; a workbook of several prints one entry per sheet.
    _print_json(data[0] if len(results) == 1 else [{"form": r.form_id, "sheet": r.sheet, "data": d} for r, d in zip(results, data, strict=True)])
    for result in results:
        _err(_which(args, result))
        for problem in result.problems:
            _err(_problem_line(problem, args.lang))
    return OK if all(r.ok for r in results) else PROBLEMS


def _problem_line(problem: Any, lang: str) -> str:
    level = {"error": ("错误", "error"), "warning": ("警告", "warning")}[problem.severity][lang == "en"]
    return f"{problem.cell or '-'}  {level}  {problem.message(lang)}  [{problem.code}]"


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


def _check(args: argparse.Namespace) -> int:
    if args.annotate and len(args.workbooks) > 1:
        raise FormDataError("--annotate 一次只能用于一个文件", "--annotate takes one file at a time")
    reports: list[dict[str, Any]] = []
    codes = []
    for path in args.workbooks:
        try:
            found, code = _check_one(args, path)
        except XlsxformError as exc:
            if len(args.workbooks) == 1:
                raise
            _err(exc.message(args.lang))  # a batch goes on to the next file
            found, code = [{"file": str(path), "error": exc.message(args.lang), "code": exc.code}], FAILED
        reports += found
        codes.append(code)
    if args.format == "json":
        _print_json(reports[0] if len(reports) == 1 else reports)
    return max(codes)


def _check_one(args: argparse.Namespace, path: Path) -> tuple[list[dict[str, Any]], int]:
    """Check one workbook, each form in it (one per sheet): print the reports
    (text) or return them (JSON)."""
    results = _read_all(args, path)
    if args.annotate:
        from xlsxform.reading.annotate import annotate

        reading = results[0] if len(results) == 1 else None
        annotate(
            path, [p for r in results for p in r.problems], _output(args.annotate), args.lang, reading=reading, spec=_spec(args) if reading is None else None
        )
    reports: list[dict[str, Any]] = []
    for result in results:
        report: dict[str, Any] = {"file": str(path), "form": result.form_id, "sheet": result.sheet, "ok": result.ok}
        report["problems"] = [p.to_dict(args.lang) for p in result.problems]
        if args.annotate:
            report["annotated"] = str(args.annotate)
        reports.append(report)
        if args.format == "text":
            print(_which(args, result))
            print(_report(result, args.lang))
    if args.format == "text":
        if args.annotate:
            _say(args, f"已生成批注副本（问题已标在单元格上）：{args.annotate}", f"wrote the annotated copy (problems marked on their cells): {args.annotate}")
        if len(args.workbooks) > 1:
            print()
    return reports, OK if all(r.ok for r in results) else PROBLEMS


def _report(result: ReadResult, lang: str) -> str:
    department, year = result.data["department"], result.data["year"]
    errors = sum(p.severity == "error" for p in result.problems)
    warnings = len(result.problems) - errors
    if lang == "en":
        lines = [f"File: {result.path}", f"Department: {department or '(none)'}  Year: {year or '(none)'}"]
        verdict = (
            "Passed: no problems."
            if not result.problems
            else f"Passed, with {warnings} warning(s) to confirm:"
            if not errors
            else f"Found {errors} error(s) and {warnings} warning(s):"
        )
    else:
        lines = [f"文件：{result.path}", f"部门：{department or '（未填写）'}　年度：{year or '（未填写）'}"]
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


def _schema_args(commands: Any, t: Say) -> None:
    commands.add_parser("schema", help=t("输出表格数据的 JSON Schema", "print the form's JSON Schema"))


def _schema(args: argparse.Namespace) -> int:
    from xlsxform.spec.generate import model_of

    _print_json(model_of(_spec(args)).model_json_schema(mode="validation"))
    return OK


def _demo_args(commands: Any, t: Say) -> None:
    demo = commands.add_parser("demo", help=t("演示：生成空白模板和示例表格，并读回示例", "demo: write a template and the sample, read the sample back"))
    demo.add_argument("directory", nargs="?", type=Path, default=Path("xlsxform-demo"), help=t("输出目录（默认 xlsxform-demo）", "output folder"))


def _demo(args: argparse.Namespace) -> int:
    from xlsxform.checking.rules import value_at
    from xlsxform.reading.reader import read
    from xlsxform.rendering.renderer import render, render_template
    from xlsxform.spec.loading import resource_dir

    spec = _spec(args)
    out: Path = args.directory
    out.mkdir(parents=True, exist_ok=True)
    sample = _load_form(resource_dir("samples") / SAMPLES.get(spec.form.id, SAMPLE), spec)
    blank, filled = out / "blank-template.xlsx", out / "sample-filled.xlsx"
    render_template(blank, year=sample.year, spec=spec)
    render(sample, filled, spec=spec)
    result = read(filled, spec=spec)
    same = result.form == sample
    rows = {s.title or s.label: len(value_at(result.form, s.field) or []) for s in spec.lists()}
    if args.lang == "en":
        print(f"1. Blank {sample.year} template: {blank}")
        print(f"2. The sample department's filled form: {filled}")
        counted = ", ".join(f"{n} rows of {label}" for label, n in rows.items())
        print(f"3. Read back: {counted}; same as the sample: {'yes' if same else 'NO'}")
    else:
        print(f"1. 空白模板（{sample.year}年）：{blank}")
        print(f"2. 示例部门（{sample.department}）已填写的表格：{filled}")
        counted = "，".join(f"{label} {n} 行" for label, n in rows.items())
        print(f"3. 读回示例：{counted}；与示例数据{'一致' if same else '不一致'}")
    print(_report(result, args.lang))
    return OK if result.ok and same else PROBLEMS
