"""The commands on one form: template, render, read, check, schema, forms, demo."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxform.cli.common import FAILED, MAX_JSON, OK, PROBLEMS, _chosen, _err, _known, _output, _print_json, _readable, _say, _spec
from xlsxform.errors import FormDataError, XlsxformError

if TYPE_CHECKING:
    from xlsxform.reading.result import ReadResult


SAMPLE = "zhanjiang-xinfang-2023.json"
SAMPLES = {
    "city-department-performance": SAMPLE,
    "project-performance-target": "zhanjiang-xinfang-2024-project-target.json",
    "project-self-evaluation": "zhanjiang-xinfang-2023-self-evaluation.json",
}
"""Each built-in form's sample department, for the demo."""


def _forms(args: argparse.Namespace) -> int:
    listing = [{"id": s.form.id, "name": s.form.name, "version": s.form.version} for s in _known(args)]
    if args.format == "json":
        _print_json(listing)
    else:
        for item in listing:
            print(f"{item['id']}\t{item['name']}\t{'version' if args.lang == 'en' else '版本'} {item['version']}")
    return OK


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


def _schema(args: argparse.Namespace) -> int:
    from xlsxform.spec.generate import model_of

    _print_json(model_of(_spec(args)).model_json_schema(mode="validation"))
    return OK


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


# -- the collection loop: issue, ingest, status, export --------------------------
